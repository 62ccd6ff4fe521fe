"""TeamsChat: the core's ChatPort in Microsoft Teams.

War rooms are channels of the crisis team, made through Graph (a standard channel unless the plan
says private), exactly once (:mod:`bot.adapters.teams.channels`), or group chats
(:mod:`bot.adapters.teams.group_chats`); messages go through the
Bot Connector to the serviceUrl Teams gave for that team or conversation, remembered from the
install event and every activity since (a proactive message has no request to read it from), and
kept in the database for every replica. People are reached by their Entra object id: from the
plan, or found by e-mail through Graph. A page is a 1:1 message, which Teams only allows once the
person has the app: when that is refused, the core says so in the war room.

Teams keeps no record a bot can search for "the message I posted under this key", so keyed posts
are written to the database as soon as Teams answered: a declaration resumed elsewhere finds them,
unless its process died between Teams' answer and that write.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import Any

from bot.adapters.teams.addresses import Addresses
from bot.adapters.teams.calls import CallRefused
from bot.adapters.teams.cards import CardRenderer, attachment
from bot.adapters.teams.channels import Channels
from bot.adapters.teams.connector import Connector
from bot.adapters.teams.graph import Graph
from bot.adapters.teams.group_chats import GroupChats
from bot.core.messaging.message import Message
from bot.core.model.chat import Attachment, PostedMessage
from bot.core.model.crisis import Room
from bot.core.model.errors import ChatPlatformError
from bot.core.plan.model import Plan, TeamsWarRoom
from bot.core.ports import ChatLimits, InviteReport, Member

log = logging.getLogger(__name__)
GROUP_CHAT_SUFFIX = "@thread.v2"  # a group chat's id; channels end @thread.tacv2 or @thread.skype


class TeamsChat:
    limits = ChatLimits(room_name=50, header=150, pins=False)  # Teams channel names: 50 characters
    # a group chat's topic need not be unique: a resumed declaration looks for its chat first
    chat_limits = ChatLimits(room_name=50, header=150, pins=False, unique_room_names=False)

    def __init__(self, connector: Connector, graph: Graph, plan: Plan, addresses: Addresses) -> None:
        self.connector = connector
        self.graph = graph
        self.plan = plan
        self.addresses = addresses
        self.teams_ids: dict[str, str] = {pid: p.teams_id for pid, p in plan.people.items() if p.teams_id}
        self.unresolved: dict[str, str] = {}
        self.renderer = CardRenderer(self.teams_ids)
        self.group_chat = plan.teams.war_room is TeamsWarRoom.GROUP_CHAT
        if self.group_chat:
            self.limits = self.chat_limits
        self.chats = GroupChats(graph, plan, addresses, connector.app_id, self.entra_id)
        self.channels = Channels(graph, addresses)

    # -- who's who ---------------------------------------------------------------------------

    def person_for(self, entra_id: str) -> str | None:
        return next((pid for pid, uid in self.teams_ids.items() if uid.lower() == entra_id.lower()), None)

    async def prepare(self, members: Sequence[Member]) -> None:
        await asyncio.gather(*(self._lookup(m) for m in members if m.person_id not in self.teams_ids))

    async def _lookup(self, member: Member) -> None:
        email = member.person.email
        if not email:
            self.unresolved[member.person_id] = "no Teams id or e-mail in the plan"
            return
        try:
            found = await self.graph.user_by_email(email)
        except ChatPlatformError as exc:
            self.unresolved[member.person_id] = f"not found by e-mail ({exc.user_message})"
            return
        if found is None:
            self.unresolved[member.person_id] = "not found by e-mail"
            return
        self.teams_ids[member.person_id] = found
        self.unresolved.pop(member.person_id, None)

    async def entra_id(self, member: Member) -> str:
        if member.person_id not in self.teams_ids:
            await self._lookup(member)
        found = self.teams_ids.get(member.person_id)
        if found is None:
            raise ChatPlatformError(f"{member.person.name}: {self.unresolved.get(member.person_id, 'unknown')}")
        return found

    # -- rooms ---------------------------------------------------------------------------------

    async def create_room(self, name: str, *, private: bool, topic: str, purpose: str) -> Room:
        """A channel of the crisis team, or a group chat: the plan's ``teams.war_room`` says which
        (Slack's ``war_room.private`` does not apply: see the README's Teams section)."""
        if self.group_chat:
            return await self.chats.create(name)
        closed = self.plan.teams.war_room is TeamsWarRoom.PRIVATE_CHANNEL
        description = f"{topic} · {purpose}"[:1024]  # also how a lost answer's channel is known as ours
        return await self.channels.create(name, description, closed, self._owner() if closed else None)

    def _owner(self) -> str | None:
        """A private channel needs an owner when an app creates it: the lead role's first person
        with a Teams id."""
        lead = self.plan.roles.get(self.plan.lead_role)
        return next((self.teams_ids[p] for p in (lead.people if lead else []) if p in self.teams_ids), None)

    async def find_room(self, name: str) -> Room | None:
        return await self.chats.find(name) if self.group_chat else await self.channels.find(name)

    async def invite(self, room: Room, members: Sequence[Member]) -> InviteReport:
        """Into the crisis team (who sees a standard channel), and the channel itself if private;
        a group chat takes its people directly."""
        if self.group_chat:
            return await self.chats.invite(room, members)
        report = InviteReport()
        team = self.addresses.room_team.get(room.id) or self.addresses.crisis_team()
        in_team = await self.graph.team_members(team)
        for member in members:
            try:
                entra = await self.entra_id(member)
                if entra in in_team and self.plan.teams.war_room is TeamsWarRoom.STANDARD_CHANNEL:
                    report.already_in.append(member.person_id)
                    continue
                if entra not in in_team:
                    await self.graph.add_team_member(team, entra)
                if self.plan.teams.war_room is TeamsWarRoom.PRIVATE_CHANNEL:
                    await self.graph.add_channel_member(team, room.id, entra)
                report.invited.append(member.person_id)
            except ChatPlatformError as exc:
                report.failed[member.person_id] = exc.user_message
        return report

    # -- messages ------------------------------------------------------------------------------

    def activities(self, message: Message) -> list[dict[str, Any]]:
        return [
            {"type": "message", "summary": message.summary[:200], "attachments": [attachment(card)]}
            for card in self.renderer.cards(message)
        ]

    async def post(
        self, channel_id: str, message: Message, thread_id: str | None = None, *, key: str | None = None
    ) -> PostedMessage:
        service_url = self.addresses.service_url(channel_id)
        threaded = thread_id and not channel_id.endswith(GROUP_CHAT_SUFFIX)  # group chats have no threads
        conversation = f"{channel_id};messageid={thread_id}" if threaded else channel_id
        ids = [await self.connector.send(service_url, conversation, a) for a in self.activities(message)]
        posted = PostedMessage(channel_id=channel_id, message_id=ids[0])
        if key:
            await self.addresses.keep_posted(channel_id, key, posted)
        return posted

    async def find_posted(self, channel: str, key: str) -> PostedMessage | None:
        return self.addresses.find_posted(channel, key)

    async def pin(self, posted: PostedMessage) -> None:
        raise ChatPlatformError("Teams has no pinned posts in channels.")

    async def update(self, posted: PostedMessage, message: Message) -> None:
        activity = self.activities(message)[0]
        service_url = self.addresses.service_url(posted.channel_id)
        await self.connector.update(service_url, posted.channel_id, posted.message_id, activity)

    async def notify(self, member: Member, message: Message, *, key: str | None = None) -> PostedMessage:
        entra = await self.entra_id(member)
        conversation = self.addresses.personal.get(entra)
        if conversation is None:
            try:
                conversation = await self.connector.open_personal(self.addresses.service_url(), entra)
            except CallRefused as exc:
                raise ChatPlatformError(
                    f"Teams refused a direct chat with {member.person.name} ({exc.code or exc.status}): "
                    "install crisisbot for them (see deploy/README.md)."
                ) from None
            await self.addresses.personal_chat(entra, conversation)
        posted = await self.post(conversation, message)
        if key:
            await self.addresses.keep_posted(f"person:{member.person_id}", key, posted)
        return posted

    async def find_notified(self, member: Member, key: str) -> PostedMessage | None:
        return self.addresses.find_posted(f"person:{member.person_id}", key)

    async def announce(self, channel_name: str, message: Message, *, key: str | None = None) -> PostedMessage:
        room = await self.channels.existing(channel_name.lstrip("#"))
        if room is None:
            raise ChatPlatformError(f"There is no channel {channel_name} in the crisis team: create it.")
        posted = await self.post(room.id, message)
        if key:
            await self.addresses.keep_posted(channel_name, key, posted)
        return posted

    async def upload(self, channel_id: str, files: Sequence[Attachment], *, thread_id: str | None = None) -> None:
        raise ChatPlatformError("Teams bots cannot attach files to channel posts.")

    async def reply(self, address: str, message: Message) -> None:
        """``address``: the conversation (thread included) a request came from, as JSON."""
        for activity in self.activities(message):
            await self._send_to(address, activity)

    async def reply_card(self, address: str, content: dict[str, Any]) -> None:
        """A card the core did not write as a message (a form), at a request's address."""
        await self._send_to(address, {"type": "message", "attachments": [attachment(content)]})

    async def _send_to(self, address: str, activity: dict[str, Any]) -> None:
        try:
            where = json.loads(address)
        except json.JSONDecodeError:
            where = None
        if not isinstance(where, dict) or not isinstance(where.get("conversation"), str):
            log.warning("a reply address that is not Teams': %.80s", address)
            return
        conversation = where["conversation"]
        service_url = where.get("service_url") or self.addresses.service_url(conversation)
        await self.connector.send(str(service_url), conversation, activity)

    @staticmethod
    def address(service_url: str, conversation: str) -> str:
        return json.dumps({"service_url": service_url, "conversation": conversation})
