"""Every message the bot sends for a drill says DRILL, where people look first.

Nobody must take a practice crisis for a real one: not the person paged at night (the label leads
the notification's preview text), not someone scrolling a shared channel. Labelling happens in one
place, a chat that wraps the real one for a drill's crisis, so no message of any use case, present
or future, can forget it.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.messaging.message import Context, Message, Strong, line
from bot.core.model.chat import Attachment, PostedMessage
from bot.core.model.crisis import Room
from bot.core.ports import ChatLimits, ChatPort, InviteReport, Member

PREFIX = "DRILL: "


def labelled(message: Message) -> Message:
    if message.summary.startswith(PREFIX):
        return message
    banner = Context(line(Strong("🧪 DRILL"), " · practice, not a real crisis"))
    return Message(
        summary=PREFIX + message.summary,
        blocks=(banner, *message.blocks),
        mentions=message.mentions,
        form=message.form,
    )


class DrillChat:
    """The chat, for a drill's crisis: the same calls, every message labelled."""

    def __init__(self, chat: ChatPort) -> None:
        self._chat = chat

    @property
    def limits(self) -> ChatLimits:
        return self._chat.limits

    async def create_room(self, name: str, *, private: bool, topic: str, purpose: str) -> Room:
        return await self._chat.create_room(name, private=private, topic=f"DRILL · {topic}", purpose=purpose)

    async def prepare(self, members: Sequence[Member]) -> None:
        await self._chat.prepare(members)

    async def find_room(self, name: str) -> Room | None:
        return await self._chat.find_room(name)

    async def invite(self, room: Room, members: Sequence[Member]) -> InviteReport:
        return await self._chat.invite(room, members)

    async def post(
        self, channel_id: str, message: Message, thread_id: str | None = None, *, key: str | None = None
    ) -> PostedMessage:
        return await self._chat.post(channel_id, labelled(message), thread_id, key=key)

    async def find_posted(self, channel: str, key: str) -> PostedMessage | None:
        return await self._chat.find_posted(channel, key)

    async def pin(self, posted: PostedMessage) -> None:
        await self._chat.pin(posted)

    async def update(self, posted: PostedMessage, message: Message) -> None:
        await self._chat.update(posted, labelled(message))

    async def notify(self, member: Member, message: Message, *, key: str | None = None) -> PostedMessage:
        return await self._chat.notify(member, labelled(message), key=key)

    async def find_notified(self, member: Member, key: str) -> PostedMessage | None:
        return await self._chat.find_notified(member, key)

    async def announce(self, channel_name: str, message: Message, *, key: str | None = None) -> PostedMessage:
        return await self._chat.announce(channel_name, labelled(message), key=key)

    async def upload(self, channel_id: str, files: Sequence[Attachment], *, thread_id: str | None = None) -> None:
        drill_files = [
            f.model_copy(update={"filename": f"DRILL-{f.filename}", "title": f"DRILL {f.title}"}) for f in files
        ]
        await self._chat.upload(channel_id, drill_files, thread_id=thread_id)

    async def reply(self, address: str, message: Message) -> None:
        await self._chat.reply(address, labelled(message))
