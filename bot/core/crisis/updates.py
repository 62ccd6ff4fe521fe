"""People's own timeline entries, regular status updates, and the post-incident review.

Stakeholders outside the war room want short updates in one consistent shape, at the cadence
the plan sets for the severity; when an update is overdue, the war room is reminded once (the
reminder is claimed in the database, so two replicas never both remind).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.core.context import Context, UseCase
from bot.core.crisis.broadcast import Broadcast
from bot.core.messaging import forms
from bot.core.messaging import updates as messages
from bot.core.messaging.message import Message
from bot.core.messaging.text import asking, clock_time, notice
from bot.core.model.crisis import Actor, Crisis, CrisisStatus
from bot.core.model.errors import ChatPlatformError, ConflictError, PermissionDeniedError, UsageError
from bot.core.model.events import REVIEW_QUESTIONS, EventKind, Noted, Reviewed
from bot.core.model.permissions import Permission
from bot.core.plan.model import Plan

log = logging.getLogger(__name__)

MAX_NOTE = 3000


def next_update_due(plan: Plan, severity_id: str, now: datetime, speed: float = 1.0) -> datetime | None:
    """``speed``: a drill's clock runs that many times faster, its cadence with it."""
    every = plan.severities[severity_id].update_every_minutes
    return now + timedelta(minutes=every) / speed if every else None


class Updates(UseCase):
    def __init__(self, ctx: Context, broadcast: Broadcast) -> None:
        super().__init__(ctx)
        self.broadcast = broadcast

    async def note(
        self, crisis: Crisis, actor: Actor, text: str, *, permalink: str | None = None, author: str | None = None
    ) -> Message:
        """A person's own entry; a message shortcut passes the message's author and permalink."""
        self.access.require(Permission.NOTE, crisis, actor)
        text = text.strip()
        if not text:
            raise UsageError(
                "Write what to note: `/crisis note <text>`.", hint="Example: /crisis note Carrier confirmed the delay"
            )
        if len(text) > MAX_NOTE:
            raise UsageError(f"Keep a note under {MAX_NOTE} characters; add several if needed.")
        # the message's own author is kept apart from who filed it, so the export credits both
        data = Noted(permalink=permalink, author=author, filed_by=actor.name)
        await self.timeline.record(crisis.number, EventKind.NOTE, text, actor, data)
        return notice(f"Added to the {crisis.key} timeline.")

    def summary_required(self, crisis: Crisis) -> bool:
        return crisis.severity_id in self.plan.updates.summary_required_at and not self.access.restricted(crisis)

    async def status_update(
        self, crisis: Crisis, actor: Actor, detail: str, summary: str | None = None, *, submitted: bool = False
    ) -> Message:
        """The war room gets ``detail``; stakeholders get ``summary``, in their channel. Without
        what the plan requires (``submitted``: from the form, which already asked for it), the
        answer is the form, filled with what was typed."""
        if crisis.status is CrisisStatus.RESOLVED:
            raise ConflictError(f"{crisis.key} is resolved: its summary was the last update.")
        self.access.require(Permission.UPDATE, crisis, actor)
        detail, summary = detail.strip(), (summary or "").strip() or None
        required = self.summary_required(crisis)
        if not detail or (required and summary is None):
            level = crisis.severity_id.upper()
            why = f"At {level} every update carries a stakeholder summary" if required else "Say what changed"
            if submitted:
                raise UsageError(f"{why}.", hint="Fill in both fields of the form.")
            form = forms.status_update(crisis.number, crisis.severity_id, required, detail)
            return asking(
                form, f"{why}: fill in the form that opened (the war room's detail, the stakeholders' summary)."
            )
        crisis.next_update_due = next_update_due(self.plan, crisis.severity_id, self.clock.now(), crisis.speed)
        await self.crises.update(crisis, {"next_update_due"})
        text = detail if summary is None else f"{detail}\nStakeholders were told: {summary}"
        await self.timeline.record(crisis.number, EventKind.STATUS_UPDATE, text, actor)
        channel = self.plan.updates.stakeholder_channel or self.plan.announcements_channel
        restricted = self.access.restricted(crisis)
        shared = messages.for_stakeholders(self.plan, crisis, summary) if summary and not restricted else None
        told = await self.broadcast.send(
            crisis, messages.for_war_room(self.plan, crisis, actor, detail, summary), shared, channel=channel
        )
        if told:
            return notice(f"Update posted: the detail in the war room, the summary in #{channel}.")
        if restricted:
            return notice(f"Update posted in the war room; {crisis.key} is restricted, so stakeholders hear nothing.")
        return notice(
            f"Update posted in the war room only. To tell #{channel} too, add a stakeholder summary: "
            "type /crisis update with no text to open the form."
        )

    async def remind_overdue(self) -> int:
        """Remind war rooms whose update is overdue; each missed update is reminded once."""
        reminded = 0
        for crisis in await self.crises.due_update_reminders(self.clock.now()):
            due = clock_time(crisis.next_update_due, "now")
            await self.timeline.record(crisis.number, EventKind.UPDATE_OVERDUE, f"Update was due at {due}")
            if crisis.room is not None:
                try:
                    await self.chat_for(crisis).post(crisis.room.id, messages.overdue(self.plan, crisis))
                except ChatPlatformError as exc:
                    log.warning("could not remind %s: %s", crisis.key, exc.user_message)
            reminded += 1
        return reminded

    async def save_review(self, crisis: Crisis, actor: Actor, answers: Mapping[str, str]) -> Message:
        if actor.person_id is None or actor.person_id not in self.plan.people:
            raise PermissionDeniedError(
                f"The review of {crisis.key} is for the people of the plan.",
                hint="Ask the crisis lead to add your answers.",
            )
        clean = {k: v.strip() for k, v in answers.items() if k in REVIEW_QUESTIONS and v.strip()}
        if not clean:
            raise UsageError("The review is empty.", hint="Answer at least one of the three questions.")
        crisis.review = {**crisis.review, **clean}
        await self.crises.update(crisis, {"review"})
        text = f"{actor.name} answered the review"
        await self.timeline.record(crisis.number, EventKind.REVIEW, text, actor, Reviewed.model_validate(clean))
        return notice(f"Thanks: the review of {crisis.key} is saved; it is in the export.")
