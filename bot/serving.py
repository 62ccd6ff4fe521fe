"""``crisisbot serve``: every configured chat platform in one process, on one port and one database.

Each platform gets its own core (its chat port, its scheduler), scoped to the crises it runs, so a
Teams crisis never gets a Slack channel nor a Slack page card; they share the database, the plan,
the HTTP server (``/healthz``, ``/readyz``, ``/slack/events``, ``/api/messages``, ``/intake/...``)
and the listening intake. Only the platform chosen for listening posts possible-crisis cards.

SIGTERM (or Ctrl-C) stops it gracefully: readiness fails at once and new requests get 503, the
requests and background work under way finish (within ``CRISISBOT_SHUTDOWN_TIMEOUT``; what is
still running then is cancelled, as a crash would), and the leases this process holds are
released so another replica takes its work over at its next tick instead of after they expire.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from bot import container
from bot.adapters.http import server as http
from bot.adapters.http.intake import intake_endpoint, intake_secrets
from bot.adapters.http.lifecycle import Credentials, Lifecycle, ServeReadiness
from bot.adapters.http.server import Endpoint
from bot.adapters.work import Work
from bot.config import Settings
from bot.core.plan.model import LoadedPlan
from bot.core.ports import DraftRenderer
from bot.observability.logs import log_context
from bot.observability.metrics import Metrics
from bot.observability.pool import pool_reader
from bot.observability.telemetry import PlatformCalls, PlatformTelemetry
from bot.storage.health import database_readiness

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

log = logging.getLogger(__name__)
NAMES = {"slack": "Slack", "teams": "Microsoft Teams"}


@dataclass
class Served:
    """What the platforms brought: routes, cores, credentials to prove, work to finish."""

    endpoints: list[Endpoint] = field(default_factory=list)
    cores: dict[str, container.Core] = field(default_factory=dict)
    credentials: list[Credentials] = field(default_factory=list)
    drains: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    work: list[Work] = field(default_factory=list)
    socket_mode: tuple[AsyncApp, str] | None = None


async def serve_platforms(
    settings: Settings, loaded: LoadedPlan, renderer: DraftRenderer, store: container.Storage
) -> None:
    """Serve until SIGTERM or SIGINT; call only once each platform's settings were checked."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    lifecycle = Lifecycle()
    metrics = Metrics()
    metrics.watch_pool("main", pool_reader(store.engine))
    async with AsyncExitStack() as stack:
        served = await _platforms(settings, loaded, renderer, store, stack, metrics)
        listener = served.cores[settings.listening_on].service
        served.endpoints.append(intake_endpoint(listener, intake_secrets(os.environ, listener.intake_sources)))
        schedulers = [asyncio.ensure_future(core.scheduler.run()) for core in served.cores.values()]
        stack.push_async_callback(_cancel, schedulers)
        for credentials in served.credentials:
            credentials.start()
        ready = ServeReadiness(lifecycle, database_readiness(store.engine), tuple(served.credentials))
        application = http.build(served.endpoints, ready=ready, middlewares=[lifecycle.middleware], metrics=metrics)
        runner = await http.start(application, settings.host, settings.port)
        stack.push_async_callback(runner.cleanup)
        names = ", ".join(f"{NAMES[p]} ({_entry(p, served.socket_mode is not None)})" for p in served.cores)
        log.info("crisisbot: listening on http://%s:%s for %s", settings.host, settings.port, names)
        socket_mode = asyncio.ensure_future(_socket_mode(served.socket_mode, stop))
        stack.push_async_callback(_cancel, [socket_mode])
        await stop.wait()
        await _wind_down(settings, lifecycle, served, schedulers, store)


