"""The Teams SDK app, hosted on crisisbot's own aiohttp server, with every option explicit.

The SDK would start its own FastAPI server; ``App(http_server_adapter=...)`` takes any object that
can register a route instead, so :class:`AiohttpRoutes` turns its ``POST /api/messages`` into an
:class:`Endpoint` of the shared server: one process, one port for Slack, Teams and the probes.

Every option is passed, because the SDK reads ``CLIENT_ID``, ``CLIENT_SECRET``, ``CLOUD``,
``SERVICE_URL`` and ``DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS`` from the environment (and a
``.env``) for any option left out: no stray variable may switch authentication off or point the
bot elsewhere. The SDK's token validator is then replaced by one that reads the signing keys this
adapter holds (see :mod:`keys`), and accepts Bot Framework tokens only: the SDK's other path (Agent
365 tokens, which crisisbot does not use) would fetch a tenant's keys, blocking, on demand.

This module imports the SDK: import it only when Teams is configured (~2 s, ~60 MB).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from microsoft_teams.api import ApiClientSettings
from microsoft_teams.api.auth.cloud_environment import CloudEnvironment, from_name, with_overrides
from microsoft_teams.apps import App
from microsoft_teams.apps.auth.token_validator import JwtValidationOptions, TokenValidator
from microsoft_teams.apps.http.adapter import HttpMethod, HttpRequest, HttpRouteHandler
from microsoft_teams.apps.routing.activity_context import ActivityContext
from microsoft_teams.common import LocalStorage

from bot.adapters.http.bodies import MalformedBody, json_object, utf8
from bot.adapters.http.server import Endpoint
from bot.adapters.teams.keys import HeldKeys

log = logging.getLogger(__name__)
# The SDK logs every refused token as a warning or an error, with text from the token: a flood
# anyone who can reach the port can cause. Refusals are logged here instead (debug).
for _noisy in ("microsoft_teams.apps.http.http_server", "microsoft_teams.apps.auth.token_validator"):
    logging.getLogger(_noisy).setLevel(logging.CRITICAL)
MESSAGES_PATH = "/api/messages"
# Teams waits about 15 s; a handler stuck longer is cancelled and answered 503 before that
DEADLINE = 12.0
Route = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]


def cloud_of(name: str, login_url: str | None, openid_url: str | None, graph_url: str | None) -> CloudEnvironment:
    """The SDK's cloud, with crisisbot's endpoint overrides (sovereign clouds, offline tests)."""
    graph_scope = f"{graph_url.rstrip('/')}/.default" if graph_url else None
    base = from_name(name)
    return with_overrides(
        base,
        login_endpoint=login_url.rstrip("/") if login_url else None,
        openid_metadata_url=openid_url,
        graph_scope=graph_scope,
    )


def keys_url(cloud: CloudEnvironment) -> str:
    """The keys sit beside the OpenID configuration: ``.../v1/.well-known/keys``."""
    return re.sub(r"/openidconfiguration/?$", "/keys", cloud.openid_metadata_url)


def graph_base(cloud: CloudEnvironment) -> str:
    return cloud.graph_scope.removesuffix("/.default")


class AiohttpRoutes:
    """The SDK's ``HttpServerAdapter``: routes it registers become endpoints of crisisbot's server."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], HttpRouteHandler] = {}

    def register_route(self, method: HttpMethod, path: str, handler: HttpRouteHandler) -> None:
        self.routes[(method, path)] = handler

    def serve_static(self, path: str, directory: str) -> None:
        raise NotImplementedError("crisisbot serves no static files for Teams")

    async def start(self, port: int) -> None:
        raise RuntimeError("crisisbot's own server listens; the Teams app only adds its route")

    async def stop(self) -> None:
        return None

    def endpoints(self, deadline: float | None = DEADLINE) -> list[Endpoint]:
        return [Endpoint(method, path, _aiohttp(handler), deadline) for (method, path), handler in self.routes.items()]


def _aiohttp(handler: HttpRouteHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def answer(request: web.Request) -> web.StreamResponse:
        try:
            body = json_object(utf8(await request.read()))
        except MalformedBody as exc:
            return web.json_response({"error": "malformed request", "why": str(exc)}, status=400)
        response = await handler(HttpRequest(body=body, headers=dict(request.headers)))
        if response["status"] == 401:
            # debug only, as for Slack: whoever can reach the port could otherwise write to the log at will
            log.debug("unauthenticated or wrongly signed request to %s refused", request.path)
        if response["body"] is None:
            return web.Response(status=response["status"])
        return web.Response(
            status=response["status"], text=json.dumps(response["body"], default=str), content_type="application/json"
        )

    return answer


class ServiceTokens:
    """Validates an activity's token: Bot Framework issuer, the app as audience, the activity's
    serviceUrl in the token, a key this process holds; nothing is fetched while validating."""

    def __init__(self, app_id: str, cloud: CloudEnvironment, keys: HeldKeys) -> None:
        options = JwtValidationOptions(
            valid_issuers=[cloud.token_issuer],
            valid_audiences=[app_id, f"api://{app_id}", f"api://botid-{app_id}"],
            jwks_uri=keys.uri,
        )
        self.validator = TokenValidator(options)
        self.validator._jwks_client = keys  # the SDK's own client fetches, blocking, on the loop

    async def validate_token(self, raw_token: str, service_url: str | None = None) -> dict[str, Any]:
        if not service_url:
            raise ValueError("an activity without a serviceUrl")  # the claim must be checked
        return await self.validator.validate_token(raw_token, service_url)


async def teams_app(
    *,
    app_id: str,
    password: str,
    tenant_id: str,
    cloud: CloudEnvironment,
    keys: HeldKeys,
    route: Route,
) -> tuple[App, AiohttpRoutes]:
    """The initialized SDK app (authentication on) and the routes it registered."""
    routes = AiohttpRoutes()
    app = App(
        client_id=app_id,
        client_secret=password,
        tenant_id=tenant_id,
        token=None,
        application_id_uri=None,
        managed_identity_client_id=None,
        client=None,
        storage=LocalStorage(),
        plugins=[],
        state=False,
        dangerously_allow_unauthenticated_requests=False,
        http_server_adapter=routes,
        messaging_endpoint=MESSAGES_PATH,
        fetch_user_token=False,
        api_client_settings=ApiClientSettings(oauth_url=cloud.token_service_url),
        service_url="https://smba.trafficmanager.net/teams",  # unused: replies go to each activity's
        cloud=cloud,
        telemetry={"agent365": False},
    )

    async def on_activity(ctx: ActivityContext[Any]) -> Any:
        return await route(ctx.activity.model_dump(by_alias=True, exclude_none=True, mode="json"))

    app.on_activity(on_activity)
    await app.initialize()
    if app.server._token_validator is None:
        raise RuntimeError("the Teams SDK set up no token validation")
    app.server._token_validator = ServiceTokens(app_id, cloud, keys)  # type: ignore[assignment]
    return app, routes
