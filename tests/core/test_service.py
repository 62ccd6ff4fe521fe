"""The use cases against the real SQL repository (SQLite and PostgreSQL) and the console chat."""

from __future__ import annotations

import asyncio

import pytest

from bot.adapters.console.workspace import ConsoleChat, ConsoleWorkspace
from bot.container import Core
from bot.core.commands import ResolveCommand, StartCommand
from bot.core.messaging.message import Message
from bot.core.model.chat import PostedMessage
from bot.core.model.clock import ManualClock
from bot.core.model.crisis import Actor, CrisisStatus, Invocation, Room, StepStatus
from bot.core.model.errors import AlreadyDeclaredError, ConflictError, NotFoundError, UsageError
from bot.core.plan.model import LoadedPlan
from bot.core.service import CrisisService
from bot.storage.repository import SqlCrisisRepository
from tests.conftest import CoreFactory, workspace
from tests.fakes.killed import KilledChat

AMELIE = Actor(platform_id="amelie", name="Amélie Laurent", person_id="amelie")


@pytest.fixture
def service(core: Core) -> CrisisService:
    return core.service


def inv(text: str, channel: str | None = None, actor: Actor = AMELIE) -> Invocation:
    return Invocation(actor=actor, text=text, channel_id=channel)


async def test_start_runs_every_step_and_records_the_timeline(
    service: CrisisService, ws: ConsoleWorkspace, repo: SqlCrisisRepository
) -> None:
    progress: list[Message] = []

    async def on_progress(message: Message) -> None:
        progress.append(message)

    crisis = await service.start(
        StartCommand("complaint", "sev3", "Delivery delays flood our mentions"), AMELIE, on_progress
    )
    assert crisis.key == f"CRISIS-{crisis.number:04d}"
    assert crisis.room_name == "crisis-20261125-delivery-delays-flood-our-mentions"
    assert [s.status for s in crisis.steps] == [StepStatus.DONE] * 6
    assert "Declaring" in progress[0].plain_text()

    room = ws.channels[crisis.room_name]
    expected = {p for a in crisis.assignments for p in a.person_ids}
    assert expected <= set(room.members)
    assert "executive_sponsor" not in {a.role_id for a in crisis.assignments}
    assert room.posts[0].pinned
    kickoff = room.posts[0].message.plain_text()
    assert "First actions" in kickoff
    assert "Delivery delays flood our mentions" in kickoff
    assert [p.message.summary for p in ws.channels["crisis-announcements"].posts] == [
        f"{crisis.key} declared: Delivery delays flood our mentions"
    ]

    saved = await repo.get(crisis.number)
    assert saved is not None
    assert saved.room is not None
    assert saved.kickoff_message_id == room.posts[0].id
    kinds = [e.kind for e in await repo.timeline(crisis.number)]
    assert kinds[0] == "declared"
    assert {"war_room_created", "invited", "kickoff_posted", "announced"} <= set(kinds)


async def test_sev1_scandal_brings_executives_legal_and_press(service: CrisisService) -> None:
    crisis = await service.start(StartCommand("executive_scandal", None, "CEO video"), AMELIE)
    roles = {a.role_id: a for a in crisis.assignments}
    assert crisis.severity_id == "sev1"
    assert {"executive_sponsor", "legal", "press"} <= set(roles)
    assert roles["legal"].paged
    assert crisis.assignments[0].role_id == service.plan.lead_role


async def test_same_title_same_day_gets_a_suffixed_room(service: CrisisService, clock: ManualClock) -> None:
    first = await service.start(StartCommand("troll", None, "Troll storm"), AMELIE)
    clock.advance(hours=2)
    second = await service.start(StartCommand("troll", None, "Troll storm"), AMELIE)
    assert second.room_name == f"{first.room_name}-2"
    assert second.number == first.number + 1


