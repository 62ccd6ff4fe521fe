"""Pages: who is asked to acknowledge, along a ladder frozen when the page fired."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from bot.core.model.chat import PostedMessage
from bot.core.model.crisis import Actor


class PageStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    EXHAUSTED = "exhausted"
    CANCELLED = "cancelled"


class PageTarget(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str
    role_id: str


class NewPage(BaseModel):
    """A page and its ladder, frozen when it fired: editing the plan changes the next crisis,
    never a page in flight. ``position`` is who is being paged now; ``due_at`` is when it climbs."""

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
    # one page per (crisis, role, reason); ``delivered``: the position whose card went out
    key: str | None = None
    delivered: int = -1
    # the card ("card") and direct message ("dm") of the position delivered last, to update
    posted: dict[str, PostedMessage] = Field(default_factory=dict)

    @property
    def undelivered(self) -> bool:
        return self.delivered < self.position

    @property
    def current(self) -> PageTarget | None:
        return self.chain[self.position] if self.position < len(self.chain) else None


class Page(NewPage):
    id: int
