"""Serve the Bolt app over HTTP with aiohttp, or through Socket Mode.

We build the aiohttp application ourselves (rather than ``app.start()``) to add ``/healthz`` for
load balancers and orchestrators, and so that tests and the benchmark can run the very same
server on a free local port.
"""

from __future__ import annotations

import asyncio
import gc
import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


def freeze_startup_objects() -> None:
    """Start-up objects (plan, app, SDK modules) live as long as the process: move them out of the
    garbage collector's way, so full collections stay short in a burst of commands (without this,
    bench/slack_start.py saw 130 ms pauses in acknowledgements)."""
    gc.collect()
    gc.freeze()


def web_app(bolt: AsyncApp, *, events_route: bool = True) -> web.Application:
    """``events_route=False`` for Socket Mode: no signing secret is set then, so no HTTP entry."""

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    application = web.Application()
    application.add_routes([web.get("/healthz", healthz)])
    if events_route:
        application.add_routes([web.post(EVENTS_PATH, events)])
    return application


async def start_http(bolt: AsyncApp, host: str, port: int, *, events_route: bool = True) -> web.AppRunner:
    """Start listening and return the runner; ``await runner.cleanup()`` stops it."""
    runner = web.AppRunner(web_app(bolt, events_route=events_route), access_log=None)
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


async def serve_forever(bolt: AsyncApp, host: str, port: int, app_token: str | None) -> None:
    """HTTP mode, or Socket Mode with only ``/healthz`` on HTTP (for the container health check)."""
    runner = await start_http(bolt, host, port, events_route=not app_token)
    try:
        if app_token:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            log.info("crisisbot: Slack Socket Mode; health on http://%s:%s/healthz", host, port)
            await AsyncSocketModeHandler(bolt, app_token).start_async()  # type: ignore[no-untyped-call]
        else:
            log.info("crisisbot: listening on http://%s:%s%s", host, port, EVENTS_PATH)
            await asyncio.Event().wait()
    finally:
        await runner.cleanup()
