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

from bot.core import rooms
from bot.core.errors import RoomNameTakenError
from bot.core.models import Actor, Crisis, Step
from bot.core.ports import CrisisRepository
from bot.storage.engine import create_async_db_engine
from bot.storage.repository import SqlCrisisRepository

DECLARED_AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
SHARED_BASE = "crisis-20261125-shared"


def make_crisis(room_name: str, title: str = "Delivery delays flood our mentions", **fields: Any) -> Crisis:
    values: dict[str, Any] = {
        "title": title,
        "scenario_id": "complaint",
        "severity_id": "sev3",
        "declared_by": Actor(platform_id="U001", name="Ada", person_id="ada"),
        "declared_at": DECLARED_AT,
        "room_name": room_name,
        "steps": [Step(key="create_room", label="Create the war room"), Step(key="invite", label="Invite")],
    }
    values.update(fields)
    return Crisis(**values)


async def create_with_suffix(repo: CrisisRepository, base: str, title: str = "t") -> Crisis:
    """Reserve the first free name among ``base``, ``base-2`` ... the way the service does."""
    for name in rooms.candidates(base):
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
    return [(c.number or 0, c.room_name) for c in made]


def worker(url: str, prefix: str, count: int, barrier: Barrier, results: Queue[Any]) -> None:
    """Entry point of a spawned process: its own interpreter, engine and pool."""
    try:
        barrier.wait(timeout=60)  # start both processes' inserts together, after the slow imports
        results.put((prefix, asyncio.run(create_many(url, prefix, count))))
    except BaseException:
        results.put((prefix, traceback.format_exc()))
