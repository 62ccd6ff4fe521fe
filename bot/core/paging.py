"""Pages that must be acknowledged, and that climb the ladder when nobody answers.

A page goes to the primary of a role, in the war room and by direct message, with an Acknowledge
button. If nobody acknowledges within the severity's timeout it goes to the role's backups, then
up the plan's ``escalates_to`` ladder, saying so in the war room each time. The whole ladder is
copied into the page when it fires, so a plan edited mid-crisis changes the next crisis and never
a page in flight. Due times live in the database; :mod:`bot.scheduler` claims them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

from bot.core import views
from bot.core.chain_of_command import role_people
from bot.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from bot.core.messages import Actions, Button, Context, Mention, Message, Paragraph, Strong, line
from bot.core.models import BOT, Actor, Crisis, CrisisStatus, Page, PageStatus, PageTarget, TimelineEvent
from bot.core.plan import LoadedPlan
from bot.core.ports import ChatPort, Clock, CrisisRepository, Member, PageRepository

log = logging.getLogger(__name__)


class PagingService:
    def __init__(
        self, loaded: LoadedPlan, crises: CrisisRepository, pages: PageRepository, chat: ChatPort, clock: Clock
    ) -> None:
        self.plan = loaded.plan
        self.crises = crises
        self.pages = pages
        self.chat = chat
        self.clock = clock

    def ladder(self, role_id: str) -> list[PageTarget]:
        """The role's people in order, then each role it escalates to, each person once."""
        targets: list[PageTarget] = []
        seen_roles: set[str] = set()
        role: str | None = role_id
        while role is not None and role in self.plan.roles and role not in seen_roles:
            seen_roles.add(role)
            for pid in role_people(self.plan, role):
                if all(t.person_id != pid for t in targets):
                    targets.append(PageTarget(person_id=pid, role_id=role))
            role = self.plan.roles[role].escalates_to
        return targets

    async def page_roles(self, crisis: Crisis, role_ids: Sequence[str], reason: str) -> list[Page]:
        now = self.clock.now()
        timeout = self.plan.severities[crisis.severity_id].ack_timeout_minutes
        pages = []
        for role_id in dict.fromkeys(role_ids):
            chain = self.ladder(role_id)
            if not chain:
                continue
            page = await self.pages.create_page(
                Page(
                    crisis_number=crisis.number or 0,
                    role_id=role_id,
                    reason=reason,
                    chain=chain,
                    timeout_minutes=timeout,
                    created_at=now,
                    due_at=now + timedelta(minutes=timeout),
                )
            )
            pages.append(page)
        # every page goes out at once: a person waits on none of the others
        await asyncio.gather(*(self._send(crisis, page) for page in pages))
        return pages

    async def _send(self, crisis: Crisis, page: Page, intro: str = "") -> None:
        target = page.current
        if target is None:
            return
        name, role = self._name(target.person_id), self._role(target.role_id)
        mention = views.mention(self.plan, target.person_id)
        card = Message(
            summary=f"Paging {name} ({role}) for {crisis.key}",
            blocks=(
                Paragraph(
                    (
                        *((line(intro),) if intro else ()),
                        line(Strong("Paging "), mention, f" ({role}) for {crisis.key}: ", crisis.title),
                        line(f"Why: {page.reason}"),
                    )
                ),
                Context(line(f"Acknowledge within {page.timeout_minutes} min, or the page goes to the next person.")),
                Actions((Button("Acknowledge", "page_ack", str(page.id), style="primary"),)),
            ),
            mentions=(mention,),
        )
        await self._event(crisis, "paged", f"Paged {name} ({role}): {page.reason}", person_id=target.person_id)
        await asyncio.gather(self._post_card(crisis, card), self._direct(crisis, target.person_id, name, card))

    async def _post_card(self, crisis: Crisis, card: Message) -> None:
        if crisis.room is not None:
            try:
                await self.chat.post(crisis.room.id, card)
            except Exception as exc:
                log.warning("posting the page of %s failed: %s", crisis.key, exc)

    async def _direct(self, crisis: Crisis, person_id: str, name: str, card: Message) -> None:
        person = self.plan.people.get(person_id)
        try:
            if person is None:
                raise ConflictError("no longer in the plan")
            await self.chat.notify(Member(person_id, person), card)
        except Exception as exc:  # the timer goes on: the next person is paged if this one never hears
            why = getattr(exc, "user_message", None) or type(exc).__name__
            await self._event(crisis, "page_failed", f"Could not reach {name} directly: {why}")
            await self._say(crisis, f"Could not send {name} a direct message ({why}); the page goes on.")

    async def fire(self, page: Page, owner: str) -> bool:
        """The page is due: climb one step. False if another process took the page meanwhile."""
        crisis = await self.crises.get(page.crisis_number)
        if crisis is None or crisis.status is CrisisStatus.RESOLVED:
            page.status = PageStatus.CANCELLED
            return await self.pages.advance(page, owner)
        silent = page.current
        page.position += 1
        now = self.clock.now()
        if page.current is None:
            page.status = PageStatus.EXHAUSTED
            if not await self.pages.advance(page, owner):
                return False
            role = self._role(page.role_id)
            await self._event(crisis, "page_exhausted", f"Nobody acknowledged the page for {role}")
            lead = views.mention(self.plan, crisis.lead_person_id) if crisis.lead_person_id else None
            text = f"Nobody acknowledged the page for {role} ({page.reason}). "
            await self._say(crisis, text + "Lead: please find someone, then type /crisis ack all.", lead)
            return True
        page.due_at = now + timedelta(minutes=page.timeout_minutes)
        if not await self.pages.advance(page, owner):
            return False
        who = self._name(silent.person_id) if silent else "nobody"
        await self._send(crisis, page, intro=f"No answer from {who} in {page.timeout_minutes} min: moving up.")
        return True

    async def acknowledge(
        self, crisis: Crisis, actor: Actor, page_id: int | None = None, everything: bool = False
    ) -> Message:
        """Stop a page: the person paged (or anyone paged before them on its ladder), or a lead.

        Without a page, only the actor's own pages are acknowledged; ``everything`` (``ack all``,
        leads only) also covers pages that nobody answered, so one ack never silences the rest
        by accident.
        """
        waiting = [
            p
            for p in await self.pages.pages_of(crisis.number or 0)
            if p.status in (PageStatus.OPEN, PageStatus.EXHAUSTED)
        ]
        if page_id is not None:
            page = await self.pages.get_page(page_id)
            if page is None or page.crisis_number != crisis.number:
                raise NotFoundError("That page no longer exists.")
            candidates = [page]
        elif everything:
            if not self._is_lead(crisis, actor):
                raise PermissionDeniedError("Only the crisis lead can acknowledge every page at once.")
            candidates = waiting
        else:
            candidates = [p for p in waiting if p.status is PageStatus.OPEN and self._reached(p, actor)]
            if not candidates:
                hint = "A lead can cover every page with /crisis ack all." if waiting else ""
                raise ConflictError(f"Nothing in {crisis.key} is waiting for your acknowledgement.", hint=hint or None)
        if not candidates:
            raise ConflictError(f"Nothing is waiting for an acknowledgement in {crisis.key}.")
        acked = []
        for page in candidates:
            if page.status not in (PageStatus.OPEN, PageStatus.EXHAUSTED):
                who = page.acknowledged_by.name if page.acknowledged_by else "someone"
                verb = "acknowledged" if page.status is PageStatus.ACKNOWLEDGED else "cancelled"
                return views.notice(f"This page was already {verb} by {who}.")
            if not (self._reached(page, actor) or self._is_lead(crisis, actor)):
                target = page.current or (page.chain[-1] if page.chain else None)
                name = self._name(target.person_id) if target else "the person paged"
                raise PermissionDeniedError(
                    f"This page is for {name}.", hint="The crisis lead can also acknowledge it."
                )
            if await self.pages.close_page(page.id or 0, PageStatus.ACKNOWLEDGED, actor, self.clock.now()):
                acked.append(page)
        if not acked:
            return views.notice("Already acknowledged.")
        roles = ", ".join(self._role(p.role_id) for p in acked)
        await self._event(crisis, "acknowledged", f"{actor.name} acknowledged the page for {roles}", actor=actor)
        await self._say(crisis, f"{actor.name} acknowledged the page for {roles}: nobody else is paged for it.")
        return views.notice(f"Thanks {actor.name}: acknowledged ({roles}).")

    @staticmethod
    def _reached(page: Page, actor: Actor) -> bool:
        return actor.person_id is not None and any(
            t.person_id == actor.person_id for t in page.chain[: page.position + 1]
        )

    def _is_lead(self, crisis: Crisis, actor: Actor) -> bool:
        return actor.person_id is not None and (
            actor.person_id == crisis.lead_person_id or actor.person_id in role_people(self.plan, self.plan.lead_role)
        )

    def _name(self, person_id: str) -> str:
        """Pages outlive plan edits: a person removed since still has a name to show."""
        person = self.plan.people.get(person_id)
        return person.name if person else person_id

    def _role(self, role_id: str) -> str:
        role = self.plan.roles.get(role_id)
        return role.name if role else role_id

    async def cancel_open(self, crisis: Crisis, keep_roles: set[str], actor: Actor) -> list[str]:
        cancelled = []
        for page in await self.pages.pages_of(crisis.number or 0, PageStatus.OPEN):
            keep = page.role_id in keep_roles or page.id is None
            if not keep and await self.pages.close_page(page.id or 0, PageStatus.CANCELLED, actor, self.clock.now()):
                cancelled.append(self._role(page.role_id))
        return cancelled

    async def _say(self, crisis: Crisis, text: str, mention: Mention | None = None) -> None:
        if crisis.room is None:
            return
        spans = (line(text, mention),) if mention is not None else (line(text),)
        try:
            await self.chat.post(crisis.room.id, Message(summary=text, blocks=(Paragraph(spans),)))
        except Exception as exc:
            log.warning("could not post in the war room of %s: %s", crisis.key, exc)

    async def _event(self, crisis: Crisis, kind: str, text: str, actor: Actor = BOT, **data: object) -> None:
        event = TimelineEvent(at=self.clock.now(), kind=kind, text=text, actor=actor, data=data)
        await self.crises.add_event(crisis.number or 0, event)
