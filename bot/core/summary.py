"""The figures of a finished crisis, and the summary posted in chat when it closes.

After a crisis the team needs the few numbers that say how the response went (how soon the room
was usable, someone acknowledged, a reply went out) and what happened, without scrolling back
through the war room. They are computed here once, from the timeline, so that the chat summary,
the export and the cross-crisis report always agree.

What is read from the timeline (event kind: data keys, all optional unless said):
- ``war_room_created`` and ``kickoff_posted``: the room is ready once both happened;
- ``acknowledged``: ``person_id``; ``draft_created``; ``draft_approved`` / ``draft_ready``;
  ``draft_published``: ``url``;
- ``declared``: ``severity`` (else the first change's ``from_severity``, else the ``(SEVn``
  written in its text);
- ``escalated`` / ``deescalated``: ``to_severity`` (required, else the event is only shown in the
  timeline), ``from_severity``, ``reason``;
- ``note``: ``author`` (who wrote it, when someone else filed it); any event: ``permalink``, a
  link to the chat message it came from.
Any other kind (``status_update``, ``paged``, ``lead_changed``...) is shown as it is written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.messages import Block, Context, Divider, Fields, Header, Line, Link, Message, Paragraph, Strong, line
from bot.core.models import BOT, Actor, Crisis, CrisisStatus, Draft, DraftStatus, TimelineEvent
from bot.core.plan import Plan
from bot.core.views import duration

SEVERITY_CHANGES = ("escalated", "deescalated")
MILESTONES = (
    ("war_room_ready", "War room ready"),
    ("first_ack", "First acknowledgement"),
    ("first_draft", "First draft"),
    ("first_approved", "First reply approved"),
    ("first_published", "First reply published"),
    ("resolved", "Resolved"),
)
TIMELINE_HEAD = 5
TIMELINE_TAIL = 10
MAX_DRAFT_LINES = 10
MAX_LINE = 280  # one timeline entry; a pasted essay must not crowd out the rest
MAX_HEADER = 150  # Slack's limit for a header
_DECLARED_SEVERITY = re.compile(r"\((sev\d+)\b", re.IGNORECASE)


def utc(at: datetime) -> datetime:
    """Naive datetimes (some databases drop the zone) are taken as UTC; others are converted."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@dataclass(frozen=True)
class Milestone:
    key: str
    label: str
    at: datetime | None
    after: timedelta | None  # since the declaration


@dataclass(frozen=True)
class KeyTimes:
    """When the response reached each milestone (UTC); None when it never did."""

    declared_at: datetime
    war_room_ready_at: datetime | None = None
    first_ack_at: datetime | None = None
    first_draft_at: datetime | None = None
    first_approved_at: datetime | None = None
    first_published_at: datetime | None = None
    resolved_at: datetime | None = None

    def since_declared(self, at: datetime | None) -> timedelta | None:
        return None if at is None else at - self.declared_at

    @property
    def to_war_room_ready(self) -> timedelta | None:
        return self.since_declared(self.war_room_ready_at)

    @property
    def to_first_ack(self) -> timedelta | None:
        return self.since_declared(self.first_ack_at)

    @property
    def to_first_draft(self) -> timedelta | None:
        return self.since_declared(self.first_draft_at)

    @property
    def to_first_approved(self) -> timedelta | None:
        return self.since_declared(self.first_approved_at)

    @property
    def to_first_published(self) -> timedelta | None:
        return self.since_declared(self.first_published_at)

    @property
    def to_resolved(self) -> timedelta | None:
        return self.since_declared(self.resolved_at)

    def milestones(self) -> tuple[Milestone, ...]:
        """The milestones in the order a response reaches them, for every view to list alike."""
        times = (
            self.war_room_ready_at,
            self.first_ack_at,
            self.first_draft_at,
            self.first_approved_at,
            self.first_published_at,
            self.resolved_at,
        )
        return tuple(
            Milestone(k, label, at, self.since_declared(at)) for (k, label), at in zip(MILESTONES, times, strict=True)
        )


