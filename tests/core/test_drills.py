"""Drills in the core, on a manual clock: labelled messages, injects that depend on what the team
did, pause and resume, and an exact scorecard. The complaint script (playbooks/drills) runs at
speed 6, so one real minute is six drill minutes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.adapters.console.workspace import ConsoleChat, ConsoleWorkspace
from bot.container import Core
from bot.core.model.clock import ManualClock
from bot.core.model.crisis import Crisis, Invocation
from bot.core.model.events import EventKind
from bot.core.model.injects import InjectStatus
from bot.core.plan.model import LoadedPlan
from tests.conftest import CoreFactory, person, workspace

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def start(core: Core, loaded_plan: LoadedPlan) -> Crisis:
    amelie = person(loaded_plan, "amelie")
    reply = await core.service.handle(Invocation(actor=amelie, text="drill --script complaint --speed 6"))
    assert "Drill CRISIS-0001 started: A cracked shade goes viral" in reply.plain_text()
    crisis = await core.store.crises.get(1)
    assert crisis is not None
    return crisis


async def at_drill_minute(core: Core, clock: ManualClock, crisis: Crisis, minute: float) -> None:
    """Move the clock to ``minute`` of the drill (speed 6) and let the scheduler tick."""
    assert crisis.drill is not None
    clock.set(crisis.drill.started_at + timedelta(minutes=minute) / 6)
    await core.scheduler.tick()


async def say(core: Core, loaded_plan: LoadedPlan, who: str, text: str, room: str) -> str:
    reply = await core.service.handle(Invocation(actor=person(loaded_plan, who), text=text, channel_id=room))
    return reply.plain_text()


@SQLITE
async def test_every_message_of_a_drill_says_drill(core: Core, ws: ConsoleWorkspace, loaded_plan: LoadedPlan) -> None:
    crisis = await start(core, loaded_plan)
    assert crisis.room_name.startswith("drill-")
    posts = [p.message for p in ws.channels[crisis.room_name].posts]
    dms = [p.message for messages in ws.direct.values() for p in messages]
    assert posts
    assert dms, "the drill's people are paged"
    for message in (*posts, *dms):
        assert message.summary.startswith("DRILL: "), message.summary
        assert "DRILL" in message.plain_text()
    assert "crisis-announcements" not in ws.channels, "no drill in the real announcements"
    assert set(ws.direct) <= set(crisis.people), "nobody outside the drill's people is paged"


@SQLITE
async def test_injects_follow_what_the_team_does(
    core: Core, ws: ConsoleWorkspace, loaded_plan: LoadedPlan, clock: ManualClock
) -> None:
    crisis = await start(core, loaded_plan)
    room = crisis.room_name
    await at_drill_minute(core, clock, crisis, 1)
    assert any("SIMULATED POST on x" in p.message.plain_text() for p in ws.channels[room].posts)

    await say(core, loaded_plan, "sofia", "ack", room)
    await say(core, loaded_plan, "sofia", 'draft customer_handle=@claire_b what_went_wrong="a cracked shade"', room)
    drafts = core.cases.drafts
    await drafts.edit(1, person(loaded_plan, "sofia"), text="@claire_b So sorry, a new lamp ships today. – Sofia")
    await drafts.submit(1, person(loaded_plan, "sofia"))  # sev3: no approval needed, ready at once
    await drafts.publish(1, person(loaded_plan, "sofia"), "https://x.example/maisonlumen/1")

    await at_drill_minute(core, clock, crisis, 25)
    injects = {i.position: i.status for i in await core.store.drills.injects_of(crisis.number)}
    assert injects[2] is InjectStatus.SKIPPED, "a reply was approved: the influencer does not pile on"
    assert injects[3] is InjectStatus.FIRED, "a reply went out: the customer thanks the brand"
    assert injects[4] is InjectStatus.FIRED
    texts = [p.message.plain_text() for p in ws.channels[room].posts]
    assert any("OK, thanks for answering" in t for t in texts)
    assert not any("How hard is it to say" in t for t in texts)
    assert any("made up for the drill, not real" in t for t in texts)

    await core.scheduler.tick()  # nothing fires twice
    events = await core.store.crises.timeline(crisis.number)
    assert sum(e.kind is EventKind.DRILL_INJECT for e in events) == 4, "minutes 1, 8, 18 and 22"


@SQLITE
async def test_a_paused_drill_plays_nothing_and_resumes_later(
    core: Core, ws: ConsoleWorkspace, loaded_plan: LoadedPlan, clock: ManualClock
) -> None:
    crisis = await start(core, loaded_plan)
    room = crisis.room_name
    assert "paused" in await say(core, loaded_plan, "amelie", "drill pause", room)
    await at_drill_minute(core, clock, crisis, 10)  # one inject (minute 1) and a metric (8) would be due
    assert [i.status for i in await core.store.drills.injects_of(crisis.number)][:2] == [InjectStatus.PENDING] * 2
    assert "resumed" in await say(core, loaded_plan, "amelie", "drill resume", room)
    await core.scheduler.tick()
    assert [i.status for i in await core.store.drills.injects_of(crisis.number)][:2] == [InjectStatus.PENDING] * 2
    clock.advance(seconds=10)  # drill minute 1 after the resume
    await core.scheduler.tick()
    assert (await core.store.drills.injects_of(crisis.number))[0].status is InjectStatus.FIRED


@SQLITE
async def test_only_the_facilitator_or_a_lead_steers_it(core: Core, loaded_plan: LoadedPlan) -> None:
    crisis = await start(core, loaded_plan)
    refused = await say(core, loaded_plan, "jordan", "drill pause", crisis.room_name)
    assert "Only the facilitator (Amélie Laurent) or the crisis lead" in refused


@SQLITE
async def test_the_scorecard_is_exact(
    core: Core, ws: ConsoleWorkspace, loaded_plan: LoadedPlan, clock: ManualClock
) -> None:
    crisis = await start(core, loaded_plan)
    room = crisis.room_name
    await at_drill_minute(core, clock, crisis, 1)
    await at_drill_minute(core, clock, crisis, 3)
    await say(core, loaded_plan, "sofia", "ack", room)  # 3 drill minutes in
    await at_drill_minute(core, clock, crisis, 8)
    await at_drill_minute(core, clock, crisis, 12)
    await say(core, loaded_plan, "amelie", "escalate sev2 Influencers picking it up", room)
    await at_drill_minute(core, clock, crisis, 30)
    assert "ended" in await say(core, loaded_plan, "amelie", "drill end", room)
    card = next(p.message for p in ws.channels[room].posts if p.message.summary.startswith("DRILL: Drill scorecard"))
    text = card.plain_text()
    assert "Holding statement: not reached (target 15 min) ✗ missed" in text
    assert "War room ready: 0s (target 5 min) ✓ met" in text
    assert "First acknowledgement: 3m 00s (target 10 min) ✓ met" in text
    assert "Escalated to SEV2: 12m 00s (target 25 min) ✓ met" in text
    assert "Resolved: 30m 00s (target 90 min) ✓ met" in text
    assert "4/5 targets met" in text
    assert "min 1 · POST by @claire_b on x" in text
    assert "→ answered by Sofia Chen (acknowledged) after 2m 00s" in text
    assert "min 8 · Metric: Mentions of Maison Lumen up 400%" in text
    assert "→ answered by Amélie Laurent (escalated) after 4m 00s" in text
    assert "min 15 · POST by @lea_deco on x" in text, "nobody approved a reply: the influencer posted"
    assert "min 18 · not played (the team's actions made it moot): POST by @claire_b" in text
    assert "min 45 · not played (the drill ended first)" not in text, "no event: shown by its number"
    assert "inject 7" in text
    pending = [i.status for i in await core.store.drills.injects_of(crisis.number)]
    assert InjectStatus.PENDING not in pending, "an ended drill plays nothing more"


@pytest.mark.parametrize("db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_two_replicas_and_a_restart_play_each_inject_once(
    make_core: CoreFactory, loaded_plan: LoadedPlan, clock: ManualClock
) -> None:
    ws = workspace(loaded_plan)
    first = make_core(ConsoleChat(ws), replica="replica-a")
    reply = await first.service.handle(
        Invocation(actor=person(loaded_plan, "amelie"), text="drill --script complaint --speed 6")
    )
    assert "started" in reply.plain_text()
    crisis = await first.store.crises.get(1)
    assert crisis is not None
    assert crisis.drill is not None
    second = make_core(ConsoleChat(ws), replica="replica-b")
    restarted = make_core(ConsoleChat(ws), replica="replica-a")  # replica-a again, after a crash
    for minute in (1, 8, 15, 18, 22, 30, 45, 60):
        clock.set(crisis.drill.started_at + timedelta(minutes=minute) / 6)
        await asyncio.gather(first.scheduler.tick(), second.scheduler.tick(), restarted.scheduler.tick())
    events = await first.store.crises.timeline(crisis.number)
    played = [e for e in events if e.kind in (EventKind.DRILL_INJECT, EventKind.DRILL_INJECT_SKIPPED)]
    assert len(played) == 7, "every inject played or skipped, once"
    cards = [p for p in ws.channels[crisis.room_name].posts if p.message.summary.startswith("DRILL: SIMULATED")]
    assert len(cards) == sum(e.kind is EventKind.DRILL_INJECT for e in played)
    assert len({p.key for p in cards}) == len(cards)


@SQLITE
async def test_a_french_drill_drafts_in_french(core: Core, ws: ConsoleWorkspace, loaded_plan: LoadedPlan) -> None:
    amelie = person(loaded_plan, "amelie")
    await core.service.handle(Invocation(actor=amelie, text="drill --script reclamation_fr"))
    crisis = await core.store.crises.get(1)
    assert crisis is not None
    reply = await say(
        core,
        loaded_plan,
        "sofia",
        'draft customer_handle=@sandrine_l what_went_wrong="un colis perdu"',
        crisis.room_name,
    )
    assert "(FR)" in reply or "· FR" in reply
    [draft] = await core.store.drafts.drafts_of(crisis.number)
    assert draft.lang == "fr"
