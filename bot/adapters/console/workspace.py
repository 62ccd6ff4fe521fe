"""A simulated chat workspace and the ``ChatPort`` that acts on it.

Channels, members and messages live in memory and are printed as they change, so a newcomer sees
exactly what the bot would do in Slack: the room created, who was invited, what was posted and
pinned. The people are the plan's people, so a drill in the console uses the real roster.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import count

from rich.console import Console
from rich.text import Text

from bot.adapters.console import render
from bot.core.messaging.message import Actions, Button, Message
from bot.core.model.chat import Attachment, PostedMessage
from bot.core.model.crisis import Room
from bot.core.model.errors import ChatPlatformError, RoomNameTakenError
from bot.core.plan.model import Plan
from bot.core.ports import ChatLimits, InviteReport, Member

_CHANNEL_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")  # Slack's rule, which the console plays


@dataclass
class Post:
    id: str
    author: str
    message: Message
    pinned: bool = False
    thread_id: str | None = None
    key: str | None = None  # the invisible mark a step finds its own post again by


@dataclass
class Channel:
    """A channel's id is its name: stable across runs, so war rooms survive a restart."""

    name: str
    private: bool = False
    topic: str = ""
    purpose: str = ""
    members: list[str] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.name


class ConsoleWorkspace:
    """The state of the simulated workspace; ``unreachable`` simulates deactivated accounts."""

    def __init__(self, plan: Plan, console: Console, unreachable: dict[str, str] | None = None) -> None:
        self.plan = plan
        self.console = console
        self.channels: dict[str, Channel] = {"general": Channel("general", members=list(plan.people))}
        self.unreachable = dict(unreachable or {})
        # the buttons of the last message shown: the console's numbered choices
        self.choices: list[Button] = []
        # direct messages the bot sent, per person (a terminal has no Messages tab to look in)
        self.direct: dict[str, list[Post]] = {}
        self.replies: list[tuple[str, Message]] = []  # answers to requests, by address
        self._ids = count(1)

    def channel(self, name_or_id: str) -> Channel | None:
        return self.channels.get(name_or_id.lstrip("#"))

    def add_channel(self, name: str, *, private: bool = False, topic: str = "", purpose: str = "") -> Channel:
        channel = Channel(name, private=private, topic=topic, purpose=purpose, members=["crisisbot"])
        self.channels[name] = channel
        return channel

    def show(self, message: Message, **panel: str) -> None:
        """Print a message; its buttons become the numbered choices ``1``, ``2`` ..."""
        self.console.print(render.message(message, **panel))
        buttons = [b for block in message.blocks if isinstance(block, Actions) for b in block.buttons]
        if buttons:
            self.choices = buttons

    def next_id(self) -> str:
        return f"m{next(self._ids)}"

    def say(self, *parts: str | Text) -> None:
        text = Text("  ")
        for part in parts:
            text.append_text(part) if isinstance(part, Text) else text.append(part)
        self.console.print(text, style="green")


