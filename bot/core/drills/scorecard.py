"""The end of a drill: each target met or missed, each inject and whether anyone answered it.

Times are on the drill's clock (minutes of the scenario, pauses left out), so a drill run at speed
6 is scored against the same targets as one run in real time. The holding statement leads: the
plan's point is that a fast, planned answer beats a late, perfect one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.drills.actions import Done, first_escalation
from bot.core.model.crisis import Crisis
from bot.core.model.drill import DrillInfo
from bot.core.model.events import EventKind, Injected, TimelineEvent
from bot.core.model.injects import InjectStatus, ScheduledInject
from bot.core.reports.figures import KeyTimes, utc

HEADLINE = "holding_statement"


@dataclass(frozen=True)
class Score:
    key: str
    label: str
    took: timedelta | None  # on the drill's clock; None: never reached
    target: float | None  # minutes; None: not scored

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.took is not None and self.took <= timedelta(minutes=self.target)


@dataclass(frozen=True)
class InjectScore:
    position: int | None  # None: a facilitator's live inject
    at: float | None  # minutes on the drill's clock
    text: str
    status: InjectStatus
    answered_by: Done | None
    answered_after: timedelta | None


@dataclass(frozen=True)
class Scorecard:
    key: str
    title: str
    script: str
    speed: float
    scores: tuple[Score, ...]
    injects: tuple[InjectScore, ...]
    duration: timedelta  # drill time from the start to the end (or now)

    @property
    def met(self) -> int:
        return sum(1 for s in self.scores if s.met)

    @property
    def scored(self) -> int:
        return sum(1 for s in self.scores if s.target is not None)


def scorecard(
    crisis: Crisis,
    info: DrillInfo,
    times: KeyTimes,
    done: Sequence[Done],
    events: Sequence[TimelineEvent],
    injects: Sequence[ScheduledInject],
    now: datetime,
) -> Scorecard:
    def took(at: datetime | None) -> timedelta | None:
        return None if at is None else info.elapsed(at)

    t = info.targets
    holding = min((a for a in (times.first_approved_at, times.first_published_at) if a), default=None)
    expected = info.expected
    scores = [
        Score(HEADLINE, "Holding statement (first reply approved)", took(holding), t.holding_statement),
        Score("war_room", "War room ready", took(times.war_room_ready_at), t.war_room),
        Score("first_ack", "First acknowledgement", took(times.first_ack_at), t.first_ack),
    ]
    if expected is not None:
        label = f"Escalated to {expected.to.upper()}"
        scores.append(Score("escalation", label, took(first_escalation(done, expected.to)), expected.within))
    scores.append(Score("resolution", "Resolved", took(times.resolved_at), t.resolution))
    end = info.ended_at or times.resolved_at or now
    return Scorecard(
        key=crisis.key,
        title=info.title,
        script=info.script,
        speed=info.speed,
        scores=tuple(scores),
        injects=tuple(_injects(info, events, injects, done, end)),
        duration=info.elapsed(end),
    )


def _injects(
    info: DrillInfo,
    events: Sequence[TimelineEvent],
    scheduled: Sequence[ScheduledInject],
    done: Sequence[Done],
    end: datetime,
) -> list[InjectScore]:
    """Each inject played (scripted or live) or not, with the first thing the team did after it
    and before the next one: an inject nobody reacted to is what a review must talk about."""
    played = sorted((e for e in events if e.kind is EventKind.DRILL_INJECT), key=lambda e: utc(e.at))
    out: list[InjectScore] = []
    for i, event in enumerate(played):
        data = event.data if isinstance(event.data, Injected) else Injected()
        start = utc(event.at)
        stop = utc(played[i + 1].at) if i + 1 < len(played) else end
        answer = next((d for d in done if start <= d.at <= stop), None)
        after = info.elapsed(answer.at) - info.elapsed(start) if answer else None
        out.append(InjectScore(data.position, data.at, data.what or event.text, InjectStatus.FIRED, answer, after))
    fired = {s.position for s in out}
    skipped = {
        e.data.position: e.data
        for e in events
        if e.kind is EventKind.DRILL_INJECT_SKIPPED and isinstance(e.data, Injected)
    }
    for inject in scheduled:
        if inject.position not in fired and inject.status is not InjectStatus.FIRED:
            data = skipped.get(inject.position, Injected())
            text = data.what or f"inject {inject.position + 1}"
            out.append(InjectScore(inject.position, data.at, text, inject.status, None, None))
    return sorted(out, key=lambda s: (s.at is None, s.at or 0.0))
