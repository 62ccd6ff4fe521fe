"""Pages: the card with its Acknowledge button, and what the war room is told as a page moves."""

from __future__ import annotations

from datetime import datetime

from bot.core.messaging.message import Actions, Button, Context, Message, Paragraph, Strong, Style, line
from bot.core.messaging.text import mention, notice, say
from bot.core.model.actions import Action, PageRef
from bot.core.model.crisis import Actor, Crisis
from bot.core.model.pages import Page, PageStatus, PageTarget
from bot.core.plan.model import Plan


def card(plan: Plan, crisis: Crisis, page: Page, target: PageTarget, intro: str = "") -> Message:
    """The same card goes to the war room and, as a direct message, to the person paged."""
    name, role = plan.person_name(target.person_id), plan.role_name(target.role_id)
    who = mention(plan, target.person_id)
    return Message(
        summary=f"Paging {name} ({role}) for {crisis.key}",
        blocks=(
            Paragraph(
                (
                    *((line(intro),) if intro else ()),
                    line(Strong("Paging "), who, f" ({role}) for {crisis.key}: ", crisis.title),
                    line(f"Why: {page.reason}"),
                )
            ),
            Context(line(f"Acknowledge within {page.timeout_minutes} min, or the page goes to the next person.")),
            Actions((Button("Acknowledge", Action.PAGE_ACK, PageRef(page=page.id), Style.PRIMARY),)),
        ),
        mentions=(who,),
    )


def _settled(plan: Plan, crisis: Crisis, page: Page, target: PageTarget, outcome: str) -> Message:
    """The card as it stays once the page needs nothing more from its reader: no button."""
    name, role = plan.person_name(target.person_id), plan.role_name(target.role_id)
    return Message(
        summary=f"{outcome} ({name}, {role}, {crisis.key})",
        blocks=(
            Paragraph(
                (line(f"Page for {name} ({role}) for {crisis.key}: ", crisis.title), line(f"Why: {page.reason}"))
            ),
            Context(line(outcome)),
        ),
    )


def answered(plan: Plan, crisis: Crisis, page: Page, target: PageTarget, by: Actor, at: datetime) -> Message:
    return _settled(plan, crisis, page, target, f"✓ Acknowledged by {by.name} at {at:%H:%M} UTC")


def moved_on(plan: Plan, crisis: Crisis, page: Page, silent: PageTarget, paged: PageTarget | None) -> Message:
    after = f"No answer in {page.timeout_minutes} min"
    outcome = f"{after}: paged {plan.person_name(paged.person_id)}" if paged else f"{after}: nobody left to page"
    return _settled(plan, crisis, page, silent, outcome)


def no_longer_needed(plan: Plan, crisis: Crisis, page: Page, target: PageTarget) -> Message:
    return _settled(plan, crisis, page, target, "No longer needed: nothing to acknowledge")


def moving_up(plan: Plan, silent: PageTarget | None, page: Page) -> str:
    who = plan.person_name(silent.person_id) if silent else "nobody"
    return f"No answer from {who} in {page.timeout_minutes} min: moving up."


def exhausted(plan: Plan, crisis: Crisis, page: Page) -> Message:
    role = plan.role_name(page.role_id)
    text = f"Nobody acknowledged the page for {role} ({page.reason}). "
    lead = mention(plan, crisis.lead_person_id) if crisis.lead_person_id else None
    return say(text + "Lead: please find someone, then type /crisis ack all.", lead)


def direct_message_failed(name: str, why: str) -> Message:
    return say(f"Could not send {name} a direct message ({why}); the page goes on.")


def acknowledged_in_room(actor: Actor, roles: str) -> Message:
    return say(f"{actor.name} acknowledged the page for {roles}: nobody else is paged for it.")


def thanks(actor: Actor, roles: str) -> Message:
    return notice(f"Thanks {actor.name}: acknowledged ({roles}).")


def already_closed(page: Page) -> Message:
    who = page.acknowledged_by.name if page.acknowledged_by else "someone"
    verb = "acknowledged" if page.status is PageStatus.ACKNOWLEDGED else "cancelled"
    return notice(f"This page was already {verb} by {who}.")
