"""Drill results over time: is the team getting faster? Drills never mix with real crises' figures.

A drill's times are on its own clock (minutes of the scenario), so drills run at different speeds
compare with each other and with the targets. Each drill is one row; rows are grouped by scenario
and ordered by date, the way a head of social shows progress to the board.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.drills.actions import team_actions
from bot.core.drills.scorecard import Scorecard, scorecard
from bot.core.messaging.text import duration
from bot.core.model.crisis import Crisis
from bot.core.model.drafts import Draft
from bot.core.model.events import TimelineEvent
from bot.core.model.injects import ScheduledInject
from bot.core.plan.model import Plan
from bot.core.reports.export import md_text
from bot.core.reports.figures import figures


@dataclass(frozen=True)
class DrillResult:
    scenario_id: str
    started_at: datetime
    card: Scorecard


def drill_result(
    crisis: Crisis,
    events: Sequence[TimelineEvent],
    drafts: Sequence[Draft],
    injects: Sequence[ScheduledInject],
    now: datetime,
) -> DrillResult:
    assert crisis.drill is not None, "only a drill has a result"
    times = figures(crisis, events, drafts).times
    card = scorecard(crisis, crisis.drill, times, team_actions(events), events, injects, now)
    return DrillResult(crisis.scenario_id, crisis.drill.started_at, card)


def by_scenario(results: Sequence[DrillResult]) -> dict[str, list[DrillResult]]:
    groups: dict[str, list[DrillResult]] = {}
    for result in sorted(results, key=lambda r: (r.scenario_id, r.started_at)):
        groups.setdefault(result.scenario_id, []).append(result)
    return groups


def cell(card: Scorecard, key: str) -> str:
    score = next((s for s in card.scores if s.key == key), None)
    if score is None or score.target is None:
        return "—"
    took = duration(score.took) if score.took is not None else "not reached"
    return f"{took} {'✓' if score.met else '✗'}"


COLUMNS = (
    ("holding_statement", "Holding statement"),
    ("war_room", "War room"),
    ("first_ack", "First ack"),
    ("escalation", "Escalation"),
    ("resolution", "Resolved"),
)


def drills_markdown(plan: Plan, results: Sequence[DrillResult]) -> str:
    out = ["# Drills", ""]
    if not results:
        return "\n".join([*out, "No drill yet: `/crisis drill` starts one."]) + "\n"
    out.append("Drill time to each target (✓ met, ✗ missed), oldest first; real crises are not counted here.")
    for scenario_id, rows in by_scenario(results).items():
        out += ["", f"## {md_text(plan.scenario_name(scenario_id))}", ""]
        out.append(
            "| Date (UTC) | Drill | Crisis | Speed | " + " | ".join(label for _, label in COLUMNS) + " | Targets |"
        )
        out.append("|" + "---|" * (5 + len(COLUMNS)))
        for r in rows:
            c = r.card
            cells = [f"{r.started_at:%Y-%m-%d %H:%M}", md_text(c.title), c.key, f"{c.speed:g}x"]
            cells += [cell(c, key) for key, _ in COLUMNS]
            cells.append(f"{c.met}/{c.scored}")
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"
