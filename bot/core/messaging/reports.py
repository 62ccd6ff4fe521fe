"""The end-of-incident summary posted in chat, and the cross-crisis report as a chat message.

People are written as plain names, not mentions: these are records, and pinging the whole chain
of command once more after the crisis is over is noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.listening.report import MentionsReport
from bot.core.messaging.message import (
    Block,
    Context,
    Divider,
    Fields,
    Header,
    Line,
    Link,
    Message,
    Paragraph,
    Strong,
    line,
)
from bot.core.messaging.text import cut, duration
from bot.core.model.crisis import Crisis, CrisisStatus
from bot.core.model.drafts import Draft
from bot.core.model.events import TimelineEvent
from bot.core.plan.model import Plan
from bot.core.ports import ChatLimits
from bot.core.reports.figures import draft_counts, draft_outcome, event_link, event_who, figures, path_label, utc
from bot.core.reports.report import COLUMNS, ReportRow, crises_count

TIMELINE_HEAD = 5
TIMELINE_TAIL = 10
MAX_DRAFT_LINES = 10
MAX_LINE = 280  # one timeline entry; a pasted essay must not crowd out the rest


def summary_message(
    plan: Plan,
    crisis: Crisis,
    events: Sequence[TimelineEvent],
    drafts: Sequence[Draft],
    now: datetime,
    limits: ChatLimits,
    mentions: MentionsReport | None = None,
) -> Message:
    """The end-of-incident summary for the war room and the announcements channel."""
    fig = figures(crisis, events, drafts)
    resolved = crisis.status is CrisisStatus.RESOLVED
    state = "resolved" if resolved else "still open"
    took = fig.times.to_resolved if fig.times.to_resolved is not None else utc(now) - fig.times.declared_at
    lead = plan.person_name(crisis.lead_person_id) if crisis.lead_person_id else "unassigned"
    fields: list[tuple[str, Line]] = [
        ("Scenario", line(plan.scenario_name(crisis.scenario_id))),
        ("Severity", line(cut(path_label(fig.severity_path), 500))),
        ("Lead", line(lead)),
        ("Took" if resolved else "Open for", line(duration(took))),
        ("Declared by", line(crisis.declared_by.name)),
    ]
    if crisis.resolved_by is not None:
        fields.append(("Resolved by", line(crisis.resolved_by.name)))
    blocks: list[Block] = [Header(cut(f"{crisis.key} {state}: {crisis.title}", limits.header)), Fields(tuple(fields))]
    if crisis.resolution_summary:
        blocks.append(Paragraph((line(Strong("Resolution: "), cut(crisis.resolution_summary, 2000)),)))
    blocks.append(
        Paragraph(
            (
                line(Strong("Key times")),
                *(
                    line(f"{m.label}  " + (f"+{duration(m.after)}" if m.after is not None else "—"))
                    for m in fig.times.milestones()
                ),
            )
        )
    )
    if fig.escalations:
        rows = (
            line(f"{c.at:%H:%M} {c.from_severity.upper()} → {c.to_severity.upper()} by {c.actor}", _reason(c.reason))
            for c in fig.escalations
        )
        blocks.append(Paragraph((line(Strong("Severity changes")), *rows)))
    blocks.append(Paragraph((line(Strong("Replies")), line(draft_counts(fig.drafts_by_status)), *_draft_lines(drafts))))
    if mentions is not None:
        blocks.append(Paragraph((line(Strong("Mentions")), line(_mentions_line(mentions)))))
    people = [
        line(f"{role}: ", ", ".join(plan.person_name(p) for p in ids) or "nobody")
        for role, ids in fig.people_by_role.items()
    ]
    if others := fig.others():
        people.append(line("Also took part: ", ", ".join(a.name for a in others)))
    if people:
        blocks.append(Paragraph((line(Strong("People")), *people)))
    blocks.extend((Divider(), Paragraph((line(Strong("Timeline (UTC)")), *_timeline_lines(events)))))
    blocks.append(Context(line(f"Durations count from the declaration, {fig.times.declared_at:%Y-%m-%d %H:%M} UTC.")))
    return Message(summary=f"{crisis.key} {state} after {duration(took)}: {crisis.title}", blocks=tuple(blocks))


def _mentions_line(report: MentionsReport) -> str:
    early = (
        f"; the first matching mention came {duration(report.known_early_by)} before the declaration"
        if report.known_early_by
        else ""
    )
    return f"{report.total} mentions of {', '.join(report.topics)}, peak {report.peak_per_minute:.1f}/min{early}"


def restricted_resolved(crisis: Crisis) -> Message:
    """What the announcements channel hears when a restricted crisis ends."""
    text = f"The restricted crisis {crisis.key} was resolved."
    return Message(summary=text, blocks=(Paragraph((line(Strong(text)),)),))


def _reason(reason: str) -> str:
    return f": {cut(reason, MAX_LINE)}" if reason else ""


def _draft_lines(drafts: Sequence[Draft]) -> list[Line]:
    ordered = sorted(drafts, key=lambda d: (utc(d.created_at), d.id or 0))
    rows: list[Line] = []
    for d in ordered[:MAX_DRAFT_LINES]:
        link = (" · ", Link(d.published_url, "link")) if d.published_url else ()
        rows.append(line(f"#{d.id} {d.stage} ({d.lang.upper()}) by {d.author.name}: {draft_outcome(d)}", *link))
    if len(ordered) > MAX_DRAFT_LINES:
        rows.append(line(f"… {len(ordered) - MAX_DRAFT_LINES} more in the export"))
    return rows


def _timeline_lines(events: Sequence[TimelineEvent]) -> list[Line]:
    """At most 15 entries: how it started and how it ended, with the middle left to the export."""
    ordered = sorted(events, key=lambda e: utc(e.at))
    if not ordered:
        return [line("No events recorded.")]
    if len(ordered) <= TIMELINE_HEAD + TIMELINE_TAIL:
        return [_event_line(e) for e in ordered]
    hidden = len(ordered) - TIMELINE_HEAD - TIMELINE_TAIL
    return [
        *(_event_line(e) for e in ordered[:TIMELINE_HEAD]),
        line(f"… {hidden} more in the export"),
        *(_event_line(e) for e in ordered[-TIMELINE_TAIL:]),
    ]


def _event_line(event: TimelineEvent) -> Line:
    link = event_link(event)
    tail = (" · ", Link(link, "link")) if link else ()
    return line(f"{utc(event.at):%H:%M} {event_who(event)}: {cut(event.text, MAX_LINE)}", *tail)


def report_message(plan: Plan, rows: Sequence[ReportRow]) -> Message:
    """A compact table for chat: one bold line per group, then its four medians."""
    if not rows:
        return Message(summary="No crisis to report yet", blocks=(Paragraph((line("No crisis to report yet."),)),))
    total = sum(r.count for r in rows)
    blocks: list[Block] = [Header("Crisis response times")]
    lines = []
    for r in rows:
        lines.append(
            line(
                Strong(f"{plan.scenario_name(r.scenario_id)} · {r.severity_id.upper()}"), f" — {crises_count(r.count)}"
            )
        )
        lines.append(
            line(" · ".join(f"{label} {m.label()}" for (_, label), m in zip(COLUMNS, r.medians(), strict=True)))
        )
    blocks.append(Paragraph(tuple(lines)))
    blocks.append(
        Context(
            line(f"Medians since declaration over {crises_count(total)}, by final severity; n = crises that got there.")
        )
    )
    return Message(summary=f"Crisis response times over {crises_count(total)}", blocks=tuple(blocks))
