"""The few Microsoft Graph calls war rooms need, made directly.

The SDK's Graph helpers build ``/v1.0//teams/...`` (a double slash) from a configured base URL,
and pull in the whole Graph SDK: these calls are few and plain JSON. Graph's 429 is retried with
a bounded wait by :class:`Caller`. The team id here is the team's Graph (group) id, a GUID, not
the ``19:...`` conversation id activities carry.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bot.adapters.teams.calls import Caller

CONVERSATION_MEMBER = "#microsoft.graph.aadUserConversationMember"


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
        body: dict[str, Any] = {"displayName": name, "description": description}
        body["membershipType"] = "private" if private else "standard"
        if private and owner:
            body["members"] = [self.member(owner, owner=True)]
        result: dict[str, Any] = await self.caller.call(
            "POST", f"{self.base}/teams/{quote(team_id, safe='')}/channels", "create the war room channel", body
        )
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
