"""Two replicas (each its own engine and server) taking the same mentions at the same moment: each
post is stored once with one first version, and every mention is answered accepted or duplicate."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.console.workspace import ConsoleChat
from bot.container import Storage, build_core
from bot.core.model.clock import ManualClock
from bot.core.plan.model import LoadedPlan
from bot.frameworks import JinjaDraftRenderer
from bot.storage.engine import create_async_db_engine
from tests.adapters.http.intake_support import mention, running_intake
from tests.conftest import workspace


@pytest.fixture
async def second_engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_db_engine(db_url)
    yield engine
    await engine.dispose()


async def test_the_same_burst_on_two_replicas_is_stored_once(
    loaded_plan: LoadedPlan,
    renderer: JinjaDraftRenderer,
    engine: AsyncEngine,
    second_engine: AsyncEngine,
    clock: ManualClock,
) -> None:
    replicas = [
        build_core(loaded_plan, Storage.on(e), ConsoleChat(workspace(loaded_plan)), renderer, clock, f"r{i}")
        for i, e in enumerate((engine, second_engine))
    ]
    burst = [{"mentions": [mention(f"{b}-{i}") for i in range(50)]} for b in range(4)]
    async with running_intake(replicas[0].service) as one, running_intake(replicas[1].service) as two:
        answers = await asyncio.gather(*(client.send(body) for body in burst for client in (one, two)))
    assert {status for status, _ in answers} == {200}
    assert sum(a["accepted"] for _, a in answers) == 200
    assert sum(a["duplicates"] for _, a in answers) == 200
    async with engine.connect() as db:
        mentions = (await db.execute(text("SELECT count(*) FROM mention"))).scalar_one()
        versions = (await db.execute(text("SELECT count(*) FROM mention_version"))).scalar_one()
    assert (mentions, versions) == (200, 200)
