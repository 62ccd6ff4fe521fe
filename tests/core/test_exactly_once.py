"""Every side effect of a declaration happens once: under concurrency, under a scheduler ticking
beside it, and when the declaring process dies at any point and another one takes over."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from bot.adapters.console.workspace import ConsoleChat, ConsoleWorkspace
from bot.container import Core, Storage, build_core
from bot.core.commands import StartCommand
from bot.core.crisis.declare import LEASE, QUEUED_PATIENCE
from bot.core.model.clock import ManualClock
from bot.core.model.crisis import Crisis, Invocation, RetryPolicy, StepStatus
from bot.core.model.events import EventKind
from bot.core.plan.model import LoadedPlan
from bot.core.ports import DraftRenderer
from bot.storage.engine import create_async_db_engine
from bot.storage.repository import SqlCrisisRepository
from tests.conftest import CoreFactory, person, workspace
from tests.fakes.killed import KilledChat, When

TITLE = "Late parcels"
STARTED = f"start complaint sev3 {TITLE}"  # sev3 complaint: pages the lead and the community manager
# every chat call of that declaration, in the order they are first made
KILL_POINTS = [
    ("create_room", 1),
    ("invite", 1),
    ("post", 1),  # the kickoff
    ("post", 2),  # the first page card
    ("post", 3),  # the second page card
    ("pin", 1),
    ("notify", 1),
    ("notify", 2),
    ("announce", 1),
    ("reply", 1),  # the declarer's final answer
]


def side_effects(ws: ConsoleWorkspace, crisis: Crisis) -> dict[str, object]:
    """What the workspace saw of one crisis, counted."""
    rooms = [name for name in ws.channels if name.startswith(crisis.room_name.rsplit("-", 1)[0])]
    room = ws.channels[crisis.room_name]
    kickoffs = [p for p in room.posts if p.message.summary.startswith(f"{crisis.key} declared")]
    return {
        "rooms": rooms,
        "kickoffs": len(kickoffs),
        "pinned": [p.pinned for p in kickoffs],
        "cards": Counter(p.message.summary for p in room.posts if p.message.summary.startswith("Paging ")),
        "dms": {pid: len(posts) for pid, posts in ws.direct.items()},
        "announcements": [p.message.summary for p in ws.channels["crisis-announcements"].posts],
    }


def expected(crisis: Crisis) -> dict[str, object]:
    return {
        "rooms": [crisis.room_name],
        "kickoffs": 1,
        "pinned": [True],
        "cards": Counter(
            {
                f"Paging Amélie Laurent (Crisis lead) for {crisis.key}": 1,
                f"Paging Sofia Chen (Community manager) for {crisis.key}": 1,
            }
        ),
        "dms": {"amelie": 1, "sofia": 1},
        "announcements": [f"{crisis.key} declared: {TITLE}"],
    }


async def once_each(core: Core, crisis: Crisis) -> Counter[EventKind]:
    events = await core.store.crises.timeline(crisis.number)
    return Counter(e.kind for e in events if e.kind is not EventKind.STEP_FAILED)


SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
# on PostgreSQL too, where the keys' unique constraints are told apart by their names: the points
# where the most is in flight
ON_POSTGRES = [("post", 1, "during"), ("notify", 2, "during"), ("announce", 1, "before"), ("reply", 1, "during")]


@SQLITE
@pytest.mark.parametrize("when", ["before", "during"])
@pytest.mark.parametrize(("call", "nth"), KILL_POINTS)
async def test_killed_at_any_point_the_restarted_replica_finishes_it_exactly_once(
    loaded_plan: LoadedPlan, make_core: CoreFactory, call: str, nth: int, when: When
) -> None:
    await killed_then_restarted(loaded_plan, make_core, call, nth, when)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
@pytest.mark.parametrize(("call", "nth", "when"), ON_POSTGRES)
async def test_killed_on_postgres_the_restarted_replica_finishes_it_exactly_once(
    loaded_plan: LoadedPlan, make_core: CoreFactory, call: str, nth: int, when: When
) -> None:
    await killed_then_restarted(loaded_plan, make_core, call, nth, when)


async def killed_then_restarted(
    loaded_plan: LoadedPlan, make_core: CoreFactory, call: str, nth: int, when: When
) -> None:
    ws = workspace(loaded_plan)
    dying = KilledChat(ws, at=call, nth=nth, when=when)
    first = make_core(dying, replica="replica-1")
    amelie = person(loaded_plan, "amelie")
    instant = await first.service.accept(Invocation(actor=amelie, text=STARTED), reply_to="amelie")
    assert instant is not None
    assert instant.crisis is not None, "stored before the acknowledgement"
    with pytest.raises(asyncio.CancelledError):
        await dying.run(first.service.declare_reserved(instant.crisis))
    assert dying.killed

    # restarted under the same replica name: it takes the dead process's work over at once
    restarted = make_core(ConsoleChat(ws), replica="replica-1")
    [crisis] = await restarted.service.resume_unfinished()
    assert [s.status for s in crisis.steps] == [StepStatus.DONE] * len(crisis.steps)
    assert side_effects(ws, crisis) == expected(crisis)
    events = await once_each(restarted, crisis)
    assert {k: events[k] for k in (EventKind.DECLARED, EventKind.WAR_ROOM_CREATED, EventKind.INVITED)} == dict.fromkeys(
        (EventKind.DECLARED, EventKind.WAR_ROOM_CREATED, EventKind.INVITED), 1
    )
    assert events[EventKind.KICKOFF_POSTED] == 1
    assert events[EventKind.ANNOUNCED] == 1
    assert events[EventKind.PAGED] == 2
    pages = await restarted.store.pages.pages_of(crisis.number)
    assert sorted(p.role_id for p in pages) == ["community_manager", "crisis_lead"]
    assert all(p.delivered == p.position == 0 for p in pages)
    answers = [m for address, m in ws.replies if address == "amelie"]
    # an answer cut off mid-call may have been given already: at least once, at most twice
    assert 1 <= len(answers) <= (2 if (call, when) == ("reply", "during") else 1)
    assert "CRISIS-0001 declared." in answers[-1].plain_text()
    assert await restarted.service.resume_unfinished() == []


@SQLITE
@pytest.mark.parametrize(("call", "nth"), [("post", 2), ("notify", 1)])
async def test_another_replica_pages_at_once_when_it_takes_a_dead_declaration_over(
    loaded_plan: LoadedPlan, make_core: CoreFactory, clock: ManualClock, call: str, nth: int
) -> None:
    """The dead declarer's page leases (a minute, to cover a slow delivery) must not hold the
    pages back once another replica owns the declaration: that is the dead one's work too."""
    ws = workspace(loaded_plan)
    dying = KilledChat(ws, at=call, nth=nth, when="before")
    first = make_core(dying, replica="replica-1")
    instant = await first.service.accept(Invocation(actor=person(loaded_plan, "amelie"), text=STARTED), reply_to="x")
    assert instant is not None
    assert instant.crisis is not None
    with pytest.raises(asyncio.CancelledError):
        await dying.run(first.service.declare_reserved(instant.crisis))

    other = make_core(ConsoleChat(ws), replica="replica-2")
    clock.advance(seconds=16)  # the declaration's lease (15 s) ran out; the pages' (60 s) has not
    [crisis] = await other.service.resume_unfinished()
    assert side_effects(ws, crisis) == expected(crisis), "paged now, not a minute later"
    pages = await other.store.pages.pages_of(crisis.number)
    assert all(p.delivered == p.position == 0 for p in pages)


