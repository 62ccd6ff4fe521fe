"""A mention: one public post about us, as a listening tool reported it, and what intake answers.

The vocabulary the intake speaks with the tools that send mentions (the HTTP route, the import
command) lives here so adapters can use it without reaching into the listening package.

A mention is identified by ``(network, post_id)``. What the post *says* (text, deletion, author,
link, language, what it replies to) has a content hash: a re-sent mention with the same hash is a
duplicate whose counts are refreshed; a different hash is an edit or a deletion, kept as a new
version beside the first one, never over it, so the team can show what a post said before it
changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class Mention(BaseModel):
    """One post, normalised from whatever shape its source sends."""

    model_config = ConfigDict(frozen=True)

    network: str
    post_id: str
    text: str
    created_at: datetime
    url: str | None = None
    author_handle: str | None = None
    author_name: str | None = None
    followers: int | None = None
    verified: bool = False
    lang: str | None = None
    reach: int | None = None
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    in_reply_to: str | None = None
    deleted: bool = False

    @property
    def content_hash(self) -> str:
        """SHA-256 of what the post says; counts are left out, since they change without the post
        changing. Canonical JSON, so the same content hashes the same on every replica."""
        content = {
            "network": self.network,
            "id": self.post_id,
            "text": self.text,
            "deleted": self.deleted,
            "url": self.url,
            "author": self.author_handle,
            "lang": self.lang,
            "in_reply_to": self.in_reply_to,
        }
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Matched:
    """A mention with the plan's topics it is about, and why it matters on its own (virality)."""

    mention: Mention
    topics: tuple[str, ...] = ()
    viral: str | None = None


@dataclass(frozen=True)
class Rejected:
    """One item of a batch that was not stored, and why: ``field`` is its path in the item as sent."""

    index: int
    field: str
    message: str

    def as_json(self) -> dict[str, object]:
        return {"index": self.index, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class Stored:
    """What the evidence store did with a batch. ``accepted``: new posts and new versions (edits,
    deletions); ``duplicates``: posts already known with the same content (their counts refreshed)."""

    accepted: int = 0
    duplicates: int = 0


@dataclass(frozen=True)
class MentionDigest:
    """Mentions first seen in a window: how many, and the few that reach the most people."""

    count: int
    top: list[Mention]


@dataclass(frozen=True)
class IntakeReport:
    """The answer to one batch: the intake contract's ``{"accepted", "duplicates", "rejected"}``."""

    accepted: int
    duplicates: int
    rejected: list[Rejected] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [r.as_json() for r in self.rejected],
        }


class IntakeRefused(Exception):
    """The whole request is refused and nothing was stored. ``field`` names what is wrong
    (``mentions``, ``body``, ``source``); ``unknown_source`` tells the adapter to answer 404."""

    def __init__(self, field: str, message: str, *, unknown_source: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.unknown_source = unknown_source
