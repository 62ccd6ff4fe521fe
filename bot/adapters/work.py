"""Slow work after a fast answer: capped, tracked, and drained on demand.

Chat platforms give a bot seconds to answer (Slack 3, Teams about 15), so adapters answer first
and do the work after. That work is capped (a burst of commands must not starve the next
answers) and tracked, so shutdown, tests and benchmarks can wait until it has all finished
instead of guessing with sleeps or polling for its first visible effect.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from bot.core.model.errors import DatabaseUnavailableError

log = logging.getLogger(__name__)
MAX_CONCURRENT_WORK = 16


class Work:
    def __init__(self, limit: int = MAX_CONCURRENT_WORK) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """One of the slots of slow work: wait for one when all are taken."""
        async with self._slots:
            yield

    def later(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        """Slow work after a fast answer, in one of the slots (tracked from now, run when one is free)."""

        async def in_a_slot() -> None:
            async with self.slot():
                await coro

        return self.spawn(in_a_slot(), what)

    def spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        """Background work started by other work (refreshing a home tab, say): tracked too.

        A failure is logged with its traceback: nobody awaits this task to see it.
        """
        self._idle.clear()
        task = asyncio.ensure_future(self._logged(coro, what))
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    async def drain(self) -> None:
        """Return once every piece of work spawned so far, and what it spawned, is done."""
        while self._tasks:
            await self._idle.wait()

    async def cancel(self) -> int:
        """Cancel what is still running (a shutdown out of time): a declaration cut here resumes
        on another replica from its recorded steps, as after a crash. How many were cancelled."""
        cancelled = 0
        while self._tasks:
            running = list(self._tasks)
            for task in running:
                cancelled += task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        return cancelled

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    @staticmethod
    async def _logged(coro: Coroutine[Any, Any, Any], what: str) -> None:
        try:
            await coro
        except DatabaseUnavailableError:
            log.info("%s: the database is unavailable", what)  # the storage layer warned, once per outage
        except Exception:
            log.exception("%s failed", what)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()
