"""A bound on concurrent database sessions in which urgent work goes first.

Under a burst of declarations the background steps issue many short statements; an
acknowledgement that queued behind all of them on equal terms would miss its platform's deadline.
With SQLite, one slot also keeps the process's own writers from meeting SQLite's busy handler,
which retries a locked database after sleeps of up to 100 ms: the cause of slow acknowledgements
under load, not the statements themselves, which take about a millisecond.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.core.model.urgency import is_urgent


class Gate:
    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a gate needs at least one slot")
        self._free = slots
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self._acquire()
        try:
            yield
        finally:
            self._release()

    async def _acquire(self) -> None:
        if self._free > 0 and not self._urgent and not self._normal:
            self._free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._urgent if is_urgent() else self._normal).append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # granted just as it was cancelled: pass the slot on
            raise

    def _release(self) -> None:
        """Hand the slot to the first urgent waiter, else the first other one, else free it."""
        for queue in (self._urgent, self._normal):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self._free += 1
