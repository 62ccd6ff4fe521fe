"""Helpers shared by the storage tests and by the worker processes they spawn.

This module is imported by freshly spawned interpreters, so it must stay importable on its own
(no pytest fixtures, no Slack SDK) and its worker must be a top-level function.
"""

from __future__ import annotations

import asyncio
import traceback
from datetime import UTC, datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from bot.core.crisis import rooms
from bot.core.model.crisis import Actor, Crisis, NewCrisis, Step, StepKey
from bot.core.model.errors import RoomNameTakenError
from bot.core.ports import CrisisRepository
from bot.storage.engine import create_async_db_engine
from bot.storage.repository import SqlCrisisRepository

DECLARED_AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
SHARED_BASE = "crisis-20261125-shared"
ROOM_NAME_MAX = 80  # Slack's, the longest the core builds for


def make_crisis(room_name: str, title: str = "Delivery delays flood our mentions", **fields: Any) -> NewCrisis:
    values: dict[str, Any] = {
        "title": title,
        "scenario_id": "complaint",
        "severity_id": "sev3",
        "declared_by": Actor(platform_id="U001", name="Ada", person_id="ada"),
        "declared_at": DECLARED_AT,
        "room_name": room_name,
        "steps": [Step(key=StepKey.CREATE_ROOM, label="Create the war room"), Step(key=StepKey.INVITE, label="Invite")],
    }
    values.update(fields)
    return NewCrisis(**values)


async def create_with_suffix(repo: CrisisRepository, base: str, title: str = "t") -> Crisis:
    """Reserve the first free name among ``base``, ``base-2`` ... the way the service does."""
    for name in rooms.candidates(base, ROOM_NAME_MAX):
        try:
            return await repo.create(make_crisis(name, title=title))
        except RoomNameTakenError:
            continue
    raise AssertionError(f"no free room name for {base}")


def bases(prefix: str, count: int) -> list[str]:
    """Half the crises contend for one shared name family, half have names of their own."""
    return [SHARED_BASE if i % 2 == 0 else f"{prefix}-{i}" for i in range(count)]


async def create_many(url: str, prefix: str, count: int) -> list[tuple[int, str]]:
    engine = create_async_db_engine(url)
    try:
        repo = SqlCrisisRepository(engine)
        made = await asyncio.gather(*(create_with_suffix(repo, base, title=prefix) for base in bases(prefix, count)))
    finally:
        await engine.dispose()
    return [(c.number, c.room_name) for c in made]


def worker(url: str, prefix: str, count: int, barrier: Barrier, results: Queue[Any]) -> None:
    """Entry point of a spawned process: its own interpreter, engine and pool."""
    try:
        barrier.wait(timeout=60)  # start both processes' inserts together, after the slow imports
        results.put((prefix, asyncio.run(create_many(url, prefix, count))))
    except BaseException:
        results.put((prefix, traceback.format_exc()))
