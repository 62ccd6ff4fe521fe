from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from bot.adapters.http import server as http
from bot.adapters.teams.bot import TeamsBot, TeamsConfig
from bot.adapters.teams.sdk import cloud_of
from bot.container import Core, Storage, build_core
from bot.core.model.clock import ManualClock
from bot.core.plan.model import LoadedPlan, TeamsWarRoom
from bot.core.ports import ChatPort
from bot.frameworks import JinjaDraftRenderer
from bot.storage.engine import create_async_db_engine
from tests.adapters.teams.harness import TeamsSim, seed_tenant, teams_plan
from tests.fakes import record
from tests.fakes.microsoft import APP_ID, APP_PASSWORD, TENANT_ID, FakeMicrosoft


@dataclass
class TeamsRig:
    ms: FakeMicrosoft
    bot: TeamsBot
    teams: TeamsSim
    runner: web.AppRunner
    waits: list[float]

    @property
    def core(self) -> Core:
        return self.bot.core


@pytest.fixture
def ms() -> Iterator[FakeMicrosoft]:
    with FakeMicrosoft() as fake:
        yield fake


@pytest.fixture
def war_room_kind() -> TeamsWarRoom:
    """The plan's ``teams.war_room`` (a test parametrizes it to try another kind)."""
    return TeamsWarRoom.STANDARD_CHANNEL


@pytest.fixture
def teams_loaded(loaded_plan: LoadedPlan, war_room_kind: TeamsWarRoom) -> LoadedPlan:
    return teams_plan(loaded_plan, war_room_kind)


@pytest.fixture
async def store(sqlite_url: str) -> AsyncIterator[Storage]:
    engine = create_async_db_engine(sqlite_url)
    yield Storage.on(engine)
    await engine.dispose()


def config_for(ms: FakeMicrosoft) -> TeamsConfig:
    return TeamsConfig(APP_ID, APP_PASSWORD, TENANT_ID, cloud_of("Public", ms.login_url, ms.openid_url, ms.graph_url))


@pytest.fixture
async def rig(
    ms: FakeMicrosoft, teams_loaded: LoadedPlan, store: Storage, clock: ManualClock, renderer: JinjaDraftRenderer
) -> AsyncIterator[TeamsRig]:
    seed_tenant(ms, teams_loaded)
    waits: list[float] = []

    def build(chat: ChatPort) -> Core:
        return build_core(teams_loaded, store, chat, renderer, clock)

    # the limits that guard against hangs in production are set far off: a starved test machine
    # must not turn a slow answer into a different outcome (the deadline has tests of its own)
    book = store.addresses("teams")
    bot = TeamsBot.build(config_for(ms), teams_loaded.plan, build, book, sleep=record(waits), timeout=120.0)
    runner = await http.start(http.build(await bot.start(deadline=None)), "127.0.0.1", 0)
    url = f"http://127.0.0.1:{http.bound_port(runner)}/api/messages"
    try:
        async with aiohttp.ClientSession() as session:
            sim = TeamsSim(ms, url, session, teams_loaded.plan, bot.drain)
            yield TeamsRig(ms, bot, sim, runner, waits)
    finally:
        await runner.cleanup()
        await bot.aclose()
