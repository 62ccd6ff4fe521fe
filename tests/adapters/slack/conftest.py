from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from bot.adapters.slack.chat import SlackChat, make_client
from bot.adapters.slack.server import bound_port, start_http
from bot.container import Storage
from bot.container import service as build_service
from bot.core.clock import ManualClock
from bot.core.models import Actor
from bot.core.plan import LoadedPlan
from bot.core.service import CrisisService
from bot.rendering import load_library
from bot.storage.drafts import SqlDraftRepository
from bot.storage.engine import create_async_db_engine
from bot.storage.events import SqlProcessedEvents
from bot.storage.pages import SqlPageRepository
from bot.storage.repository import SqlCrisisRepository
from tests.adapters.slack.harness import BOT_TOKEN, SIGNING_SECRET, SlackClientSim, seed_workspace
from tests.conftest import ROOT
from tests.fakes import FakeSlack


@dataclass
class SlackRig:
    fake: FakeSlack
    slack: SlackClientSim
    service: CrisisService
    chat: SlackChat
    runner: web.AppRunner

    def base_actor(self, slack_user: str) -> Actor:
        """The actor the app would see for this Slack user (for steps a test runs on the service)."""
        person = self.chat.person_for(slack_user)
        name = self.service.plan.people[person].name if person else slack_user
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
    yield Storage(
        SqlCrisisRepository(engine), SqlDraftRepository(engine), SqlPageRepository(engine), SqlProcessedEvents(engine)
    )
    await engine.dispose()


@pytest.fixture
async def rig(fake: FakeSlack, loaded_plan: LoadedPlan, store: Storage, clock: ManualClock) -> AsyncIterator[SlackRig]:
    from bot.adapters.slack.app import build_app

    renderer, problems = load_library(ROOT / "message_frameworks")
    assert problems == []
    chat = SlackChat(make_client(BOT_TOKEN, fake.base_url), loaded_plan.plan)
    service = build_service(loaded_plan, store, chat, clock, renderer)
    runner = await start_http(build_app(service, chat, SIGNING_SECRET, store.events), "127.0.0.1", 0)
    url = f"http://127.0.0.1:{bound_port(runner)}/slack/events"
    async with aiohttp.ClientSession() as session:
        yield SlackRig(fake, SlackClientSim(url, fake, session), service, chat, runner)
    await runner.cleanup()
