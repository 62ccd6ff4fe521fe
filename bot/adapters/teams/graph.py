"""The few Microsoft Graph calls war rooms need (channels, group chats), made directly.

The SDK's Graph helpers build ``/v1.0//teams/...`` (a double slash) from a configured base URL,
and pull in the whole Graph SDK: these calls are few and plain JSON. Graph's 429 is retried with
a bounded wait by :class:`Caller`. The team id here is the team's Graph (group) id, a GUID, not
the ``19:...`` conversation id activities carry.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from bot.adapters.teams.calls import Caller

CONVERSATION_MEMBER = "#microsoft.graph.aadUserConversationMember"
MAX_CHAT_PAGES = 20  # a person's chats, 50 a page: the newest 1,000 are searched for a lost war room


class Graph:
    def __init__(self, caller: Caller, base_url: str) -> None:
        self.caller = caller
        self.base = base_url.rstrip("/") + "/v1.0"

    def user_ref(self, entra_id: str) -> str:
        return f"{self.base}/users('{quote(entra_id, safe='')}')"

    def member(self, entra_id: str, owner: bool = False) -> dict[str, Any]:
        return {"@odata.type": CONVERSATION_MEMBER, "user@odata.bind": self.user_ref(entra_id)} | (
            {"roles": ["owner"]} if owner else {"roles": []}
        )

    async def create_channel(
        self, team_id: str, name: str, description: str, private: bool, owner: str | None
    ) -> dict[str, Any]:
        """A channel: made once (a lost answer is not followed by a blind second create, which
        would only meet the first channel's name: see :mod:`bot.adapters.teams.channels`)."""
        body: dict[str, Any] = {"displayName": name, "description": description}
        body["membershipType"] = "private" if private else "standard"
        if private and owner:
            body["members"] = [self.member(owner, owner=True)]
        url = f"{self.base}/teams/{quote(team_id, safe='')}/channels"
        result: dict[str, Any] = await self.caller.call("POST", url, "create the war room channel", body, once=True)
        return result

    async def channels(self, team_id: str) -> list[dict[str, Any]]:
        """Every channel of the team (Graph's displayName filter is case-sensitive; names are not)."""
        url = f"{self.base}/teams/{quote(team_id, safe='')}/channels"
        found = await self.caller.call("GET", url, "list the team's channels")
        return list(found.get("value") or []) if isinstance(found, dict) else []

    async def team_members(self, team_id: str) -> set[str]:
        url = f"{self.base}/teams/{quote(team_id, safe='')}/members"
        found = await self.caller.call("GET", url, "list the team's members")
        rows = found.get("value") or [] if isinstance(found, dict) else []
        return {str(r.get("userId")) for r in rows if isinstance(r, dict) and r.get("userId")}

    async def add_team_member(self, team_id: str, entra_id: str) -> None:
        url = f"{self.base}/teams/{quote(team_id, safe='')}/members"
        await self.caller.call("POST", url, "add a person to the crisis team", self.member(entra_id))

    async def add_channel_member(self, team_id: str, channel_id: str, entra_id: str) -> None:
        url = f"{self.base}/teams/{quote(team_id, safe='')}/channels/{quote(channel_id, safe='')}/members"
        await self.caller.call("POST", url, "add a person to the war room", self.member(entra_id))

    async def user_by_email(self, email: str) -> str | None:
        """The Entra object id of the user with this e-mail (UPN or mail), if the tenant has one."""
        url = f"{self.base}/users/{quote(email, safe='@')}?$select=id"
        found = await self.caller.call("GET", url, "look a person up by e-mail")
        return str(found["id"]) if isinstance(found, dict) and found.get("id") else None

    # -- group chats ---------------------------------------------------------------------------

    async def create_chat(self, topic: str, owners: list[str]) -> dict[str, Any]:
        """A group chat: every in-tenant member is an owner, and Graph wants two at least."""
        body = {"chatType": "group", "topic": topic, "members": [self.member(o, owner=True) for o in owners]}
        made: dict[str, Any] = await self.caller.call(
            "POST", f"{self.base}/chats", "create the war room chat", body, once=True
        )
        return made

    async def user_chats(self, entra_id: str) -> AsyncIterator[dict[str, Any]]:
        """A person's chats, page by page (application permissions reach chats only through a
        member; Graph's topic filter is not documented, so topics are compared here)."""
        url: str | None = f"{self.base}/users/{quote(entra_id, safe='')}/chats?$top=50"
        for _ in range(MAX_CHAT_PAGES):
            if url is None:
                return
            page = await self.caller.call("GET", url, "list a person's chats")
            if not isinstance(page, dict):
                return
            for chat in page.get("value") or []:
                if isinstance(chat, dict):
                    yield chat
            url = page.get("@odata.nextLink")

    async def chat_members(self, chat_id: str) -> set[str]:
        url = f"{self.base}/chats/{quote(chat_id, safe='')}/members"
        found = await self.caller.call("GET", url, "list the war room chat's members")
        rows = found.get("value") or [] if isinstance(found, dict) else []
        return {str(r.get("userId")) for r in rows if isinstance(r, dict) and r.get("userId")}

    async def add_chat_member(self, chat_id: str, entra_id: str) -> None:
        url = f"{self.base}/chats/{quote(chat_id, safe='')}/members"
        await self.caller.call("POST", url, "add a person to the war room chat", self.member(entra_id, owner=True))

    async def catalog_app(self, external_id: str) -> tuple[str, list[dict[str, str]]] | None:
        """The app's id in the tenant's catalog (not the manifest's id, which is its externalId)
        and the resource-specific permissions its definition asks, to consent to when installing."""
        query = f"$filter=externalId eq '{external_id}'&$expand=appDefinitions($select=id,authorization)"
        found = await self.caller.call("GET", f"{self.base}/appCatalogs/teamsApps?{query}", "find crisisbot's app")
        apps = found.get("value") or [] if isinstance(found, dict) else []
        if not apps or not isinstance(apps[0], dict) or not apps[0].get("id"):
            return None
        definitions = apps[0].get("appDefinitions") or [{}]
        required = ((definitions[-1].get("authorization") or {}).get("requiredPermissionSet") or {}).get(
            "resourceSpecificPermissions"
        ) or []
        return str(apps[0]["id"]), [p for p in required if isinstance(p, dict)]

    async def install_in_chat(self, chat_id: str, catalog_id: str, rsc: list[dict[str, str]]) -> None:
        app = f"{self.base}/appCatalogs/teamsApps/{quote(catalog_id, safe='')}"
        body: dict[str, Any] = {"teamsApp@odata.bind": app}
        if rsc:
            body["consentedPermissionSet"] = {"resourceSpecificPermissions": rsc}
        url = f"{self.base}/chats/{quote(chat_id, safe='')}/installedApps"
        await self.caller.call("POST", url, "add crisisbot to the war room chat", body)
