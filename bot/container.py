"""The composition root: settings in, every collaborator built and wired, once.

Only this module (and the CLI) knows which concrete adapters exist; the core receives them
through its ports. Every collaborator is required: there is no half-built service with paging
or drafts "not set up here".
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.core.context import Context
from bot.core.crisis.broadcast import Broadcast
from bot.core.crisis.declare import Declarer
from bot.core.crisis.lookup import Lookup
from bot.core.crisis.resolve import Resolver
from bot.core.crisis.timeline import Timeline
from bot.core.crisis.updates import Updates
from bot.core.drafts.service import DraftService
from bot.core.drills.service import Drills
from bot.core.drills.wrapup import DrillWrapUp
from bot.core.escalation.paging import PagingService
from bot.core.escalation.severity import SeverityService
from bot.core.listening.alerts import Alerts
from bot.core.listening.evidence import MessageEvidence
from bot.core.listening.intake import Intake
from bot.core.listening.warroom import WarRoomFeed
from bot.core.model.clock import SystemClock
from bot.core.plan.access import Access
from bot.core.plan.model import LoadedPlan
from bot.core.ports import ChatPort, Clock, DraftRenderer, NoTelemetry, Telemetry
from bot.core.service import CrisisService
from bot.core.usecases import UseCases
from bot.datafiles.plan import load_plan
from bot.datafiles.yaml import DataIssue
from bot.frameworks import load_library
from bot.scheduler.loop import Scheduler
from bot.storage.addresses import SqlAddressBook
from bot.storage.alerts import SqlAlertRepository
from bot.storage.drafts import SqlDraftRepository
from bot.storage.drills import SqlDrillRepository
from bot.storage.engine import create_async_db_engine
from bot.storage.events import SqlProcessedEvents
from bot.storage.mentions import SqlMentionStore
from bot.storage.pages import SqlPageRepository
from bot.storage.repository import SqlCrisisRepository
from bot.storage.schema import runs_on, schema_state, shipped_revisions

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.adapters.slack.app import SlackHandlers
    from bot.adapters.slack.chat import SlackChat
    from bot.adapters.teams.bot import TeamsBot


class StartupError(Exception):
    """Start-up cannot go on; the message says what to do."""


def plan_from(settings: Settings) -> LoadedPlan:
    return load_plan(settings.plan_path)


@dataclass(frozen=True)
class Storage:
    crises: SqlCrisisRepository
    drafts: SqlDraftRepository
    pages: SqlPageRepository
    events: SqlProcessedEvents
    drills: SqlDrillRepository
    mentions: SqlMentionStore
    alerts: SqlAlertRepository
    engine: AsyncEngine  # for the readiness probe

    def addresses(self, platform: str) -> SqlAddressBook:
        return SqlAddressBook(self.engine, platform)

    @classmethod
    def on(cls, engine: AsyncEngine, platform: str | None = None) -> Storage:
        """``platform`` scopes crises and their timers to those one chat platform runs (a core
        per platform, beside the others in one process); unscoped, reports see every crisis."""
        return cls(
            SqlCrisisRepository(engine, platform),
            SqlDraftRepository(engine),
            SqlPageRepository(engine, platform),
            SqlProcessedEvents(engine),
            SqlDrillRepository(engine, platform),
            SqlMentionStore(engine),
            SqlAlertRepository(engine),
            engine,
        )

    def scoped(self, platform: str) -> Storage:
        return Storage.on(self.engine, platform)

    async def release_leases(self, holder: str) -> int:
        """Hand this process's work to the other replicas at once (a graceful shutdown)."""
        from bot.storage.leases import release_all

        return await release_all(self.engine, holder)


def frameworks_from(settings: Settings) -> tuple[DraftRenderer, list[DataIssue]]:
    """The framework library; broken frameworks are reported and left out, never fatal here."""
    renderer, issues = load_library(settings.frameworks_path)
    for issue in issues:
        log.warning("message framework problem: %s", issue.render())
    return renderer, issues


