"""Moving a crisis along the chain of command: escalate, de-escalate, hand over the lead.

Escalating brings in and pages the roles the new severity adds (executives only at the top, as
the plan says), tells the war room who was paged and why, and announces the change. The plan
decides who may do what (:mod:`bot.core.plan.access`); everyone else gets a clear refusal.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from bot.core.commands import LeadCommand, SeverityChangeCommand
from bot.core.context import Context, UseCase
from bot.core.crisis.broadcast import Broadcast
from bot.core.crisis.updates import next_update_due
from bot.core.escalation.paging import PagingService
from bot.core.messaging import severity as messages
from bot.core.messaging.message import Message
from bot.core.model.crisis import Actor, Assignment, Crisis, CrisisStatus
from bot.core.model.errors import ConflictError, PermissionDeniedError, UsageError
from bot.core.model.events import EventKind, LeadChanged, SeverityChanged
from bot.core.model.permissions import Permission
from bot.core.plan import chain
from bot.core.plan.model import severity_rank
from bot.core.ports import Member


class SeverityService(UseCase):
    def __init__(self, ctx: Context, broadcast: Broadcast, paging: PagingService) -> None:
        super().__init__(ctx)
        self.broadcast = broadcast
        self.paging = paging

    async def change_severity(self, cmd: SeverityChangeCommand, crisis: Crisis, actor: Actor) -> Message:
        self.access.require(Permission.ESCALATE if cmd.up else Permission.DEESCALATE, crisis, actor)
        target = self._target(cmd, crisis)
        before = crisis.severity_id
        # one statement decides: of two escalations (or an escalation and a resolve), one wins
        if not await self.crises.change_severity(crisis.number, before, target):
            raise ConflictError(f"{crisis.key} changed meanwhile.", hint="Check /crisis status and try again.")
        old = {a.role_id: a for a in crisis.assignments}
        roster = chain.resolve(self.plan, crisis.scenario_id, target)
        kept = {a.role_id for a in roster.assignments}
        # people already in the war room stay there, whichever way the severity moves
        merged = [*roster.assignments, *(a for rid, a in old.items() if rid not in kept)]
        added = [a for a in roster.assignments if a.role_id not in old]
        open_roles = await self.paging.open_roles(crisis)
        newly_paged = [a.role_id for a in roster.assignments if a.paged and a.role_id not in open_roles]
        now = self.clock.now()
        crisis.severity_id, crisis.assignments = target, merged
        crisis.next_update_due = _next_due(
            next_update_due(self.plan, target, now, crisis.speed), crisis.next_update_due, now
        )
        await self.crises.update(crisis, {"assignments", "next_update_due"})
        said = f": {cmd.reason}" if cmd.reason else ""
        verb = "escalated" if cmd.up else "de-escalated"
        text = f"{actor.name} {verb} {crisis.key} {before.upper()} → {target.upper()}{said}"
        kind = EventKind.ESCALATED if cmd.up else EventKind.DEESCALATED
        change = SeverityChanged(from_severity=before, to_severity=target, reason=cmd.reason)
        await self.timeline.record(crisis.number, kind, text, actor, change)
        invited = await self._invite(crisis, added)
        cancelled: list[str] = []
        if not cmd.up:
            keep = {a.role_id for a in roster.assignments if a.paged}
            cancelled = await self.paging.cancel_open(crisis, keep, actor)
        message = messages.severity_changed(self.plan, text, invited, cancelled, target)
        # page first: a channel that refuses the announcement must not keep people from being paged
        occasion = f"{kind.value}:{now.isoformat()}:{uuid.uuid4().hex[:8]}"  # a new occasion, every time
        await self.paging.page_roles(crisis, newly_paged, f"{verb} to {target.upper()}{said}", occasion)
        await self.broadcast.send(crisis, message, None if self.access.restricted(crisis) else message)
        return message

    def _target(self, cmd: SeverityChangeCommand, crisis: Crisis) -> str:
        order = self.plan.severity_ids()  # worst first
        here = order.index(crisis.severity_id)
        target = cmd.severity_id or (order[here - 1] if cmd.up and here > 0 else None)
        if not cmd.up and cmd.severity_id is None:
            target = order[here + 1] if here + 1 < len(order) else None
        if target is None:
            edge = "the most severe" if cmd.up else "the least severe"
            raise ConflictError(f"{crisis.key} is already at {crisis.severity_id.upper()}, {edge} level.")
        worse = severity_rank(target) < severity_rank(crisis.severity_id)
        if target == crisis.severity_id or worse != cmd.up:
            other, way = ("deescalate", "up") if cmd.up else ("escalate", "down")
            raise UsageError(
                f"{crisis.key} is at {crisis.severity_id.upper()}: {target.upper()} is not a step {way}.",
                hint=f"Use /crisis {other} {target} instead.",
            )
        return target

    async def _invite(self, crisis: Crisis, added: list[Assignment]) -> list[str]:
        people = [p for p in chain.invitees(added) if p in self.plan.people]
        if crisis.room is None or not people:
            return []
        report = await self.chat.invite(crisis.room, [Member(p, self.plan.people[p]) for p in people])
        if report.failed:
            crisis.unreachable = {**crisis.unreachable, **report.failed}
            await self.crises.update(crisis, {"unreachable"})
        return report.invited + report.already_in

    async def hand_over(self, cmd: LeadCommand, crisis: Crisis, actor: Actor) -> Message:
        """``lead me`` takes over; ``lead @x`` hands over. Lead-role holders and the lead may."""
        if crisis.status is CrisisStatus.RESOLVED:
            raise ConflictError(f"{crisis.key} is resolved.")
        new_lead = actor.person_id if cmd.who == "me" else cmd.who
        if new_lead is None or new_lead not in self.plan.people:
            raise UsageError(
                "I don't know who you are in the plan, so I can't make you lead.",
                hint="Name someone: /crisis lead @name",
            )
        if not self.access.is_lead(crisis, actor):
            raise PermissionDeniedError(
                "Only the crisis lead (or another person of the lead role) can hand over the lead.",
                hint="Ask the lead in the war room.",
            )
        name = self.plan.person_name(new_lead)
        if new_lead == crisis.lead_person_id:
            return messages.already_leads(name, crisis.key)
        crisis.lead_person_id = new_lead
        await self.crises.update(crisis, {"lead_person_id"})
        text = f"{name} now leads {crisis.key} (set by {actor.name})"
        await self.timeline.record(crisis.number, EventKind.LEAD_CHANGED, text, actor, LeadChanged(lead=new_lead))
        if new_lead == actor.person_id:  # taking over answers any page for the lead role
            await self.paging.cancel_open(crisis, set(self.plan.roles) - {self.plan.lead_role}, actor)
        message = messages.lead_changed(name, crisis.key, text)
        if crisis.room is not None:
            await self.chat_for(crisis).post(crisis.room.id, message)
        return message


def _next_due(cadence: datetime | None, current: datetime | None, now: datetime) -> datetime | None:
    """A worse crisis wants news sooner, never later; a level without a cadence wants none."""
    if cadence is None:
        return None
    if current is None or current <= now or cadence < current:
        return cadence
    return current
