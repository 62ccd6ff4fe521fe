"""The ports the core needs from the outside world, as typed Protocols.

Adapters implement them (Slack, Teams, console, SQL, the Jinja2 frameworks); tests use the real
ones or the console implementation. Keeping them small makes a new platform a few hundred lines,
not a fork.

The error contract: a chat adapter raises :class:`ChatPlatformError` (with a sentence a person
can read) for anything the platform refused or could not do, and nothing else. The core catches
that error where a failed post must not stop the rest; any other exception is a bug, and travels
to the edge (the service's door, the scheduler) where it is logged once with its traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.drafts.frameworks import Framework, LintFinding, Network, RenderedDraft
from bot.core.messaging.message import Message
from bot.core.model.alerts import Alert, AlertKind, AlertStatus, NewAlert
from bot.core.model.chat import Attachment, PostedMessage
from bot.core.model.crisis import Actor, Crisis, CrisisStatus, NewCrisis, RetryPolicy, Room, StepKey, StepStatus
from bot.core.model.drafts import Draft, DraftStatus, NewDraft
from bot.core.model.events import TimelineEvent
from bot.core.model.injects import InjectStatus, ScheduledInject
from bot.core.model.mentions import Matched, Mention, MentionDigest, Stored
from bot.core.model.pages import NewPage, Page, PageStatus
from bot.core.plan.model import Person


@dataclass(frozen=True)
class Member:
    """A person of the plan as the chat adapter needs them: id plus contacts."""

    person_id: str
    person: Person


@dataclass
class InviteReport:
    """Invites are best effort: one unreachable person must not keep the others out."""

    invited: list[str] = field(default_factory=list)
    already_in: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatLimits:
    """What the platform allows where the core must fit its own text: room names (Slack allows
    80 characters, Teams channel names 50) and the one-line header of a message (Slack: 150).
    ``pins``: whether the bot can pin a post in a room (Teams channels have no pinned posts).
    ``unique_room_names``: whether the platform refuses a second room of a name (a Teams group chat's
    topic need not be unique): where it does not, it never says "taken", so a resumed declaration
    looks for the room it may have made before making one."""

    room_name: int
    header: int
    pins: bool = True
    unique_room_names: bool = True


class ChatPort(Protocol):
    @property
    def limits(self) -> ChatLimits: ...

    async def create_room(self, name: str, *, private: bool, topic: str, purpose: str) -> Room:
        """Create the war room, once: a create whose answer was lost may have made it, and the
        room this bot made under that name is then the answer, not a reason to take the next
        name. Raise RoomNameTakenError when someone else's room has the name."""
        ...

    async def prepare(self, members: Sequence[Member]) -> None:
        """Look up platform accounts early (run beside room creation, off the critical path)."""
        ...

    async def find_room(self, name: str) -> Room | None:
        """The room of that name if this bot created it: lets a resumed declaration adopt it."""
        ...

    async def invite(self, room: Room, members: Sequence[Member]) -> InviteReport: ...

    async def post(
        self, channel_id: str, message: Message, thread_id: str | None = None, *, key: str | None = None
    ) -> PostedMessage:
        """Post a message; ``thread_id`` (a message id) answers in that message's thread.

        ``key`` marks the message (invisibly) so that ``find_posted`` can find it again.
        """
        ...

    async def find_posted(self, channel: str, key: str) -> PostedMessage | None:
        """The recent message this bot posted under ``key`` in ``channel`` (an id, or the name
        given to ``announce``), if any: what a step resumed after a crash looks for before
        posting again, since no platform makes a post and the record of it one atomic act."""
        ...

    async def pin(self, posted: PostedMessage) -> None: ...

    async def update(self, posted: PostedMessage, message: Message) -> None:
        """Replace a message the bot posted: an answered page or review keeps no live button."""
        ...

    async def notify(self, member: Member, message: Message, *, key: str | None = None) -> PostedMessage:
        """A direct message to one person (a page); raise ChatPlatformError if it cannot be sent."""
        ...

    async def find_notified(self, member: Member, key: str) -> PostedMessage | None:
        """The direct message marked ``key`` this person got, if any (see ``find_posted``)."""
        ...

    async def announce(self, channel_name: str, message: Message, *, key: str | None = None) -> PostedMessage:
        """Post in a shared channel named by the plan (e.g. crisis-announcements)."""
        ...

    async def upload(self, channel_id: str, files: Sequence[Attachment], *, thread_id: str | None = None) -> None:
        """Attach files where people can download them; raise ChatPlatformError when the
        platform (or the app's permissions there) does not allow it, so the caller can fall back."""
        ...

    async def reply(self, address: str, message: Message) -> None:
        """Answer the person who asked, at the address their platform gave with the request
        (opaque to the core): how a declaration finished by another replica reaches its declarer."""
        ...