@asynccontextmanager
async def storage(settings: Settings) -> AsyncIterator[Storage]:
    """Open the database; migrate the embedded SQLite default, refuse an outdated server DB.

    A shared PostgreSQL is migrated on purpose (``crisisbot migrate``), not as a side effect of
    one replica starting, so that replicas of different versions never race on the schema.
    """
    url = settings.db_url()
    engine = create_async_db_engine(url)
    try:
        async with engine.connect() as connection:
            heads, oldest = await connection.run_sync(schema_state)
        head = shipped_revisions().head
        # a newer schema this version still runs on: a rolling upgrade migrated before replacing it
        if not runs_on(heads, oldest, shipped_revisions()):
            if not settings.uses_default_sqlite:
                raise StartupError(
                    f"The database schema is at {', '.join(heads) or 'nothing'}, this version needs {head}. "
                    "Run `crisisbot migrate` first."
                )
            from bot.storage import migrate  # Alembic only when there is something to migrate

            await asyncio.to_thread(migrate.upgrade, url)
            await engine.dispose()  # no pooled connection keeps the schema it saw before
        yield Storage.on(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def scratch_storage() -> AsyncIterator[Storage]:
    """A migrated SQLite database in a temporary folder, deleted afterwards: for dry runs that
    must leave the team's database alone."""
    from bot.storage import migrate

    with tempfile.TemporaryDirectory(prefix="crisisbot-scratch-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.db'}"
        await asyncio.to_thread(migrate.upgrade, url)
        engine = create_async_db_engine(url)
        try:
            yield Storage.on(engine)
        finally:
            await engine.dispose()


@dataclass(frozen=True)
class Core:
    """The core, wired: the one door for adapters, the scheduler beside it, and (for tests and
    the command line) the use cases behind the door."""

    service: CrisisService
    scheduler: Scheduler
    cases: UseCases
    store: Storage
    chat: ChatPort
    clock: Clock
    holder: str  # "replica#incarnation", as leases name this process


def build_core(
    loaded: LoadedPlan,
    store: Storage,
    chat: ChatPort,
    renderer: DraftRenderer,
    clock: Clock | None = None,
    replica: str | None = None,
    *,
    listening: bool = True,
    telemetry: Telemetry | None = None,
) -> Core:
    """``replica`` names this process in leases: a stable name (the host's, by default in
    ``serve``) lets a restarted process take over its predecessor's unfinished work at once.

    ``listening``: this core posts the listening alerts (possible-crisis cards in the monitoring
    channel). With Slack and Teams in one process only one does, on the platform the operator
    chose; each still posts the mentions digests of its own war rooms."""
    clock = clock or SystemClock()
    replica = (replica or f"crisisbot-{uuid.uuid4().hex[:12]}").replace("#", "-")
    holder = f"{replica}#{uuid.uuid4().hex[:8]}"  # this incarnation of the replica
    timeline = Timeline(store.crises, clock)
    access = Access(loaded.plan)
    telemetry = telemetry or NoTelemetry()
    ctx = Context(loaded, store.crises, chat, clock, timeline, access, telemetry)
    broadcast = Broadcast(ctx)
    paging = PagingService(ctx, store.pages, holder)
    updates = Updates(ctx, broadcast)
    declarer = Declarer(ctx, paging, holder)
    severity = SeverityService(ctx, broadcast, paging)
    feed = WarRoomFeed(ctx, store.mentions, store.alerts, severity)
    wrap_up = DrillWrapUp(ctx, store.drills, store.drafts)
    resolver = Resolver(ctx, store.drafts, broadcast, paging, wrap_up, feed.report)
    drills = Drills(ctx, store.drills, declarer, resolver, holder)
    cases = UseCases(
        lookup=Lookup(store.crises),
        timeline=timeline,
        declarer=declarer,
        updates=updates,
        paging=paging,
        severity=severity,
        drafts=DraftService(ctx, store.drafts, renderer),
        resolver=resolver,
        drills=drills,
        access=access,
        intake=Intake(loaded.sources, store.mentions, clock, loaded.plan.monitoring),
        alerts=Alerts(ctx, store.mentions, store.alerts, feed, holder),
        evidence=MessageEvidence(ctx),
    )
    service = CrisisService(loaded, store.crises, chat, clock, cases, telemetry)
    chores = {
        "overdue update reminders": updates.remind_overdue,
        "unfinished declarations": service.resume_unfinished,
        "drill injects not scheduled": drills.ensure_scheduled,
        "drill injects": drills.fire_due,
        "listening alerts": cases.alerts.tick if listening else feed.post_digests,
    }
    scheduler = Scheduler(paging, store.pages, clock, holder, chores, telemetry)
    return Core(service, scheduler, cases, store, chat, clock, holder)


def slack_bot(
    settings: Settings,
    loaded: LoadedPlan,
    store: Storage,
    renderer: DraftRenderer,
    *,
    listening: bool = True,
    telemetry: Telemetry | None = None,
) -> tuple[AsyncApp, Core, SlackChat, SlackHandlers]:
    """The Bolt app and the core behind it; call only once ``settings.slack_problems()`` is empty."""
    from bot.adapters.slack.app import build_app
    from bot.adapters.slack.chat import SlackChat, make_client, make_session

    assert settings.slack_bot_token is not None, "slack_problems() names a missing token first"
    session = make_session()  # kept alive for the bot's lifetime; closed by SlackChat.aclose
    client = make_client(settings.slack_bot_token.get_secret_value().strip(), settings.slack_api_url, session)
    chat = SlackChat(client, loaded.plan)
    secret = settings.slack_signing_secret.get_secret_value().strip() if settings.slack_signing_secret else ""
    scoped = store.scoped("slack")
    core = build_core(
        loaded, scoped, chat, renderer, replica=settings.replica_id, listening=listening, telemetry=telemetry
    )
    bolt, handlers = build_app(core.service, chat, secret, store.events)
    return bolt, core, chat, handlers


def teams_bot(
    settings: Settings,
    loaded: LoadedPlan,
    store: Storage,
    renderer: DraftRenderer,
    *,
    listening: bool = True,
    telemetry: Telemetry | None = None,
) -> TeamsBot:
    """The Teams adapter and the core behind it; call only once ``settings.teams_problems()`` is
    empty. Imports the Teams SDK (seconds, tens of MB): only Teams deployments pay for it."""
    from bot.adapters.teams.bot import TeamsBot, TeamsConfig

    def build(chat: ChatPort) -> Core:
        scoped = store.scoped("teams")
        return build_core(
            loaded, scoped, chat, renderer, replica=settings.replica_id, listening=listening, telemetry=telemetry
        )

    return TeamsBot.build(TeamsConfig.of(settings), loaded.plan, build, store.addresses("teams"))


@asynccontextmanager
async def background(core: Core, interval: float = 5.0) -> AsyncIterator[Scheduler]:
    """Run the escalation timers and finish half-done declarations while the bot serves."""
    task = asyncio.ensure_future(core.scheduler.run(interval))
    try:
        yield core.scheduler
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
