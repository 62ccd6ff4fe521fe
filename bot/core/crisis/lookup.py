"""Which crisis a command is about: the one named, else the war room's, else the only active one."""

from __future__ import annotations

from bot.core.model.crisis import Crisis, CrisisStatus, crisis_key
from bot.core.model.errors import NotFoundError, UsageError
from bot.core.ports import CrisisRepository


class Lookup:
    def __init__(self, crises: CrisisRepository) -> None:
        self.crises = crises

    async def find(self, number: int | None, channel_id: str | None, war_room_only: bool = False) -> Crisis:
        """``war_room_only``: commands that move a crisis (escalate ...) must not guess; outside its
        war room they need the crisis named."""
        if number is not None:
            crisis = await self.crises.get(number)
            if crisis is None:
                raise NotFoundError(f"There is no crisis {crisis_key(number)}.", hint="Type /crisis list to see them.")
            return crisis
        if channel_id is not None and (crisis := await self.crises.get_by_room(channel_id)) is not None:
            return crisis
        if war_room_only:
            raise UsageError(
                "Run this in the crisis's war room, or name the crisis.",
                hint="Example: /crisis escalate CRISIS-0007 sev2 A journalist is asking",
            )
        active = await self.crises.list_crises(CrisisStatus.ACTIVE, limit=2)
        if len(active) == 1:
            return active[0]
        if not active:
            raise NotFoundError(
                "There is no active crisis.", hint="Declare one with /crisis start, or /crisis list all."
            )
        raise UsageError(
            "Several crises are active: say which one, e.g. `/crisis status CRISIS-0007`.",
            hint="Type /crisis list to see them, or run the command in the war room.",
        )

    async def in_room(self, channel_id: str) -> Crisis:
        """The crisis whose war room this is, for actions on a message in it."""
        crisis = await self.crises.get_by_room(channel_id)
        if crisis is None:
            raise UsageError(
                "This message is not in a war room.", hint="Use the shortcut on messages inside a crisis channel."
            )
        return crisis
