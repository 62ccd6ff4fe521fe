"""What makes a crisis a drill, kept on the crisis: its clock, its targets, what the team did.

A drill runs on its own clock (``speed`` times faster than the wall clock, stopped while paused),
so every duration a drill shows or scores is in drill minutes: a 60-minute scenario rehearsed at
speed 6 takes ten real minutes and is scored as the 60 minutes it stands for.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field

from bot.core.model.base import Strict

_DURATION = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?\s*$")


def minutes(value: Any) -> Any:
    """``90s``, ``15m``, ``1h30m`` or a number of minutes, as minutes; anything else is left to
    pydantic, whose message then says what was expected."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and (found := _DURATION.match(value)) and any(found.groups()):
        hours, mins, secs = (int(g) if g else 0 for g in found.groups())
        return hours * 60 + mins + secs / 60
    return value


Minutes = Annotated[float, BeforeValidator(minutes), Field(ge=0, le=24 * 60)]


class TeamAction(StrEnum):
    """What the team may have done by an inject's time (an inject's ``when`` and ``unless``)."""

    ACKNOWLEDGED = "acknowledged"  # someone acknowledged a page
    DRAFTED = "drafted"  # a reply draft was started
    APPROVED = "approved"  # a reply was approved (or marked ready, or published)
    PUBLISHED = "published"  # a reply was marked published: the holding statement is out
    UPDATED = "updated"  # a status update was posted
    NOTED = "noted"  # something was added to the timeline
    ESCALATED = "escalated"  # escalated at all; "escalated:sev2" at least to sev2


CONDITION = re.compile(r"^(?P<action>[a-z]+)(?::(?P<severity>sev[1-9]))?$")


def condition_action(condition: str) -> tuple[TeamAction, str | None]:
    found = CONDITION.match(condition)
    if found is None:
        raise ValueError(condition)
    return TeamAction(found["action"]), found["severity"]


def _check_condition(value: str) -> str:
    try:
        action, severity = condition_action(value)
    except ValueError:
        known = ", ".join(a.value for a in TeamAction)
        raise ValueError(f"unknown action {value!r}: use one of {known} (escalated:sevN for a level)") from None
    if severity is not None and action is not TeamAction.ESCALATED:
        raise ValueError(f"only 'escalated' takes a severity, not {action.value!r}")
    return value


Condition = Annotated[str, BeforeValidator(lambda v: _check_condition(v) if isinstance(v, str) else v)]


class Targets(Strict):
    """Minutes from the declaration (drill time) to each milestone; a target left out is not scored."""

    war_room: Minutes | None = None
    first_ack: Minutes | None = None
    holding_statement: Minutes | None = None  # the first reply approved (a fast answer beats a perfect one)
    escalation: Minutes | None = None  # to the escalation the script expects
    resolution: Minutes | None = None

    def over(self, defaults: Targets) -> Targets:
        """These targets, each falling back to ``defaults``."""
        mine = self.model_dump(exclude_none=True)
        return Targets.model_validate({**defaults.model_dump(exclude_none=True), **mine})


class ExpectedEscalation(Strict):
    to: str = Field(pattern=r"^sev[1-9]$")
    within: Minutes


class Pause(BaseModel):
    start: datetime
    end: datetime | None = None


class DrillInfo(BaseModel):
    script: str  # the script's id (its file name without .yaml); "" for a drill without one
    title: str
    speed: float = Field(default=1.0, gt=0, le=600)
    started_at: datetime
    duration_minutes: float
    language: str | None = None  # the script's: reply drafts in a French drill are French
    targets: Targets = Targets()
    expected: ExpectedEscalation | None = None
    pauses: list[Pause] = Field(default_factory=list)
    ended_at: datetime | None = None

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].end is None

    def elapsed(self, at: datetime) -> timedelta:
        """Drill time from the start to ``at``: wall time without the pauses, times the speed."""
        wall = at - self.started_at
        for pause in self.pauses:
            if pause.start >= at:
                continue
            wall -= min(pause.end or at, at) - pause.start
        return max(wall, timedelta(0)) * self.speed

    def real(self, drill_minutes: float) -> timedelta:
        """How long ``drill_minutes`` of the drill take on the wall clock."""
        return timedelta(minutes=drill_minutes) / self.speed