class StaleUnfinished(SqlCrisisRepository):
    """Hands out its list of unfinished crises only once told to: the list is then older than a
    declaration that finished meanwhile, the race a scheduler tick can meet."""

    def __init__(self, real: SqlCrisisRepository) -> None:
        self.__dict__.update(real.__dict__)
        self.listed = asyncio.Event()
        self.go = asyncio.Event()

    async def unfinished(self, now: datetime, retry: RetryPolicy, holder: str, limit: int = 100) -> list[Crisis]:
        snapshot = await super().unfinished(now, retry, holder, limit)
        self.listed.set()
        await self.go.wait()
        return snapshot


async def test_a_tick_never_resumes_a_declaration_that_runs_or_that_finished_meanwhile(
    loaded_plan: LoadedPlan, store: Storage, renderer: DraftRenderer, clock: ManualClock
) -> None:
    ws = workspace(loaded_plan)
    declaring = build_core(loaded_plan, store, ConsoleChat(ws), renderer, clock, "replica-1")
    stale = StaleUnfinished(store.crises)
    ticking = build_core(
        loaded_plan,
        replace(store, crises=stale),
        ConsoleChat(ws),
        renderer,
        clock,
        "replica-1",
    )
    amelie = person(loaded_plan, "amelie")
    crisis = await declaring.cases.declarer.reserve(StartCommand("complaint", "sev3", TITLE), amelie)
    tick = asyncio.ensure_future(ticking.service.resume_unfinished())
    await stale.listed.wait()  # the tick has its list: this crisis, all steps pending
    # the same replica name, another incarnation: while the declaration runs, its lease is live
    # and renewed, so the tick may not take it over (not even as a predecessor's)
    await declaring.cases.declarer.run_reserved(crisis.number)
    stale.go.set()
    assert await tick == [], "the tick saw a stale list, re-read the crisis, found it done"
    saved = await store.crises.get(crisis.number)
    assert saved is not None
    assert side_effects(ws, saved) == expected(saved)


async def _accepted(core: Core) -> int:
    """A declaration acknowledged and stored, its steps waiting for a slot of background work."""
    amelie = Invocation(actor=person(core.service.loaded, "amelie"), text=STARTED)
    instant = await core.service.accept(amelie, "x")
    assert instant is not None
    assert instant.crisis is not None
    return instant.crisis


