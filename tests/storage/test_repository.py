"""SqlCrisisRepository against real SQLite and PostgreSQL: what is saved is what comes back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.model.crisis import Actor, Assignment, Crisis, CrisisStatus, RetryPolicy, Room, Step, StepKey, StepStatus
from bot.core.model.errors import RoomNameTakenError
from bot.core.model.events import EventData, EventKind, TimelineEvent
from bot.storage.mapping import UPDATABLE
from bot.storage.repository import SqlCrisisRepository
from tests.storage._support import DECLARED_AT, make_crisis

RETRY = RetryPolicy(attempts=3, after=timedelta(seconds=30))

PARIS = timezone(timedelta(hours=1))


async def test_round_trip_keeps_every_field(repo: SqlCrisisRepository) -> None:
    declared_at = datetime(2026, 11, 25, 10, 30, 15, 123456, tzinfo=PARIS)
    resolved_at = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    draft = make_crisis(
        "crisis-20261125-delays",
        declared_at=declared_at,
        severity_id="sev2",
        lead_person_id="ada",
        assignments=[
            Assignment(role_id="lead", role_name="Crisis lead", person_ids=["ada", "bob"], paged=True),
            Assignment(role_id="legal", role_name="Legal", person_ids=["chloé"]),
        ],
    )
    created = await repo.create(draft)
    assert created.number == 1
    assert not hasattr(draft, "number")  # the caller's draft is not changed behind its back

    created.status = CrisisStatus.RESOLVED
    created.room = Room(id="C0123", name="crisis-20261125-delays", url="https://example.test/C0123")
    created.unreachable = {"bob": "user_not_found"}
    created.kickoff_message_id = "1732528800.000100"
    created.resolved_at = resolved_at
    created.resolved_by = Actor(platform_id="U002", name="Bob")
    created.resolution_summary = "Carrier fixed; apology posted — merci."
    await repo.update(created, UPDATABLE)

    loaded = await repo.get(created.number)
    assert loaded == created
    assert loaded is not None
    assert loaded.declared_at == declared_at
    assert loaded.declared_at.tzinfo is UTC
    assert loaded.resolved_at is not None
    assert loaded.resolved_at.tzinfo is UTC
    assert await repo.get_by_room("C0123") == created


async def test_missing_crises_are_none(repo: SqlCrisisRepository) -> None:
    assert await repo.get(999) is None
    assert await repo.get_by_room("C-nope") is None


async def test_steps_keep_their_order_and_record_progress(repo: SqlCrisisRepository) -> None:
    crisis = await repo.create(make_crisis("room-a"))
    assert crisis.number is not None
    at = DECLARED_AT + timedelta(seconds=5)
    await repo.set_step(crisis.number, StepKey.INVITE, StepStatus.FAILED, "Slack said no", at)
    await repo.set_step(crisis.number, StepKey.CREATE_ROOM, StepStatus.DONE, "#room-a", at)

    loaded = await repo.get(crisis.number)
    assert loaded is not None
    assert [(s.key, s.status, s.detail, s.updated_at) for s in loaded.steps] == [
        ("create_room", StepStatus.DONE, "#room-a", at),
        ("invite", StepStatus.FAILED, "Slack said no", at),
    ]
    assert [s.key for s in loaded.unfinished_steps] == ["invite"]
    with pytest.raises(LookupError):
        await repo.set_step(crisis.number, StepKey.ANNOUNCE, StepStatus.DONE, "", at)  # not a step of this crisis


async def test_timeline_is_ordered_by_time_then_insertion(repo: SqlCrisisRepository) -> None:
    crisis = await repo.create(make_crisis("room-a"))
    other = await repo.create(make_crisis("room-b"))
    assert crisis.number is not None
    assert other.number is not None
    t0 = DECLARED_AT
    ada = Actor(platform_id="U001", name="Ada", person_id="ada")
    events = [
        TimelineEvent(at=t0 + timedelta(minutes=2), kind=EventKind.RESOLVED, text="written first, happened last"),
        TimelineEvent(at=t0, kind=EventKind.DECLARED, text="first", actor=ada),
        TimelineEvent(at=t0 + timedelta(minutes=1), kind=EventKind.NOTE, text="same time, inserted first"),
        TimelineEvent(
            at=(t0 + timedelta(minutes=1)).astimezone(PARIS),
            kind=EventKind.STATUS_UPDATE,
            text="same",
            data=EventData.model_validate({"n": [1, 2]}),
        ),
    ]
    for event in events:
        await repo.add_event(crisis.number, event)
    await repo.add_event(other.number, TimelineEvent(at=t0, kind=EventKind.NOTE, text="not ours"))

    timeline = await repo.timeline(crisis.number)
    assert [e.text for e in timeline] == ["first", "same time, inserted first", "same", "written first, happened last"]
    assert timeline[0].actor == ada
    assert timeline[2].data.dump() == {"n": [1, 2]}
    assert all(e.at.tzinfo is UTC for e in timeline)


async def test_event_data_is_stored_as_json(repo: SqlCrisisRepository) -> None:
    crisis = await repo.create(make_crisis("room-a"))
    assert crisis.number is not None
    data = EventData.model_validate({"when": DECLARED_AT})
    await repo.add_event(crisis.number, TimelineEvent(at=DECLARED_AT, kind=EventKind.NOTE, text="t", data=data))
    [event] = await repo.timeline(crisis.number)
    assert event.data.dump() == {"when": "2026-11-25T09:00:00Z"}  # JSON has no datetime: it comes back as text


async def test_unknown_crisis_numbers_raise_lookup_error(repo: SqlCrisisRepository) -> None:
    with pytest.raises(LookupError):
        await repo.add_event(404, TimelineEvent(at=DECLARED_AT, kind=EventKind.NOTE, text="t"))
    with pytest.raises(LookupError):
        await repo.rename_room(404, "anything")
    ghost = Crisis.model_validate({**make_crisis("ghost").model_dump(), "number": 404})
    with pytest.raises(LookupError):
        await repo.update(ghost, UPDATABLE)


async def test_create_refuses_a_taken_room_name(repo: SqlCrisisRepository) -> None:
    await repo.create(make_crisis("room-a"))
    with pytest.raises(RoomNameTakenError) as info:
        await repo.create(make_crisis("room-a"))
    assert info.value.name == "room-a"
    assert len(await repo.list_crises()) == 1


async def test_rename_room_conflicts_and_succeeds(repo: SqlCrisisRepository) -> None:
    first = await repo.create(make_crisis("room-a"))
    second = await repo.create(make_crisis("room-b"))
    assert first.number is not None
    assert second.number is not None

    with pytest.raises(RoomNameTakenError) as info:
        await repo.rename_room(second.number, "room-a")
    assert info.value.name == "room-a"
    assert (await repo.get(second.number)) == second  # unchanged after the failed rename

    await repo.rename_room(second.number, "room-b")  # its own name is not a clash
    await repo.rename_room(second.number, "room-b-2")
    renamed = await repo.get(second.number)
    assert renamed is not None
    assert renamed.room_name == "room-b-2"
    await repo.create(make_crisis("room-b"))  # the old name is free again


async def test_update_refuses_a_taken_room_name(repo: SqlCrisisRepository) -> None:
    await repo.create(make_crisis("room-a"))
    second = await repo.create(make_crisis("room-b"))
    second.room_name = "room-a"
    with pytest.raises(RoomNameTakenError):
        await repo.update(second, {"room_name"})


async def test_list_is_newest_first_and_filters(repo: SqlCrisisRepository) -> None:
    made = [await repo.create(make_crisis(f"room-{i}", title=f"crisis {i}")) for i in range(5)]
    for crisis in made[1::2]:
        crisis.status = CrisisStatus.RESOLVED
        await repo.update(crisis, {"status"})
    numbers = [c.number for c in made]

    assert [c.number for c in await repo.list_crises()] == numbers[::-1]
    assert [c.number for c in await repo.list_crises(CrisisStatus.ACTIVE)] == [numbers[4], numbers[2], numbers[0]]
    assert [c.number for c in await repo.list_crises(CrisisStatus.RESOLVED)] == [numbers[3], numbers[1]]
    assert [c.number for c in await repo.list_crises(limit=2)] == [numbers[4], numbers[3]]
    listed = await repo.list_crises(CrisisStatus.ACTIVE, limit=1)
    assert [s.key for s in listed[0].steps] == ["create_room", "invite"]


async def test_numbers_are_never_reused(repo: SqlCrisisRepository, engine: AsyncEngine) -> None:
    await repo.create(make_crisis("room-a"))
    newest = await repo.create(make_crisis("room-b"))
    assert newest.number is not None
    async with engine.begin() as conn:  # an operator deleting the newest row by hand
        await conn.execute(text("DELETE FROM crisis WHERE id = :id"), {"id": newest.number})
    again = await repo.create(make_crisis("room-c"))
    assert again.number is not None
    assert again.number > newest.number


async def test_naive_datetimes_are_refused(repo: SqlCrisisRepository) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        await repo.create(make_crisis("room-a", declared_at=datetime(2026, 11, 25, 9, 0)))
    assert await repo.list_crises() == []


async def test_update_writes_only_the_fields_named(repo: SqlCrisisRepository) -> None:
    created = await repo.create(make_crisis("room-a"))
    stale = created.model_copy(deep=True)
    created.kickoff_message_id = "1.2"
    await repo.update(created, {"kickoff_message_id"})
    stale.unreachable = {"bob": "gone"}
    await repo.update(stale, {"unreachable"})  # an older copy must not erase the kickoff id
    loaded = await repo.get(created.number)
    assert loaded is not None
    assert loaded.kickoff_message_id == "1.2"
    assert loaded.unreachable == {"bob": "gone"}
    with pytest.raises(ValueError, match="not updatable"):
        await repo.update(created, {"title"})


async def test_only_one_resolve_wins(repo: SqlCrisisRepository) -> None:
    created = await repo.create(make_crisis("room-a"))
    number = created.number
    bob = Actor(platform_id="U2", name="Bob")
    results = await asyncio.gather(*(repo.mark_resolved(number, DECLARED_AT, bob, f"by {i}") for i in range(4)))
    assert sorted(results) == [False, False, False, True]
    loaded = await repo.get(number)
    assert loaded is not None
    assert loaded.status is CrisisStatus.RESOLVED


async def test_leases_and_unfinished_steps(repo: SqlCrisisRepository) -> None:
    later = DECLARED_AT + timedelta(minutes=10)
    held = await repo.create(make_crisis("room-a"), holder="replica-1#a", until=later)
    free = await repo.create(make_crisis("room-b"))
    assert {c.number for c in await repo.unfinished(DECLARED_AT, RETRY, "replica-1#b")} == {held.number, free.number}
    assert [c.number for c in await repo.unfinished(DECLARED_AT, RETRY, "replica-2#a")] == [free.number], (
        "a live lease of another replica is not listed: it cannot be taken over"
    )
    assert not await repo.claim(held.number, "replica-2#a", later, now=DECLARED_AT)
    # a live lease is not free even for its holder: that process is declaring the crisis now
    assert not await repo.claim(held.number, "replica-1#a", later, now=DECLARED_AT)
    assert await repo.renew(held.number, "replica-1#a", later), "the holder renews it"
    assert not await repo.renew(held.number, "replica-2#a", later), "nobody else can"
    assert await repo.claim(held.number, "replica-2#a", later, now=later + timedelta(seconds=1))
    assert await repo.claim(free.number, "replica-2#a", later, now=DECLARED_AT)
    for step in free.steps:
        await repo.set_step(free.number, step.key, StepStatus.DONE, "", DECLARED_AT)
    assert await repo.unfinished(DECLARED_AT, RETRY, "replica-3#a") == [], "held by replica-2, done"
    after = later + timedelta(seconds=1)
    assert [c.number for c in await repo.unfinished(after, RETRY, "replica-3#a")] == [held.number], "expired"


async def test_a_failed_step_is_due_again_a_few_times_spaced_out(repo: SqlCrisisRepository) -> None:
    crisis = await repo.create(make_crisis("room-a"))
    for step in crisis.steps:
        await repo.set_step(crisis.number, step.key, StepStatus.DONE, "", DECLARED_AT)
    await repo.set_step(crisis.number, StepKey.INVITE, StepStatus.FAILED, "Slack was down", DECLARED_AT, attempts=1)
    assert await repo.unfinished(DECLARED_AT + timedelta(seconds=10), RETRY, "replica-2#a") == [], "too soon"
    [due] = await repo.unfinished(DECLARED_AT + timedelta(seconds=31), RETRY, "replica-2#a")
    assert due.step(StepKey.INVITE) == Step(
        key=StepKey.INVITE,
        label="Invite",
        status=StepStatus.FAILED,
        detail="Slack was down",
        updated_at=DECLARED_AT,
        attempts=1,
    )
    await repo.set_step(crisis.number, StepKey.INVITE, StepStatus.FAILED, "still down", DECLARED_AT, attempts=3)
    assert await repo.unfinished(DECLARED_AT + timedelta(hours=1), RETRY, "replica-2#a") == [], (
        "tried enough: reported, left"
    )


async def test_a_restarted_replica_takes_over_its_predecessors_lease_at_once(repo: SqlCrisisRepository) -> None:
    later = DECLARED_AT + timedelta(minutes=10)
    held = await repo.create(make_crisis("room-a"), holder="replica-1#before", until=later)
    assert not await repo.claim(held.number, "replica-10#x", later, now=DECLARED_AT), "not a prefix match"
    assert await repo.claim(held.number, "replica-1#after", later, now=DECLARED_AT), "the same replica, restarted"
    assert not await repo.renew(held.number, "replica-1#before", later), "the old incarnation lost it"
    await repo.release(held.number, "replica-1#after")
    assert await repo.claim(held.number, "replica-2#a", later, now=DECLARED_AT), "released: free for anyone"


async def test_a_keyed_event_is_recorded_once(repo: SqlCrisisRepository) -> None:
    crisis = await repo.create(make_crisis("room-a"))
    event = TimelineEvent(at=DECLARED_AT, kind=EventKind.ANNOUNCED, text="Announced", key="announced")
    assert await repo.add_event(crisis.number, event)
    assert not await repo.add_event(crisis.number, event.model_copy(update={"text": "again"}))
    assert await repo.add_event(crisis.number, event.model_copy(update={"key": None}))
    assert await repo.add_event(crisis.number, event.model_copy(update={"key": None}))
    assert [e.text for e in await repo.timeline(crisis.number)] == ["Announced"] * 3
