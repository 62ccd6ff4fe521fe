"""Teams says where to reach it only in the activities it sends: a restarted process (or another
replica) that has heard nothing yet still pages people, from what the database kept."""

from __future__ import annotations

from bot.adapters.teams.bot import TeamsBot
from bot.container import Core, Storage, build_core
from bot.core.model.clock import ManualClock
from bot.core.plan.model import LoadedPlan
from bot.core.ports import ChatPort
from bot.frameworks import JinjaDraftRenderer
from tests.adapters.teams.conftest import TeamsRig, config_for


async def test_a_restarted_process_pages_with_what_teams_told_the_one_before(
    rig: TeamsRig, teams_loaded: LoadedPlan, store: Storage, clock: ManualClock, renderer: JinjaDraftRenderer
) -> None:
    await rig.teams.say("crisis start complaint sev3 Delivery delays", by="amelie")
    [crisis] = await rig.core.service.crises()
    paged_first = {s.conversation for s in rig.ms.state.sent if s.conversation.startswith("a:personal-")}
    assert paged_first, "the declaration paged people in 1:1 chats"
    before = len(rig.ms.state.sent)

    def build(chat: ChatPort) -> Core:
        return build_core(teams_loaded, store, chat, renderer, clock)

    # a new process on the same database; Teams sends it nothing before the page is due
    restarted = TeamsBot.build(config_for(rig.ms), teams_loaded.plan, build, store.addresses("teams"), timeout=120.0)
    await restarted.start(deadline=None)
    try:
        timeout = teams_loaded.plan.severities[crisis.severity_id].ack_timeout_minutes
        clock.advance(minutes=timeout + 1)
        await restarted.core.scheduler.tick()
        await restarted.drain()
    finally:
        await restarted.aclose()

    paged_next = {s.conversation for s in rig.ms.state.sent[before:] if s.conversation.startswith("a:personal-")}
    assert paged_next, "the page climbed: the next people got their 1:1 message"
