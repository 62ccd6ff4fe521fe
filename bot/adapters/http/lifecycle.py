"""Readiness and shutdown of the server: when to take traffic, and how to stop without losing any.

An orchestrator sends a replica traffic once ``/readyz`` answers 200, and on a rolling restart
sends it SIGTERM. From then on the replica fails readiness at once, so the load balancer moves on;
requests that still reach it are answered 503 at once (a clear "try another replica", never a
half-done command), and the requests and background work under way are given time to finish.
Ready means more than "the database answers": a replica whose chat credentials were refused
would accept a declaration and then fail to create its war room, so each platform's credentials
must have been accepted once (checked at start-up off the request path, and again on later probes
while they fail, since a network down at start-up must not keep a replica out for good).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

from bot.adapters.http.server import Handler, NotReady, Readiness, ReadinessCheck

log = logging.getLogger(__name__)
RECHECK_S = 15.0  # how often a refused or unreachable platform is asked again, at most
WAIT_S = 2.0  # how long a probe waits for a check under way (the probe itself gives up at 5 s)
ALWAYS_OPEN = frozenset({"/healthz", "/readyz", "/metrics"})  # probes keep answering while stopping


class Lifecycle:
    """Whether this process still takes requests, and how many are under way."""

    def __init__(self) -> None:
        self.stopping = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def stop(self) -> None:
        self.stopping = True

    async def idle(self) -> None:
        """Return once no request is under way (those refused while stopping never start)."""
        await self._idle.wait()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in ALWAYS_OPEN:
            return await handler(request)
        if self.stopping:
            return web.json_response(
                {"error": "shutting down", "why": "this replica is stopping: send the request to another one"},
                status=503,
                headers={"Retry-After": "1", "Connection": "close"},
            )
        self._in_flight += 1
        self._idle.clear()
        try:
            return await handler(request)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()


@dataclass
class Credentials:
    """One platform's credentials, checked by a call that proves them (Slack's ``auth.test``, a
    Teams token); ``why`` says what went wrong while they are not known to be good."""

    platform: str
    check: Callable[[], Awaitable[None]]
    accepted: bool = False
    why: str = ""
    _asked_at: float = 0.0
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Check now, in the background: start-up does not wait on the platform."""
        self._asked_at = time.monotonic()
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        try:
            await self.check()
        except Exception as exc:  # a refused token and an unreachable platform alike: not ready
            # the platform's client logged the failure; the probe logs the verdict when it changes
            self.why = f"{self.platform} did not accept the credentials: {getattr(exc, 'user_message', None) or exc}"
        else:
            log.info("%s accepted the credentials", self.platform)
            self.accepted, self.why = True, ""

    async def verdict(self) -> str | None:
        """None once accepted; else why not. A check under way is waited for a moment (a probe
        right after start-up gets the answer, not "unknown"); a failed one is asked again when
        it is ``RECHECK_S`` old."""
        if self.accepted:
            return None
        if self._task is None or (self._task.done() and time.monotonic() - self._asked_at >= RECHECK_S):
            self.start()
        assert self._task is not None
        await asyncio.wait({self._task}, timeout=WAIT_S)
        if self.accepted:
            return None
        return self.why or f"checking the credentials with {self.platform}"


@dataclass(frozen=True)
class ServeReadiness:
    """``/readyz`` for ``serve``: not while stopping, nor before every platform's credentials were
    accepted; then whatever the database check says."""

    lifecycle: Lifecycle
    database: ReadinessCheck
    credentials: tuple[Credentials, ...]

    async def __call__(self) -> Readiness:
        if self.lifecycle.stopping:
            return NotReady("shutting down: finishing the requests under way", planned=True)
        for platform in self.credentials:
            why = await platform.verdict()
            if why is not None:
                return NotReady(why, details=_platforms(self.credentials))
        return await self.database()


def _platforms(credentials: tuple[Credentials, ...]) -> Mapping[str, str]:
    return {c.platform.lower(): "accepted" if c.accepted else "not accepted" for c in credentials}
