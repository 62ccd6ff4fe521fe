"""Bolt's lazy listeners, run as tracked work: capped, and drained on demand.

Bolt starts each lazy listener with ``asyncio.ensure_future`` inside the request, before the
HTTP answer goes out, and keeps no reference to the task. Plugging this runner in (Bolt's own
serverless adapters replace the runner the same way) makes each of those tasks ``Work``: counted
from the moment it is started, so a drain right after the answer already waits for it, and
holding one of the slots that keep a burst of commands from starving the next acknowledgements.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from slack_bolt.lazy_listener.async_internals import to_runnable_function
from slack_bolt.lazy_listener.async_runner import AsyncLazyListenerRunner
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.adapters.work import Work


class TrackedLazyRunner(AsyncLazyListenerRunner):
    def __init__(self, work: Work, logger: logging.Logger) -> None:
        self.work = work
        self.logger = logger

    def start(self, function: Callable[..., Awaitable[None]], request: AsyncBoltRequest) -> None:
        name = getattr(function, "__name__", repr(function))

        # Bolt logs a listener's failure as one line; ours get their traceback (and Bolt reads
        # the wrapped signature to know which arguments to pass)
        @functools.wraps(function)
        async def logged(**kwargs: object) -> None:
            try:
                await function(**kwargs)
            except Exception:
                self.logger.exception("Slack listener %s failed", name)

        runnable = to_runnable_function(internal_func=logged, logger=self.logger, request=request)
        self.work.later(runnable, f"Slack listener {name}")
