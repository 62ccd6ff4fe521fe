"""The database tables of a crisis, as SQLModel classes.

These rows are a storage detail: the core never sees them, :mod:`bot.storage.repository` maps
them to :mod:`bot.core.model`. The schema itself is created and changed only by the Alembic
migrations in ``bot/storage/migrations``; a change here needs a new revision there
(``tests/storage/test_migrations.py`` fails when the two drift apart).

Choices that are not obvious:

- Strings are unbounded (``VARCHAR`` / ``TEXT``): SQLite ignores lengths, so a limit enforced only
  on PostgreSQL would make the two backends disagree on what can be saved.
- Values with a shape (actors, assignments, room, event data) are JSON: they are always read and
  written whole with their crisis, never queried by their parts.
- Constraints have explicit names so the repository can tell a room-name clash from any other
  integrity error on PostgreSQL, and so migrations can refer to them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, ColumnElement, DateTime, ForeignKey, Index, Integer, UniqueConstraint, true
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel, col, select

ROOM_NAME_CONSTRAINT = "uq_crisis_room_name"
REQUEST_KEY_CONSTRAINT = "uq_crisis_request_key"
EVENT_KEY_CONSTRAINT = "uq_timeline_event_crisis_id_key"
PAGE_KEY_CONSTRAINT = "uq_page_crisis_id_key"
MENTION_KEY_CONSTRAINT = "uq_mention_network_post_id"
MENTION_VERSION_CONSTRAINT = "uq_mention_version_mention_id_number"
ALERT_KEY_CONSTRAINT = "uq_listening_alert_active_key"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    PostgreSQL keeps the instant (``timestamptz``) but answers in the session's time zone;
    SQLite stores text and drops the offset. Normalising to UTC on the way in and tagging UTC on
    the way out makes both backends return equal, comparable, aware datetimes. A naive datetime
    is refused rather than guessed at: the core's clock is aware, so a naive one is a bug.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"refusing to store a naive datetime ({value!r}): use a timezone-aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _json(*, nullable: bool) -> Any:
    """A JSON column; SQL NULL (not JSON ``null``) for a missing value so ``IS NULL`` works."""
    return Column(JSON(none_as_null=True), nullable=nullable)


def _timestamp(*, nullable: bool, index: bool = False) -> Any:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class CrisisRow(SQLModel, table=True):
    """One declared crisis. Its ``id`` is the crisis number, so two replicas never share one."""

    __tablename__ = "crisis"
    # AUTOINCREMENT makes SQLite never hand out an id again, even after the newest row is deleted:
    # a crisis number, once shown to people, must not come back for another crisis.
    __table_args__ = (
        UniqueConstraint("room_name", name=ROOM_NAME_CONSTRAINT),
        # a unique index, not a constraint: SQLite can add it without rebuilding the table
        Index(REQUEST_KEY_CONSTRAINT, "request_key", unique=True),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    title: str
    details: str | None = None
    source_url: str | None = None
    # what identifies the request that declared it (platform id or dedupe key): a repeated
    # request hits this unique constraint instead of declaring a second crisis
    request_key: str | None = None
    scenario_id: str
    severity_id: str
    status: str
    declared_by: dict[str, Any] = Field(sa_column=_json(nullable=False))
    declared_at: datetime = Field(sa_column=_timestamp(nullable=False))
    room_name: str
    room_id: str | None = Field(default=None, index=True)
    room: dict[str, Any] | None = Field(default=None, sa_column=_json(nullable=True))
    lead_person_id: str | None = None
    assignments: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json(nullable=False))
    unreachable: dict[str, str] = Field(default_factory=dict, sa_column=_json(nullable=False))
    kickoff_message_id: str | None = None
    resolved_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    resolved_by: dict[str, Any] | None = Field(default=None, sa_column=_json(nullable=True))
    resolution_summary: str | None = None
    next_update_due: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    # the due time a reminder was already sent for: one reminder per missed update, across replicas
    update_reminded_for: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    review: dict[str, str] = Field(default_factory=dict, sa_column=_json(nullable=False))
    # where the declarer hears the outcome, whichever replica finishes the declaration
    reply_to: str | None = None
    asked_severity: str | None = None
    # which process is running this crisis's start steps, until when: a restarted or second
    # replica resumes unfinished steps only once the lease has expired
    lease_owner: str | None = None
    lease_until: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    drill: dict[str, Any] | None = Field(default=None, sa_column=_json(nullable=True))
    # the chat platform running it ("slack", "teams", "console"): one process may serve several,
    # and each platform's scheduler and commands see only their own crises
    platform: str | None = None


class CrisisStepRow(SQLModel, table=True):
    """One step of a use case; ``position`` keeps the order the service declared them in."""

    __tablename__ = "crisis_step"
    __table_args__ = (UniqueConstraint("crisis_id", "key", name="uq_crisis_step_crisis_id_key"),)

    id: int | None = Field(default=None, primary_key=True)
    crisis_id: int = Field(sa_column=Column(Integer, ForeignKey("crisis.id", ondelete="CASCADE"), nullable=False))
    position: int
    key: str
    label: str
    status: str
    detail: str = ""
    updated_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    attempts: int = 0


class TimelineEventRow(SQLModel, table=True):
    """Something that happened; read back ordered by ``(at, id)`` so ties keep insertion order.

    ``key`` makes an event recorded by a step that may run twice (after a crash) recorded once."""

    __tablename__ = "timeline_event"
    __table_args__ = (
        Index("ix_timeline_event_crisis_id_at", "crisis_id", "at", "id"),
        Index(EVENT_KEY_CONSTRAINT, "crisis_id", "key", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    crisis_id: int = Field(sa_column=Column(Integer, ForeignKey("crisis.id", ondelete="CASCADE"), nullable=False))
    at: datetime = Field(sa_column=_timestamp(nullable=False))
    kind: str
    text: str
    actor: dict[str, Any] = Field(sa_column=_json(nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=_json(nullable=False))
    key: str | None = None


class DraftRow(SQLModel, table=True):
    """A reply draft; ``status`` changes only through conditional updates (one click wins)."""

    __tablename__ = "draft"

    id: int | None = Field(default=None, primary_key=True)
    crisis_id: int = Field(
        sa_column=Column(Integer, ForeignKey("crisis.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    scenario: str
    stage: str
    lang: str
    text: str
    values: dict[str, str] = Field(default_factory=dict, sa_column=_json(nullable=False))
    author: dict[str, Any] = Field(sa_column=_json(nullable=False))
    status: str
    edited: bool = False
    reviewer_role: str | None = None
    created_at: datetime = Field(sa_column=_timestamp(nullable=False))
    updated_at: datetime = Field(sa_column=_timestamp(nullable=False))
    approved_by: dict[str, Any] | None = Field(default=None, sa_column=_json(nullable=True))
    approved_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    approved_hash: str | None = None
    published_by: dict[str, Any] | None = Field(default=None, sa_column=_json(nullable=True))
    published_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    published_url: str | None = None
    review_posted: dict[str, Any] | None = Field(default=None, sa_column=_json(nullable=True))


class PageRow(SQLModel, table=True):
    """A page and its frozen ladder. ``due_at`` + the lease make it a durable timer that two
    replicas can share: a due page is claimed by one of them, never both."""

    __tablename__ = "page"
    __table_args__ = (
        Index("ix_page_due", "status", "due_at"),
        Index(PAGE_KEY_CONSTRAINT, "crisis_id", "key", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    crisis_id: int = Field(
        sa_column=Column(Integer, ForeignKey("crisis.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    role_id: str
    reason: str
    chain: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json(nullable=False))
    position: int = 0
    timeout_minutes: int
    status: str
    created_at: datetime = Field(sa_column=_timestamp(nullable=False))
    due_at: datetime = Field(sa_column=_timestamp(nullable=False))
    acknowledged_by: dict[str, Any] | None = Field(default=None, sa_column=_json(nullable=True))
    acknowledged_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    lease_owner: str | None = None
    lease_until: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    # one page per (crisis, role, reason): paging the same role for the same reason twice (a
    # resumed declaration) finds the first page instead of starting a second timer
    key: str | None = None
    delivered: int = -1
    posted: dict[str, Any] = Field(default_factory=dict, sa_column=_json(nullable=False))


class DrillInjectRow(SQLModel, table=True):
    """A scripted inject of a drill: a durable timer (``due_at`` + lease) fired once by whichever
    replica claims it, or skipped when its condition on the team's actions says so."""

    __tablename__ = "drill_inject"
    __table_args__ = (
        Index("ix_drill_inject_due", "status", "due_at"),
        Index("uq_drill_inject_crisis_position", "crisis_id", "position", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    crisis_id: int = Field(sa_column=Column(Integer, ForeignKey("crisis.id", ondelete="CASCADE"), nullable=False))
    position: int  # the inject's index in its script
    due_at: datetime = Field(sa_column=_timestamp(nullable=False))
    status: str  # pending, fired, skipped, cancelled
    fired_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    lease_owner: str | None = None
    lease_until: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class PlatformAddressRow(SQLModel, table=True):
    """What a chat platform told one replica and every replica needs: Teams gives a bot its
    serviceUrl, its team and its 1:1 conversations only in the activities it sends, and a page
    may fire on another replica, or after a restart, before Teams sends anything again."""

    __tablename__ = "platform_address"

    platform: str = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    value: str
    updated_at: datetime = Field(sa_column=_timestamp(nullable=False))


class ProcessedEventRow(SQLModel, table=True):
    """Slack event ids already handled: Slack retries an event it thinks was lost, and Bolt does
    not de-duplicate (X-Slack-Retry-Num), so every replica checks here first."""

    __tablename__ = "processed_event"

    event_id: str = Field(primary_key=True)
    at: datetime = Field(sa_column=_timestamp(nullable=False))


class MentionRow(SQLModel, table=True):
    """A post as last seen: one row per (network, post id), so a re-sent post never duplicates.
    Its counts and current content change in place; what it said is kept in its versions."""

    __tablename__ = "mention"
    __table_args__ = (
        Index(MENTION_KEY_CONSTRAINT, "network", "post_id", unique=True),
        # covering the digest: its count and its top by reach read the index, not the rows
        Index("ix_mention_first_seen_at", "first_seen_at", "reach"),
    )

    id: int | None = Field(default=None, primary_key=True)
    network: str
    post_id: str
    source: str
    url: str | None = None
    author_handle: str | None = None
    author_name: str | None = None
    followers: int | None = None
    verified: bool = False
    lang: str | None = None
    created_at: datetime = Field(sa_column=_timestamp(nullable=False))
    first_seen_at: datetime = Field(sa_column=_timestamp(nullable=False))
    last_seen_at: datetime = Field(sa_column=_timestamp(nullable=False))
    reach: int | None = None
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    in_reply_to: str | None = None
    text: str
    deleted: bool = False
    content_hash: str
    versions: int = 1


class MentionVersionRow(SQLModel, table=True):
    """What a post said at one time, with its content hash: append-only evidence. An edit or a
    deletion adds a row; none is ever updated or removed."""

    __tablename__ = "mention_version"
    __table_args__ = (Index(MENTION_VERSION_CONSTRAINT, "mention_id", "number", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    mention_id: int = Field(sa_column=Column(Integer, ForeignKey("mention.id", ondelete="CASCADE"), nullable=False))
    number: int  # 1 for the post as first seen
    seen_at: datetime = Field(sa_column=_timestamp(nullable=False))
    source: str
    content_hash: str
    text: str
    deleted: bool = False
    url: str | None = None
    author_handle: str | None = None
    lang: str | None = None
    in_reply_to: str | None = None


class MentionTopicRow(SQLModel, table=True):
    """A post first seen at ``seen_at`` is about ``topic``: what spikes and digests count. Written
    once, with the post's first version; (topic, seen_at) makes a window's count an index range."""

    __tablename__ = "mention_topic"
    __table_args__ = (Index("ix_mention_topic_topic_seen_at", "topic", "seen_at"),)

    mention_id: int = Field(
        sa_column=Column(Integer, ForeignKey("mention.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    )
    topic: str = Field(primary_key=True)
    seen_at: datetime = Field(sa_column=_timestamp(nullable=False))


class ListeningAlertRow(SQLModel, table=True):
    """A "Possible crisis" alert. ``active_key`` is unique while the alert is in force (a spike's,
    until the spike ends; a viral post's, for good): the insert that wins is the one alert."""

    __tablename__ = "listening_alert"
    __table_args__ = (
        Index(ALERT_KEY_CONSTRAINT, "active_key", unique=True),
        Index("ix_listening_alert_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    topic: str
    key: str
    active_key: str | None = None
    status: str
    raised_at: datetime = Field(sa_column=_timestamp(nullable=False))
    window_start: datetime = Field(sa_column=_timestamp(nullable=False))
    window_count: int
    baseline_count: int = 0
    reason: str | None = None
    network: str | None = None
    post_id: str | None = None
    remind_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    decided_by: dict[str, Any] | None = Field(default=None, sa_column=_json(nullable=True))
    decided_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    dismiss_reason: str | None = None
    crisis_number: int | None = None
    card: dict[str, Any] | None = Field(default=None, sa_column=_json(nullable=True))
    lease_owner: str | None = None
    lease_until: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class ListeningDigestRow(SQLModel, table=True):
    """When a war room last got its digest of mentions: a conditional UPDATE on ``last_at`` lets
    one replica a minute post it."""

    __tablename__ = "listening_digest"

    crisis_id: int = Field(
        sa_column=Column(Integer, ForeignKey("crisis.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    )
    last_at: datetime = Field(sa_column=_timestamp(nullable=False))


class SchemaCompatRow(SQLModel, table=True):
    """One row: the oldest code revision that can run on this schema (see migration 0012)."""

    __tablename__ = "schema_compat"

    id: int | None = Field(default=None, primary_key=True)
    oldest_code: str


def of_platform(crisis_id: Any, platform: str | None) -> ColumnElement[bool]:
    """Rows (pages, injects ...) of the crises ``platform`` runs; every row when ``None``: the
    scheduler of one platform must not fire another platform's timers through its own chat."""
    if platform is None:
        return true()
    if crisis_id is CrisisRow.id:  # the crises themselves
        return col(CrisisRow.platform) == platform
    return col(crisis_id).in_(select(CrisisRow.id).where(col(CrisisRow.platform) == platform))
