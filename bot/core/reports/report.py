"""Response times across crises, per scenario and severity: is the plan getting us there faster?

Rehearsals and real crises only improve the plan if someone looks at the numbers side by side.
Medians, not means: one crisis declared on a Friday night must not hide that the usual response
got faster. Each median says over how many crises it was taken, because a median of one crisis
(the only one that ever got an acknowledgement, say) reads very differently from one of twenty.

Crises are grouped by their final severity (where they ended up), since that is the level whose
chain of command and approvals the crisis actually ran under for most of its life.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.core.messaging.text import duration
from bot.core.model.crisis import Crisis
from bot.core.model.drafts import Draft
from bot.core.model.events import TimelineEvent
from bot.core.plan.model import SEVERITY_ID, Plan
from bot.core.reports.export import md_text
from bot.core.reports.figures import KeyTimes, figures

CrisisRecord = tuple[Crisis, Sequence[TimelineEvent], Sequence[Draft]]
COLUMNS = (
    ("to_war_room_ready", "War room ready"),
    ("to_first_ack", "First acknowledgement"),
    ("to_first_published", "First reply published"),
    ("to_resolution", "Resolved"),
)


@dataclass(frozen=True)
class Median:
    """The median of the ``n`` crises that reached this point; None when none did."""

    value: timedelta | None
    n: int

    def label(self) -> str:
        return f"{duration(self.value)} (n={self.n})" if self.value is not None else "—"


@dataclass(frozen=True)
class ReportRow:
    scenario_id: str
    severity_id: str
    count: int
    to_war_room_ready: Median
    to_first_ack: Median
    to_first_published: Median
    to_resolution: Median

    def medians(self) -> tuple[Median, ...]:
        """In the order of ``COLUMNS``."""
        return (self.to_war_room_ready, self.to_first_ack, self.to_first_published, self.to_resolution)


def median(values: Iterable[timedelta | None]) -> Median:
    """The middle value, or the mean of the two middle ones; missing values are left out."""
    known = sorted(v for v in values if v is not None)
    n = len(known)
    if not n:
        return Median(None, 0)
    mid = n // 2
    return Median(known[mid] if n % 2 else (known[mid - 1] + known[mid]) / 2, n)


def _severity_order(severity_id: str) -> tuple[int, str]:
    return (int(severity_id[3:]) if SEVERITY_ID.match(severity_id) else 99, severity_id)


def report(crises_with_events: Sequence[CrisisRecord]) -> list[ReportRow]:
    """One row per (scenario, final severity), by scenario id then from the worst severity."""
    groups: dict[tuple[str, str], list[KeyTimes]] = {}
    for crisis, events, drafts in crises_with_events:
        groups.setdefault((crisis.scenario_id, crisis.severity_id), []).append(figures(crisis, events, drafts).times)
    rows = []
    for (scenario_id, severity_id), times in sorted(groups.items(), key=lambda g: (g[0][0], _severity_order(g[0][1]))):
        rows.append(
            ReportRow(
                scenario_id=scenario_id,
                severity_id=severity_id,
                count=len(times),
                to_war_room_ready=median(t.to_war_room_ready for t in times),
                to_first_ack=median(t.to_first_ack for t in times),
                to_first_published=median(t.to_first_published for t in times),
                to_resolution=median(t.to_resolved for t in times),
            )
        )
    return rows


def crises_count(count: int) -> str:
    return f"{count} crisis" if count == 1 else f"{count} crises"


def report_markdown(plan: Plan, rows: Sequence[ReportRow]) -> str:
    """The same table in Markdown, for the quarterly review of the plan."""
    out = ["# Crisis response times", ""]
    if not rows:
        return "\n".join([*out, "No crisis to report yet."]) + "\n"
    out.append("Medians since declaration, by scenario and final severity; n = crises that got there.")
    out.append("")
    out.append("| Scenario | Severity | Crises | " + " | ".join(label for _, label in COLUMNS) + " |")
    out.append("|" + "---|" * (3 + len(COLUMNS)))
    for r in rows:
        cells = [md_text(plan.scenario_name(r.scenario_id)), md_text(r.severity_id.upper()), str(r.count)]
        cells += [m.label() for m in r.medians()]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"