@dataclass(frozen=True)
class SeverityChange:
    at: datetime
    kind: str  # escalated | deescalated
    from_severity: str
    to_severity: str
    actor: str
    reason: str


@dataclass(frozen=True)
class Figures:
    """``people_by_role`` maps role names to person ids (names need the plan: see ``person_name``)."""

    times: KeyTimes
    severity_path: tuple[str, ...]
    escalations: tuple[SeverityChange, ...]
    people_by_role: dict[str, tuple[str, ...]]
    acted: tuple[Actor, ...]  # everyone but the bot who did something, in order of first action
    drafts_by_status: dict[DraftStatus, int]

    def others(self) -> tuple[Actor, ...]:
        """Who acted without holding a role: the people the kickoff did not plan for."""
        assigned = {pid for ids in self.people_by_role.values() for pid in ids}
        return tuple(a for a in self.acted if a.person_id not in assigned)


def figures(crisis: Crisis, events: Sequence[TimelineEvent], drafts: Sequence[Draft]) -> Figures:
    """Compute the figures; events may come in any order (ties keep their given order)."""
    ordered = sorted(events, key=lambda e: utc(e.at))

    def first(*kinds: str) -> datetime | None:
        return next((utc(e.at) for e in ordered if e.kind in kinds), None)

    room, kickoff = first("war_room_created"), first("kickoff_posted")
    times = KeyTimes(
        declared_at=utc(crisis.declared_at),
        war_room_ready_at=max(room, kickoff) if room and kickoff else None,
        first_ack_at=first("acknowledged"),
        first_draft_at=first("draft_created"),
        first_approved_at=first("draft_approved", "draft_ready"),
        first_published_at=first("draft_published"),
        resolved_at=utc(crisis.resolved_at) if crisis.resolved_at else None,
    )
    changes = [e for e in ordered if e.kind in SEVERITY_CHANGES and _severity(e.data.get("to_severity"))]
    path, escalations = _severity_changes(crisis, ordered, changes)
    roles: dict[str, tuple[str, ...]] = {}
    for a in crisis.assignments:
        roles[a.role_name] = tuple(dict.fromkeys((*roles.get(a.role_name, ()), *a.person_ids)))
    acted: dict[str, Actor] = {}
    for e in ordered:
        if e.actor.platform_id != BOT.platform_id:
            acted.setdefault(e.actor.person_id or e.actor.platform_id, e.actor)
    counts = {s: sum(1 for d in drafts if d.status == s) for s in DraftStatus}
    return Figures(
        times=times,
        severity_path=path,
        escalations=escalations,
        people_by_role=roles,
        acted=tuple(acted.values()),
        drafts_by_status={s: n for s, n in counts.items() if n},
    )


def _severity(value: Any) -> str:
    return value.strip().lower() if isinstance(value, str) else ""


def _severity_changes(
    crisis: Crisis, ordered: Sequence[TimelineEvent], changes: Sequence[TimelineEvent]
) -> tuple[tuple[str, ...], tuple[SeverityChange, ...]]:
    if not changes:
        return (crisis.severity_id,), ()
    declared = next((e for e in ordered if e.kind == "declared"), None)
    start = _severity(declared.data.get("severity")) if declared else ""
    if not start:
        start = _severity(changes[0].data.get("from_severity"))
    if not start and declared and (found := _DECLARED_SEVERITY.search(declared.text)):
        start = found.group(1).lower()
    path = [start or crisis.severity_id]
    out = []
    for e in changes:
        to = _severity(e.data.get("to_severity"))
        reason = e.data.get("reason")
        out.append(
            SeverityChange(
                at=utc(e.at),
                kind=e.kind,
                from_severity=_severity(e.data.get("from_severity")) or path[-1],
                to_severity=to,
                actor=e.actor.name,
                reason=reason.strip() if isinstance(reason, str) else "",
            )
        )
        if to != path[-1]:
            path.append(to)
    return tuple(path), tuple(out)