class CrisisRepository(Protocol):
    async def create(
        self,
        crisis: NewCrisis,
        holder: str | None = None,
        until: datetime | None = None,
        *,
        other_keys: Sequence[str] = (),
        first_event: Callable[[Crisis], TimelineEvent] | None = None,
    ) -> Crisis:
        """Persist a new crisis (with ``first_event``, made once it has its number) and give it
        its number, all or nothing.

        Raises RoomNameTakenError if the room name is used, DuplicateRequestError if its
        request key or one of ``other_keys`` is.
        """
        ...

    async def get(self, number: int) -> Crisis | None: ...

    async def get_by_request_key(self, request_key: str) -> Crisis | None: ...

    async def get_by_room(self, room_id: str) -> Crisis | None: ...

    async def list_crises(self, status: CrisisStatus | None = None, limit: int = 50) -> list[Crisis]: ...

    async def update(self, crisis: Crisis, fields: Collection[str]) -> None:
        """Save only the named fields, so concurrent use cases never overwrite each other."""
        ...

    async def mark_resolved(self, number: int, at: datetime, by: Actor, summary: str | None) -> bool:
        """Resolve if still active; False when someone else resolved it first."""
        ...

    async def change_severity(self, number: int, before: str, after: str) -> bool:
        """Move an active crisis between severities; False if it changed or closed meanwhile."""
        ...

    async def claim(self, number: int, holder: str, until: datetime, now: datetime) -> bool:
        """Take the lease on a crisis's unfinished steps; False while a live process holds it.

        ``holder`` is ``replica#incarnation``: a lease of an earlier incarnation of the same
        replica (a process that was restarted) is free at once.
        """
        ...

    async def renew(self, number: int, holder: str, until: datetime) -> bool:
        """Extend the lease this holder has; False if it was lost."""
        ...

    async def release(self, number: int, holder: str) -> None: ...

    async def due_update_reminders(self, now: datetime, limit: int = 50) -> list[Crisis]:
        """Active crises whose status update is overdue, each handed to one caller only."""
        ...

    async def unfinished(self, now: datetime, retry: RetryPolicy, holder: str, limit: int = 100) -> list[Crisis]:
        """Active crises with a start step pending (a crash left it), or failed and due a retry,
        whose lease ``holder`` could take."""
        ...

    async def rename_room(self, number: int, name: str) -> None:
        """Reserve another war-room name; RoomNameTakenError if another crisis holds it."""
        ...

    async def set_step(
        self, number: int, key: StepKey, status: StepStatus, detail: str, at: datetime, attempts: int = 0
    ) -> None: ...

    async def add_event(self, number: int, event: TimelineEvent) -> bool:
        """Record the event; False (and nothing recorded) when its key was recorded already."""
        ...

    async def timeline(self, number: int) -> list[TimelineEvent]: ...


class DraftRepository(Protocol):
    async def create_draft(self, draft: NewDraft) -> Draft: ...

    async def get_draft(self, draft_id: int) -> Draft | None: ...

    async def drafts_of(self, crisis_number: int) -> list[Draft]: ...

    async def save_draft(self, draft: Draft, expected: Collection[DraftStatus]) -> bool:
        """Save if the stored status is still one of ``expected``: of two clicks, one wins."""
        ...


