"""The steps of a declaration, each safe to run again after a crash.

A platform call and the database record of it are never one atomic act: a process can die after
Slack posted the kickoff and before the kickoff's id was saved. So each step, when it runs again
(``adopt``: a resumed declaration), first looks for what the first attempt may have left: the
room by its reserved name, a message by the invisible key it was posted with, a page by its
(crisis, role, reason) key. Timeline events of steps are keyed too, so each is recorded once.
"""

from __future__ import annotations

import logging

from bot.core.context import Context, UseCase
from bot.core.crisis import rooms
from bot.core.escalation.paging import PagingService
from bot.core.messaging import crisis as views
from bot.core.model.chat import PostedMessage
from bot.core.model.crisis import Crisis
from bot.core.model.errors import ChatPlatformError, ConflictError, RoomNameTakenError
from bot.core.model.events import EventKind, Invited
from bot.core.plan import chain
from bot.core.ports import Member

log = logging.getLogger(__name__)


class DeclarationSteps(UseCase):
    def __init__(self, ctx: Context, paging: PagingService) -> None:
        super().__init__(ctx)
        self.paging = paging

    def members(self, crisis: Crisis) -> list[Member]:
        people = chain.invitees(crisis.assignments)
        return [Member(pid, self.plan.people[pid]) for pid in people if pid in self.plan.people]

    async def prepare(self, crisis: Crisis) -> None:
        try:
            await self.chat.prepare(self.members(crisis))
        except ChatPlatformError as exc:  # only an optimisation: invitations look people up again if needed
            log.warning("looking people up early failed for %s: %s", crisis.key, exc.user_message)

    async def create_room(self, crisis: Crisis, adopt: bool) -> str:
        """Create the room under the reserved name, else the next free one.

        The database reserves a name before the platform is asked, so two replicas never race
        for it; a name the platform already has (a channel made by hand) moves us to the next.
        """
        if crisis.room is not None:  # created and recorded before a crash
            return f"#{crisis.room.name}"
        for name in rooms.candidates(crisis.room_name, self.chat.limits.room_name):
            if name != crisis.room_name:
                try:
                    await self.crises.rename_room(crisis.number, name)
                except RoomNameTakenError:
                    continue
                crisis.room_name = name
            if adopt and name == crisis.room_name and not self.chat.limits.unique_room_names:
                # names need not be unique there, so no "taken" will come: adopt the crashed attempt's room
                crisis.room = await self.chat.find_room(name)
            try:
                crisis.room = crisis.room or await self.chat_for(crisis).create_room(
                    name,
                    private=self.plan.war_room.private or self.access.restricted(crisis),
                    topic=f"{crisis.key} · {crisis.severity_id.upper()} · {crisis.title}",
                    purpose=f"War room for {crisis.key}, declared by crisisbot",
                )
            except RoomNameTakenError:
                # resuming: the crashed attempt may have created our reserved room already
                crisis.room = await self.chat.find_room(name) if adopt and name == crisis.room_name else None
                if crisis.room is None:
                    continue
            await self.crises.update(crisis, {"room", "room_name"})
            text = f"War room #{name} ready"
            await self.timeline.record(crisis.number, EventKind.WAR_ROOM_CREATED, text, key="room")
            return f"#{name}"
        raise ConflictError("Could not find a free war-room name; add a word to the title.")

    async def invite(self, crisis: Crisis, adopt: bool) -> str:
        """Inviting someone already in the room changes nothing, so this step is safe as it is."""
        assert crisis.room is not None, "the room step comes first"
        report = await self.chat.invite(crisis.room, self.members(crisis))
        crisis.unreachable = dict(report.failed)
        await self.crises.update(crisis, {"unreachable"})
        names = ", ".join(self.plan.person_name(p) for p in report.invited) or "nobody new"
        invited = Invited(invited=report.invited, failed=report.failed)
        await self.timeline.record(crisis.number, EventKind.INVITED, f"Invited {names}", data=invited, key="invited")
        for pid, why in report.failed.items():
            text = f"Could not invite {self.plan.person_name(pid)}: {why}"
            await self.timeline.record(crisis.number, EventKind.INVITE_FAILED, text, key=f"invite_failed:{pid}")
        missing = f", {len(report.failed)} could not be invited" if report.failed else ""
        return f"{len(report.invited) + len(report.already_in)} in the room{missing}"

    async def kickoff(self, crisis: Crisis, adopt: bool) -> str:
        assert crisis.room is not None, "the room step comes first"
        if crisis.kickoff_message_id:  # posted and recorded before a crash
            return crisis.kickoff_message_id
        key = f"{crisis.key}:kickoff"
        message = views.kickoff(self.plan, crisis, self.loaded.playbooks[crisis.scenario_id])
        posted = await self.chat.find_posted(crisis.room.id, key) if adopt else None
        if posted is None:
            posted = await self.chat_for(crisis).post(crisis.room.id, message, key=key)
        crisis.kickoff_message_id = posted.message_id
        await self.crises.update(crisis, {"kickoff_message_id"})
        paged = ", ".join(m.name for m in message.mentions)
        text = f"Kickoff and playbook posted; paged {paged or 'nobody'}"
        await self.timeline.record(crisis.number, EventKind.KICKOFF_POSTED, text, key="kickoff")
        return posted.message_id

    async def pin(self, crisis: Crisis, adopt: bool) -> str:
        """Pinning a pinned message is no change (Slack's already_pinned), so this step is safe."""
        assert crisis.room is not None, "the room step comes first"
        assert crisis.kickoff_message_id is not None, "the kickoff step comes first"
        if not self.chat.limits.pins:
            return "not pinned: this platform has no pinned posts in rooms (the kickoff is the room's first post)"
        await self.chat.pin(PostedMessage(channel_id=crisis.room.id, message_id=crisis.kickoff_message_id))
        return "pinned"

    async def page(self, crisis: Crisis, adopt: bool) -> str:
        roles = [a.role_id for a in crisis.assignments if a.paged]
        reason = f"{crisis.key} declared at {crisis.severity_id.upper()}"
        pages = await self.paging.page_roles(crisis, roles, reason, "declared", adopt=adopt)
        return f"{len(pages)} page(s) waiting for acknowledgement"

    async def announce(self, crisis: Crisis, adopt: bool) -> str:
        channel = self.plan.announcements_channel
        if crisis.drill is not None:
            if self.plan.drills.announcements_channel is None:
                return "none for a drill (the plan names no drill channel)"
            channel = self.plan.drills.announcements_channel
        key = f"{crisis.key}:announce"
        if not (adopt and await self.chat.find_posted(channel, key)):
            message = (
                views.restricted_announcement(self.plan, crisis)
                if self.access.restricted(crisis)
                else views.announcement(self.plan, crisis)
            )
            await self.chat_for(crisis).announce(channel, message, key=key)
        await self.timeline.record(crisis.number, EventKind.ANNOUNCED, f"Announced in #{channel}", key="announced")
        return f"#{channel}"

    async def answer(self, crisis: Crisis, adopt: bool) -> str:
        """Tell the declarer how it went, wherever the declaration was finished. Their platform
        keeps no searchable copy of such an answer, so after a crash it may be sent twice: twice
        the good news is better than none."""
        if crisis.reply_to is not None:
            await self.chat_for(crisis).reply(crisis.reply_to, views.started_reply(self.plan, crisis))
        return "told the declarer"
