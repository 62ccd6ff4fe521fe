"""During a crisis: the war room gets a digest of what the public says at most once a minute, and
a viral post proposes escalation with a button that honours the plan's permissions."""

from __future__ import annotations

import json

from bot.adapters.console.workspace import ConsoleChat, ConsoleWorkspace
from bot.container import Core
from bot.core.commands import ResolveCommand, StartCommand
from bot.core.messaging.message import Message
from bot.core.model.actions import Action
from bot.core.model.clock import ManualClock
from bot.core.model.crisis import Actor, Crisis, Invocation
from bot.core.model.events import EventKind
from bot.core.plan.model import LoadedPlan
from tests.adapters.http.intake_support import mention
from tests.conftest import CoreFactory, person
from tests.core.listening.test_alerts import button


async def declared(core: Core, loaded_plan: LoadedPlan) -> Crisis:
    return await core.service.start(StartCommand("complaint", "sev3", "Parcels stuck"), person(loaded_plan, "amelie"))


def room_posts(ws: ConsoleWorkspace, crisis: Crisis) -> list[Message]:
    assert crisis.room is not None
    return [p.message for p in ws.channels[crisis.room.id].posts]


def digests(ws: ConsoleWorkspace, crisis: Crisis) -> list[str]:
    return [m.plain_text() for m in room_posts(ws, crisis) if m.summary.startswith("Mentions:")]


async def test_the_digest_comes_at_most_once_a_minute_and_only_with_news(
    make_core: CoreFactory, ws: ConsoleWorkspace, clock: ManualClock, loaded_plan: LoadedPlan
) -> None:
    core = make_core(ConsoleChat(ws))
    crisis = await declared(core, loaded_plan)
    clock.advance(seconds=20)
    for n in range(10):
        await core.service.take_in("generic", mention(f"d{n}", text=f"parcel {n} lost", metrics={"reach": n * 10}))
    await core.cases.alerts.tick()
    assert digests(ws, crisis) == []  # seen a moment ago: the next digest's, once committed everywhere
    clock.advance(seconds=10)
    await core.cases.alerts.tick()
    [first] = digests(ws, crisis)
    assert first.startswith("Mentions: 10 new in the last 0 min (21.4/min)")
    assert "reach 90" in first.splitlines()[1]
    for n in range(10, 15):
        await core.service.take_in("generic", mention(f"d{n}", text=f"parcel {n} lost"))
    clock.advance(seconds=30)
    await core.cases.alerts.tick()
    assert len(digests(ws, crisis)) == 1  # not a minute yet
    clock.advance(seconds=30)
    await core.cases.alerts.tick()
    await core.cases.alerts.tick()
    assert len(digests(ws, crisis)) == 2
    assert digests(ws, crisis)[1].startswith("Mentions: 5 new in the last 1 min (5.0/min)")
    clock.advance(minutes=5)
    await core.cases.alerts.tick()  # nothing new: nothing posted
    assert len(digests(ws, crisis)) == 2


async def test_a_viral_post_proposes_escalation_and_the_decision_goes_to_the_timeline(
    make_core: CoreFactory, ws: ConsoleWorkspace, clock: ManualClock, loaded_plan: LoadedPlan
) -> None:
    core = make_core(ConsoleChat(ws))
    crisis = await declared(core, loaded_plan)
    journalist = {"handle": "@journalist", "name": "J", "followers": 180_000, "verified": True}
    await core.service.take_in("generic", mention("j1", text="Maison Lumen: my parcel vanished", author=journalist))
    await core.cases.alerts.tick()
    [proposal] = [m for m in room_posts(ws, crisis) if "escalate to" in m.summary]
    assert proposal.summary == "A post by @journalist (verified, 180,000 followers) mentions us: escalate to SEV2?"
    assert ws.channel("social-monitoring") is None  # during the crisis, no possible-crisis card
    stranger = Actor(platform_id="U0STRANGER", name="Stranger")
    refused = await core.service.press(*button(proposal, Action.ALERT_ESCALATE), stranger)
    assert (await core.service.find(crisis.number, None)).severity_id == "sev3"
    assert "You are not in Maison Lumen's crisis plan" in refused.plain_text()
    alert = await core.store.alerts.get(1)
    assert alert is not None
    assert alert.status.value == "posted"  # still open: a refused click decides nothing
    await core.service.press(*button(proposal, Action.ALERT_ESCALATE), person(loaded_plan, "amelie"))
    assert (await core.service.find(crisis.number, None)).severity_id == "sev2"
    kinds = [e.kind for e in await core.store.crises.timeline(crisis.number)]
    assert kinds.index(EventKind.ESCALATION_PROPOSED) < kinds.index(EventKind.ESCALATED)
    alert = await core.store.alerts.get(1)
    assert alert is not None
    assert alert.status.value == "escalated"
    again = await core.service.press(*button(proposal, Action.ALERT_ESCALATE), person(loaded_plan, "amelie"))
    assert (await core.service.find(crisis.number, None)).severity_id == "sev2"
    assert "SEV2" in again.plain_text()


async def test_the_export_says_how_loud_it_got_and_how_early_we_knew(
    make_core: CoreFactory, ws: ConsoleWorkspace, clock: ManualClock, loaded_plan: LoadedPlan
) -> None:
    core = make_core(ConsoleChat(ws))
    for n in range(12):  # the first complaints, ten minutes before anyone declares
        await core.service.take_in("generic", mention(f"e{n}", text=f"parcel {n} lost", metrics={"reach": n}))
        clock.advance(seconds=50)
    crisis = await declared(core, loaded_plan)
    report = json.loads(await core.service.export(crisis, "json"))["mentions"]
    assert report["topics"] == ["delivery"]
    assert report["total"] == 12
    assert report["known_early_by_seconds"] == 600
    assert report["peak_per_minute"] > 0
    assert sum(v["mentions"] for v in report["volume"]) == 12
    top = report["top_posts"][0]
    assert (top["post_id"], top["reach"], len(top["content_hash"])) == ("e11", 11, 64)
    markdown = await core.service.export(crisis, "md")
    assert "## Mentions" in markdown, markdown[-3000:]
    section = markdown[markdown.index("## Mentions") :]
    assert "First matching mention: 2026-11-25T09:00:00Z (10m 00s before the declaration)" in section, section


async def test_the_end_of_incident_summary_says_what_listening_heard(
    make_core: CoreFactory, ws: ConsoleWorkspace, clock: ManualClock, loaded_plan: LoadedPlan
) -> None:
    core = make_core(ConsoleChat(ws))
    for n in range(6):
        await core.service.take_in("generic", mention(f"r{n}", text=f"parcel {n} lost"))
        clock.advance(minutes=1)
    crisis = await declared(core, loaded_plan)
    clock.advance(minutes=30)
    inv = Invocation(actor=person(loaded_plan, "amelie"), text="resolve", channel_id=None)
    await core.service.resolve(ResolveCommand(crisis.number, "Carrier found the pallet"), inv)
    summary = next(m.plain_text() for m in room_posts(ws, crisis) if "resolved" in m.summary)
    assert "6 mentions of delivery, peak" in summary
    assert "the first matching mention came 6m 00s before the declaration" in summary
