"""Where Teams said to send, kept for every replica: Teams says it only in the activities it sends."""

from __future__ import annotations

from bot.core.model.chat import PostedMessage
from bot.core.model.crisis import Room
from bot.core.model.errors import ChatPlatformError
from bot.core.ports import AddressBook

NO_SERVICE_URL = "Teams has not contacted crisisbot yet: mention @crisisbot once in the crisis team."


class Addresses:
    """Where Teams said to send (the serviceUrl by conversation and by team, the crisis team, each
    person's 1:1 chat, each war room's team, each group-chat war room by its topic, each channel
    this bot set out to make) and what was posted under a key. Teams says it only in the
    activities it sends, so every new fact is also written to the ``book`` (the database): another
    replica, or this one after a restart, can page someone before Teams says anything."""

    def __init__(self, team_id: str | None, book: AddressBook) -> None:
        self.team_id = team_id  # the plan's, or the team the app was installed in
        self.book = book
        self.by_conversation: dict[str, str] = {}
        self.by_team: dict[str, str] = {}
        self.latest: str | None = None
        self.personal: dict[str, str] = {}  # Entra id -> 1:1 conversation id
        self.room_team: dict[str, str] = {}  # war room (channel) id -> team id
        self.posted: dict[str, PostedMessage] = {}  # "where|key" -> the post
        self.chats: dict[str, Room] = {}  # group-chat war room: its topic (the room name) -> the room
        self.catalog: dict[str, str] = {}  # the app in the tenant's catalog: "id", "rsc" (JSON)
        self.intents: dict[str, str] = {}  # "team/channel name" -> what this bot asked Graph (JSON)

    async def load(self) -> None:
        """What earlier processes learnt, under what this one learnt since it started."""
        known = await self.book.recall()
        self.by_conversation = known.get("conversation", {}) | self.by_conversation
        self.by_team = known.get("team", {}) | self.by_team
        self.personal = known.get("personal", {}) | self.personal
        self.room_team = known.get("room_team", {}) | self.room_team
        stored = {k: PostedMessage.model_validate_json(v) for k, v in known.get("posted", {}).items()}
        self.posted = stored | self.posted
        self.chats = {k: Room.model_validate_json(v) for k, v in known.get("chat", {}).items()} | self.chats
        self.catalog = known.get("catalog", {}) | self.catalog
        # an intent is written before its create is sent, so the database's is never behind this one
        self.intents = self.intents | known.get("channel_intent", {})
        self.latest = self.latest or known.get("latest", {}).get("")
        self.team_id = self.team_id or known.get("installed", {}).get("")

    async def _keep(self, kind: str, table: dict[str, str], key: str, value: str) -> None:
        if table.get(key) != value:
            table[key] = value
            await self.book.remember(kind, key, value)

    async def seen(self, service_url: str, conversation_id: str | None, team_id: str | None) -> None:
        if self.latest != service_url:
            self.latest = service_url
            await self.book.remember("latest", "", service_url)
        if conversation_id:
            await self._keep("conversation", self.by_conversation, conversation_id.split(";", 1)[0], service_url)
        if team_id:
            await self._keep("team", self.by_team, team_id, service_url)

    async def installed_in(self, team_id: str) -> None:
        if self.team_id is None:
            self.team_id = team_id
            await self.book.remember("installed", "", team_id)

    async def personal_chat(self, entra_id: str, conversation_id: str) -> None:
        await self._keep("personal", self.personal, entra_id, conversation_id)
        if conversation_id not in self.by_conversation:
            await self._keep("conversation", self.by_conversation, conversation_id, self.service_url())

    async def room_in(self, room_id: str, team_id: str) -> None:
        await self._keep("room_team", self.room_team, room_id, team_id)

    async def keep_chat(self, room: Room) -> None:
        """A group chat this bot made, under its topic, written as soon as Graph answered: topics
        need not be unique, so a resumed declaration finds its chat here rather than make another.
        The chat is in the tenant of the team and people Teams already sent from: its serviceUrl
        is pinned now, so every post to it goes where the first one did."""
        self.chats[room.name] = room
        await self.book.remember("chat", room.name, room.model_dump_json())
        await self._keep("conversation", self.by_conversation, room.id, self.service_url())

    async def keep_intent(self, key: str, value: str) -> None:
        """A channel about to be asked of Graph, written before the call: Graph records no
        creator on a channel, so this is how a later 409 for its name tells ours from another's
        (:mod:`bot.adapters.teams.channels`)."""
        await self._keep("channel_intent", self.intents, key, value)

    async def keep_catalog(self, key: str, value: str) -> None:
        await self._keep("catalog", self.catalog, key, value)

    async def keep_posted(self, where: str, key: str, posted: PostedMessage) -> None:
        self.posted[f"{where}|{key}"] = posted
        await self.book.remember("posted", f"{where}|{key}", posted.model_dump_json())

    def find_posted(self, where: str, key: str) -> PostedMessage | None:
        return self.posted.get(f"{where}|{key}")

    def service_url(self, conversation_id: str | None = None) -> str:
        found = self.by_conversation.get((conversation_id or "").split(";", 1)[0])
        found = found or (self.by_team.get(self.team_id) if self.team_id else None) or self.latest
        if found is None:
            raise ChatPlatformError(NO_SERVICE_URL)
        return found

    def crisis_team(self) -> str:
        if self.team_id is None:
            raise ChatPlatformError(
                "No crisis team: set teams.team_id in the plan, or install crisisbot in the crisis team."
            )
        return self.team_id
