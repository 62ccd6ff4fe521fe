"""One self-contained page that shows the team getting faster: per scenario, the key times of real
crises and of drills over time, the targets as lines, and the latest scorecards.

No script and nothing fetched from the network: the page is opened from a file, on a board
member's laptop, maybe offline. The charts are plain inline SVG, a few dozen elements each; each
point says what it is (``data-series``, ``data-minutes``, a tooltip), so the page can be checked
by a machine as well as read by a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from bot.core.messaging.text import duration
from bot.core.plan.model import Plan
from bot.core.reports.drills import COLUMNS, DrillResult, cell

WIDTH, HEIGHT, MARGIN = 640, 220, 40
SERIES = {"real": "#c0392b", "drill": "#2e86c1"}
LATEST = 5


@dataclass(frozen=True)
class Point:
    series: str  # "real" or "drill"
    at: datetime
    minutes: float
    label: str


@dataclass(frozen=True)
class Chart:
    title: str
    points: tuple[Point, ...]
    target: float | None


def _minutes(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 60, 2)


def chart_svg(chart: Chart) -> str:
    points = sorted(chart.points, key=lambda p: p.at)
    top = max([p.minutes for p in points] + [chart.target or 0, 1.0]) * 1.15
    first, last = (points[0].at, points[-1].at) if points else (datetime.min, datetime.min)
    span = (last - first).total_seconds() or 1.0

    def x(at: datetime) -> float:
        offset = (at - first).total_seconds() / span if len(points) > 1 else 0.5
        return round(MARGIN + offset * (WIDTH - 2 * MARGIN), 1)

    def y(minutes: float) -> float:
        return round(HEIGHT - MARGIN - minutes / top * (HEIGHT - 2 * MARGIN), 1)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(chart.title)}">',
        f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" y2="{HEIGHT - MARGIN}" stroke="#999"/>',
        f'<line x1="{MARGIN}" y1="{MARGIN}" x2="{MARGIN}" y2="{HEIGHT - MARGIN}" stroke="#999"/>',
        f'<text x="4" y="{MARGIN - 8}" font-size="11">minutes (0 to {top:.0f})</text>',
    ]
    if chart.target is not None:
        ty = y(chart.target)
        parts.append(
            f'<line class="target" data-minutes="{chart.target:g}" x1="{MARGIN}" y1="{ty}" x2="{WIDTH - MARGIN}" '
            f'y2="{ty}" stroke="#27ae60" stroke-dasharray="6 4"/>'
            f'<text x="{WIDTH - MARGIN + 2}" y="{ty + 4}" font-size="11">target {chart.target:g}</text>'
        )
    for series, colour in SERIES.items():
        mine = [p for p in points if p.series == series]
        if len(mine) > 1:
            path = " ".join(f"{x(p.at)},{y(p.minutes)}" for p in mine)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        for p in mine:
            parts.append(
                f'<circle class="point" data-series="{series}" data-minutes="{p.minutes:g}" cx="{x(p.at)}" '
                f'cy="{y(p.minutes)}" r="4" fill="{colour}"><title>{escape(p.label)}</title></circle>'
            )
    parts.append("</svg>")
    return "".join(parts)


def page(
    plan: Plan,
    real: Sequence[tuple[str, str, datetime, timedelta | None, timedelta | None]],
    drills: Sequence[DrillResult],
    generated: datetime,
) -> str:
    """``real``: (scenario, crisis key, declared at, to the holding statement, to first ack)."""
    targets = plan.drills.targets
    scenarios = sorted({s for s, *_ in real} | {d.scenario_id for d in drills})
    sections = []
    for sid in scenarios:
        charts = []
        for key, title, target in (
            ("holding_statement", "Time to the holding statement", targets.holding_statement),
            ("first_ack", "Time to the first acknowledgement", targets.first_ack),
        ):
            points = [
                Point("real", at, m, f"{crisis} · {at:%Y-%m-%d} · {m:g} min")
                for s, crisis, at, held, acked in real
                if s == sid and (m := _minutes(held if key == "holding_statement" else acked)) is not None
            ]
            for d in drills:
                score = next((x for x in d.card.scores if x.key == key), None)
                m = _minutes(score.took) if score else None
                if d.scenario_id == sid and m is not None:
                    points.append(
                        Point("drill", d.started_at, m, f"drill {d.card.key} · {d.started_at:%Y-%m-%d} · {m:g} min")
                    )
            charts.append(f"<h3>{escape(title)}</h3>" + chart_svg(Chart(title, tuple(points), target)))
        name = escape(plan.scenario_name(sid))
        sections.append(f'<section data-scenario="{escape(sid)}"><h2>{name}</h2>{"".join(charts)}</section>')
    latest = sorted(drills, key=lambda d: d.started_at)[-LATEST:]
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{escape(c)}</td>"
            for c in (
                f"{d.started_at:%Y-%m-%d}",
                d.card.title,
                *(cell(d.card, key) for key, _ in COLUMNS),
                f"{d.card.met}/{d.card.scored}",
                duration(d.card.duration),
            )
        )
        + "</tr>"
        for d in reversed(latest)
    )
    head = "".join(
        f"<th>{escape(h)}</th>" for h in ("Date", "Drill", *(label for _, label in COLUMNS), "Targets", "Drill time")
    )
    legend = " ".join(
        f'<span style="color:{c}">● {"real crises" if s == "real" else "drills"}</span>' for s, c in SERIES.items()
    )
    body = "".join(sections) or "<p>No crisis or drill yet.</p>"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(plan.company)}: crisis response over time</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:760px}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}</style>"
        f"</head><body><h1>{escape(plan.company)}: crisis response over time</h1>"
        f'<p>Generated {generated:%Y-%m-%d %H:%M} UTC. {legend} <span style="color:#27ae60">- - target</span>. '
        "Real crises in minutes since declaration; drills in drill minutes.</p>"
        f"{body}<h2>Latest drill scorecards</h2><table><tr>{head}</tr>{rows}</table></body></html>\n"
    )
