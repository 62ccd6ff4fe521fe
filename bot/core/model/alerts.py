"""A "Possible crisis" alert: a topic's spike, or one post that matters on its own.

An alert is raised once: its ``key`` is unique among the alerts still in force (``spike:<topic>``
while that spike lasts, ``viral:<network>:<post>`` for good), so however many replicas notice the
same spike, one row wins and one card is posted. What people did with it (watched, dismissed
with a reason, declared) stays on the row: the record of alerts nobody acted on.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.core.model.crisis import Actor


class AlertKind(StrEnum):
    SPIKE = "spike"
    VIRAL = "viral"


class AlertStatus(StrEnum):
    PENDING = "pending"  # raised, its card not posted yet
    POSTED = "posted"
    WATCHING = "watching"  # someone asked to be reminded
    DISMISSED = "dismissed"
    DECLARED = "declared"
    ESCALATED = "escalated"  # a viral post during a crisis: someone escalated it as proposed


OPEN = (AlertStatus.POSTED, AlertStatus.WATCHING)


class NewAlert(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: AlertKind
    topic: str
    key: str
    raised_at: datetime
    window_start: datetime  # the mentions this alert is about were first seen since then
    window_count: int
    baseline_count: int = 0
    reason: str | None = None  # a viral post: why it matters
    network: str | None = None
    post_id: str | None = None


class Alert(NewAlert):
    id: int
    status: AlertStatus
    remind_at: datetime | None = None
    decided_by: Actor | None = None
    decided_at: datetime | None = None
    dismiss_reason: str | None = None
    crisis_number: int | None = None
    card: dict[str, str] | None = None  # where its card was posted (channel, message id)

    @property
    def ref(self) -> str:
        return f"ALERT-{self.id}"
