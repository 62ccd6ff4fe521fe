"""Declarations made at the same moment are stored together (a group commit), each with its own
outcome: a duplicate or a taken room name fails that declaration alone, and the crisis, its steps
and its first event are stored all or nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.model.crisis import BOT, Crisis
from bot.core.model.errors import DuplicateRequestError, RoomNameTakenError
from bot.core.model.events import EventKind, TimelineEvent
from bot.storage.repository import SqlCrisisRepository
from bot.storage.sessions import database_of
from tests.storage._support import DECLARED_AT, make_crisis


@pytest.fixture
def commits(engine: AsyncEngine) -> Iterator[list[int]]:
    """Counts the transactions committed by the engine that stores new crises."""
    sqlite = database_of(engine).sqlite
    target: Engine = sqlite if sqlite is not None else engine.sync_engine
    seen: list[int] = []

    def committed(_connection: object) -> None:
        seen.append(1)

    event.listen(target, "commit", committed)
    yield seen
    event.remove(target, "commit", committed)


def declared(crisis: Crisis) -> TimelineEvent:
    return TimelineEvent(at=DECLARED_AT, kind=EventKind.DECLARED, text=f"{crisis.key} declared", actor=BOT)


async def test_declarations_at_the_same_moment_share_a_transaction(
    repo: SqlCrisisRepository, commits: list[int]
) -> None:
    made = await asyncio.gather(
        *(repo.create(make_crisis(f"room-{i}", request_key=f"k{i}"), first_event=declared) for i in range(20))
    )
    assert sorted(c.number for c in made) == list(range(1, 21))
    assert len(commits) == 1, "twenty declarations queued before the first write: one group"
    for crisis in made:
        stored = await repo.get(crisis.number)
        assert stored is not None
        assert stored.room_name == crisis.room_name
        assert [s.key for s in stored.steps] == [s.key for s in crisis.steps]
        assert [e.text for e in await repo.timeline(crisis.number)] == [f"{crisis.key} declared"]


async def test_a_clash_inside_a_group_fails_only_that_declaration(repo: SqlCrisisRepository) -> None:
    outcomes = await asyncio.gather(
        repo.create(make_crisis("room-a", request_key="same")),
        repo.create(make_crisis("room-b", request_key="same")),  # a double click
        repo.create(make_crisis("room-a", request_key="other")),  # the same title twice
        repo.create(make_crisis("room-c"), other_keys=["same"]),  # a dedupe key already asked for
        repo.create(make_crisis("room-d", request_key="fine")),
        return_exceptions=True,
    )
    first, double, same_room, dedupe, fine = outcomes
    assert isinstance(first, Crisis)
    assert isinstance(double, DuplicateRequestError)
    assert double.request_key == "same"
    assert isinstance(same_room, RoomNameTakenError)
    assert isinstance(dedupe, DuplicateRequestError)
    assert isinstance(fine, Crisis)
    assert [c.room_name for c in await repo.list_crises()] == ["room-d", "room-a"]


async def test_a_clash_with_what_is_stored_already(repo: SqlCrisisRepository) -> None:
    await repo.create(make_crisis("room-a", request_key="k"))
    with pytest.raises(DuplicateRequestError):
        await repo.create(make_crisis("room-z", request_key="k"))
    with pytest.raises(RoomNameTakenError):
        await repo.create(make_crisis("room-a"))


async def test_a_failed_first_event_stores_nothing(repo: SqlCrisisRepository) -> None:
    def broken(crisis: Crisis) -> TimelineEvent:
        raise RuntimeError("a bug in the event")

    with pytest.raises(RuntimeError, match="a bug in the event"):
        await repo.create(make_crisis("room-a"), first_event=broken)
    assert await repo.list_crises() == []
    made = await repo.create(make_crisis("room-a"))
    assert made.room_name == "room-a", "the name was not taken by a half-stored crisis"
