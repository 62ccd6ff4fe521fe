"""A slow Bot Framework key server never delays Slack: keys are fetched in a worker thread, and a
token validated meanwhile uses the keys already held (the SDK's own client would block the loop)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.adapters.http import server as http
from bot.adapters.slack.app import build_app
from bot.adapters.slack.chat import SlackChat, make_client
from bot.adapters.slack.server import events_endpoint
from bot.container import Storage, build_core
from bot.core.model.clock import ManualClock
from bot.core.plan.model import LoadedPlan
from bot.frameworks import JinjaDraftRenderer
from tests.adapters.slack.harness import BOT_TOKEN, SIGNING_SECRET, SlackClientSim, seed_workspace
from tests.adapters.teams.conftest import TeamsRig
from tests.fakes import FakeSlack


@pytest.fixture
async def slack_beside(
    rig: TeamsRig, loaded_plan: LoadedPlan, store: Storage, renderer: JinjaDraftRenderer, clock: ManualClock
) -> AsyncIterator[SlackClientSim]:
    """Slack's endpoint on the same loop and server as Teams' (one process, one port)."""
    async with FakeSlack(valid_tokens=(BOT_TOKEN,)) as fake:
        seed_workspace(fake, loaded_plan)
        chat = SlackChat(make_client(BOT_TOKEN, fake.base_url), loaded_plan.plan)
        core = build_core(loaded_plan, store, chat, renderer, clock)
        bolt, handlers = build_app(core.service, chat, SIGNING_SECRET, store.events, clock)
        application = http.build([events_endpoint(bolt), *rig.bot.endpoints])
        runner = await http.start(application, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{http.bound_port(runner)}/slack/events"
        try:
            async with aiohttp.ClientSession() as session:
                yield SlackClientSim(url, fake, session)  # no drain: the ack's own time is measured
        finally:
            await handlers.drain()
            await runner.cleanup()
            await chat.aclose()


async def held_refresh(rig: TeamsRig) -> asyncio.Future[bool]:
    """The periodic refresh, started now, with the key server holding its answer until released."""
    rig.ms.keys_gate.clear()
    rig.ms.key_fetch_started.clear()
    refresh = asyncio.ensure_future(rig.bot.keys.load_once())
    assert await asyncio.to_thread(rig.ms.key_fetch_started.wait, 120)
    return refresh


async def test_a_slow_key_server_does_not_delay_a_slack_ack(rig: TeamsRig, slack_beside: SlackClientSim) -> None:
    refresh = await held_refresh(rig)
    status, _, _ = await slack_beside.command("help")
    assert status == 200
    # Slack was answered while the key server still held its answer: had the fetch run on the
    # loop, the ack could only have come after it
    assert not refresh.done()
    rig.ms.keys_gate.set()
    assert await refresh
    assert rig.ms.key_fetches == 2


async def test_a_teams_request_during_a_slow_refresh_uses_the_held_keys(rig: TeamsRig) -> None:
    refresh = await held_refresh(rig)
    assert await rig.teams.say("crisis help", by="amelie") == 200
    assert len(rig.ms.state.sent) == 1
    assert not refresh.done()
    rig.ms.keys_gate.set()
    assert await refresh


async def test_a_key_server_that_fails_keeps_the_keys_held(rig: TeamsRig) -> None:
    rig.ms.stop()  # nobody answers any more
    assert await rig.bot.keys.load_once() is False
    assert rig.bot.keys.keys.loaded