class ConsoleChat:
    """``ChatPort`` over the console workspace; it plays Slack, so Slack's limits apply."""

    limits = ChatLimits(room_name=80, header=150)

    def __init__(self, workspace: ConsoleWorkspace) -> None:
        self.ws = workspace

    async def create_room(self, name: str, *, private: bool, topic: str, purpose: str) -> Room:
        if not _CHANNEL_NAME.fullmatch(name) or len(name) > self.limits.room_name:
            raise ChatPlatformError(f"The workspace refused the channel name {name!r}.")
        if name in self.ws.channels:
            raise RoomNameTakenError(name)
        channel = self.ws.add_channel(name, private=private, topic=topic, purpose=purpose)
        kind = "private" if private else "public"
        self.ws.say("➕ created ", _room(channel.name), f" ({kind}) · topic: ", Text(topic))
        return Room(id=channel.id, name=channel.name)

    async def find_room(self, name: str) -> Room | None:
        channel = self.ws.channel(name)
        return Room(id=channel.id, name=channel.name) if channel and "crisisbot" in channel.members else None

    async def prepare(self, members: Sequence[Member]) -> None:
        """Everyone in the console workspace is known already."""

    async def invite(self, room: Room, members: Sequence[Member]) -> InviteReport:
        channel = self._require(room.id)
        report = InviteReport()
        for member in members:
            if member.person_id in self.ws.unreachable:
                report.failed[member.person_id] = self.ws.unreachable[member.person_id]
            elif member.person_id in channel.members:
                report.already_in.append(member.person_id)
            else:
                channel.members.append(member.person_id)
                report.invited.append(member.person_id)
        if report.invited:
            names = ", ".join(self.ws.plan.people[p].name for p in report.invited)
            self.ws.say("👥 invited to ", _room(channel.name), ": ", Text(names))
        for pid, why in report.failed.items():
            self.ws.say("⚠ could not invite ", Text(self.ws.plan.people[pid].name), f": {why}")
        return report

    async def post(
        self, channel_id: str, message: Message, thread_id: str | None = None, *, key: str | None = None
    ) -> PostedMessage:
        return self._post(channel_id, message, thread_id, key)

    def _post(self, channel_id: str, message: Message, thread_id: str | None, key: str | None) -> PostedMessage:
        channel = self._require(channel_id)
        post = Post(self.ws.next_id(), "crisisbot", message, thread_id=thread_id, key=key)
        channel.posts.append(post)
        where = f"#{channel.name}" + (" (thread)" if thread_id else "")
        self.ws.show(message, title=f"crisisbot in {where}")
        for mention in message.mentions:
            self.ws.say("🔔 pinged ", Text(f"@{mention.name}", style=render.MENTION_STYLE))
        return PostedMessage(channel_id=channel.id, message_id=post.id)

    async def pin(self, posted: PostedMessage) -> None:
        channel = self._require(posted.channel_id)
        for post in channel.posts:
            if post.id == posted.message_id:
                post.pinned = True
                self.ws.say("📌 pinned in ", _room(channel.name), ": ", Text(post.message.summary))
                return
        raise ChatPlatformError(f"There is no message {posted.message_id} in #{channel.name} to pin.")

    async def find_posted(self, channel: str, key: str) -> PostedMessage | None:
        found = self.ws.channel(channel)
        post = next((p for p in found.posts if p.key == key), None) if found else None
        return PostedMessage(channel_id=found.id, message_id=post.id) if found and post else None

    async def notify(self, member: Member, message: Message, *, key: str | None = None) -> PostedMessage:
        if member.person_id in self.ws.unreachable:
            raise ChatPlatformError(self.ws.unreachable[member.person_id])
        post = Post(self.ws.next_id(), "crisisbot", message, key=key)
        self.ws.direct.setdefault(member.person_id, []).append(post)
        self.ws.say("✉ direct message to ", Text(member.person.name), ": ", Text(message.summary))
        return PostedMessage(channel_id=f"@{member.person_id}", message_id=post.id)

    async def find_notified(self, member: Member, key: str) -> PostedMessage | None:
        post = next((p for p in self.ws.direct.get(member.person_id, []) if p.key == key), None)
        return PostedMessage(channel_id=f"@{member.person_id}", message_id=post.id) if post else None

    async def update(self, posted: PostedMessage, message: Message) -> None:
        """Replace the message in its channel (or a person's direct messages, ``@person``)."""
        if posted.channel_id.startswith("@"):
            posts = self.ws.direct.get(posted.channel_id[1:], [])
        else:
            posts = self._require(posted.channel_id).posts
        post = next((p for p in posts if p.id == posted.message_id), None)
        if post is None:
            raise ChatPlatformError(f"There is no message {posted.message_id} to update.")
        post.message = message
        self.ws.say("✎ updated: ", Text(message.summary))

    async def announce(self, channel_name: str, message: Message, *, key: str | None = None) -> PostedMessage:
        if channel_name not in self.ws.channels:
            self.ws.add_channel(channel_name, topic="Crisis announcements from crisisbot")
        return self._post(channel_name, message, None, key)

    async def upload(self, channel_id: str, files: Sequence[Attachment], *, thread_id: str | None = None) -> None:
        """A terminal has nowhere to attach a file: the caller posts the text instead, and the
        CLI's ``export`` writes the files."""
        self._require(channel_id)
        raise ChatPlatformError("The console workspace cannot attach files.")

    async def reply(self, address: str, message: Message) -> None:
        """``address``: the person who asked (the console answers them where they type)."""
        self.ws.replies.append((address, message))
        self.ws.show(message, title=f"crisisbot to {self.ws.plan.person_name(address)}")

    def _require(self, channel_id: str) -> Channel:
        channel = self.ws.channel(channel_id)
        if channel is None:
            raise ChatPlatformError(f"There is no channel {channel_id} in the workspace.")
        return channel


def _room(name: str) -> Text:
    return Text(f"#{name}", style=render.ROOM_STYLE)
