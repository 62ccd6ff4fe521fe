from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from bot.adapters.slack.app import SlackHandlers, build_app
from bot.adapters.slack.chat import SlackChat, make_client
from bot.adapters.slack.server import bound_port, start_http
from bot.container import Core, Storage, build_core
from bot.core.model.clock import ManualClock
from bot.core.model.crisis import Actor
from bot.core.plan.model import LoadedPlan
from bot.core.service import CrisisService
from bot.frameworks import JinjaDraftRenderer
from bot.storage.engine import create_async_db_engine
from bot.storage.repository import SqlCrisisRepository
from tests.adapters.slack.harness import BOT_TOKEN, SIGNING_SECRET, SlackClientSim, seed_workspace
from tests.fakes import FakeSlack, record


@dataclass
class SlackRig:
    fake: FakeSlack
    slack: SlackClientSim
    core: Core
    chat: SlackChat
    handlers: SlackHandlers
    runner: web.AppRunner
    waits: list[float]  # what the retry handlers waited (recorded, not slept)

    @property
    def service(self) -> CrisisService:
        return self.core.service

    @property
    def repo(self) -> SqlCrisisRepository:
        return self.core.store.crises

    async def drain(self) -> None:
        """Wait until the app has finished the work of every request sent so far."""
        await self.handlers.drain()

    def base_actor(self, slack_user: str) -> Actor:
        """The actor the app would see for this Slack user (for steps a test runs on the service)."""
        person = self.chat.person_for(slack_user)
        name = self.service.plan.person_name(person) if person else slack_user
        return Actor(platform_id=slack_user, name=name, person_id=person)


@pytest.fixture
async def fake(loaded_plan: LoadedPlan) -> AsyncIterator[FakeSlack]:
    async with FakeSlack(valid_tokens=(BOT_TOKEN,)) as server:
        seed_workspace(server, loaded_plan)
        yield server


@pytest.fixture
async def store(sqlite_url: str) -> AsyncIterator[Storage]:
    """The Slack tests exercise the adapter; the service's SQL paths are covered on both backends elsewhere."""
    engine = create_async_db_engine(sqlite_url)
    yield Storage.on(engine)
    await engine.dispose()


@pytest.fixture
def slack_timeout() -> float:
    """How long the app waits for one Web API call (tests of hung calls make it short)."""
    return 5.0


@pytest.fixture
async def rig(
    fake: FakeSlack,
    loaded_plan: LoadedPlan,
    store: Storage,
    clock: ManualClock,
    renderer: JinjaDraftRenderer,
    slack_timeout: float,
) -> AsyncIterator[SlackRig]:
    waits: list[float] = []
    client = make_client(BOT_TOKEN, fake.base_url, sleep=record(waits), timeout=slack_timeout)
    chat = SlackChat(client, loaded_plan.plan)
    core = build_core(loaded_plan, store, chat, renderer, clock)
    bolt, handlers = build_app(core.service, chat, SIGNING_SECRET, store.events, clock)
    runner = await start_http(bolt, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{bound_port(runner)}/slack/events"
    async with aiohttp.ClientSession() as session:
        sim = SlackClientSim(url, fake, session, settle=handlers.drain)
        yield SlackRig(fake, sim, core, chat, handlers, runner, waits)
    await handlers.drain()
    await runner.cleanup()
