"""War rooms as channels of the crisis team, made exactly once through Graph.

Graph's channel create is not idempotent, and a channel records no creator a bot can read back.
When a create's answer is lost (a 5xx, a timeout, a dropped connection), Graph may have made the
channel already: a blind second create then meets that channel's name (409 NameAlreadyExists), and
a 409 taken for someone else's channel moves the crisis to the next name, leaving the first channel
orphaned. So:

- before each create, what is asked (the name, the description, when) is written to the address
  book (:meth:`Addresses.keep_intent`), for every replica and across crashes;
- the create is never repeated blindly: only a 429 says Graph did nothing (the :class:`Caller`
  retries those); after a 5xx or no answer the team's channels are listed first, and the create is
  made again only when no channel has the name;
- a channel of the name is this bot's when an intent for the name exists, the channel's
  description is one this bot sent for that name (crisisbot writes the crisis key and title
  there), and Graph made it no earlier than the first intent (less :data:`CLOCK_SKEW`, Graph's
  clock not being ours): it is adopted. Any other channel of the name is someone else's (made by
  hand, or a deleted channel whose name Teams still holds, which no listing shows): the name is
  taken, and the core moves on to the next.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.adapters.teams.addresses import Addresses
from bot.adapters.teams.calls import CallRefused, NoAnswer, retry_wait
from bot.adapters.teams.graph import Graph
from bot.core.model.crisis import Room
from bot.core.model.errors import ChatPlatformError, RoomNameTakenError

CLOCK_SKEW = timedelta(minutes=5)  # how far Graph's clock may be behind ours
ATTEMPTS = 3  # creates of one name in one call, each after a listing showed no channel of it
Now = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def name_taken(exc: CallRefused) -> bool:
    return exc.status == 409 or exc.code == "NameAlreadyExists" or "already exist" in exc.detail.lower()


@dataclass
class Intent:
    """What this bot asked Graph under one name: when it first asked, and every description sent
    (a crisis renamed or re-graded between a crash and its resumption sends another)."""

    at: datetime
    descriptions: list[str]

    @classmethod
    def parse(cls, raw: str) -> Intent:
        data = json.loads(raw)
        return cls(datetime.fromisoformat(data["at"]), list(data["descriptions"]))

    def dump(self) -> str:
        return json.dumps({"at": self.at.isoformat(), "descriptions": self.descriptions})


def _created(channel: dict[str, Any]) -> datetime | None:
    """Graph's ``createdDateTime`` (ISO 8601, UTC), when it gave one that parses (without one,
    the description alone tells)."""
    raw = channel.get("createdDateTime")
    try:
        made = datetime.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None
    return made if made is None or made.tzinfo else made.replace(tzinfo=UTC)


class Channels:
    def __init__(self, graph: Graph, addresses: Addresses, now: Now = _utcnow) -> None:
        self.graph = graph
        self.addresses = addresses
        self.now = now  # the wall clock: intents are compared with Graph's timestamps, not the core's

    async def create(self, name: str, description: str, private: bool, owner: str | None) -> Room:
        """The channel, made once: adopted when a lost answer (this call's or an earlier
        attempt's) made it; RoomNameTakenError when someone else's channel has the name."""
        team = self.addresses.crisis_team()
        await self._intend(team, name, description)
        lost: ChatPlatformError | None = None
        for attempt in range(ATTEMPTS):
            if lost is not None:
                await self.graph.caller.sleep(retry_wait({}, attempt - 1))
            try:
                made = await self.graph.create_channel(team, name, description, private, owner)
            except CallRefused as exc:
                if name_taken(exc):
                    return await self._ours_or_taken(team, name, await self.named(team, name))
                if not exc.maybe_done:
                    raise
                lost = exc
            except NoAnswer as exc:
                lost = exc
            else:
                return await self._room(team, made, name)
            existing = await self.named(team, name)  # what the lost answer may have made
            if existing is not None:
                return await self._ours_or_taken(team, name, existing)
        assert lost is not None, "every attempt that did not return lost its answer"
        raise lost

    async def find(self, name: str) -> Room | None:
        """The channel of that name if this bot made it (see the module's docstring)."""
        await self.addresses.load()  # another replica may have asked for it
        team = self.addresses.crisis_team()
        existing = await self.named(team, name)
        if existing is None or not self._ours(team, name, existing):
            return None
        return await self._room(team, existing, name)

    async def existing(self, name: str) -> Room | None:
        """Any channel of that name in the crisis team (one the plan names, made by people)."""
        team = self.addresses.crisis_team()
        found = await self.named(team, name)
        return None if found is None else await self._room(team, found, name)

    async def named(self, team: str, name: str) -> dict[str, Any] | None:
        """Teams' channel names are unique whatever their case; Graph's filter is case-sensitive."""
        return next((c for c in await self.graph.channels(team) if _name_of(c).lower() == name.lower()), None)

    async def _intend(self, team: str, name: str, description: str) -> None:
        await self.addresses.load()  # an earlier attempt, maybe on another replica, may have asked first
        key = _key(team, name)
        known = self.addresses.intents.get(key)
        intent = Intent.parse(known) if known else Intent(self.now(), [])
        if description not in intent.descriptions:
            intent.descriptions.append(description)
        await self.addresses.keep_intent(key, intent.dump())

    def _ours(self, team: str, name: str, channel: dict[str, Any]) -> bool:
        known = self.addresses.intents.get(_key(team, name))
        if known is None:
            return False
        intent = Intent.parse(known)
        made = _created(channel)
        fresh = made is None or made >= intent.at - CLOCK_SKEW
        return fresh and str(channel.get("description") or "") in intent.descriptions

    async def _ours_or_taken(self, team: str, name: str, channel: dict[str, Any] | None) -> Room:
        if channel is None or not self._ours(team, name, channel):
            raise RoomNameTakenError(name)
        return await self._room(team, channel, name)

    async def _room(self, team: str, channel: dict[str, Any], name: str) -> Room:
        room = Room(id=str(channel["id"]), name=_name_of(channel) or name, url=channel.get("webUrl"))
        await self.addresses.room_in(room.id, team)
        return room


def _name_of(channel: dict[str, Any]) -> str:
    return str(channel.get("displayName") or "")


def _key(team: str, name: str) -> str:
    return f"{team}/{name.lower()}"
