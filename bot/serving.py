"""``crisisbot serve``: every configured chat platform in one process, on one port and one database.

Each platform gets its own core (its chat port, its scheduler), scoped to the crises it runs, so a
Teams crisis never gets a Slack channel nor a Slack page card; they share the database, the plan,
the HTTP server (``/healthz``, ``/readyz``, ``/slack/events``, ``/api/messages``, ``/intake/...``)
and the listening intake. Only the platform chosen for listening posts possible-crisis cards.

Shutdown runs in reverse: stop taking requests, stop the schedulers, let started work finish,
then close the platforms' clients.
"""

from __future__ import annotations

import asyncio
import logging
import os
from contextlib import AsyncExitStack

from bot import container
from bot.adapters.http import server as http
from bot.adapters.http.intake import intake_endpoint, intake_secrets
from bot.adapters.http.server import Endpoint
from bot.config import Settings
from bot.core.plan.model import LoadedPlan
from bot.core.ports import DraftRenderer
from bot.storage.health import database_readiness

log = logging.getLogger(__name__)
NAMES = {"slack": "Slack", "teams": "Microsoft Teams"}


async def serve_platforms(
    settings: Settings, loaded: LoadedPlan, renderer: DraftRenderer, store: container.Storage
) -> None:
    """Serve until cancelled; call only once each platform's settings were checked."""
    platforms = settings.platforms
    listening = settings.listening_on
    async with AsyncExitStack() as stack:
        endpoints: list[Endpoint] = []
        cores: dict[str, container.Core] = {}
        socket_mode = None
        if "slack" in platforms:
            from bot.adapters.slack.server import events_endpoint, freeze_startup_objects

            bolt, core, chat, handlers = container.slack_bot(
                settings, loaded, store, renderer, listening=listening == "slack"
            )
            stack.push_async_callback(chat.aclose)
            stack.push_async_callback(handlers.drain)
            app_token = settings.slack_app_token.get_secret_value().strip() if settings.slack_app_token else ""
            if app_token:
                socket_mode = (bolt, app_token)  # no signing secret then: no HTTP entry for Slack
            else:
                endpoints.append(events_endpoint(bolt))
            cores["slack"] = core
            freeze_startup_objects()
        if "teams" in platforms:
            teams = container.teams_bot(settings, loaded, store, renderer, listening=listening == "teams")
            stack.push_async_callback(teams.aclose)
            endpoints.extend(await teams.start())
            cores["teams"] = teams.core
        listener = cores[listening].service
        endpoints.append(intake_endpoint(listener, intake_secrets(os.environ, listener.intake_sources)))
        for core in cores.values():
            await stack.enter_async_context(container.background(core))
        ready = database_readiness(store.engine)
        runner = await http.start(http.build(endpoints, ready=ready), settings.host, settings.port)
        stack.push_async_callback(runner.cleanup)
        served = ", ".join(f"{NAMES[p]} ({_entry(p, socket_mode is not None)})" for p in platforms)
        log.info("crisisbot: %s, listening on http://%s:%s", served, settings.host, settings.port)
        if socket_mode is not None:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            bolt, app_token = socket_mode
            await AsyncSocketModeHandler(bolt, app_token).start_async()  # type: ignore[no-untyped-call]
        else:
            await asyncio.Event().wait()


def _entry(platform: str, socket_mode: bool) -> str:
    if platform == "slack":
        return "Socket Mode" if socket_mode else "POST /slack/events"
    return "POST /api/messages"