class DrillRepository(Protocol):
    """A drill's scripted injects as durable timers, claimed like pages: each fires once."""

    async def schedule(self, crisis_number: int, due: Sequence[datetime]) -> None:
        """One timer per inject, in script order; scheduling again adds only what is missing."""
        ...

    async def injects_of(self, crisis_number: int) -> list[ScheduledInject]: ...

    async def claim_due(
        self, now: datetime, holder: str, lease: timedelta, limit: int = 20
    ) -> list[ScheduledInject]: ...

    async def finish(self, inject_id: int, status: InjectStatus, at: datetime, holder: str) -> bool: ...

    async def release(self, inject_id: int, holder: str) -> None: ...

    async def delay_pending(self, crisis_number: int, by: timedelta) -> None: ...

    async def cancel_pending(self, crisis_number: int) -> int: ...


class PageRepository(Protocol):
    """Pages are durable timers with leases: ``holder`` (``replica#incarnation``) is the process
    that delivers a page's card, or climbs it; a lease of a dead process can be taken over."""

    async def create_page(self, page: NewPage, holder: str, until: datetime) -> Page:
        """Insert the page under ``holder``'s lease, or return the page already saved under its key."""
        ...

    async def claim(self, page_id: int, holder: str, until: datetime, now: datetime) -> bool:
        """Take (or keep) the lease of one open page; False while another live process has it."""
        ...

    async def mark_delivered(
        self, page_id: int, position: int, holder: str, posted: Mapping[str, PostedMessage]
    ) -> None:
        """The current card went out (``posted``: its "card" and "dm"): record it, release the lease."""
        ...

    async def get_page(self, page_id: int) -> Page | None: ...

    async def pages_of(self, crisis_number: int, status: PageStatus | None = None) -> list[Page]: ...

    async def claim_due(self, holder: str, now: datetime, until: datetime, limit: int = 20) -> list[Page]:
        """Take the lease on open pages that are due, or whose current card never went out."""
        ...

    async def advance(self, page: Page, holder: str) -> bool:
        """Save position, due time and status if ``holder`` still holds the lease (kept until the
        new card is delivered, released when the page closes)."""
        ...

    async def close_page(self, page_id: int, status: PageStatus, by: Actor | None, at: datetime) -> bool:
        """Acknowledge or cancel an open page; of two clicks, one wins."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class AddressBook(Protocol):
    """Where a chat platform said to reach it (kind -> key -> value), kept for every replica and
    across restarts: some platforms say it only in the requests they send."""

    async def remember(self, kind: str, key: str, value: str) -> None: ...

    async def recall(self) -> dict[str, dict[str, str]]: ...


class ProcessedEvents(Protocol):
    async def first_time(self, event_id: str, at: datetime) -> bool:
        """True the first time a platform event id is seen, by any replica."""
        ...


class DraftRenderer(Protocol):
    """The port to the reply-framework library (Jinja2 in production)."""

    def frameworks(self) -> Mapping[str, Framework]:
        """Scenario id (or ``generic``) -> framework."""
        ...

    def network(self, name: str) -> Network:
        """The network a framework writes for, with its length limit."""
        ...

    def variables(self, scenario: str, stage: str, lang: str) -> frozenset[str]:
        """The facts the stage's template reads: what a draft of it may ask for, and no more."""
        ...

    def render(self, scenario: str, stage: str, lang: str, values: Mapping[str, str]) -> RenderedDraft:
        """Raise MissingVariablesError for missing required values; never leave a blank."""
        ...

    def lint(self, scenario: str, stage: str, lang: str, text: str) -> list[LintFinding]:
        """Problems a reviewer would flag, each with its reason."""
        ...


