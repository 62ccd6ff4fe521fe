"""The Bot Connector calls the adapter makes: post, update, open a 1:1 conversation.

Every call goes to the serviceUrl Teams gave for that conversation, kept whole: a regional one
such as ``https://smba.trafficmanager.net/amer/`` has a path, and dropping it sends the call to
the wrong place. Conversation ids carry ``:``, ``@`` and ``;`` and are percent-encoded in the path.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bot.adapters.teams.calls import Caller


def conversations(service_url: str) -> str:
    return service_url.rstrip("/") + "/v3/conversations"


class Connector:
    def __init__(self, caller: Caller, app_id: str, tenant_id: str) -> None:
        self.caller = caller
        self.app_id = app_id
        self.bot_id = f"28:{app_id}"
        self.tenant_id = tenant_id

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> str:
        """Post in the conversation (a channel id starts a new post; ``;messageid=`` a thread reply)."""
        url = f"{conversations(service_url)}/{quote(conversation_id, safe='')}/activities"
        sent = await self.caller.call("POST", url, "post a message", activity)
        return str(sent.get("id") or "") if isinstance(sent, dict) else ""

    async def update(self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]) -> None:
        url = f"{conversations(service_url)}/{quote(conversation_id, safe='')}/activities/{quote(activity_id, safe='')}"
        await self.caller.call("PUT", url, "update a message", activity | {"id": activity_id})

    async def member(self, service_url: str, conversation_id: str, user_id: str) -> dict[str, Any]:
        """Who a ``29:...`` user of a conversation is: their Entra object id and e-mail."""
        url = f"{conversations(service_url)}/{quote(conversation_id, safe='')}/members/{quote(user_id, safe='')}"
        found = await self.caller.call("GET", url, "look up a mentioned person")
        return found if isinstance(found, dict) else {}

    async def open_personal(self, service_url: str, entra_id: str) -> str:
        """The 1:1 conversation with a person (Teams answers with the existing one); refused when
        the person has not got the app installed, which only an admin or the person can change."""
        body = {
            "isGroup": False,
            "bot": {"id": self.bot_id},
            "members": [{"id": entra_id}],
            "tenantId": self.tenant_id,
            "channelData": {"tenant": {"id": self.tenant_id}},
        }
        opened = await self.caller.call("POST", conversations(service_url), "open a direct chat", body)
        return str(opened.get("id") or "") if isinstance(opened, dict) else ""
