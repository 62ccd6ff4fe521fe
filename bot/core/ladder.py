"""Moving a crisis along the chain of command: escalate, de-escalate, hand over the lead.

Escalating brings in and pages the roles the new severity adds (executives only at the top, as
the plan says), tells the war room who was paged and why, and announces the change. The plan
decides who may do what; everyone else gets a clear refusal.
"""

from __future__ import annotations

from datetime import datetime

from bot.core import chain_of_command, views
from bot.core.broadcast import broadcast
from bot.core.commands import LeadCommand, SeverityChangeCommand
from bot.core.errors import ConflictError, PermissionDeniedError, UsageError
from bot.core.messages import Message, Paragraph, Strong, line
from bot.core.models import Actor, Assignment, Crisis, CrisisStatus, PageStatus, TimelineEvent
from bot.core.paging import PagingService
from bot.core.plan import LoadedPlan, severity_rank
from bot.core.ports import ChatPort, Clock, CrisisRepository, Member
from bot.core.timeline import next_update_due


class Ladder:
    def __init__(
        self, loaded: LoadedPlan, crises: CrisisRepository, chat: ChatPort, clock: Clock, paging: PagingService
    ) -> None:
        self.plan = loaded.plan
        self.crises = crises
        self.chat = chat
        self.clock = clock
        self.paging = paging

    def check(self, action: str, crisis: Crisis, actor: Actor) -> None:
        """Raise unless the plan lets ``actor`` do ``action`` (escalate, deescalate, resolve)."""
        if crisis.status is CrisisStatus.RESOLVED:
            raise ConflictError(f"{crisis.key} is resolved.", hint="Declare a new crisis if it flares up again.")
        rule = getattr(self.plan.permissions, action)
        if actor.person_id is None:
            raise PermissionDeniedError(
                f"You are not in {self.plan.company}'s crisis plan, so you cannot {action} {crisis.key}.",
                hint="Ask the crisis lead to add you to the plan, or to do it.",
            )
        if rule == "lead" and not self.is_lead(crisis, actor):
            leads = chain_of_command.role_people(self.plan, self.plan.lead_role)
            names = ", ".join(self.plan.people[p].name for p in leads)
            raise PermissionDeniedError(
                f"Only the crisis lead can {action} {crisis.key} ({names}).",
                hint="Ask the lead in the war room, or /crisis escalate if it is getting worse.",
            )

    def is_lead(self, crisis: Crisis, actor: Actor) -> bool:
        """The crisis's lead, or anyone holding the plan's lead role (the backups)."""
        if actor.person_id is None:
            return False
        return actor.person_id == crisis.lead_person_id or actor.person_id in chain_of_command.role_people(
            self.plan, self.plan.lead_role
        )

    async def change_severity(self, cmd: SeverityChangeCommand, crisis: Crisis, actor: Actor) -> Message:
        action = "escalate" if cmd.up else "deescalate"
        self.check(action, crisis, actor)
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
        before = crisis.severity_id
        # one statement decides: of two escalations (or an escalation and a resolve), one wins
        if not await self.crises.change_severity(crisis.number or 0, before, target):
            raise ConflictError(f"{crisis.key} changed meanwhile.", hint="Check /crisis status and try again.")
        old = {a.role_id: a for a in crisis.assignments}
        roster = chain_of_command.resolve(self.plan, crisis.scenario_id, target)
        kept = {a.role_id for a in roster.assignments}
        # people already in the war room stay there, whichever way the severity moves
        merged = [*roster.assignments, *(a for rid, a in old.items() if rid not in kept)]
        added = [a for a in roster.assignments if a.role_id not in old]
        open_roles = {p.role_id for p in await self.paging.pages.pages_of(crisis.number or 0, PageStatus.OPEN)}
        newly_paged = [a.role_id for a in roster.assignments if a.paged and a.role_id not in open_roles]
        now = self.clock.now()
        crisis.severity_id, crisis.assignments = target, merged
        crisis.next_update_due = _next_due(next_update_due(self.plan, target, now), crisis.next_update_due, now)
        await self.crises.update(crisis, {"assignments", "next_update_due"})
        said = f": {cmd.reason}" if cmd.reason else ""
        verb = "escalated" if cmd.up else "de-escalated"
        text = f"{actor.name} {verb} {crisis.key} {before.upper()} → {target.upper()}{said}"
        await self.crises.add_event(
            crisis.number or 0,
            TimelineEvent(
                at=now,
                kind="escalated" if cmd.up else "deescalated",
                text=text,
                actor=actor,
                data={"from_severity": before, "to_severity": target, "reason": cmd.reason},
            ),
        )
        invited = await self._invite(crisis, added)
        cancelled: list[str] = []
        if not cmd.up:
            keep = {a.role_id for a in roster.assignments if a.paged}
            cancelled = await self.paging.cancel_open(crisis, keep, actor)
        lines = [line(Strong(text))]
        if invited:
            lines.append(line("Invited: ", *views.people_line(self.plan, invited)))
        if cancelled:
            lines.append(line(f"Pages no longer needed at {target.upper()}: {', '.join(cancelled)}"))
        message = Message(summary=text, blocks=(Paragraph(tuple(lines)),))
        # page first: a channel that refuses the announcement must not keep people from being paged
        await self.paging.page_roles(crisis, newly_paged, f"{verb} to {target.upper()}{said}")
        await broadcast(self.plan, self.chat, self.crises, self.clock, crisis, message)
        return message

    async def _invite(self, crisis: Crisis, added: list[Assignment]) -> list[str]:
        people = [p for p in chain_of_command.invitees(added) if p in self.plan.people]
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
        if not self.is_lead(crisis, actor):
            raise PermissionDeniedError(
                "Only the crisis lead (or another person of the lead role) can hand over the lead.",
                hint="Ask the lead in the war room.",
            )
        if new_lead == crisis.lead_person_id:
            return views.notice(f"{self.plan.people[new_lead].name} already leads {crisis.key}.")
        crisis.lead_person_id = new_lead
        await self.crises.update(crisis, {"lead_person_id"})
        name = self.plan.people[new_lead].name
        text = f"{name} now leads {crisis.key} (set by {actor.name})"
        await self.crises.add_event(
            crisis.number or 0,
            TimelineEvent(at=self.clock.now(), kind="lead_changed", text=text, actor=actor, data={"lead": new_lead}),
        )
        if new_lead == actor.person_id:  # taking over answers any page for the lead role
            await self.paging.cancel_open(crisis, set(self.plan.roles) - {self.plan.lead_role}, actor)
        message = Message(summary=text, blocks=(Paragraph((line(Strong(f"{name} now leads {crisis.key}.")),)),))
        if crisis.room is not None:
            await self.chat.post(crisis.room.id, message)
        return message


def _next_due(cadence: datetime | None, current: datetime | None, now: datetime) -> datetime | None:
    """A worse crisis wants news sooner, never later; a level without a cadence wants none."""
    if cadence is None:
        return None
    if current is None or current <= now or cadence < current:
        return cadence
    return current
