"""The timeline's vocabulary: every kind of event, and the facts each kind carries.

Summaries, exports and reports read the timeline back, so the kinds are an enum and each kind's
data a model: a writer and a reader can no longer disagree on a string. Data that does not fit
its kind (written by an older version, or by hand) is kept as plain ``EventData``: it is still
shown and exported, it just does not count as, say, a severity change.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.core.model.crisis import BOT, Actor


class EventKind(StrEnum):
    DECLARED = "declared"
    WAR_ROOM_CREATED = "war_room_created"
    INVITED = "invited"
    INVITE_FAILED = "invite_failed"
    KICKOFF_POSTED = "kickoff_posted"
    ANNOUNCED = "announced"
    STEP_FAILED = "step_failed"
    PAGED = "paged"
    PAGE_FAILED = "page_failed"
    PAGE_EXHAUSTED = "page_exhausted"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    DEESCALATED = "deescalated"
    LEAD_CHANGED = "lead_changed"
    NOTE = "note"
    STATUS_UPDATE = "status_update"
    UPDATE_OVERDUE = "update_overdue"
    POST_FAILED = "post_failed"
    DRAFT_CREATED = "draft_created"
    DRAFT_EDITED = "draft_edited"
    DRAFT_SUBMITTED = "draft_submitted"
    DRAFT_READY = "draft_ready"
    DRAFT_APPROVED = "draft_approved"
    DRAFT_CHANGES = "draft_changes"
    DRAFT_PUBLISHED = "draft_published"
    RESOLVED = "resolved"
    REVIEW = "review"
    DRILL_INJECT = "drill_inject"  # a scripted or live inject of a drill was played
    DRILL_INJECT_SKIPPED = "drill_inject_skipped"  # its condition on the team's actions said no
    DRILL_PAUSED = "drill_paused"
    DRILL_RESUMED = "drill_resumed"
    DRILL_ENDED = "drill_ended"
    ESCALATION_PROPOSED = "escalation_proposed"  # a viral post: listening proposed a severity
    EVIDENCE = "evidence"  # a public post kept as evidence (from an alert, or a message shortcut)


SEVERITY_CHANGES = frozenset({EventKind.ESCALATED, EventKind.DEESCALATED})


class EventData(BaseModel):
    """What an event carries besides its text. Any event may link to the chat message it came
    from (``permalink``); keys no model knows are kept, so an export never drops a recorded fact."""

    model_config = ConfigDict(extra="allow", frozen=True)

    permalink: str | None = None

    def dump(self) -> dict[str, Any]:
        """As stored and exported: JSON values, absent facts left out."""
        return self.model_dump(mode="json", exclude_none=True)


class Declared(EventData):
    severity: str


class Invited(EventData):
    invited: list[str] = Field(default_factory=list)
    failed: dict[str, str] = Field(default_factory=dict)


class Paged(EventData):
    person_id: str


class SeverityChanged(EventData):
    to_severity: str = Field(min_length=1)
    from_severity: str | None = None
    reason: str | None = None


class LeadChanged(EventData):
    lead: str


class Noted(EventData):
    """``author`` wrote the message a shortcut filed; ``filed_by`` filed it."""

    author: str | None = None
    filed_by: str | None = None


class DraftEvent(EventData):
    draft: int | None = None


class Published(DraftEvent):
    url: str | None = None


REVIEW_QUESTIONS = {
    "went_well": "What went well?",
    "went_badly": "What did not go well?",
    "plan_changes": "What should change in the plan?",
}


class Injected(EventData):
    """``position`` in the script (none for a facilitator's live inject); ``at``: its time on the
    drill's clock, in minutes."""

    position: int | None = None
    at: float | None = None
    what: str | None = None  # the inject itself, without what the timeline says around it


class Evidence(EventData):
    """A post kept with the crisis: what it said is identified by its content hash, as stored."""

    network: str | None = None
    post_id: str | None = None
    url: str | None = None
    author: str | None = None
    reach: int | None = None
    content_hash: str | None = None
    alert: int | None = None
    to_severity: str | None = None  # an escalation proposed because of this post


class Reviewed(EventData):
    """The post-incident review's answers, one per question of ``REVIEW_QUESTIONS``."""

    went_well: str | None = None
    went_badly: str | None = None
    plan_changes: str | None = None


DATA_OF: dict[EventKind, type[EventData]] = {
    EventKind.DECLARED: Declared,
    EventKind.INVITED: Invited,
    EventKind.PAGED: Paged,
    EventKind.ESCALATED: SeverityChanged,
    EventKind.DEESCALATED: SeverityChanged,
    EventKind.LEAD_CHANGED: LeadChanged,
    EventKind.NOTE: Noted,
    EventKind.DRAFT_CREATED: DraftEvent,
    EventKind.DRAFT_EDITED: DraftEvent,
    EventKind.DRAFT_SUBMITTED: DraftEvent,
    EventKind.DRAFT_READY: DraftEvent,
    EventKind.DRAFT_APPROVED: DraftEvent,
    EventKind.DRAFT_CHANGES: DraftEvent,
    EventKind.DRAFT_PUBLISHED: Published,
    EventKind.REVIEW: Reviewed,
    EventKind.DRILL_INJECT: Injected,
    EventKind.DRILL_INJECT_SKIPPED: Injected,
    EventKind.EVIDENCE: Evidence,
    EventKind.ESCALATION_PROPOSED: Evidence,
}


def event_data(kind: EventKind, raw: dict[str, Any]) -> EventData:
    """The kind's model when the facts fit it, else the facts as plain ``EventData``."""
    model = DATA_OF.get(kind, EventData)
    try:
        return model.model_validate(raw)
    except ValidationError:
        return EventData.model_validate(raw)


class TimelineEvent(BaseModel):
    """Something that happened during the crisis, by whom and when."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    kind: EventKind
    text: str
    actor: Actor = BOT
    data: EventData = Field(default_factory=EventData)
    # an event a step may record twice (run again after a crash) is recorded once under its key
    key: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _typed_data(cls, values: Any) -> Any:
        if isinstance(values, dict) and isinstance(values.get("data"), dict):
            try:
                kind = EventKind(str(values.get("kind")))
            except ValueError:
                return values  # the kind itself is refused by field validation, with its name
            values = {**values, "data": event_data(kind, values["data"])}
        return values