class MentionStore(Protocol):
    """The evidence store of mentions: append-only versions, idempotent per (network, post id)."""

    async def store(self, source: str, batch: Sequence[Matched], at: datetime) -> Stored:
        """Store a batch in one transaction (all of it or nothing): a new post or a new version
        of a known one (edited, deleted) is accepted; the same content again is a duplicate whose
        counts (reach, likes ...) are refreshed in place. A new post's topics are recorded, and a
        viral one raises its alert (once per post, whichever replica stores it first)."""
        ...

    async def digest(
        self, since: datetime, top: int, topic: str | Sequence[str] | None = None, until: datetime | None = None
    ) -> MentionDigest:
        """Mentions (of ``topic``, or of any of several) first seen after ``since`` (and by ``until``):
        their number and the ``top`` by reach. Served by an index on the time first seen: its cost
        follows the window, not the store."""
        ...

    async def counts(self, topic: str | Sequence[str], spans: Sequence[tuple[datetime, datetime]]) -> list[int]:
        """Mentions of ``topic`` (or of any of several) first seen in each ``[start, end)`` span."""
        ...

    async def first_seen(self, topics: Sequence[str], since: datetime, until: datetime) -> datetime | None:
        """When the first mention of any of ``topics`` between ``since`` and ``until`` was seen."""
        ...

    async def get(self, network: str, post_id: str) -> Mention | None:
        """A post as last seen."""
        ...


class AlertRepository(Protocol):
    """Possible-crisis alerts: raised once (a unique key among those in force), posted by the
    replica that claims them, then watched, dismissed or declared by one click."""

    async def raise_alert(self, alert: NewAlert) -> Alert | None:
        """Store a new alert, pending its card; None when one with its key is still in force."""
        ...

    async def in_force(self, kind: AlertKind) -> list[Alert]:
        """Alerts of ``kind`` whose key still holds (a spike not over yet)."""
        ...

    async def end(self, alert_id: int) -> None:
        """The spike is over: its key is free for the next one (what was done with it stays)."""
        ...

    async def claim_unposted(self, now: datetime, holder: str, lease: timedelta) -> list[Alert]:
        """Pending alerts whose lease is free or expired, each taken by one replica."""
        ...

    async def posted(self, alert_id: int, holder: str, card: dict[str, str]) -> bool: ...

    async def claim_reminders(self, now: datetime) -> list[Alert]:
        """Watched alerts whose reminder is due, each taken once (its reminder cleared)."""
        ...

    async def get(self, alert_id: int) -> Alert | None: ...

    async def topics_declared_into(self, crisis_number: int) -> set[str]:
        """The topics of the alerts a crisis was declared from."""
        ...

    async def last_digest(self, crisis_number: int) -> datetime | None:
        """Up to when the war room's last digest of mentions went (None: none yet)."""
        ...

    async def claim_digest(self, crisis_number: int, previous: datetime | None, until: datetime) -> bool:
        """Take the digest up to ``until`` if the last one is still ``previous``: of two replicas,
        one posts it."""
        ...

    async def decide(
        self,
        alert_id: int,
        status: AlertStatus,
        by: Actor,
        at: datetime,
        *,
        reason: str | None = None,
        remind_at: datetime | None = None,
        crisis_number: int | None = None,
    ) -> Alert | None:
        """Watch, dismiss or declare an open alert; None when it is no longer open (one click wins)."""
        ...


class Telemetry(Protocol):
    """What the core counts for the people who run crisisbot (Prometheus, through an adapter):
    commands and their outcomes, declarations and their failed steps, pages, late timers. Names
    come from the core's own vocabulary; the adapter maps anything else to "other"."""

    def command(self, name: str, outcome: str) -> None: ...

    def action(self, name: str, outcome: str) -> None: ...

    def declared(self) -> None: ...

    def step_failed(self, step: str) -> None: ...

    def page(self, event: str) -> None: ...

    def scheduler_lag(self, timer: str, seconds: float) -> None: ...


class NoTelemetry:
    """Counts nothing: the console, the command line and tests that do not look."""

    def command(self, name: str, outcome: str) -> None:
        return None

    def action(self, name: str, outcome: str) -> None:
        return None

    def declared(self) -> None:
        return None

    def step_failed(self, step: str) -> None:
        return None

    def page(self, event: str) -> None:
        return None

    def scheduler_lag(self, timer: str, seconds: float) -> None:
        return None