async def test_room_name_taken_on_the_platform_picks_the_next(
    service: CrisisService, ws: ConsoleWorkspace, repo: SqlCrisisRepository
) -> None:
    ws.add_channel("crisis-20261125-troll-storm")
    crisis = await service.start(StartCommand("troll", None, "Troll storm"), AMELIE)
    assert crisis.room is not None
    assert crisis.room.name == "crisis-20261125-troll-storm-2"
    saved = await repo.get(crisis.number)
    assert saved is not None
    assert saved.room_name == "crisis-20261125-troll-storm-2"


async def test_unreachable_person_does_not_stop_the_others(loaded_plan: LoadedPlan, make_core: CoreFactory) -> None:
    ws = workspace(loaded_plan, sofia="account deactivated")
    service = make_core(ConsoleChat(ws)).service
    crisis = await service.start(StartCommand("complaint", "sev3", "Late parcels"), AMELIE)
    assert crisis.unreachable == {"sofia": "account deactivated"}
    room = ws.channels[crisis.room_name]
    assert "sofia" not in room.members
    assert "amelie" in room.members
    assert "Could not invite" in room.posts[0].message.plain_text()
    assert all(s.status is StepStatus.DONE for s in crisis.steps)


async def test_crash_between_steps_is_shown_honestly_and_a_restart_finishes(
    ws: ConsoleWorkspace, repo: SqlCrisisRepository, clock: ManualClock, make_core: CoreFactory
) -> None:
    chat = KilledChat(ws, at="pin")
    service = make_core(chat, replica="first-process").service
    with pytest.raises(asyncio.CancelledError):
        await chat.run(service.start(StartCommand("complaint", "sev3", "Late parcels"), AMELIE))
    [crisis] = await repo.list_crises()
    status = (await service.handle(inv("status", crisis.room.id if crisis.room else None))).plain_text()
    assert "Steps not done" in status
    assert "Pin the kickoff message: pending" in status
    # paging and the announcement run beside the pin, so the crash may or may not have stopped them
    assert {"pin"} <= {s.key for s in crisis.unfinished_steps} <= {"pin", "page", "announce"}

    restarted = make_core(ConsoleChat(ws), replica="second-process").service
    assert await restarted.resume_unfinished() == [], "the first process's lease has not expired yet"
    clock.advance(minutes=6)
    [resumed] = await restarted.resume_unfinished()
    assert resumed.number == crisis.number
    again = await repo.get(crisis.number)
    assert again is not None
    assert again.unfinished_steps == []
    room = ws.channels[crisis.room_name]
    # the kickoff was done before the crash and must not be posted twice; each page goes out once
    # whether the crash stopped paging (it ran beside the pin) or not; the cards go out side by
    # side, in whichever order they land
    kickoff, *cards = [p.message.summary for p in room.posts]
    assert kickoff == f"{crisis.key} declared: Late parcels (SEV3)"
    assert sorted(cards) == [
        f"Paging Amélie Laurent (Crisis lead) for {crisis.key}",
        f"Paging Sofia Chen (Community manager) for {crisis.key}",
    ]
    assert room.posts[0].pinned
    assert await restarted.resume_unfinished() == []


class AllAtOnce(ConsoleChat):
    """Creates a room only once ``n`` declarations ask for one: they must be running together."""

    def __init__(self, ws: ConsoleWorkspace, n: int) -> None:
        super().__init__(ws)
        self.n, self.asked = n, 0
        self.everyone = asyncio.Event()

    async def create_room(self, name: str, *, private: bool, topic: str, purpose: str) -> Room:
        self.asked += 1
        if self.asked == self.n:
            self.everyone.set()
        await self.everyone.wait()
        return await super().create_room(name, private=private, topic=topic, purpose=purpose)


async def test_declarations_a_dead_process_left_behind_are_resumed_side_by_side(
    ws: ConsoleWorkspace, repo: SqlCrisisRepository, clock: ManualClock, make_core: CoreFactory
) -> None:
    """A replica that dies in a burst leaves several declarations behind: one after the other,
    the last war room would wait for all the others (each several chat calls long)."""
    dead = make_core(ConsoleChat(ws), replica="dead-process").cases.declarer
    for title in ("Late parcels", "Broken app", "Leaked memo"):
        await dead.reserve(StartCommand("complaint", "sev3", title), AMELIE)  # stored, never run: it died
    clock.advance(minutes=1)  # its leases expired
    chat = AllAtOnce(ws, 3)
    resumed = await asyncio.wait_for(make_core(chat, replica="survivor").service.resume_unfinished(), 10)
    assert sorted(c.title for c in resumed) == ["Broken app", "Late parcels", "Leaked memo"]
    assert all(c.unfinished_steps == [] for c in await repo.list_crises())


