"""A process that dies mid-declaration, as under ``kill -9``: a chat that kills its process at a
chosen call, before the call or in its middle (the platform did it; the process never heard).

The "process" is the task running the declaration: killing cancels it, and with it every step
running beside it, so nothing of the dead process goes on behind the restarted one's back.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Coroutine, Sequence
from typing import Any, Literal, TypeVar

from bot.adapters.console.workspace import ConsoleChat, ConsoleWorkspace
from bot.core.messaging.message import Message
from bot.core.model.chat import PostedMessage
from bot.core.model.crisis import Room
from bot.core.ports import InviteReport, Member

When = Literal["before", "during"]
T = TypeVar("T")
CALLS = ("create_room", "invite", "post", "pin", "notify", "announce", "reply")


class KilledChat(ConsoleChat):
    def __init__(self, ws: ConsoleWorkspace, at: str | None = None, nth: int = 1, when: When = "before") -> None:
        super().__init__(ws)
        self.at, self.nth, self.when = at, nth, when
        self.process: asyncio.Task[Any] | None = None
        self.calls: Counter[str] = Counter()
        self.killed = False

    def run(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Play the process: the task this chat kills."""
        task = asyncio.ensure_future(work)
        self.process = task
        return task

    async def _maybe_die(self, call: str, when: When) -> None:
        if when == "before":
            self.calls[call] += 1
        if self.at == call and self.when == when and self.calls[call] == self.nth and not self.killed:
            self.killed = True
            assert self.process is not None, "run the declaration with .run() so there is a process to kill"
            self.process.cancel()
            await asyncio.Event().wait()  # dead: the cancellation unwinds from here

    async def create_room(self, name: str, *, private: bool, topic: str, purpose: str) -> Room:
        await self._maybe_die("create_room", "before")
        room = await super().create_room(name, private=private, topic=topic, purpose=purpose)
        await self._maybe_die("create_room", "during")
        return room

    async def invite(self, room: Room, members: Sequence[Member]) -> InviteReport:
        await self._maybe_die("invite", "before")
        report = await super().invite(room, members)
        await self._maybe_die("invite", "during")
        return report

    async def post(
        self, channel_id: str, message: Message, thread_id: str | None = None, *, key: str | None = None
    ) -> PostedMessage:
        await self._maybe_die("post", "before")
        posted = await super().post(channel_id, message, thread_id, key=key)
        await self._maybe_die("post", "during")
        return posted

    async def pin(self, posted: PostedMessage) -> None:
        await self._maybe_die("pin", "before")
        await super().pin(posted)
        await self._maybe_die("pin", "during")

    async def notify(self, member: Member, message: Message, *, key: str | None = None) -> PostedMessage:
        await self._maybe_die("notify", "before")
        posted = await super().notify(member, message, key=key)
        await self._maybe_die("notify", "during")
        return posted

    async def announce(self, channel_name: str, message: Message, *, key: str | None = None) -> PostedMessage:
        await self._maybe_die("announce", "before")
        posted = await super().announce(channel_name, message, key=key)
        await self._maybe_die("announce", "during")
        return posted

    async def reply(self, address: str, message: Message) -> None:
        await self._maybe_die("reply", "before")
        await super().reply(address, message)
        await self._maybe_die("reply", "during")
