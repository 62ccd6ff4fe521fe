"""The composition root: settings in, a ready ``CrisisService`` out.

Only this module (and the CLI) knows which concrete adapters exist; the core receives them
through its ports.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp

from bot.config import Settings
from bot.core.clock import SystemClock
from bot.core.datafiles import DataIssue
from bot.core.drafts import DraftService
from bot.core.frameworks import DraftRenderer
from bot.core.plan import LoadedPlan, load_plan
from bot.core.ports import ChatPort, Clock
from bot.core.service import CrisisService
from bot.rendering import load_library
from bot.scheduler.loop import Scheduler
from bot.storage import migrate
from bot.storage.drafts import SqlDraftRepository
from bot.storage.engine import create_async_db_engine
from bot.storage.events import SqlProcessedEvents
from bot.storage.pages import SqlPageRepository
from bot.storage.repository import SqlCrisisRepository

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.adapters.slack.chat import SlackChat


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
    if settings.uses_default_sqlite:
        await asyncio.to_thread(migrate.upgrade, url)
    else:
        current, head = await asyncio.to_thread(migrate.current, url), migrate.head()
        if current != head:
            raise StartupError(
                f"The database schema is at {current or 'nothing'}, this version needs {head}. "
                "Run `crisisbot migrate` first."
            )
    engine = create_async_db_engine(url)
    try:
        yield Storage(
            SqlCrisisRepository(engine),
            SqlDraftRepository(engine),
            SqlPageRepository(engine),
            SqlProcessedEvents(engine),
        )
    finally:
        await engine.dispose()


def slack_bot(
    settings: Settings, loaded: LoadedPlan, store: Storage, renderer: DraftRenderer | None = None
) -> tuple[AsyncApp, CrisisService, SlackChat]:
    """The Bolt app and the service behind it; call only once ``settings.slack_problems()`` is empty."""
    from bot.adapters.slack.app import build_app
    from bot.adapters.slack.chat import SlackChat, make_client

    assert settings.slack_bot_token is not None
    session = aiohttp.ClientSession()  # kept alive for the bot's lifetime; closed by SlackChat.aclose
    client = make_client(settings.slack_bot_token.get_secret_value().strip(), settings.slack_api_url, session)
    chat = SlackChat(client, loaded.plan)
    secret = settings.slack_signing_secret.get_secret_value().strip() if settings.slack_signing_secret else ""
    crisis_service = service(loaded, store, chat, renderer=renderer)
    return build_app(crisis_service, chat, secret, store.events), crisis_service, chat


def service(
    loaded: LoadedPlan,
    store: Storage,
    chat: ChatPort,
    clock: Clock | None = None,
    renderer: DraftRenderer | None = None,
) -> CrisisService:
    clock = clock or SystemClock()
    drafts = DraftService(loaded, store.crises, store.drafts, chat, clock, renderer) if renderer else None
    return CrisisService(loaded, store.crises, chat, clock, drafts=drafts, pages=store.pages)


@asynccontextmanager
async def background(crisis_service: CrisisService, store: Storage, interval: float = 5.0) -> AsyncIterator[Scheduler]:
    """Run the escalation timers and finish half-done declarations while the bot serves."""
    assert crisis_service.paging is not None
    scheduler = Scheduler(
        crisis_service.paging,
        store.pages,
        crisis_service.clock,
        crisis_service.owner,
        crisis_service.timeline,
        resume=crisis_service.resume_unfinished,
    )
    task = asyncio.ensure_future(scheduler.run(interval))
    try:
        yield scheduler
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