async def test_a_room_created_just_before_a_crash_is_adopted_not_duplicated(
    ws: ConsoleWorkspace, repo: SqlCrisisRepository, clock: ManualClock, make_core: CoreFactory
) -> None:
    chat = KilledChat(ws, at="create_room", when="during")  # the platform made the room; the database never heard
    with pytest.raises(asyncio.CancelledError):
        await chat.run(make_core(chat).service.start(StartCommand("troll", None, "Bot swarm"), AMELIE))
    [crisis] = await repo.list_crises()
    assert crisis.room is None
    assert crisis.room_name in ws.channels

    clock.advance(minutes=6)
    [resumed] = await make_core(ConsoleChat(ws)).service.resume_unfinished()
    assert resumed.room is not None
    assert resumed.room.name == crisis.room_name
    assert [name for name in ws.channels if "bot-swarm" in name] == [crisis.room_name]
    assert resumed.unfinished_steps == []


async def test_resolving_during_a_declaration_is_not_undone(
    ws: ConsoleWorkspace, repo: SqlCrisisRepository, clock: ManualClock, make_core: CoreFactory
) -> None:
    chat = KilledChat(ws, at="pin")
    with pytest.raises(asyncio.CancelledError):
        await chat.run(make_core(chat).service.start(StartCommand("troll", None, "Short-lived"), AMELIE))
    service = make_core(ConsoleChat(ws)).service
    await service.resolve(ResolveCommand(1, "false alarm"), inv("resolve"))
    clock.advance(minutes=6)
    assert await service.resume_unfinished() == [], "a resolved crisis is not set up any further"
    saved = await repo.get(1)
    assert saved is not None
    assert saved.status is CrisisStatus.RESOLVED
    assert saved.kickoff_message_id is not None


