"""A drill's scripted inject as stored: a durable timer, fired or skipped once."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class InjectStatus(StrEnum):
    PENDING = "pending"
    FIRED = "fired"
    SKIPPED = "skipped"  # its condition on the team's actions said no
    CANCELLED = "cancelled"  # the drill ended first


class ScheduledInject(BaseModel):
    id: int
    crisis_number: int
    position: int
    due_at: datetime
    status: InjectStatus = InjectStatus.PENDING
    fired_at: datetime | None = None