async def _platforms(
    settings: Settings,
    loaded: LoadedPlan,
    renderer: DraftRenderer,
    store: container.Storage,
    stack: AsyncExitStack,
    metrics: Metrics,
) -> Served:
    """Each configured platform built, its clients closed last when the stack unwinds."""
    served = Served()
    listening = settings.listening_on
    if "slack" in settings.platforms:
        from bot.adapters.slack.retries import count_retries
        from bot.adapters.slack.server import events_endpoint, freeze_startup_objects

        telemetry = PlatformTelemetry(metrics, "slack")
        bolt, core, chat, handlers = container.slack_bot(
            settings, loaded, store, renderer, listening=listening == "slack", telemetry=telemetry
        )
        stack.push_async_callback(chat.aclose)
        app_token = settings.slack_app_token.get_secret_value().strip() if settings.slack_app_token else ""
        if app_token:
            served.socket_mode = (bolt, app_token)  # no signing secret then: no HTTP entry for Slack
        else:
            served.endpoints.append(timed(events_endpoint(bolt), metrics, "slack"))
        served.cores["slack"] = core
        chat.on_error = functools.partial(metrics.chat_error, "slack")
        count_retries(chat.client.retry_handlers, functools.partial(metrics.chat_retry, "slack"))
        served.credentials.append(Credentials("Slack", chat.identity))
        served.drains.append(handlers.drain)
        served.work.append(handlers.work)
        freeze_startup_objects()
    if "teams" in settings.platforms:
        teams_telemetry = PlatformTelemetry(metrics, "teams")
        teams = container.teams_bot(
            settings, loaded, store, renderer, listening=listening == "teams", telemetry=teams_telemetry
        )
        stack.push_async_callback(teams.aclose)
        served.endpoints.extend(timed(endpoint, metrics, "teams") for endpoint in await teams.start())
        served.cores["teams"] = teams.core
        for caller in (teams.chat.connector.caller, teams.chat.graph.caller):
            caller.counter = PlatformCalls(metrics, "teams")
        served.credentials.append(Credentials("Microsoft Teams", teams.verify))
        served.drains.append(teams.drain)
        served.work.append(teams.handlers.work)
    return served


def timed(endpoint: Endpoint, metrics: Metrics, platform: str) -> Endpoint:
    """A platform's route, its answers timed as acknowledgements (the wait a person sees) and
    its log lines marked with the platform."""
    handler = endpoint.handler

    async def acknowledge(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        try:
            with log_context(platform=platform):  # on every line of the request and its work
                return await handler(request)
        finally:
            metrics.ack_seconds(platform, time.perf_counter() - started)

    return dataclasses.replace(endpoint, handler=acknowledge)


async def _socket_mode(socket_mode: tuple[AsyncApp, str] | None, stop: asyncio.Event) -> None:
    if socket_mode is None:
        return
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    bolt, app_token = socket_mode
    handler = AsyncSocketModeHandler(bolt, app_token)
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        await stop.wait()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


async def _wind_down(
    settings: Settings,
    lifecycle: Lifecycle,
    served: Served,
    schedulers: Sequence[asyncio.Future[None]],
    store: container.Storage,
) -> None:
    timeout = settings.shutdown_timeout
    lifecycle.stop()
    log.info("stopping: not ready, new requests get 503; finishing the work under way (at most %g s)", timeout)
    try:
        async with asyncio.timeout(timeout):
            await lifecycle.idle()
            for core in served.cores.values():
                core.scheduler.stop()  # each returns after its tick under way
            await asyncio.gather(*schedulers, return_exceptions=True)
            await asyncio.gather(*(drain() for drain in served.drains))
    except TimeoutError:
        cancelled = sum([await work.cancel() for work in served.work])
        await _cancel(schedulers)
        log.warning(
            "stopping: %d piece(s) of work still running after %g s were cancelled; another replica resumes them",
            cancelled,
            timeout,
        )
    released = sum([await store.release_leases(core.holder) for core in served.cores.values()])
    log.info("stopped: %d lease(s) handed over to the other replicas", released)


async def _cancel(tasks: Sequence[asyncio.Future[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _entry(platform: str, socket_mode: bool) -> str:
    if platform == "slack":
        return "Socket Mode" if socket_mode else "POST /slack/events"
    return "POST /api/messages"