async def test_two_people_resolving_at_once_resolve_once(service: CrisisService, repo: SqlCrisisRepository) -> None:
    crisis = await service.start(StartCommand("troll", None, "Bots"), AMELIE)
    results = await asyncio.gather(
        *(service.resolve(ResolveCommand(crisis.number, f"by {i}"), inv("resolve")) for i in range(3)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert sum(isinstance(r, ConflictError) for r in results) == 2
    resolved_events = [e for e in await repo.timeline(crisis.number) if e.kind == "resolved"]
    assert len(resolved_events) == 1


async def test_status_in_a_war_room_means_that_crisis(service: CrisisService) -> None:
    one = await service.start(StartCommand("troll", None, "Bots on launch post"), AMELIE)
    await service.start(StartCommand("complaint", None, "Broken lamps"), AMELIE)
    assert one.room is not None
    text = (await service.handle(inv("status", one.room.id))).plain_text()
    assert "Bots on launch post" in text
    with pytest.raises(UsageError, match="Several crises are active"):
        await service.find(None, "general")


async def test_status_and_resolve_errors_are_polite(service: CrisisService) -> None:
    with pytest.raises(NotFoundError, match="no active crisis"):
        await service.find(None, None)
    reply = (await service.handle(inv("status CRISIS-0042"))).plain_text()
    assert "There is no crisis CRISIS-0042" in reply
    assert "/crisis list" in reply


async def test_resolve_closes_posts_and_cannot_happen_twice(
    service: CrisisService, clock: ManualClock, ws: ConsoleWorkspace
) -> None:
    crisis = await service.start(StartCommand("complaint", None, "Broken lamps"), AMELIE)
    clock.advance(minutes=95)
    resolved = await service.resolve(ResolveCommand(None, "Refunds sent"), inv("resolve"))
    assert resolved.status is CrisisStatus.RESOLVED
    summary = ws.channels[crisis.room_name].posts[-1].message
    assert summary.summary.startswith(f"{crisis.key} resolved after 1h 35m")
    assert "Took: 1h 35m" in summary.plain_text()
    with pytest.raises(ConflictError, match="already resolved"):
        await service.resolve(ResolveCommand(crisis.number, ""), inv("resolve"))
    listing = (await service.handle(inv("list resolved"))).plain_text()
    assert crisis.key in listing
    assert "No active crisis" in (await service.handle(inv("list"))).plain_text()


async def test_hostile_title_is_stored_as_typed(service: CrisisService, repo: SqlCrisisRepository) -> None:
    title = "<!channel> <@U123> *bold* {{ 7*7 }}"
    crisis = await service.start(StartCommand("other", None, title), AMELIE)
    saved = await repo.get(crisis.number)
    assert saved is not None
    assert saved.title == title
    assert crisis.room_name == "crisis-20261125-channel-u123-bold-7-7"


async def test_concurrent_starts_get_distinct_numbers_and_rooms(service: CrisisService) -> None:
    cmd = StartCommand("troll", None, "Same title")
    crises = await asyncio.gather(*(service.start(cmd, AMELIE, request_key=f"req-{i}") for i in range(8)))
    assert len({c.number for c in crises}) == 8
    assert len({c.room_name for c in crises}) == 8
    assert all(c.unfinished_steps == [] for c in crises)


async def test_double_click_declares_once(
    service: CrisisService, clock: ManualClock, repo: SqlCrisisRepository
) -> None:
    cmd = StartCommand("complaint", "sev3", "Late parcels")
    results = await asyncio.gather(service.start(cmd, AMELIE), service.start(cmd, AMELIE), return_exceptions=True)
    crises = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, AlreadyDeclaredError)]
    assert len(crises) == 1
    assert len(refused) == 1
    assert refused[0].number == crises[0].number
    clock.advance(seconds=90)
    reply = (await service.handle(inv("start complaint sev3 Late parcels"))).plain_text()
    assert f"{crises[0].key} was already declared" in reply
    assert len(await repo.list_crises()) == 1
    clock.advance(minutes=5)
    again = await service.start(cmd, AMELIE)
    assert again.number != crises[0].number


async def test_same_request_key_finds_the_first_crisis(service: CrisisService, ws: ConsoleWorkspace) -> None:
    cmd = StartCommand("troll", None, "Bot swarm", details="Hundreds of replies", source_url="https://x.test/p/1")
    first = await service.start(cmd, AMELIE, request_key="slack:view:V1")
    with pytest.raises(AlreadyDeclaredError) as info:
        await service.start(cmd, AMELIE, request_key="slack:view:V1")
    assert info.value.number == first.number
    kickoff = ws.channels[first.room_name].posts[0].message.plain_text()
    assert "Hundreds of replies" in kickoff
    assert "https://x.test/p/1" in kickoff


class SlowPinChat(ConsoleChat):
    """Holds the pin until released, so a test can look at a declaration in flight."""

    def __init__(self, ws: ConsoleWorkspace) -> None:
        super().__init__(ws)
        self.pinning = asyncio.Event()
        self.release = asyncio.Event()

    async def pin(self, posted: PostedMessage) -> None:
        self.pinning.set()
        await self.release.wait()
        await super().pin(posted)


async def test_a_declaration_in_flight_is_not_resumed_a_second_time(
    ws: ConsoleWorkspace, make_core: CoreFactory
) -> None:
    chat = SlowPinChat(ws)
    service = make_core(chat).service
    declaring = asyncio.ensure_future(service.start(StartCommand("troll", None, "In flight"), AMELIE))
    await chat.pinning.wait()
    assert await service.resume_unfinished() == [], "the scheduler leaves this process's own declaration alone"
    chat.release.set()
    crisis = await declaring
    assert [p.message.summary for p in ws.channels[crisis.room_name].posts] == [
        f"{crisis.key} declared: In flight (SEV4)",
        f"Paging Sofia Chen (Community manager) for {crisis.key}",
    ]
    assert crisis.unfinished_steps == []
