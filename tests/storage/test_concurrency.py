"""Crisis numbers and war-room names stay unique under concurrent writers.

One engine with many concurrent ``create`` calls (the bot under load), and two OS processes with
their own engines (two replicas). Half the crises race for the same room names; the losers see
RoomNameTakenError and take the next candidate, as the service does.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.crisis import rooms
from bot.storage.engine import create_async_db_engine
from bot.storage.repository import SqlCrisisRepository
from tests.storage._support import ROOM_NAME_MAX, SHARED_BASE, bases, create_with_suffix, worker

CONCURRENT = 40
PER_PROCESS = 20
PROCESSES = 2


async def _rows(url: str) -> list[tuple[int, str]]:
    engine = create_async_db_engine(url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(text("SELECT id, room_name FROM crisis ORDER BY id"))
            return [(row[0], row[1]) for row in result]
    finally:
        await engine.dispose()


def _assert_unique(made: list[tuple[int, str]], stored: list[tuple[int, str]], expected: int) -> None:
    numbers = [n for n, _ in made]
    names = [name for _, name in made]
    assert len(made) == expected
    assert len(set(numbers)) == expected, "two crises got the same number"
    assert len(set(names)) == expected, "two crises got the same room name"
    assert sorted(made) == stored  # what the callers were told is what the database holds
    shared = {name for name in names if name.startswith(SHARED_BASE)}
    # Every loser moved to the next candidate, so the shared family is filled without holes.
    assert shared == set(list(rooms.candidates(SHARED_BASE, ROOM_NAME_MAX))[: len(shared)])


async def test_concurrent_creates_on_one_engine(db_url: str, engine: AsyncEngine) -> None:
    repo = SqlCrisisRepository(engine)
    started = time.perf_counter()
    made = await asyncio.gather(*(create_with_suffix(repo, base) for base in bases("solo", CONCURRENT)))
    elapsed = time.perf_counter() - started
    print(f"\n{CONCURRENT} concurrent creates on {engine.dialect.name}: {elapsed:.2f}s")
    _assert_unique([(c.number or 0, c.room_name) for c in made], await _rows(db_url), CONCURRENT)


async def test_concurrent_creates_from_two_processes(db_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results: Any = context.Queue()
    procs = [
        context.Process(target=worker, args=(db_url, f"proc{i}", PER_PROCESS, barrier, results))
        for i in range(PROCESSES)
    ]
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    outcomes: dict[str, object] = {}
    try:
        for _ in procs:
            prefix, outcome = await asyncio.to_thread(results.get, timeout=120)
            outcomes[prefix] = outcome
    except queue.Empty:
        raise AssertionError(f"a worker process did not report; got {sorted(outcomes)}") from None
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    elapsed = time.perf_counter() - started
    failures = {p: o for p, o in outcomes.items() if isinstance(o, str)}
    assert not failures, failures
    made = [pair for outcome in outcomes.values() if isinstance(outcome, list) for pair in outcome]
    print(f"\n{PROCESSES} processes x {PER_PROCESS} creates on {db_url.split(':')[0]}: {elapsed:.2f}s (incl. spawn)")
    _assert_unique(made, await _rows(db_url), PROCESSES * PER_PROCESS)
