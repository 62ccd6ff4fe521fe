"""Noticing: a scripted burst on a manual clock raises one "Possible crisis" card with the right
figures; Watch, Dismiss and Declare each act once; two replicas ticking together post one card.
The real use cases on a real database (SQLite, and PostgreSQL when it answers), the console as chat."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.console.workspace import ConsoleChat, ConsoleWorkspace
from bot.container import Core, Storage, build_core
from bot.core.messaging.message import Actions, Form, Message
from bot.core.model.actions import Action, FormKind
from bot.core.model.alerts import AlertStatus
from bot.core.model.clock import ManualClock
from bot.core.model.events import EventKind, Evidence
from bot.core.plan.model import LoadedPlan
from bot.frameworks import JinjaDraftRenderer
from bot.storage.engine import create_async_db_engine
from tests.adapters.http.intake_support import mention
from tests.conftest import CoreFactory, person, workspace

CHANNEL = "social-monitoring"


def parcel(n: int, **fields: Any) -> dict[str, Any]:
    return mention(f"p{n}", text=f"Where is my parcel #{n}? Still waiting", **fields)


async def burst(core: Core, clock: ManualClock, count: int, start: int = 0, every: float = 10) -> None:
    """``count`` mentions about deliveries, one every ``every`` seconds."""
    for n in range(start, start + count):
        await core.service.take_in("generic", parcel(n, metrics={"reach": 100 * n}))
        clock.advance(seconds=every)


async def baseline(core: Core, clock: ManualClock) -> None:
    """One delivery mention an hour for a day: the topic's usual rate."""
    for hour in range(24):
        await core.service.take_in("generic", mention(f"b{hour}", text="parcel arrived, thanks"))
        clock.advance(hours=1)


def cards(ws: ConsoleWorkspace) -> list[Message]:
    channel = ws.channel(CHANNEL)
    return [p.message for p in channel.posts] if channel else []


def button(message: Message, action: Action) -> tuple[str, str]:
    for block in message.blocks:
        if isinstance(block, Actions):
            for b in block.buttons:
                if b.action is action:
                    return b.action.value, b.value
    raise AssertionError(f"no {action} button in {message.plain_text()}")


async def test_a_burst_posts_one_card_with_the_right_figures(
    make_core: CoreFactory, ws: ConsoleWorkspace, clock: ManualClock
) -> None:
    core = make_core(ConsoleChat(ws))
    await baseline(core, clock)
    await burst(core, clock, 29)
    await core.cases.alerts.tick()
    assert cards(ws) == []  # 29 is under the floor of 30
    await burst(core, clock, 1, start=29)
    await core.scheduler.tick()
    [card] = cards(ws)
    shown = card.plain_text()
    assert "Possible crisis: Late and lost deliveries" in shown
    assert "30 mentions in the last 10 min (3.0/min): 180x its usual 0.02/min" in shown
    assert "@jane (https://x.com/jane/status/p29) on x · reach 2,900: “Where is my parcel #29? Still waiting”" in shown
    assert "Suggested scenario: Customer complaint" in shown
    assert "Suggested severity: SEV3" in shown
    assert "Declare | Watch (30 min) | Dismiss" in shown
    sparkline = next(line for line in shown.splitlines() if "mentions, last 30 min" in line)
    assert sparkline.startswith("▁")
    assert "█" in sparkline
    await burst(core, clock, 40, start=30, every=1)  # the spike goes on: no second card
    for _ in range(3):
        await core.cases.alerts.tick()
    assert len(cards(ws)) == 1


async def test_two_replicas_ticking_together_post_one_card(
    loaded_plan: LoadedPlan, renderer: JinjaDraftRenderer, db_url: str, engine: AsyncEngine, clock: ManualClock
) -> None:
    ws = workspace(loaded_plan)
    other = create_async_db_engine(db_url)
    try:
        replicas = [
            build_core(loaded_plan, Storage.on(e), ConsoleChat(ws), renderer, clock, f"replica-{i}")
            for i, e in enumerate((engine, other))
        ]
        await burst(replicas[0], clock, 35, every=5)
        await asyncio.gather(*(r.cases.alerts.tick() for r in replicas for _ in range(3)))
    finally:
        await other.dispose()
    assert len(cards(ws)) == 1
    async with engine.connect() as db:
        assert (await db.execute(text("SELECT count(*) FROM listening_alert"))).scalar_one() == 1