@SQLITE
async def test_a_declaration_waiting_for_a_slot_past_its_lease_is_run_once(
    loaded_plan: LoadedPlan, make_core: CoreFactory, clock: ManualClock
) -> None:
    # a burst: every slot is taken for longer than the lease of the declarations stored meanwhile;
    # the declaring process's own scheduler used to take them as dead, and both ran each one
    ws = workspace(loaded_plan)
    core = make_core(ConsoleChat(ws), replica="replica-1")
    number = await _accepted(core)
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert await core.service.resume_unfinished() == []
    slot = asyncio.ensure_future(core.service.declare_reserved(number))
    tick = asyncio.ensure_future(core.service.resume_unfinished())  # ticking while the slot runs it
    await slot
    assert await tick == []
    saved = await core.store.crises.get(number)
    assert saved is not None
    assert side_effects(ws, saved) == expected(saved)


@SQLITE
async def test_another_replica_takes_a_queued_declaration_past_its_lease_and_the_slot_leaves_it(
    loaded_plan: LoadedPlan, make_core: CoreFactory, clock: ManualClock
) -> None:
    ws = workspace(loaded_plan)
    busy, idle = (make_core(ConsoleChat(ws), replica=name) for name in ("replica-1", "replica-2"))
    number = await _accepted(busy)
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert [c.number for c in await idle.service.resume_unfinished()] == [number]
    await busy.service.declare_reserved(number)  # its slot came: the lease is the other replica's
    saved = await busy.store.crises.get(number)
    assert saved is not None
    assert side_effects(ws, saved) == expected(saved)


@SQLITE
async def test_a_stored_declaration_whose_slot_never_came_is_resumed_by_its_own_scheduler(
    loaded_plan: LoadedPlan, make_core: CoreFactory, clock: ManualClock
) -> None:
    ws = workspace(loaded_plan)
    core = make_core(ConsoleChat(ws), replica="replica-1")
    number = await _accepted(core)  # and its work lost (the acknowledgement failed after storing it)
    clock.advance(seconds=QUEUED_PATIENCE.total_seconds() + 1)
    assert [c.number for c in await core.service.resume_unfinished()] == [number]
    saved = await core.store.crises.get(number)
    assert saved is not None
    assert side_effects(ws, saved) == expected(saved)


async def _declare_many(core: Core, titles: Sequence[str]) -> list[Crisis]:
    amelie = Invocation(actor=person(core.service.loaded, "amelie"), text="")
    crises = []
    for title in titles:
        instant = await core.service.accept(amelie.model_copy(update={"text": f"start complaint sev3 {title}"}), "x")
        assert instant is not None
        assert instant.crisis is not None
        crises.append(instant.crisis)
    await asyncio.gather(*(core.service.declare_reserved(n) for n in crises))
    return [c for n in crises if (c := await core.store.crises.get(n)) is not None]


async def _tick_until(cores: Sequence[Core], done: asyncio.Future[Any]) -> int:
    ticks = 0
    while not done.done():
        for core in cores:
            await core.scheduler.tick()
            ticks += 1
        await asyncio.sleep(0)
    return ticks


def _count_side_effects(ws: ConsoleWorkspace, crises: Sequence[Crisis]) -> None:
    for crisis in crises:
        assert side_effects(ws, crisis)["kickoffs"] == 1, crisis.key
        assert side_effects(ws, crisis)["cards"] == expected(crisis)["cards"], crisis.key
    announced = Counter(p.message.summary for p in ws.channels["crisis-announcements"].posts)
    assert set(announced.values()) == {1}
    assert len(announced) == len(crises)
    # each paged person got one direct message per crisis
    assert {pid: len(posts) for pid, posts in ws.direct.items()} == {"amelie": len(crises), "sofia": len(crises)}


@SQLITE  # PostgreSQL: the two-replica test below
async def test_sixty_declarations_at_once_with_the_scheduler_ticking_beside_them(
    loaded_plan: LoadedPlan, make_core: CoreFactory
) -> None:
    ws = workspace(loaded_plan)
    core = make_core(ConsoleChat(ws), replica="replica-1")
    declaring = asyncio.ensure_future(_declare_many(core, [f"Storm {i}" for i in range(60)]))
    ticks = await _tick_until([core], declaring)
    crises = await declaring
    assert ticks > 0
    assert len({c.room_name for c in crises}) == 60
    assert all(not c.unfinished_steps for c in crises)
    _count_side_effects(ws, crises)


@pytest.mark.postgres
async def test_two_replicas_declaring_and_ticking_on_one_postgres(
    loaded_plan: LoadedPlan, pg_url: str, renderer: DraftRenderer, clock: ManualClock
) -> None:
    ws = workspace(loaded_plan)
    engines = [create_async_db_engine(pg_url) for _ in range(2)]
    try:
        cores = [
            build_core(loaded_plan, Storage.on(engine), ConsoleChat(ws), renderer, clock, f"replica-{i}")
            for i, engine in enumerate(engines)
        ]
        declaring = asyncio.ensure_future(
            asyncio.gather(
                *(_declare_many(core, [f"Storm {i}-{n}" for n in range(30)]) for i, core in enumerate(cores))
            )
        )
        await _tick_until(cores, declaring)
        crises = [c for batch in await declaring for c in batch]
        assert len({c.number for c in crises}) == 60
        assert all(not c.unfinished_steps for c in crises)
        _count_side_effects(ws, crises)
    finally:
        for engine in engines:
            await engine.dispose()
