"""Status updates for stakeholders, and the reminder when one is overdue."""

from __future__ import annotations

from bot.core.messaging.message import Fields, Message, Paragraph, Strong, line
from bot.core.messaging.text import clock_time, mention, say, severity_label
from bot.core.model.crisis import Actor, Crisis
from bot.core.plan.model import Plan


def update(plan: Plan, crisis: Crisis, actor: Actor, text: str) -> Message:
    """One shape for every update, so readers find the same facts in the same place."""
    due = clock_time(crisis.next_update_due, "when something changes")
    return Message(
        summary=f"{crisis.key} update: {text[:120]}",
        blocks=(
            Paragraph((line(Strong(f"{crisis.key} update · {crisis.title}")),)),
            Fields(
                (
                    ("Severity", line(severity_label(plan, crisis.severity_id))),
                    ("Status", line("Active")),
                    ("Next update", line(due)),
                    ("From", line(actor.name)),
                )
            ),
            Paragraph((line(Strong("What changed: "), text),)),
        ),
    )


def overdue(plan: Plan, crisis: Crisis) -> Message:
    due = clock_time(crisis.next_update_due, "now")
    text = f"Status update for {crisis.key} was due at {due}: post one with /crisis update <what changed>. "
    lead = mention(plan, crisis.lead_person_id) if crisis.lead_person_id else None
    return say(text, lead)
