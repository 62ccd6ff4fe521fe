"""The timeline: the one way to write what happened, and to read it back.

Every use case records through here, so each event gets the same clock, the same defaults (the
bot as actor) and typed data; the summary, export and report read it back and always agree.
"""

from __future__ import annotations

from bot.core.model.crisis import BOT, Actor
from bot.core.model.events import EventData, EventKind, TimelineEvent
from bot.core.ports import Clock, CrisisRepository


class Timeline:
    def __init__(self, crises: CrisisRepository, clock: Clock) -> None:
        self.crises = crises
        self.clock = clock

    async def record(
        self,
        number: int,
        kind: EventKind,
        text: str,
        actor: Actor = BOT,
        data: EventData | None = None,
        *,
        key: str | None = None,
    ) -> bool:
        """Record what happened; with a ``key``, only the first time (a step run again after a
        crash records its event once). False when the key was recorded already."""
        event = TimelineEvent(at=self.clock.now(), kind=kind, text=text, actor=actor, data=data or EventData(), key=key)
        return await self.crises.add_event(number, event)

    async def events(self, number: int) -> list[TimelineEvent]:
        """Oldest first; events recorded at the same instant keep the order they were recorded in."""
        return await self.crises.timeline(number)