async def test_declare_opens_the_form_pre_filled_and_attaches_the_evidence(
    make_core: CoreFactory, ws: ConsoleWorkspace, clock: ManualClock, loaded_plan: LoadedPlan
) -> None:
    core = make_core(ConsoleChat(ws))
    await burst(core, clock, 30)
    await core.cases.alerts.tick()
    amelie = person(loaded_plan, "amelie")
    card = cards(ws)[0]
    answer = await core.service.press(*button(card, Action.ALERT_DECLARE), amelie)
    form = answer.form
    assert isinstance(form, Form)
    assert form.kind is FormKind.DECLARE
    initial = {f.key: f.initial for f in form.fields}
    assert initial["scenario"] == "complaint"
    assert initial["severity"] == "sev3"
    assert initial["title"] == "Late and lost deliveries: 30 mentions"
    assert initial["source"] == "https://x.com/jane/status/p29"
    assert "From ALERT-1." in (initial["details"] or "")
    values = {k: v or "" for k, v in initial.items()}
    await core.service.submit(form.kind, form.payload, values, amelie)
    alert = await core.store.alerts.get(1)
    assert alert is not None
    assert alert.status is AlertStatus.DECLARED
    assert alert.crisis_number is not None
    events = await core.store.crises.timeline(alert.crisis_number)
    evidence = [e for e in events if e.kind is EventKind.EVIDENCE]
    assert len(evidence) == 5
    assert all(isinstance(e.data, Evidence) and len(e.data.content_hash or "") == 64 for e in evidence)
    assert "declared CRISIS-" in cards(ws)[0].plain_text()  # the card lost its buttons
    again = await core.service.press(*button(card, Action.ALERT_WATCH), amelie)  # an old copy of the card
    assert "ALERT-1 was already declared by Amélie Laurent" in again.plain_text()


async def test_dismiss_asks_why_keeps_it_and_the_same_spike_stays_quiet(
    make_core: CoreFactory, ws: ConsoleWorkspace, clock: ManualClock, loaded_plan: LoadedPlan, engine: AsyncEngine
) -> None:
    core = make_core(ConsoleChat(ws))
    await burst(core, clock, 30)
    await core.cases.alerts.tick()
    amelie = person(loaded_plan, "amelie")
    asked = await core.service.press(*button(cards(ws)[0], Action.ALERT_DISMISS), amelie)
    assert asked.form is not None
    empty = await core.service.submit(asked.form.kind, asked.form.payload, {"reason": " "}, amelie)
    assert "Say why" in empty.plain_text()
    await core.service.submit(asked.form.kind, asked.form.payload, {"reason": "A carrier strike, known"}, amelie)
    async with engine.connect() as db:
        row = (await db.execute(text("SELECT status, dismiss_reason FROM listening_alert"))).one()
    assert tuple(row) == ("dismissed", "A carrier strike, known")
    await burst(core, clock, 10, start=30, every=1)
    await core.cases.alerts.tick()
    assert len(cards(ws)) == 1  # the same spike, dismissed: no new card
    clock.advance(hours=2)
    await core.cases.alerts.tick()  # the spike is over
    await burst(core, clock, 30, start=100)
    await core.cases.alerts.tick()
    assert len(cards(ws)) == 2  # a new spike is a new alert


async def test_watch_reminds_once_after_the_plans_minutes(
    make_core: CoreFactory, ws: ConsoleWorkspace, clock: ManualClock, loaded_plan: LoadedPlan
) -> None:
    core = make_core(ConsoleChat(ws))
    await burst(core, clock, 30)
    await core.cases.alerts.tick()
    reply = await core.service.press(*button(cards(ws)[0], Action.ALERT_WATCH), person(loaded_plan, "amelie"))
    assert "reminder comes here in 30 minutes" in reply.plain_text()
    clock.advance(minutes=29)
    await core.cases.alerts.tick()
    assert len(cards(ws)) == 1
    clock.advance(minutes=1)
    await core.cases.alerts.tick()
    await core.cases.alerts.tick()
    assert len(cards(ws)) == 2
    assert cards(ws)[1].plain_text().startswith("Still watching: Late and lost deliveries")


async def test_a_viral_post_is_one_card_however_often_it_is_sent(
    make_core: CoreFactory, ws: ConsoleWorkspace, clock: ManualClock
) -> None:
    core = make_core(ConsoleChat(ws))
    journalist = {"handle": "@journalist", "name": "A Journalist", "followers": 180_000, "verified": True}
    post = mention("v1", text="Readers say Maison Lumen lamps <!channel> caught fire", author=journalist)
    for _ in range(3):
        await core.service.take_in("generic", post)
        await core.cases.alerts.tick()
    [card] = cards(ws)
    shown = card.plain_text()
    assert "Possible crisis: Lamp safety" in shown
    assert "One post matters on its own: a verified author." in shown
    assert "Suggested severity: SEV2" in shown
    assert "<!channel>" in shown  # kept as the person's plain text; adapters escape it
