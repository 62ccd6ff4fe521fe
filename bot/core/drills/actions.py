"""What the team did in a drill, read from its timeline: what injects depend on, what is scored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.model.drill import TeamAction, condition_action
from bot.core.model.events import EventKind, SeverityChanged, TimelineEvent
from bot.core.plan.model import severity_rank
from bot.core.reports.figures import utc

# the events that are something the team did (the bot's own steps are not)
ACTIONS: dict[EventKind, tuple[TeamAction, ...]] = {
    EventKind.ACKNOWLEDGED: (TeamAction.ACKNOWLEDGED,),
    EventKind.DRAFT_CREATED: (TeamAction.DRAFTED,),
    EventKind.DRAFT_READY: (TeamAction.APPROVED,),
    EventKind.DRAFT_APPROVED: (TeamAction.APPROVED,),
    EventKind.DRAFT_PUBLISHED: (TeamAction.APPROVED, TeamAction.PUBLISHED),
    EventKind.STATUS_UPDATE: (TeamAction.UPDATED,),
    EventKind.NOTE: (TeamAction.NOTED,),
    EventKind.ESCALATED: (TeamAction.ESCALATED,),
}


@dataclass(frozen=True)
class Done:
    action: TeamAction
    at: datetime
    who: str
    severity: str | None = None  # an escalation's new level


def team_actions(events: Sequence[TimelineEvent]) -> list[Done]:
    done = []
    for event in sorted(events, key=lambda e: utc(e.at)):
        severity = event.data.to_severity if isinstance(event.data, SeverityChanged) else None
        for action in ACTIONS.get(event.kind, ()):
            done.append(Done(action, utc(event.at), event.actor.name, severity))
    return done


def holds(condition: str, done: Sequence[Done]) -> bool:
    """Whether the team did ``condition`` (``escalated:sev2``: escalated to sev2 or worse)."""
    action, severity = condition_action(condition)
    return any(
        d.action is action and (severity is None or (d.severity is not None and _at_least(d.severity, severity)))
        for d in done
    )


def _at_least(reached: str, wanted: str) -> bool:
    return severity_rank(reached) <= severity_rank(wanted)


def first_escalation(done: Sequence[Done], to: str) -> datetime | None:
    return next(
        (d.at for d in done if d.action is TeamAction.ESCALATED and d.severity and _at_least(d.severity, to)), None
    )
