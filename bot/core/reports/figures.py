"""The figures of a crisis, computed once from its timeline.

After a crisis the team needs the few numbers that say how the response went (how soon the room
was usable, someone acknowledged, a reply went out) and what happened, without scrolling back
through the war room. They are computed here once, from the timeline, so that the chat summary,
the export and the cross-crisis report always agree.

What is read from the timeline (the kinds and data of :mod:`bot.core.model.events`):
- ``war_room_created`` and ``kickoff_posted``: the room is ready once both happened;
- ``acknowledged``, ``draft_created``, ``draft_approved`` / ``draft_ready``, ``draft_published``;
- ``declared``: its ``severity`` (else the first change's ``from_severity``, else the ``(SEVn``
  written in its text);
- ``escalated`` / ``deescalated`` with a ``to_severity`` (without one, an event is only shown in
  the timeline);
- ``note``: ``author`` (who wrote it, when someone else filed it); any event: ``permalink``, a
  link to the chat message it came from.
Any other kind (``status_update``, ``paged``, ``lead_changed``...) is shown as it is written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.model.crisis import BOT, Actor, Crisis
from bot.core.model.drafts import Draft, DraftStatus
from bot.core.model.events import SEVERITY_CHANGES, Declared, EventKind, Noted, SeverityChanged, TimelineEvent

MILESTONES = (
    ("war_room_ready", "War room ready"),
    ("first_ack", "First acknowledgement"),
    ("first_draft", "First draft"),
    ("first_approved", "First reply approved"),
    ("first_published", "First reply published"),
    ("resolved", "Resolved"),
)
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
    kind: EventKind  # escalated | deescalated
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

    def first(*kinds: EventKind) -> datetime | None:
        return next((utc(e.at) for e in ordered if e.kind in kinds), None)

    room, kickoff = first(EventKind.WAR_ROOM_CREATED), first(EventKind.KICKOFF_POSTED)
    times = KeyTimes(
        declared_at=utc(crisis.declared_at),
        war_room_ready_at=max(room, kickoff) if room and kickoff else None,
        first_ack_at=first(EventKind.ACKNOWLEDGED),
        first_draft_at=first(EventKind.DRAFT_CREATED),
        first_approved_at=first(EventKind.DRAFT_APPROVED, EventKind.DRAFT_READY),
        first_published_at=first(EventKind.DRAFT_PUBLISHED),
        resolved_at=utc(crisis.resolved_at) if crisis.resolved_at else None,
    )
    changes = [(e, c) for e in ordered if e.kind in SEVERITY_CHANGES and (c := _change(e)) is not None]
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


def _severity(value: str | None) -> str:
    return value.strip().lower() if value else ""


def _change(event: TimelineEvent) -> SeverityChanged | None:
    data = event.data
    return data if isinstance(data, SeverityChanged) and _severity(data.to_severity) else None


def _severity_changes(
    crisis: Crisis, ordered: Sequence[TimelineEvent], changes: Sequence[tuple[TimelineEvent, SeverityChanged]]
) -> tuple[tuple[str, ...], tuple[SeverityChange, ...]]:
    if not changes:
        return (crisis.severity_id,), ()
    declared = next((e for e in ordered if e.kind is EventKind.DECLARED), None)
    start = _severity(declared.data.severity) if declared and isinstance(declared.data, Declared) else ""
    if not start:
        start = _severity(changes[0][1].from_severity)
    if not start and declared and (found := _DECLARED_SEVERITY.search(declared.text)):
        start = found.group(1).lower()
    path = [start or crisis.severity_id]
    out = []
    for e, change in changes:
        to = _severity(change.to_severity)
        out.append(
            SeverityChange(
                at=utc(e.at),
                kind=e.kind,
                from_severity=_severity(change.from_severity) or path[-1],
                to_severity=to,
                actor=e.actor.name,
                reason=change.reason.strip() if change.reason else "",
            )
        )
        if to != path[-1]:
            path.append(to)
    return tuple(path), tuple(out)


def path_label(path: Sequence[str]) -> str:
    return " → ".join(s.upper() for s in path)


def event_who(event: TimelineEvent) -> str:
    """A note filed on someone else's behalf is theirs; everything else is its actor's."""
    data = event.data
    if event.kind is EventKind.NOTE and isinstance(data, Noted) and data.author and data.author.strip():
        return data.author.strip()
    return event.actor.name


def event_link(event: TimelineEvent) -> str | None:
    """The chat message an entry came from, if any (a published reply's link is in its text)."""
    value = event.data.permalink
    return value if value and value.startswith(("https://", "http://")) else None


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
