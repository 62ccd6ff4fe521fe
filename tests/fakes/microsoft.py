"""A local fake of Microsoft's side of a Teams bot, over real HTTP, in its own thread.

It serves what the real SDK and crisisbot's adapter call: the Bot Framework OpenID configuration
and signing keys (in its own thread because the SDK's key client blocks the loop that asks), the
Entra token endpoint, the Bot Connector (post, update, open a 1:1 chat) under a regional
serviceUrl with a path (``/amer/``), and Graph v1.0 channels, members, user lookups, group chats
and the app catalog with Teams' rules (see ``microsoft_state`` and ``microsoft_chats``). Calls
without the right bearer token are refused.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from tests.fakes.microsoft_chats import ChatRoutes
from tests.fakes.microsoft_keys import SigningKey, opaque_token
from tests.fakes.microsoft_state import Fault, MicrosoftState, Sent

APP_ID = "00000000-0000-4000-8000-00000000a99a"
APP_PASSWORD = "fake-app-password"
TENANT_ID = "11111111-1111-4111-8111-111111111111"
TEAM_ID = "22222222-2222-4222-8222-222222222222"
BOT_SCOPE = "https://api.botframework.com/.default"


class FakeMicrosoft:
    def __init__(self, state: MicrosoftState | None = None) -> None:
        self.state = state or MicrosoftState(TENANT_ID, TEAM_ID)
        self.key = SigningKey.new("test-key-1")
        # a slow key server: while the gate is closed, key requests wait (in the fake's own thread)
        self.keys_gate = threading.Event()
        self.keys_gate.set()
        self.key_fetch_started = threading.Event()
        self.key_fetches = 0
        self.base_url = ""
        self._tokens: dict[str, str] = {}  # token -> scope
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # -- addresses the app is configured with ----------------------------------------------------

    @property
    def login_url(self) -> str:
        return f"{self.base_url}/login"

    @property
    def openid_url(self) -> str:
        return f"{self.base_url}/botframework/v1/.well-known/openidconfiguration"

    @property
    def graph_url(self) -> str:
        return f"{self.base_url}/graph"

    @property
    def service_url(self) -> str:
        return f"{self.base_url}/amer/"

    def settings(self) -> dict[str, str]:
        """The ``TEAMS_*`` environment of a crisisbot that talks to this fake, as an operator sets it."""
        return {
            "TEAMS_APP_ID": APP_ID,
            "TEAMS_APP_PASSWORD": APP_PASSWORD,
            "TEAMS_TENANT_ID": TENANT_ID,
            "TEAMS_LOGIN_URL": self.login_url,
            "TEAMS_OPENID_METADATA_URL": self.openid_url,
            "TEAMS_GRAPH_URL": self.graph_url,
        }

    @property
    def graph_scope(self) -> str:
        return f"{self.graph_url}/.default"

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeMicrosoft:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-microsoft", daemon=True)
        self._thread.start()
        port = asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        self.keys_gate.set()  # a key request still held must not keep the server from stopping
        if self._loop is None or self._thread is None:
            return
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> FakeMicrosoft:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def _serve(self) -> int:
        app = web.Application(middlewares=[_lose_answers])
        r = app.router
        r.add_get("/botframework/v1/.well-known/openidconfiguration", self._openid)
        r.add_get("/botframework/v1/.well-known/keys", self._keys)
        r.add_post("/login/{tenant}/oauth2/v2.0/token", self._token)
        r.add_get("/graph/v1.0/teams/{team}/channels", self._channels)
        r.add_post("/graph/v1.0/teams/{team}/channels", self._create_channel)
        r.add_get("/graph/v1.0/teams/{team}/members", self._team_members)
        r.add_post("/graph/v1.0/teams/{team}/members", self._add_team_member)
        r.add_post("/graph/v1.0/teams/{team}/channels/{channel}/members", self._add_channel_member)
        r.add_get("/graph/v1.0/users/{user}", self._user)
        ChatRoutes(self.state, self._graph, _user_of).register(r)
        r.add_post("/{region}/v3/conversations", self._open_personal)
        r.add_post("/{region}/v3/conversations/{conversation}/activities", self._post_activity)
        r.add_get("/{region}/v3/conversations/{conversation}/members/{member}", self._member)
        r.add_put("/{region}/v3/conversations/{conversation}/activities/{activity}", self._update_activity)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    # -- keys and tokens -----------------------------------------------------------------------

    async def _openid(self, _: web.Request) -> web.Response:
        keys = self.openid_url.replace("/openidconfiguration", "/keys")
        return web.json_response({"issuer": "https://api.botframework.com", "jwks_uri": keys})

    async def _keys(self, _: web.Request) -> web.Response:
        self.key_fetches += 1
        self.key_fetch_started.set()
        await asyncio.get_running_loop().run_in_executor(None, self.keys_gate.wait, 60)
        return web.json_response({"keys": [self.key.jwk()]})

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.state.token_requests.append(
            {k: str(v) for k, v in form.items()} | {"tenant": request.match_info["tenant"]}
        )
        if form.get("client_id") != APP_ID or form.get("client_secret") != APP_PASSWORD:
            return web.json_response({"error": "invalid_client"}, status=401)
        if form.get("grant_type") != "client_credentials" or not str(form.get("scope", "")).endswith("/.default"):
            return web.json_response({"error": "invalid_request"}, status=400)
        token = opaque_token(str(form["scope"]))
        self._tokens[token] = str(form["scope"])
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "access_token": token})

    def _refused(self, request: web.Request, scope: str) -> web.Response | None:
        self.state.calls.append((request.method, request.path))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self._tokens.get(token) != scope:
            return web.json_response({"error": {"code": "Unauthorized", "message": "bad token"}}, status=401)
        fault = self.state.take_fault(f"{request.method} {request.match_info.route.resource.canonical}")  # type: ignore[union-attr]
        if fault is not None and (fault.lost or fault.dropped):
            request[LOST] = fault  # the route does its work; the middleware replaces its answer
        elif fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            body = {"error": {"code": fault.code, "message": "injected"}}
            return web.json_response(body, status=fault.status, headers=headers)
        return None

    # -- Graph ---------------------------------------------------------------------------------

    def _graph(self, request: web.Request) -> web.Response | None:
        refused = self._refused(request, self.graph_scope)
        if refused is None and request.match_info.get("team", TEAM_ID) != TEAM_ID:
            return web.json_response({"error": {"code": "NotFound", "message": "no such team"}}, status=404)
        return refused

    async def _channels(self, request: web.Request) -> web.Response:
        refused = self._graph(request)
        rows = [self.state.channel_json(c) for c in self.state.channels.values()]
        return refused or web.json_response({"value": rows})

    async def _create_channel(self, request: web.Request) -> web.Response:
        if refused := self._graph(request):
            return refused
        body: dict[str, Any] = await request.json()
        owners = [_user_of(m) for m in body.get("members") or [] if "owner" in (m.get("roles") or [])]
        private = body.get("membershipType") == "private"
        name, description = str(body.get("displayName") or ""), str(body.get("description") or "")
        status, answer = self.state.create_channel(name, private, owners, description)
        return web.json_response(answer, status=status)

    async def _team_members(self, request: web.Request) -> web.Response:
        refused = self._graph(request)
        return refused or web.json_response({"value": [{"userId": u} for u in sorted(self.state.team_members)]})

    async def _add_team_member(self, request: web.Request) -> web.Response:
        if refused := self._graph(request):
            return refused
        self.state.team_members.add(_user_of(await request.json()))
        return web.json_response({}, status=201)

    async def _add_channel_member(self, request: web.Request) -> web.Response:
        if refused := self._graph(request):
            return refused
        status, answer = self.state.add_channel_member(request.match_info["channel"], _user_of(await request.json()))
        return web.json_response(answer, status=status)

    async def _user(self, request: web.Request) -> web.Response:
        if refused := self._graph(request):
            return refused
        found = self.state.users_by_email.get(request.match_info["user"].lower())
        if found is None:
            return web.json_response({"error": {"code": "Request_ResourceNotFound", "message": "no user"}}, status=404)
        return web.json_response({"id": found})

    # -- the Bot Connector ---------------------------------------------------------------------

    def _service_url(self, request: web.Request) -> str:
        return f"{self.base_url}/{request.match_info['region']}/"

    async def _open_personal(self, request: web.Request) -> web.Response:
        if refused := self._refused(request, BOT_SCOPE):
            return refused
        body = await request.json()
        user = str((body.get("members") or [{}])[0].get("id") or "")
        if user not in self.state.installed_for:
            return web.json_response({"error": {"code": "Forbidden", "message": "app not installed"}}, status=403)
        conversation = self.state.personal.setdefault(user, f"a:personal-{user}")
        return web.json_response({"id": conversation})

    async def _member(self, request: web.Request) -> web.Response:
        if refused := self._refused(request, BOT_SCOPE):
            return refused
        found = self.state.members.get(request.match_info["member"])
        if found is None:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation", "message": "no"}}, status=404)
        return web.json_response(found)

    def _not_in_chat(self, request: web.Request) -> web.Response | None:
        """Teams refuses a bot's post in a group chat its app is not installed in."""
        conversation = request.match_info["conversation"].split(";", 1)[0]
        if conversation in self.state.chats and not self.state.app_installed_in(conversation, APP_ID):
            body = {"error": {"code": "BotNotInConversationRoster", "message": "The bot is not part of the roster"}}
            return web.json_response(body, status=403)
        return None

    async def _post_activity(self, request: web.Request) -> web.Response:
        if refused := self._refused(request, BOT_SCOPE) or self._not_in_chat(request):
            return refused
        sent = Sent(
            self._service_url(request), request.match_info["conversation"], await request.json(), self.state.next_id()
        )
        self.state.record(sent)
        return web.json_response({"id": sent.id})

    async def _update_activity(self, request: web.Request) -> web.Response:
        if refused := self._refused(request, BOT_SCOPE) or self._not_in_chat(request):
            return refused
        conversation, activity_id = request.match_info["conversation"], request.match_info["activity"]
        self.state.record(Sent(self._service_url(request), conversation, await request.json(), activity_id, True))
        return web.json_response({"id": activity_id})


LOST = web.RequestKey("lost", Fault)


@web.middleware
async def _lose_answers(request: web.Request, handler: Handler) -> web.StreamResponse:
    answer = await handler(request)
    fault = request.get(LOST)
    if fault is None:
        return answer
    if fault.dropped and request.transport is not None:
        request.transport.close()  # the work is done; the caller hears nothing at all
        return answer
    return web.json_response({"error": {"code": fault.code, "message": "answer lost"}}, status=fault.status)


def _user_of(member: dict[str, Any]) -> str:
    bind = str(member.get("user@odata.bind") or "")
    return bind.rsplit("('", 1)[-1].rstrip("')") if "('" in bind else ""


__all__ = ["APP_ID", "APP_PASSWORD", "TEAM_ID", "TENANT_ID", "FakeMicrosoft", "Sent"]
