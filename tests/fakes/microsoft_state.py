"""What the fake Microsoft side remembers and the rules it enforces, as Teams and Graph do.

Channel names: at most 50 characters, unique in the team case-insensitively (Graph refuses a
duplicate). Only private channels take members. A 1:1 conversation opens only for people who have
the app installed. Faults are queued per route and served before the real answer (429 with
Retry-After, 5xx).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

MAX_CHANNEL_NAME = 50


@dataclass
class Fault:
    status: int
    retry_after: int | None = None
    code: str = "TooManyRequests"


@dataclass
class Channel:
    id: str
    name: str
    private: bool
    members: set[str] = field(default_factory=set)


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
        self._ids = itertools.count(1000)

    def next_id(self) -> str:
        return str(next(self._ids))

    def fault(self, route: str, *faults: Fault) -> None:
        self.faults.setdefault(route, []).extend(faults)

    def take_fault(self, route: str) -> Fault | None:
        queued = self.faults.get(route)
        return queued.pop(0) if queued else None

    # -- Graph rules ---------------------------------------------------------------------------

    def create_channel(self, name: str, private: bool, owners: list[str]) -> tuple[int, dict[str, Any]]:
        if not name or len(name) > MAX_CHANNEL_NAME:
            return 400, _error("BadRequest", f"displayName must be 1 to {MAX_CHANNEL_NAME} characters")
        if any(c.name.lower() == name.lower() for c in self.channels.values()):
            return 409, _error("NameAlreadyExists", "Channel name already existed, please use other name.")
        if private and not owners:
            return 400, _error("BadRequest", "a private channel created by an app needs an owner")
        channel = Channel(f"19:{self.next_id()}@thread.tacv2", name, private, set(owners))
        self.channels[channel.id] = channel
        return 201, self.channel_json(channel)

    def channel_json(self, channel: Channel) -> dict[str, Any]:
        membership = "private" if channel.private else "standard"
        url = f"https://teams.example/l/channel/{channel.id}"
        return {"id": channel.id, "displayName": channel.name, "membershipType": membership, "webUrl": url}

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

    def record(self, sent: Sent) -> None:
        with self.posted:
            self.sent.append(sent)
            self.posted.notify_all()

    def wait_for_posts(self, count: int, timeout: float = 30.0) -> bool:
        with self.posted:
            return self.posted.wait_for(lambda: len(self.sent) >= count, timeout)

    def sent_to(self, conversation_prefix: str) -> list[Sent]:
        return [s for s in self.sent if s.conversation.startswith(conversation_prefix)]


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
