"""People's own timeline entries, regular status updates, and the post-incident review.

Stakeholders outside the war room want short updates in one consistent shape, at the cadence
the plan sets for the severity; when an update is overdue, the war room is reminded once (the
reminder is claimed in the database, so two replicas never both remind).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.core import export, views
from bot.core.broadcast import broadcast
from bot.core.errors import ConflictError, PermissionDeniedError, UsageError
from bot.core.messages import Fields, Message, Paragraph, Strong, line
from bot.core.models import Actor, Crisis, CrisisStatus, TimelineEvent
from bot.core.plan import LoadedPlan, Plan
from bot.core.ports import ChatPort, Clock, CrisisRepository

log = logging.getLogger(__name__)

REVIEW_QUESTIONS = dict(export.REVIEW_QUESTIONS)
MAX_NOTE = 3000


def next_update_due(plan: Plan, severity_id: str, now: datetime) -> datetime | None:
    every = plan.severities[severity_id].update_every_minutes
    return now + timedelta(minutes=every) if every else None


class Timeline:
    def __init__(self, loaded: LoadedPlan, crises: CrisisRepository, chat: ChatPort, clock: Clock) -> None:
        self.loaded = loaded
        self.plan = loaded.plan
        self.crises = crises
        self.chat = chat
        self.clock = clock

    async def note(
        self, crisis: Crisis, actor: Actor, text: str, *, permalink: str | None = None, author: str | None = None
    ) -> Message:
        """A person's own entry; a message shortcut passes the message's author and permalink."""
        text = text.strip()
        if not text:
            raise UsageError(
                "Write what to note: `/crisis note <text>`.", hint="Example: /crisis note Carrier confirmed the delay"
            )
        if len(text) > MAX_NOTE:
            raise UsageError(f"Keep a note under {MAX_NOTE} characters; add several if needed.")
        # the message's own author is kept apart from who filed it, so the export credits both
        data = {k: v for k, v in (("permalink", permalink), ("author", author), ("filed_by", actor.name)) if v}
        await self.crises.add_event(
            crisis.number or 0, TimelineEvent(at=self.clock.now(), kind="note", text=text, actor=actor, data=data)
        )
        return views.notice(f"Added to the {crisis.key} timeline.")

    async def status_update(self, crisis: Crisis, actor: Actor, text: str) -> Message:
        if crisis.status is CrisisStatus.RESOLVED:
            raise ConflictError(f"{crisis.key} is resolved: its summary was the last update.")
        text = text.strip()
        if not text:
            raise UsageError(
                "Say what changed: `/crisis update <what changed>`.",
                hint="Example: /crisis update Replacement lamps ship tomorrow; complaints slowing down",
            )
        now = self.clock.now()
        crisis.next_update_due = next_update_due(self.plan, crisis.severity_id, now)
        await self.crises.update(crisis, {"next_update_due"})
        await self.crises.add_event(
            crisis.number or 0, TimelineEvent(at=now, kind="status_update", text=text, actor=actor)
        )
        await broadcast(self.plan, self.chat, self.crises, self.clock, crisis, self.update_message(crisis, actor, text))
        return views.notice(f"Update posted in the war room and #{self.plan.announcements_channel}.")

    def update_message(self, crisis: Crisis, actor: Actor, text: str) -> Message:
        """One shape for every update, so readers find the same facts in the same place."""
        due = f"{crisis.next_update_due:%H:%M} UTC" if crisis.next_update_due else "when something changes"
        return Message(
            summary=f"{crisis.key} update: {text[:120]}",
            blocks=(
                Paragraph((line(Strong(f"{crisis.key} update · {crisis.title}")),)),
                Fields(
                    (
                        ("Severity", line(views.severity_label(self.plan, crisis.severity_id))),
                        ("Status", line("Active")),
                        ("Next update", line(due)),
                        ("From", line(actor.name)),
                    )
                ),
                Paragraph((line(Strong("What changed: "), text),)),
            ),
        )

    async def remind_overdue(self) -> int:
        """Remind war rooms whose update is overdue; each missed update is reminded once."""
        reminded = 0
        for crisis in await self.crises.due_update_reminders(self.clock.now()):
            due = f"{crisis.next_update_due:%H:%M} UTC" if crisis.next_update_due else "now"
            lead = views.mention(self.plan, crisis.lead_person_id) if crisis.lead_person_id else None
            text = f"Status update for {crisis.key} was due at {due}: post one with /crisis update <what changed>. "
            spans = (line(text, lead),) if lead else (line(text),)
            await self.crises.add_event(
                crisis.number or 0,
                TimelineEvent(at=self.clock.now(), kind="update_overdue", text=f"Update was due at {due}"),
            )
            if crisis.room is not None:
                try:
                    await self.chat.post(crisis.room.id, Message(summary=text, blocks=(Paragraph(spans),)))
                except Exception as exc:
                    log.warning("could not remind %s: %s", crisis.key, exc)
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
        await self.crises.add_event(
            crisis.number or 0,
            TimelineEvent(
                at=self.clock.now(), kind="review", text=f"{actor.name} answered the review", actor=actor, data=clean
            ),
        )
        return views.notice(f"Thanks: the review of {crisis.key} is saved; it is in the export.")
