"""One aiohttp server for every platform that reaches the bot over HTTP.

Slack's events, and later Microsoft Teams (``POST /api/messages``) and the social-listening intake
(``POST /intake/{source}``), share one port: a deployment opens one port, and its orchestrator
probes one ``/healthz`` (liveness: the process answers; no I/O, so a slow database never gets a
healthy process restarted) and one ``/readyz`` (readiness: send traffic only when the database
answers with the schema this version needs). Each platform brings its own routes as
:class:`Endpoint` s and keeps its own request rules; what every route gets from here is how it
fails. A bug answers 500 with a JSON body and leaves exactly one traceback in the log (aiohttp
alone answers a plain-text page). A handler still busy at its route's deadline is cancelled and
answers 503 at once, the stack it was stuck in going to the log: the chat platforms stop waiting
after a few seconds anyway (Slack 3, Teams 15), and a request nobody waits for should not hold on
to a database connection.

Every request runs inside a log context carrying its request id (the load balancer's
``X-Request-Id`` when it sends a sane one, else a new one, echoed back), so each line logged about it
can be found again; with ``metrics=`` the server also counts and times every route and serves
``/metrics``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot.observability.logs import log_context

if TYPE_CHECKING:
    from bot.observability.metrics import Metrics

log = logging.getLogger(__name__)
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
# A backstop for checks that do not bound themselves (the database check stops at 2 s): a probe that
# gets no answer says nothing about why, so say "not ready, and why" before the prober gives up.
READY_TIMEOUT = 5.0
REQUEST_ID_HEADER = "X-Request-Id"
# what a request id from outside may look like: it goes into every log line about the request
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Readiness(Protocol):
    """What a readiness check found; storage answers with its own type, so nothing below the
    adapters has to import this module."""

    @property
    def ready(self) -> bool: ...

    @property
    def why(self) -> str: ...

    @property
    def details(self) -> Mapping[str, str]: ...


ReadinessCheck = Callable[[], Awaitable[Readiness]]


@dataclass(frozen=True)
class NotReady:
    """The server's own verdict when the check itself could not give one."""

    why: str
    ready: bool = False
    details: Mapping[str, str] = field(default_factory=dict)
    planned: bool = False  # a shutdown: nothing to warn anyone about


@dataclass(frozen=True)
class Endpoint:
    """A route a platform serves; ``deadline`` is how long its caller waits for an answer (None:
    no limit), so a stuck handler answers 503 while the caller still listens."""

    method: str
    path: str
    handler: Handler
    deadline: float | None = None


def build(
    endpoints: Iterable[Endpoint] = (),
    *,
    ready: ReadinessCheck | None = None,
    ready_timeout: float = READY_TIMEOUT,
    middlewares: Sequence[Middleware] = (),
    metrics: Metrics | None = None,
) -> web.Application:
    """The application with the health routes, ``/readyz`` when there is a readiness check, and
    ``/metrics`` (with every request measured) when there are metrics; ``middlewares`` run inside
    the one that answers bugs (``serve``'s shutdown gate), so what they answer is measured too."""
    outer: list[Middleware] = [_request_context]
    if metrics is not None:
        outer.append(_measuring(metrics))
    application = web.Application(middlewares=[*outer, _answer_bugs, *middlewares])
    application.router.add_get(HEALTH_PATH, _healthz)
    if ready is not None:
        application.router.add_get(READY_PATH, _ReadinessProbe(ready, ready_timeout).answer)
    if metrics is not None:
        from bot.adapters.http.metrics import metrics_endpoint  # it builds on this module's Endpoint

        endpoints = [*endpoints, metrics_endpoint(metrics)]
    for endpoint in endpoints:
        application.router.add_route(endpoint.method, endpoint.path, _within_deadline(endpoint))
    return application


async def start(application: web.Application, host: str, port: int) -> web.AppRunner:
    """Start listening and return the runner; ``await runner.cleanup()`` stops it."""
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The port actually bound (tests ask for port 0)."""
    for site in runner.sites:
        server = getattr(site, "_server", None)
        for sock in getattr(server, "sockets", None) or []:
            return int(sock.getsockname()[1])
    raise RuntimeError("the server is not listening")


async def _healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@web.middleware
async def _request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The request id on every log line about this request, and on the answer for the caller."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = given if _SANE_REQUEST_ID.match(given) else uuid.uuid4().hex
    with log_context(request_id=request_id):
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers[REQUEST_ID_HEADER] = request_id
            raise
    response.headers[REQUEST_ID_HEADER] = request_id
    return response


def _measuring(metrics: Metrics) -> Middleware:
    """Counts and times every request by its route's template, so ``/intake/{source}`` is one
    series whatever the source, and a scan of random paths is one ``unmatched`` series."""

    @web.middleware
    async def measure(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        except asyncio.CancelledError:
            status = 499  # the caller hung up: not the server's failure
            raise
        finally:
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else "unmatched"
            metrics.http_request(route, status, time.perf_counter() - started)

    return measure


@web.middleware
async def _answer_bugs(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The last line for what no handler expected: one traceback in the log, a JSON 500 out."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise  # aiohttp's own answers (404, 405, 413 ...) are not bugs
    except Exception:
        log.exception("%s %s failed; answered 500", request.method, request.path)
        return web.json_response({"error": "internal error"}, status=500)


def _within_deadline(endpoint: Endpoint) -> Handler:
    deadline = endpoint.deadline
    if deadline is None:
        return endpoint.handler

    async def bounded(request: web.Request) -> web.StreamResponse:
        limit = asyncio.timeout(deadline)
        try:
            async with limit:
                return await endpoint.handler(request)
        except TimeoutError:
            if not limit.expired():
                raise  # the handler's own timeout: a bug like any other
            # the traceback runs down to the await that was still pending when time ran out
            log.error(
                "%s %s: no answer within %g s; cancelled, answered 503",
                request.method,
                request.path,
                deadline,
                exc_info=True,
            )
            return web.json_response({"error": "timed out", "deadline_s": deadline}, status=503)

    return bounded


class _ReadinessProbe:
    """Answers ``/readyz``; logs only when the verdict changes, since probes come every few
    seconds and a database that stays down would otherwise fill the log."""

    def __init__(self, check: ReadinessCheck, timeout: float) -> None:
        self.check = check
        self.timeout = timeout
        self.last_why: str | None = None  # None: ready, or not asked yet

    async def answer(self, _: web.Request) -> web.Response:
        failure: BaseException | None = None
        limit = asyncio.timeout(self.timeout)
        try:
            async with limit:
                verdict: Readiness = await self.check()
        except Exception as exc:
            if isinstance(exc, TimeoutError) and limit.expired():
                verdict = NotReady(f"the readiness check did not finish within {self.timeout:g} s")
            else:
                failure = exc
                verdict = NotReady(f"the readiness check failed ({type(exc).__name__})")
        self._log_change(verdict, failure)
        body: dict[str, object] = {"status": "ready" if verdict.ready else "not ready"}
        if not verdict.ready:
            body["why"] = verdict.why
        if verdict.details:
            body["details"] = dict(verdict.details)
        return web.json_response(body, status=200 if verdict.ready else 503)

    def _log_change(self, verdict: Readiness, failure: BaseException | None) -> None:
        why = None if verdict.ready else verdict.why
        if why == self.last_why:
            return
        if why is None:
            log.info("ready again")
        elif failure is not None:
            log.error("not ready: %s", why, exc_info=failure)  # a check that raises is a bug
        elif isinstance(verdict, NotReady) and verdict.planned:
            log.info("not ready: %s", why)
        else:
            log.warning("not ready: %s", why)
        self.last_why = why
