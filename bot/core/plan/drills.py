"""Drill scripts: a made-up crisis, its targets, and what the public does on the drill's clock.

The plan's seed ends with "test your plan": invent a crisis, run it, time it, review it. A script
is that crisis written down once (``playbooks/drills/*.yaml``) so any team can rehearse it with
the real commands. Injects can depend on what the team did (``when``) or did not do
(``unless``) by their time: a good exercise punishes silence, not only mistakes.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from bot.core.model.base import Strict
from bot.core.model.drill import Condition, ExpectedEscalation, Minutes, Targets


class InjectKind(StrEnum):
    POST = "post"  # a public post on a social network
    DM = "dm"  # a direct message to the brand (a journalist asking for comment)
    MESSAGE = "message"  # someone inside the company (an executive: "why haven't we said anything?")
    METRIC = "metric"  # a figure from the listening tool ("mentions up 400% in 20 min")


class Author(Strict):
    handle: str = Field(min_length=1, max_length=100)
    name: str = ""
    followers: int = Field(default=0, ge=0)
    verified: bool = False


class Inject(Strict):
    at: Minutes
    kind: InjectKind
    text: str = Field(min_length=1, max_length=2000)
    network: str = ""  # posts: x, instagram, tiktok, linkedin ...
    author: Author | None = None  # posts and DMs
    sender: str = ""  # messages: who inside the company ("Julien Moreau, CEO")
    reach: int = Field(default=0, ge=0)  # posts: views so far
    when: list[Condition] = Field(default_factory=list)
    unless: list[Condition] = Field(default_factory=list)

    @model_validator(mode="after")
    def _kind_needs(self) -> Inject:
        if self.kind in (InjectKind.POST, InjectKind.DM) and self.author is None:
            raise ValueError(f"a {self.kind.value} needs an author (handle, name, followers, verified)")
        if self.kind is InjectKind.POST and not self.network:
            raise ValueError("a post needs its network (x, instagram, tiktok, linkedin ...)")
        if self.kind is InjectKind.MESSAGE and not self.sender:
            raise ValueError("a message needs its sender (who inside the company, e.g. 'Julien Moreau, CEO')")
        return self


class MentionReplay(Strict):
    """Posts for the drill from an export of real-looking mentions (the listening format), so a
    drill can replay what a listening tool saw: each row becomes a post at its time after the
    first row's."""

    file: str = Field(pattern=r"^[\w.-]+\.(csv|jsonl)$")  # beside the script, in drills/
    source: str = "generic"  # how its rows are shaped: generic, or a mapping in sources/


class DrillScript(Strict):
    title: str = Field(min_length=1, max_length=150)
    scenario: str = Field(min_length=1)
    severity: str = Field(pattern=r"^sev[1-9]$")
    language: str = Field(default="en", pattern=r"^[a-z]{2}$")
    description: str = ""
    duration: Minutes = Field(gt=0)
    expected_escalation: ExpectedEscalation | None = None
    targets: Targets = Targets()
    injects: list[Inject] = Field(default_factory=list)  # an inject after ``duration`` is refused on load
    mentions: MentionReplay | None = None  # more post injects, read from a file on load


class DrillSettings(Strict):
    """The plan's ``drills:`` section: default targets, and where drill announcements go."""

    targets: Targets = Targets(war_room=5, first_ack=10, holding_statement=30, resolution=90)
    # none: drills never post in a shared channel (the real announcements stay real)
    announcements_channel: str | None = Field(default=None, pattern=r"^[a-z0-9_-]{1,80}$")
