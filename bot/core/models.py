"""Runtime models of a crisis: what was declared, who is in it, and what happened when.

These are plain pydantic models, independent of storage and chat platform; repositories map them
to tables and adapters to messages.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CrisisStatus(StrEnum):
    ACTIVE = "active"
    RESOLVED = "resolved"


class StepStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Actor(BaseModel):
    """Who did something: their platform id and name, and their plan person id when known."""

    model_config = ConfigDict(frozen=True)

    platform_id: str
    name: str
    person_id: str | None = None


BOT = Actor(platform_id="crisisbot", name="crisisbot")


class Invocation(BaseModel):
    """A command as an adapter received it: who typed what, where."""

    model_config = ConfigDict(frozen=True)

    actor: Actor
    text: str
    channel_id: str | None = None


class Room(BaseModel):
    """A war room as the chat platform knows it."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    url: str | None = None


class Assignment(BaseModel):
    """A role of the chain of command and the people holding it, primary first."""

    model_config = ConfigDict(frozen=True)

    role_id: str
    role_name: str
    person_ids: list[str]
    paged: bool = False


class Step(BaseModel):
    """One step of a use case, recorded before it runs so a crash leaves an honest trace."""

    key: str
    label: str
    status: StepStatus = StepStatus.PENDING
    detail: str = ""
    updated_at: datetime | None = None


class TimelineEvent(BaseModel):
    """Something that happened during the crisis, by whom and when."""

    at: datetime
    kind: str
    text: str
    actor: Actor = BOT
    data: dict[str, Any] = Field(default_factory=dict)


class Crisis(BaseModel):
    """A declared crisis. ``number`` is the human id (CRISIS-0007) and never reused."""

    id: int | None = None
    number: int | None = None
    title: str
    details: str | None = None
    source_url: str | None = None
    request_key: str | None = None
    scenario_id: str
    severity_id: str
    status: CrisisStatus = CrisisStatus.ACTIVE
    declared_by: Actor
    declared_at: datetime
    room_name: str
    room: Room | None = None
    lead_person_id: str | None = None
    assignments: list[Assignment] = Field(default_factory=list)
    unreachable: dict[str, str] = Field(default_factory=dict)
    kickoff_message_id: str | None = None
    next_update_due: datetime | None = None
    review: dict[str, str] = Field(default_factory=dict)
    resolved_at: datetime | None = None
    resolved_by: Actor | None = None
    resolution_summary: str | None = None
    steps: list[Step] = Field(default_factory=list)

    @property
    def key(self) -> str:
        return format_crisis_key(self.number) if self.number is not None else "CRISIS-????"

    @property
    def unfinished_steps(self) -> list[Step]:
        return [s for s in self.steps if s.status is not StepStatus.DONE]


def format_crisis_key(number: int) -> str:
    return f"CRISIS-{number:04d}"


class DraftStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    PUBLISHED = "published"


EDITABLE = frozenset({DraftStatus.DRAFT, DraftStatus.CHANGES_REQUESTED, DraftStatus.APPROVED, DraftStatus.IN_REVIEW})


class Draft(BaseModel):
    """A reply draft for one crisis. ``approved_hash`` freezes the approved text: any edit after
    approval changes the text, no longer matches, and needs a new approval."""

    id: int | None = None
    crisis_number: int
    scenario: str
    stage: str
    lang: str
    text: str
    values: dict[str, str] = Field(default_factory=dict)
    author: Actor
    status: DraftStatus = DraftStatus.DRAFT
    edited: bool = False
    reviewer_role: str | None = None
    created_at: datetime
    updated_at: datetime
    approved_by: Actor | None = None
    approved_at: datetime | None = None
    approved_hash: str | None = None
    published_by: Actor | None = None
    published_at: datetime | None = None
    published_url: str | None = None


class PageStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    EXHAUSTED = "exhausted"
    CANCELLED = "cancelled"


class PageTarget(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str
    role_id: str


class Page(BaseModel):
    """A page and its ladder, frozen when it fired: editing the plan changes the next crisis,
    never a page in flight. ``position`` is who is being paged now; ``due_at`` is when it climbs."""

    id: int | None = None
    crisis_number: int
    role_id: str
    reason: str
    chain: list[PageTarget]
    position: int = 0
    timeout_minutes: int
    status: PageStatus = PageStatus.OPEN
    created_at: datetime
    due_at: datetime
    acknowledged_by: Actor | None = None
    acknowledged_at: datetime | None = None

    @property
    def current(self) -> PageTarget | None:
        return self.chain[self.position] if self.position < len(self.chain) else None
