"""The scheduler: claim due pages, climb each one step, remind overdue status updates, repeat.

Due times are rows in the database, so a restart loses no timer: whichever process runs the loop
next claims what is due. Claims are leases (see :mod:`bot.storage.pages`): two replicas polling
the same database never fire one page twice, and a replica that dies mid-fire leaves a lease that
expires, after which another replica takes the page over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.core.paging import PagingService
from bot.core.ports import Clock, PageRepository
from bot.core.timeline import Timeline

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)


class Scheduler:
    def __init__(
        self,
        paging: PagingService,
        pages: PageRepository,
        clock: Clock,
        owner: str,
        timeline: Timeline | None = None,
        resume: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        # resume: finish declarations a dead process left half done, once its lease has expired
        self.resume = resume
        self.timeline = timeline
        self.paging = paging
        self.pages = pages
        self.clock = clock
        self.owner = owner
        self.fired = 0

    async def tick(self, limit: int = 20) -> int:
        """Fire what is due now; returns how many pages moved. Tests call this with a manual clock."""
        now = self.clock.now()
        moved = 0
        for page in await self.pages.claim_due(self.owner, now, now + LEASE, limit):
            try:
                if await self.paging.fire(page, self.owner):
                    moved += 1
            except Exception:  # one broken page must not stop the others; its lease expires, it is retried
                log.exception("firing page %s failed", page.id)
        self.fired += moved
        for chore in (self.timeline.remind_overdue if self.timeline else None, self.resume):
            if chore is not None:
                try:
                    await chore()
                except Exception:
                    log.exception("scheduler chore %s failed", getattr(chore, "__name__", chore))
        return moved

    async def run(self, interval: float = 5.0) -> None:
        """Poll until cancelled. A few seconds of latency is fine for minute-scale timeouts."""
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler tick failed; retrying")
            await asyncio.sleep(interval)
