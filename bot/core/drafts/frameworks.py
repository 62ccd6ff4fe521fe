"""Message frameworks: the points every public reply must touch, per scenario and stage.

A framework is not a script. It names the talking points of a stage (acknowledge, apologize,
resolve), the facts a reply needs (the customer's handle, the order number ...), the network it
is written for and its length limit, the tone, and the phrases that make a brand sound like a
machine. The core only knows these shapes and the ``DraftRenderer`` port (:mod:`bot.core.ports`);
the Jinja2 rendering lives in :mod:`bot.frameworks`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import Field

from bot.core.model.base import Strict
from bot.core.model.errors import UsageError

STAGES = ("acknowledge", "apologize", "resolve")
LANGUAGES = ("en", "fr")
GENERIC = "generic"
VarName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


_URL = re.compile(r"https?://\S+")


class Network(Strict):
    """Where the reply will be posted; ``limit`` is its character limit (None: no hard limit).

    ``link_length``: networks that shorten links (X counts every link as 23 characters) measure
    a draft differently from what the box shows; counting their way keeps the limit honest.
    """

    name: str
    limit: int | None = Field(default=None, ge=1)
    link_length: int | None = Field(default=None, ge=1)

    def length(self, text: str) -> int:
        if self.link_length is None:
            return len(text)
        return len(_URL.sub("", text)) + self.link_length * len(_URL.findall(text))


class Variable(Strict):
    """A fact the reply needs. Optional ones left empty show as a visible ``[PLACEHOLDER]``."""

    label: dict[str, str]
    required: bool = False
    placeholder: str = Field(pattern=r"^[A-Z0-9 '’-]{1,40}$")
    example: str = ""


class TalkingPoint(Strict):
    """``cues`` are words whose presence shows the point was made (checked when linting)."""

    id: VarName
    text: dict[str, str]
    cues: dict[str, list[str]]
    required: bool = True


class Stage(Strict):
    talking_points: list[TalkingPoint] = Field(min_length=1)


class Framework(Strict):
    name: dict[str, str]
    network: str
    variables: dict[VarName, Variable] = Field(default_factory=dict)
    stages: dict[str, Stage]
    tone: dict[str, list[str]] = Field(default_factory=dict)
    avoid: dict[str, list[str]] = Field(default_factory=dict)


@dataclass(frozen=True)
class RenderedDraft:
    """A rendered draft: the text and what a person needs to adapt it."""

    scenario: str
    stage: str
    lang: str
    text: str
    talking_points: list[str]
    network: str
    limit: int | None
    tone: list[str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LintFinding:
    """``code`` is one of: too_long, placeholder, avoid_phrase, shouting, missing_point."""

    code: str
    message: str


class MissingVariablesError(UsageError):
    """Required facts are missing: the user is asked for them, nothing is guessed."""

    def __init__(self, missing: Mapping[str, str]) -> None:
        listing = ", ".join(f"{name} ({label})" for name, label in missing.items())
        example = " ".join(f"{name}=..." for name in missing)
        super().__init__(f"This draft needs: {listing}.", hint=f"Add them after the stage, e.g. {example}")
        self.missing = dict(missing)
