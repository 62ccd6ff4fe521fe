"""Status updates for stakeholders, and the reminder when one is overdue."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.messaging.message import Block, Fields, Line, Message, Paragraph, Strong, line
from bot.core.messaging.text import clock_time, lead_line, mention, room_span, say, severity_label
from bot.core.model.crisis import Actor, Crisis
from bot.core.plan.model import Plan, UpdateField


def _fields(plan: Plan, crisis: Crisis, actor: Actor | None, chosen: Sequence[UpdateField]) -> Fields:
    """The facts the plan chose for this audience, in the plan's order, always in one place."""
    facts: dict[UpdateField, tuple[str, Line]] = {
        UpdateField.TITLE: ("Crisis", line(crisis.title)),
        UpdateField.SEVERITY: ("Severity", line(severity_label(plan, crisis.severity_id))),
        UpdateField.STATUS: ("Status", line("Active")),
        UpdateField.LEAD: ("Lead", lead_line(plan, crisis)),
        UpdateField.NEXT_UPDATE: ("Next update", line(clock_time(crisis.next_update_due, "when something changes"))),
        UpdateField.WAR_ROOM: ("War room", line(room_span(crisis))),
        UpdateField.AUTHOR: ("From", line(actor.name if actor else "crisisbot")),
    }
    return Fields(tuple(facts[f] for f in chosen))


def for_war_room(plan: Plan, crisis: Crisis, actor: Actor, detail: str, summary: str | None) -> Message:
    """The team's update: the detail, and what stakeholders were told, so nobody contradicts it."""
    blocks: list[Block] = [
        Paragraph((line(Strong(f"{crisis.key} update · {crisis.title}")),)),
        _fields(plan, crisis, actor, plan.updates.war_room_fields),
        Paragraph((line(Strong("What changed: "), detail),)),
    ]
    if summary:
        blocks.append(Paragraph((line(Strong("Stakeholders were told: "), summary),)))
    return Message(summary=f"{crisis.key} update: {detail[:120]}", blocks=tuple(blocks))


def for_stakeholders(plan: Plan, crisis: Crisis, summary: str) -> Message:
    """Executives' and the company's update: short and plain, with the facts the plan chose."""
    return Message(
        summary=f"{crisis.key} update: {summary[:120]}",
        blocks=(
            Paragraph((line(Strong(f"{crisis.key} update")),)),
            Paragraph((line(summary),)),
            _fields(plan, crisis, None, plan.updates.stakeholder_fields),
        ),
    )


def overdue(plan: Plan, crisis: Crisis) -> Message:
    due = clock_time(crisis.next_update_due, "now")
    text = f"Status update for {crisis.key} was due at {due}: post one with /crisis update <what changed>. "
    lead = mention(plan, crisis.lead_person_id) if crisis.lead_person_id else None
    return say(text, lead)