def path_label(path: Sequence[str]) -> str:
    return " → ".join(s.upper() for s in path)


def person_name(plan: Plan, person_id: str) -> str:
    person = plan.people.get(person_id)
    return person.name if person else person_id


def scenario_name(plan: Plan, scenario_id: str) -> str:
    scenario = plan.scenarios.get(scenario_id)
    return scenario.name if scenario else scenario_id


def event_who(event: TimelineEvent) -> str:
    """A note filed on someone else's behalf is theirs; everything else is its actor's."""
    author = event.data.get("author")
    return author.strip() if event.kind == "note" and isinstance(author, str) and author.strip() else event.actor.name


def event_link(event: TimelineEvent) -> str | None:
    """The chat message an entry came from, if any (a published reply's link is in its text)."""
    value = event.data.get("permalink")
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def draft_outcome(draft: Draft) -> str:
    """What became of a draft, in words, with who decided and when (UTC, to the minute)."""
    if draft.status is DraftStatus.PUBLISHED:
        who = draft.published_by.name if draft.published_by else "someone"
        return f"published by {who}" + (f" at {utc(draft.published_at):%H:%M}" if draft.published_at else "")
    if draft.status is DraftStatus.APPROVED:
        return f"approved by {draft.approved_by.name}" if draft.approved_by else "ready (no approval needed)"
    return draft.status.value.replace("_", " ")


def draft_counts(counts: dict[DraftStatus, int]) -> str:
    total = sum(counts.values())
    if not total:
        return "No reply drafted."
    parts = ", ".join(f"{n} {s.value.replace('_', ' ')}" for s, n in counts.items())
    return f"{total} draft{'s' if total != 1 else ''}: {parts}"


def cut(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters: chat summaries keep every entry to a glance."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def summary_message(
    plan: Plan, crisis: Crisis, events: Sequence[TimelineEvent], drafts: Sequence[Draft], now: datetime
) -> Message:
    """The end-of-incident summary for the war room and the announcements channel.

    People are written as plain names, not mentions: the summary is a record, and pinging the
    whole chain of command once more after the crisis is over is noise.
    """
    fig = figures(crisis, events, drafts)
    resolved = crisis.status is CrisisStatus.RESOLVED
    state = "resolved" if resolved else "still open"
    took = fig.times.to_resolved if fig.times.to_resolved is not None else utc(now) - fig.times.declared_at
    lead = person_name(plan, crisis.lead_person_id) if crisis.lead_person_id else "unassigned"
    fields: list[tuple[str, Line]] = [
        ("Scenario", line(scenario_name(plan, crisis.scenario_id))),
        ("Severity", line(cut(path_label(fig.severity_path), 500))),
        ("Lead", line(lead)),
        ("Took" if resolved else "Open for", line(duration(took))),
        ("Declared by", line(crisis.declared_by.name)),
    ]
    if crisis.resolved_by is not None:
        fields.append(("Resolved by", line(crisis.resolved_by.name)))
    blocks: list[Block] = [Header(cut(f"{crisis.key} {state}: {crisis.title}", MAX_HEADER)), Fields(tuple(fields))]
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
    people = [
        line(f"{role}: ", ", ".join(person_name(plan, p) for p in ids) or "nobody")
        for role, ids in fig.people_by_role.items()
    ]
    if others := fig.others():
        people.append(line("Also took part: ", ", ".join(a.name for a in others)))
    if people:
        blocks.append(Paragraph((line(Strong("People")), *people)))
    blocks.extend((Divider(), Paragraph((line(Strong("Timeline (UTC)")), *_timeline_lines(events)))))
    blocks.append(Context(line(f"Durations count from the declaration, {fig.times.declared_at:%Y-%m-%d %H:%M} UTC.")))
    return Message(summary=f"{crisis.key} {state} after {duration(took)}: {crisis.title}", blocks=tuple(blocks))


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
