"""The scheduler: claim due pages, climb each one step, remind overdue status updates, finish
half-done declarations, repeat.

Due times are rows in the database, so a restart loses no timer: whichever process runs the loop
next claims what is due. Claims are leases (see :mod:`bot.storage.pages`): two replicas polling
the same database never fire one page twice, and a replica that dies mid-fire leaves a lease that
expires, after which another replica takes the page over.

A chore that keeps failing (the database is down, say) is logged with its traceback once, then
once every few minutes while it keeps failing, then once more when it recovers: a log that
repeats the same traceback every five seconds hides everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Mapping

from bot.core.escalation.paging import PAGE_LEASE, PagingService
from bot.core.model.errors import DatabaseUnavailableError
from bot.core.ports import Clock, NoTelemetry, PageRepository, Telemetry

log = logging.getLogger(__name__)
REPEAT_LOG_SECONDS = 300.0

Chore = Callable[[], Awaitable[object]]


class FailureLog:
    """Log a repeated failure once per ``every`` seconds, with its traceback the first time."""

    def __init__(self, every: float = REPEAT_LOG_SECONDS, now: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.now = now
        self._since: dict[str, tuple[float, int]] = {}  # what -> (last logged, failures since)

    def failed(self, what: str) -> None:
        """Call from an ``except`` block. A database outage is not logged here: the storage layer
        warns once per outage, and every chore fails with it until the database is back."""
        if isinstance(sys.exc_info()[1], DatabaseUnavailableError):
            return
        now = self.now()
        last = self._since.get(what)
        if last is None:
            log.exception("%s failed", what)
            self._since[what] = (now, 0)
        elif now - last[0] >= self.every:
            log.error("%s still failing (%d times since the last report)", what, last[1] + 1, exc_info=True)
            self._since[what] = (now, 0)
        else:
            self._since[what] = (last[0], last[1] + 1)

    def succeeded(self, what: str) -> None:
        if self._since.pop(what, None) is not None:
            log.warning("%s works again", what)


class Scheduler:
    def __init__(
        self,
        paging: PagingService,
        pages: PageRepository,
        clock: Clock,
        holder: str,
        chores: Mapping[str, Chore],
        telemetry: Telemetry | None = None,
    ) -> None:
        self.paging = paging
        self.pages = pages
        self.clock = clock
        self.holder = holder
        # other periodic work, by name: overdue update reminders, unfinished declarations
        self.chores = chores
        self.failures = FailureLog()
        self.fired = 0
        self.telemetry = telemetry or NoTelemetry()
        self._stopping = asyncio.Event()

    async def tick(self, limit: int = 20) -> int:
        """Fire what is due now; returns how many pages moved. Tests call this with a manual clock."""
        now = self.clock.now()
        moved = 0
        for page in await self.pages.claim_due(self.holder, now, now + PAGE_LEASE, limit):
            if page.due_at <= now:  # (an undelivered page is claimed before it is due)
                self.telemetry.scheduler_lag("page", (now - page.due_at).total_seconds())
            what = f"firing page {page.id}"
            try:
                if await self.paging.fire(page, self.holder):
                    moved += 1
            except Exception:  # one broken page must not stop the others; its lease expires, it is retried
                self.failures.failed(what)
            else:
                self.failures.succeeded(what)
        self.fired += moved
        for name, chore in self.chores.items():
            try:
                await chore()
            except Exception:
                self.failures.failed(name)
            else:
                self.failures.succeeded(name)
        return moved

    async def run(self, interval: float = 5.0) -> None:
        """Poll until cancelled, or until ``stop``: then return after the tick under way, so a
        graceful shutdown never cuts a page or a declaration in the middle. A few seconds of
        latency is fine for minute-scale timeouts."""
        while not self._stopping.is_set():
            try:
                await self.tick()
            except Exception:
                self.failures.failed("scheduler tick")
            else:
                self.failures.succeeded("scheduler tick")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), interval)

    def stop(self) -> None:
        self._stopping.set()
