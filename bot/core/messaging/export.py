"""The post-incident report as a chat message: the same content as the Markdown export, in the
platform's own shapes (a header, fields, short paragraphs) so nobody reads raw ``#`` and ``|``.

The timeline is the one long table: it goes out as fixed-width text, which every platform shows
as written. The Markdown and JSON files follow the message as attachments where the platform
allows it; :func:`as_text` is what is posted instead when it does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

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
    Preformatted,
    Strong,
    line,
)
from bot.core.messaging.text import cut, duration
from bot.core.model.crisis import Crisis
from bot.core.model.drafts import Draft
from bot.core.model.events import REVIEW_QUESTIONS, TimelineEvent
from bot.core.plan.model import Plan
from bot.core.ports import ChatLimits
from bot.core.reports.figures import draft_counts, draft_outcome, event_who, figures, path_label, utc

WHO_WIDTH = 22
EVENT_WIDTH = 18
MAX_TEXT = 2000  # one paragraph of user text (details, resolution, an answer)


def _when(at: datetime) -> str:
    return f"{utc(at):%d %b %H:%M:%S}"


def export_message(
    plan: Plan,
    crisis: Crisis,
    events: Sequence[TimelineEvent],
    drafts: Sequence[Draft],
    review: Mapping[str, str] | None,
    limits: ChatLimits,
    *,
    redacted: bool = False,
) -> Message:
    fig = figures(crisis, events, drafts)
    t = fig.times
    lead = plan.person_name(crisis.lead_person_id) if crisis.lead_person_id else "unassigned"
    resolved = "not yet"
    if t.resolved_at is not None:
        resolved = f"{_when(t.resolved_at)} by {crisis.resolved_by.name if crisis.resolved_by else '?'}"
    facts: list[tuple[str, Line]] = [
        ("Status", line(crisis.status.value)),
        ("Scenario", line(plan.scenario_name(crisis.scenario_id))),
        ("Severity", line(cut(path_label(fig.severity_path), 500))),
        ("Lead", line(lead)),
        ("War room", line(f"#{crisis.room.name if crisis.room else crisis.room_name}")),
        ("Declared", line(f"{_when(t.declared_at)} by {crisis.declared_by.name}")),
        ("Resolved", line(resolved)),
        ("Took", line(duration(t.to_resolved) if t.to_resolved is not None else "—")),
    ]
    blocks: list[Block] = [Header(cut(f"Report {crisis.key}: {crisis.title}", limits.header)), Fields(tuple(facts))]
    for label, text in (("What happened", crisis.details), ("Resolution", crisis.resolution_summary)):
        if text:
            blocks.append(Paragraph((line(Strong(f"{label}:"), " ", cut(text, MAX_TEXT)),)))
    if crisis.source_url:
        blocks.append(Paragraph((line("Started here: ", Link(crisis.source_url, crisis.source_url)),)))
    times = [
        (m.label, line(f"{_when(m.at)} (+{duration(m.after)})" if m.at is not None and m.after is not None else "—"))
        for m in t.milestones()
    ]
    blocks += [Paragraph((line(Strong("Key times")),)), Fields(tuple(times))]
    changes = [
        line(
            f"{_when(c.at)} {c.kind} {c.from_severity.upper()} → {c.to_severity.upper()} by {c.actor}", _said(c.reason)
        )
        for c in fig.escalations
    ]
    blocks.append(Paragraph((line(Strong("Severity")), *(changes or [line("No severity change.")]))))
    people = [
        (role, line(", ".join(plan.person_name(p) for p in ids) or "nobody"))
        for role, ids in fig.people_by_role.items()
    ]
    blocks += [
        Paragraph((line(Strong("People")),)),
        Fields(tuple(people)) if people else Context(line("No role was assigned.")),
    ]
    if others := fig.others():
        blocks.append(Context(line("Also took part: ", ", ".join(a.name for a in others))))
    blocks.append(Paragraph((line(Strong("Replies")), line(draft_counts(fig.drafts_by_status)), *_drafts(drafts))))
    blocks += [Divider(), Paragraph((line(Strong("Timeline (UTC)")),)), Preformatted(timeline_table(events))]
    blocks.append(Paragraph((line(Strong("Review")),)))
    for key, question in REVIEW_QUESTIONS.items():
        answer = (review or {}).get(key, "").strip()
        blocks.append(
            Paragraph((line(Strong(question)), line(cut(answer, MAX_TEXT) if answer else "(not answered yet)")))
        )
    if redacted:
        blocks.append(
            Context(line("A restricted crisis: contact details are blanked out; the lead's export has them."))
        )
    blocks.append(Context(line("Times are UTC. The Markdown and JSON files of the report follow.")))
    return Message(summary=f"Post-incident report for {crisis.key}: {crisis.title}", blocks=tuple(blocks))


def _said(reason: str) -> str:
    return f": {cut(reason, 280)}" if reason else ""


def _drafts(drafts: Sequence[Draft]) -> list[Line]:
    rows: list[Line] = []
    for d in sorted(drafts, key=lambda d: (utc(d.created_at), d.id or 0)):
        link = (" · ", Link(d.published_url, "link")) if d.published_url else ()
        rows.append(line(f"#{d.id} {d.stage} ({d.lang.upper()}) by {d.author.name}: {draft_outcome(d)}", *link))
    return rows


def timeline_table(events: Sequence[TimelineEvent]) -> str:
    """Every event, one per line, in fixed-width columns: when, who, what kind, what was said."""
    if not events:
        return "No events recorded."
    rows = [
        (
            _when(e.at),
            cut(event_who(e), WHO_WIDTH),
            cut(e.kind.replace("_", " "), EVENT_WIDTH),
            " ".join(e.text.split()),
        )
        for e in sorted(events, key=lambda e: utc(e.at))
    ]
    who = max(len(r[1]) for r in rows)
    kind = max(len(r[2]) for r in rows)
    return "\n".join(f"{at}  {w:<{who}}  {k:<{kind}}  {text}" for at, w, k, text in rows)


def as_text(crisis: Crisis, markdown: str, why: str) -> Message:
    """The Markdown report as plain fixed-width text, for where no file can be attached."""
    return Message(
        summary=f"{crisis.key} report as text",
        blocks=(
            Context(
                line(why, f" The report as Markdown follows; the files: crisisbot export {crisis.key} --output FILE.")
            ),
            Preformatted(markdown.rstrip("\n")),
        ),
    )
