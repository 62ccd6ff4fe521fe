"""What the fake Microsoft side remembers and the rules it enforces, as Teams and Graph do.

Channel names: at most 50 characters, unique in the team case-insensitively (Graph refuses a
duplicate). A channel keeps its description and when Graph made it (``createdDateTime``), and no
creator. Only private channels take members. A 1:1 conversation opens only for people who have
the app installed. Faults are queued per route and served before the real answer (429 with
Retry-After, 5xx).

Group chats (``microsoft_chats``): created with two members at least, all in the tenant; the app
posts in one only once it is installed there (the Bot Connector answers 403 before), and installing
an app whose definition asks resource-specific permissions needs them consented.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_CHANNEL_NAME = 50


@dataclass
class Fault:
    """An error answer. ``lost``: the work is done first and only its answer is replaced, as when
    the service did it but the caller never heard (a gateway timing out). ``dropped``: the work is
    done and the connection closes with no answer at all (``status`` is then unused)."""

    status: int
    retry_after: int | None = None
    code: str = "TooManyRequests"
    lost: bool = False
    dropped: bool = False


@dataclass
class Channel:
    id: str
    name: str
    private: bool
    members: set[str] = field(default_factory=set)
    description: str = ""
    created: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class GroupChat:
    id: str
    topic: str
    members: set[str] = field(default_factory=set)
    apps: list[str] = field(default_factory=list)  # catalog ids installed, in order


@dataclass
class Sent:
    """One activity the app posted (or updated) through the Bot Connector."""

    service_url: str
    conversation: str
    activity: dict[str, Any]
    id: str
    updated: bool = False


class MicrosoftState:
    def __init__(self, tenant_id: str, team_id: str) -> None:
        self.tenant_id = tenant_id
        self.team_id = team_id
        self.channels: dict[str, Channel] = {}
        self.team_members: set[str] = set()
        self.users_by_email: dict[str, str] = {}
        self.installed_for: set[str] = set()  # Entra ids with the app installed (1:1 possible)
        self.personal: dict[str, str] = {}
        self.members: dict[str, dict[str, Any]] = {}  # 29:... id -> the Bot Connector's member record
        self.sent: list[Sent] = []
        self.posted = threading.Condition()  # for a test waiting on another process's posts
        self.token_requests: list[dict[str, str]] = []
        self.faults: dict[str, list[Fault]] = {}
        self.calls: list[tuple[str, str]] = []
        self.chats: dict[str, GroupChat] = {}
        self.catalog: dict[str, dict[str, Any]] = {}  # catalog id -> the teamsApp (with appDefinitions)
        self.chat_refuses: set[str] = set()  # Entra ids Graph will not add to a chat (e.g. blocked)
        self._ids = itertools.count(1000)

    def next_id(self) -> str:
        return str(next(self._ids))

    def fault(self, route: str, *faults: Fault) -> None:
        self.faults.setdefault(route, []).extend(faults)

    def take_fault(self, route: str) -> Fault | None:
        queued = self.faults.get(route)
        return queued.pop(0) if queued else None

    # -- Graph rules ---------------------------------------------------------------------------

    def create_channel(
        self, name: str, private: bool, owners: list[str], description: str = "", created: datetime | None = None
    ) -> tuple[int, dict[str, Any]]:
        if not name or len(name) > MAX_CHANNEL_NAME:
            return 400, _error("BadRequest", f"displayName must be 1 to {MAX_CHANNEL_NAME} characters")
        if any(c.name.lower() == name.lower() for c in self.channels.values()):
            return 409, _error("NameAlreadyExists", "Channel name already existed, please use other name.")
        if private and not owners:
            return 400, _error("BadRequest", "a private channel created by an app needs an owner")
        channel = Channel(f"19:{self.next_id()}@thread.tacv2", name, private, set(owners), description)
        channel.created = created or channel.created
        self.channels[channel.id] = channel
        return 201, self.channel_json(channel)

    def channel_json(self, channel: Channel) -> dict[str, Any]:
        membership = "private" if channel.private else "standard"
        url = f"https://teams.example/l/channel/{channel.id}"
        made = channel.created.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {
            "id": channel.id,
            "displayName": channel.name,
            "description": channel.description,
            "createdDateTime": made,
            "membershipType": membership,
            "webUrl": url,
        }

    def add_channel_member(self, channel_id: str, user: str) -> tuple[int, dict[str, Any]]:
        channel = self.channels.get(channel_id)
        if channel is None:
            return 404, _error("NotFound", "no such channel")
        if not channel.private:
            return 400, _error("BadRequest", "only private and shared channels have their own members")
        if user not in self.team_members:
            return 400, _error("BadRequest", "the user must be a member of the team first")
        channel.members.add(user)
        return 201, {"userId": user}

    def create_chat(self, body: dict[str, Any], members: list[str]) -> tuple[int, dict[str, Any]]:
        if body.get("chatType") != "group":
            return 400, _error("BadRequest", "only group chats are made here")
        if len(set(members)) < 2:
            return 400, _error("BadRequest", "A group chat needs at least two members.")
        if any(u not in self.installed_for and u not in self.users_by_email.values() for u in members):
            return 404, _error("NotFound", "a member is not a user of the tenant")
        chat = GroupChat(f"19:{self.next_id()}@thread.v2", str(body.get("topic") or ""), set(members))
        self.chats[chat.id] = chat
        return 201, self.chat_json(chat)

    def chat_json(self, chat: GroupChat) -> dict[str, Any]:
        url = f"https://teams.example/l/chat/{chat.id}/0"
        return {"id": chat.id, "topic": chat.topic, "chatType": "group", "webUrl": url, "tenantId": self.tenant_id}

    def add_chat_member(self, chat_id: str, user: str) -> tuple[int, dict[str, Any]]:
        chat = self.chats.get(chat_id)
        if chat is None:
            return 404, _error("NotFound", "no such chat")
        if user in self.chat_refuses:
            return 403, _error("Forbidden", "this user cannot be added to the chat")
        chat.members.add(user)
        return 201, {"userId": user}

    def install_in_chat(self, chat_id: str, catalog_id: str, consented: list[dict[str, Any]]) -> tuple[int, Any]:
        chat, app = self.chats.get(chat_id), self.catalog.get(catalog_id)
        if chat is None or app is None:
            return 404, _error("NotFound", "no such chat or app")
        if catalog_id in chat.apps:
            return 409, _error("Conflict", "the app is already installed")
        [definition] = app["appDefinitions"]
        asked = definition["authorization"]["requiredPermissionSet"]["resourceSpecificPermissions"]
        if sorted(map(_permission, asked)) != sorted(map(_permission, consented)):
            return 403, _error("Forbidden", "the app's resource-specific permissions must be consented")
        chat.apps.append(catalog_id)
        return 201, {}

    def app_installed_in(self, chat_id: str, external_id: str) -> bool:
        chat = self.chats.get(chat_id)
        return chat is not None and any(self.catalog[c]["externalId"] == external_id for c in chat.apps)

    def record(self, sent: Sent) -> None:
        with self.posted:
            self.sent.append(sent)
            self.posted.notify_all()

    def wait_for_posts(self, count: int, timeout: float = 30.0) -> bool:
        with self.posted:
            return self.posted.wait_for(lambda: len(self.sent) >= count, timeout)

    def sent_to(self, conversation_prefix: str) -> list[Sent]:
        return [s for s in self.sent if s.conversation.startswith(conversation_prefix)]


def _permission(granted: dict[str, Any]) -> tuple[str, str]:
    return str(granted.get("permissionValue")), str(granted.get("permissionType"))


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
