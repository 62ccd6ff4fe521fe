"""Graph's group chats and app catalog in the fake Microsoft side, with Graph's rules (see
``microsoft_state``): create, get, list a person's chats (in pages), members, installed apps."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from tests.fakes.microsoft_state import MicrosoftState

Refuse = Callable[[web.Request], "web.Response | None"]
PAGE = 2  # a small page, so that following @odata.nextLink is exercised


class ChatRoutes:
    def __init__(self, state: MicrosoftState, refuse: Refuse, user_of: Callable[[dict[str, Any]], str]) -> None:
        self.state = state
        self.refuse = refuse
        self.user_of = user_of

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_post("/graph/v1.0/chats", self._create)
        router.add_get("/graph/v1.0/chats/{chat}", self._get)
        router.add_get("/graph/v1.0/users/{user}/chats", self._user_chats)
        router.add_get("/graph/v1.0/chats/{chat}/members", self._members)
        router.add_post("/graph/v1.0/chats/{chat}/members", self._add_member)
        router.add_post("/graph/v1.0/chats/{chat}/installedApps", self._install)
        router.add_get("/graph/v1.0/appCatalogs/teamsApps", self._catalog)

    async def _create(self, request: web.Request) -> web.Response:
        if refused := self.refuse(request):
            return refused
        body: dict[str, Any] = await request.json()
        members = [self.user_of(m) for m in body.get("members") or [] if "owner" in (m.get("roles") or [])]
        status, answer = self.state.create_chat(body, members)
        return web.json_response(answer, status=status)

    async def _get(self, request: web.Request) -> web.Response:
        if refused := self.refuse(request):
            return refused
        chat = self.state.chats.get(request.match_info["chat"])
        if chat is None:
            return web.json_response({"error": {"code": "NotFound", "message": "no such chat"}}, status=404)
        return web.json_response(self.state.chat_json(chat))

    async def _user_chats(self, request: web.Request) -> web.Response:
        if refused := self.refuse(request):
            return refused
        user, skip = request.match_info["user"], int(request.query.get("$skiptoken", "0"))
        mine = [self.state.chat_json(c) for c in self.state.chats.values() if user in c.members]
        page: dict[str, Any] = {"value": mine[skip : skip + PAGE]}
        if skip + PAGE < len(mine):
            page["@odata.nextLink"] = f"{str(request.url).split('?')[0]}?$top=50&$skiptoken={skip + PAGE}"
        return web.json_response(page)

    async def _members(self, request: web.Request) -> web.Response:
        if refused := self.refuse(request):
            return refused
        chat = self.state.chats.get(request.match_info["chat"])
        rows = [{"userId": u, "roles": ["owner"]} for u in sorted(chat.members)] if chat else []
        return web.json_response({"value": rows}, status=200 if chat else 404)

    async def _add_member(self, request: web.Request) -> web.Response:
        if refused := self.refuse(request):
            return refused
        status, answer = self.state.add_chat_member(request.match_info["chat"], self.user_of(await request.json()))
        return web.json_response(answer, status=status)

    async def _install(self, request: web.Request) -> web.Response:
        if refused := self.refuse(request):
            return refused
        body: dict[str, Any] = await request.json()
        bound = re.search(r"/appCatalogs/teamsApps/([^/]+)$", str(body.get("teamsApp@odata.bind") or ""))
        consented = (body.get("consentedPermissionSet") or {}).get("resourceSpecificPermissions") or []
        catalog_id = unquote(bound.group(1)) if bound else ""
        status, answer = self.state.install_in_chat(request.match_info["chat"], catalog_id, consented)
        return web.json_response(answer, status=status)

    async def _catalog(self, request: web.Request) -> web.Response:
        if refused := self.refuse(request):
            return refused
        wanted = re.fullmatch(r"externalId eq '([^']*)'", request.query.get("$filter", ""))
        if wanted is None:
            return web.json_response({"error": {"code": "BadRequest", "message": "filter on externalId"}}, status=400)
        apps = [a for a in self.state.catalog.values() if a["externalId"] == wanted.group(1)]
        expand = "appDefinitions" in request.query.get("$expand", "")
        rows = [a if expand else {k: v for k, v in a.items() if k != "appDefinitions"} for a in apps]
        return web.json_response({"value": rows})
