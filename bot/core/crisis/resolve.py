"""Closing a crisis: once, by whom the plan allows, with the summary posted where it was followed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.commands import ResolveCommand
from bot.core.context import Context, UseCase
from bot.core.crisis.broadcast import Broadcast
from bot.core.drills.wrapup import DrillWrapUp
from bot.core.escalation.paging import PagingService
from bot.core.listening.report import MentionsReport
from bot.core.messaging.reports import restricted_resolved, summary_message
from bot.core.model.crisis import Actor, Crisis, CrisisStatus
from bot.core.model.errors import ConflictError
from bot.core.model.events import EventKind
from bot.core.model.permissions import Permission
from bot.core.ports import DraftRepository

MentionsOf = Callable[[Crisis], Awaitable[MentionsReport | None]]  # what listening heard of a crisis


class Resolver(UseCase):
    def __init__(
        self,
        ctx: Context,
        drafts: DraftRepository,
        broadcast: Broadcast,
        paging: PagingService,
        drills: DrillWrapUp,
        mentions: MentionsOf,
    ) -> None:
        super().__init__(ctx)
        self.drafts = drafts
        self.broadcast = broadcast
        self.paging = paging
        self.drills = drills
        self.mentions = mentions

    async def resolve(self, crisis: Crisis, cmd: ResolveCommand, actor: Actor, *, checked: bool = False) -> Crisis:
        """``checked``: the caller has decided the actor may (a drill's facilitator ending it)."""
        if crisis.status is CrisisStatus.ACTIVE and not checked:
            self.access.require(Permission.RESOLVE, crisis, actor)
        now = self.clock.now()
        summary = cmd.summary or None
        if not await self.crises.mark_resolved(crisis.number, now, actor, summary):
            raise ConflictError(f"{crisis.key} was already resolved.", hint="Type /crisis list to see active crises.")
        crisis.status, crisis.resolved_at, crisis.resolved_by = CrisisStatus.RESOLVED, now, actor
        crisis.resolution_summary = summary
        await self.paging.cancel_open(crisis, set(), actor)
        said = f": {cmd.summary}" if cmd.summary else ""
        await self.timeline.record(
            crisis.number, EventKind.RESOLVED, f"{actor.name} resolved {crisis.key}{said}", actor
        )
        events, drafts = await self.timeline.events(crisis.number), await self.drafts.drafts_of(crisis.number)
        limits, mentions = self.broadcast.chat.limits, await self.mentions(crisis)
        closing = summary_message(self.plan, crisis, events, drafts, now, limits, mentions)
        await self.broadcast.send(
            crisis, closing, restricted_resolved(crisis) if self.access.restricted(crisis) else closing
        )
        await self.drills.end(crisis)  # a drill's scorecard follows its summary
        return crisis
