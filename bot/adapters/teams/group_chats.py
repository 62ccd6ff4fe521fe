"""War rooms as Teams group chats (the plan's ``teams.war_room: group_chat``), through Graph.

A group chat needs no crisis team and shows only to its members, but Graph makes it differently
from a channel: an app creates it with two people at least, topics need not be unique (so Graph
never says a name is taken), and the bot can post in it only once its app is installed there.

Which two people: the room is created beside the look-up of the crisis's people, before anyone
but the plan is known here, so the chat starts with the lead role's people (in every crisis) and,
when that is fewer than two, the people of the roles every severity invites: nobody who would not
be invited anyway. The invitation step adds everyone else.

Exactly once: the chat is written to the address book as soon as Graph answered, before the app is
installed or anything else can fail. A declaration resumed after a crash looks there first, then
among the chats of the first seed person (a crash between Graph's answer and that write), so it
never makes a second chat. The create call itself is never repeated after a lost answer.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence

from bot.adapters.teams.addresses import Addresses
from bot.adapters.teams.calls import CallRefused
from bot.adapters.teams.graph import Graph
from bot.core.model.crisis import Room
from bot.core.model.errors import ChatPlatformError
from bot.core.plan.model import Plan
from bot.core.ports import InviteReport, Member

Resolve = Callable[[Member], Awaitable[str]]
TOO_FEW = (
    "A Teams group chat needs two people to start with: give the plan's lead role two people "
    "Teams knows (a Teams id or an e-mail)."
)
NOT_IN_CATALOG = "crisisbot is not in your tenant's Teams app catalog: upload its package (deploy/README.md)."


class GroupChats:
    def __init__(self, graph: Graph, plan: Plan, addresses: Addresses, app_id: str, entra_id: Resolve) -> None:
        self.graph = graph
        self.plan = plan
        self.addresses = addresses
        self.app_id = app_id  # the manifest's id: the app's externalId in the catalog
        self.entra_id = entra_id

    async def create(self, name: str) -> Room:
        self.addresses.service_url()  # no chat nobody could post in: Teams must have said where first
        made = await self.graph.create_chat(name, await self.seed())
        room = Room(id=str(made["id"]), name=name, url=made.get("webUrl"))
        await self.addresses.keep_chat(room)
        await self.install(room.id)
        return room

    async def find(self, name: str) -> Room | None:
        """The chat this bot made under that topic: from the address book, else among the first
        seed person's chats (the process may have died before writing it down)."""
        await self.addresses.load()  # another replica may have made it since this one started
        room = self.addresses.chats.get(name)
        if room is None:
            room = await self._search(name)
            if room is None:
                return None
            await self.addresses.keep_chat(room)
        await self.install(room.id)  # the crashed attempt may have died before installing
        return room

    async def _search(self, name: str) -> Room | None:
        seed = await self.seed()
        async for chat in self.graph.user_chats(seed[0]):
            if chat.get("chatType") == "group" and chat.get("topic") == name and chat.get("id"):
                return Room(id=str(chat["id"]), name=name, url=chat.get("webUrl"))
        return None

    def _role_people(self, role_id: str) -> list[str]:
        """A role's people in the plan's order (named people, then its groups' members)."""
        role = self.plan.roles[role_id]
        groups = [p for g in role.groups if g in self.plan.groups for p in self.plan.groups[g].members]
        return list(dict.fromkeys([*role.people, *groups]))

    def seed_people(self) -> list[str]:
        lead = self._role_people(self.plan.lead_role)
        severities = [set(s.invite) for s in self.plan.severities.values()]
        always = set.intersection(*severities) if severities else set()
        first = next(iter(self.plan.severities.values()), None)
        others = [p for r in (first.invite if first else []) if r in always for p in self._role_people(r)]
        return [p for p in dict.fromkeys([*lead, *others]) if p in self.plan.people]

    async def seed(self) -> list[str]:
        """The lead role's people, and others invited in every crisis until there are two."""
        lead = set(self._role_people(self.plan.lead_role))
        owners: list[str] = []
        for pid in self.seed_people():
            if len(owners) >= 2 and pid not in lead:
                break
            try:
                owners.append(await self.entra_id(Member(pid, self.plan.people[pid])))
            except ChatPlatformError:
                continue  # unknown to Teams: the invitation step reports them
        if len(set(owners)) < 2:
            raise ChatPlatformError(TOO_FEW)
        return list(dict.fromkeys(owners))

    async def install(self, chat_id: str) -> None:
        """crisisbot in the chat, so that it can post there (installing it twice is no change)."""
        catalog_id, rsc = await self._catalog()
        try:
            await self.graph.install_in_chat(chat_id, catalog_id, rsc)
        except CallRefused as exc:
            if exc.status != 409:  # 409: installed already
                raise

    async def _catalog(self) -> tuple[str, list[dict[str, str]]]:
        known = self.addresses.catalog
        if known.get("id"):
            return known["id"], list(json.loads(known.get("rsc") or "[]"))
        found = await self.graph.catalog_app(self.app_id)
        if found is None:
            raise ChatPlatformError(NOT_IN_CATALOG)
        catalog_id, rsc = found
        await self.addresses.keep_catalog("rsc", json.dumps(rsc))
        await self.addresses.keep_catalog("id", catalog_id)
        return catalog_id, rsc

    async def invite(self, room: Room, members: Sequence[Member]) -> InviteReport:
        """Straight into the chat (no team membership needed); who is in already stays as is."""
        report = InviteReport()
        in_chat = await self.graph.chat_members(room.id)
        for member in members:
            try:
                entra = await self.entra_id(member)
                if entra in in_chat:
                    report.already_in.append(member.person_id)
                    continue
                await self.graph.add_chat_member(room.id, entra)
                in_chat.add(entra)
                report.invited.append(member.person_id)
            except CallRefused as exc:
                why = exc.code or str(exc.status)
                report.failed[member.person_id] = f"Teams would not add them to the war room chat ({why})"
            except ChatPlatformError as exc:
                report.failed[member.person_id] = exc.user_message
        return report
