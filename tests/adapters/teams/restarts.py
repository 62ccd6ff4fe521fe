"""Another process on the same database, for tests of a declaration resumed after the first
process failed: what it finds must come from the database and Microsoft, not from memory."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from bot.adapters.teams.bot import TeamsBot
from bot.container import Core, Storage, build_core
from bot.core.model.clock import ManualClock
from bot.core.model.crisis import Crisis
from bot.core.plan.model import LoadedPlan
from bot.core.ports import ChatPort
from bot.frameworks import JinjaDraftRenderer
from tests.adapters.teams.conftest import TeamsRig, config_for


@contextlib.asynccontextmanager
async def restarted(
    rig: TeamsRig, teams_loaded: LoadedPlan, store: Storage, clock: ManualClock, renderer: JinjaDraftRenderer
) -> AsyncIterator[TeamsBot]:
    """Another process on the same database, started after the first one failed, to which Teams
    has said nothing yet."""

    def build(chat: ChatPort) -> Core:
        return build_core(teams_loaded, store, chat, renderer, clock)

    bot = TeamsBot.build(config_for(rig.ms), teams_loaded.plan, build, store.addresses("teams"), timeout=120.0)
    await bot.start(deadline=None)
    try:
        yield bot
    finally:
        await bot.aclose()


async def resume(bot: TeamsBot, clock: ManualClock) -> Crisis:
    clock.advance(minutes=1)  # past the failed step's retry delay
    await bot.core.scheduler.tick()
    await bot.drain()
    [crisis] = await bot.core.service.crises()
    return crisis
