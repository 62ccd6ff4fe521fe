"""Pages that must be acknowledged, and that climb the ladder when nobody answers.

A page goes to the primary of a role, in the war room and by direct message, with an Acknowledge
button. If nobody acknowledges within the severity's timeout it goes to the role's backups, then
up the plan's ``escalates_to`` ladder, saying so in the war room each time. The whole ladder is
copied into the page when it fires, so a plan edited mid-crisis changes the next crisis and never
a page in flight. Due times live in the database; :mod:`bot.scheduler` claims them.

Pages sent together are recorded on the timeline one after the other, in the plan's order, and
only then delivered side by side: the timeline (and so the export) does not depend on which
delivery finishes first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

from bot.core.context import Context, UseCase
from bot.core.messaging import paging as messages
from bot.core.messaging.message import Message
from bot.core.messaging.text import notice
from bot.core.model.chat import PostedMessage
from bot.core.model.crisis import Actor, Crisis, CrisisStatus
from bot.core.model.errors import ChatPlatformError, ConflictError, NotFoundError, PermissionDeniedError
from bot.core.model.events import EventKind, Paged
from bot.core.model.pages import NewPage, Page, PageStatus
from bot.core.plan.chain import page_ladder
from bot.core.ports import Member, PageRepository

log = logging.getLogger(__name__)
PAGE_LEASE = timedelta(seconds=60)  # longer than delivering a card, bounded calls and retries included
WAITING = (PageStatus.OPEN, PageStatus.EXHAUSTED)


class PagingService(UseCase):
    def __init__(self, ctx: Context, pages: PageRepository, holder: str) -> None:
        super().__init__(ctx)
        self.pages = pages
        # "replica#incarnation": the lease of a page this process delivers or climbs
        self.holder = holder

    async def page_roles(
        self, crisis: Crisis, role_ids: Sequence[str], reason: str, occasion: str, adopt: bool = False
    ) -> list[Page]:
        """Page each role once per ``occasion`` (the declaration, one severity change ...).
        ``adopt`` (a declaration resumed after a crash): its pages and their cards may exist
        already, so look before sending anything twice."""
        now = self.clock.now()
        timeout = self.plan.severities[crisis.severity_id].ack_timeout_minutes
        pages = []
        for role_id in dict.fromkeys(role_ids):
            chain = page_ladder(self.plan, role_id)
            if not chain:
                continue
            new = NewPage(
                crisis_number=crisis.number,
                role_id=role_id,
                reason=reason,
                chain=chain,
                timeout_minutes=timeout,
                created_at=now,
                due_at=now + timedelta(minutes=timeout) / crisis.speed,  # a drill's clock runs faster
                key=f"{occasion}:{role_id}",
            )
            pages.append(await self.pages.create_page(new, self.holder, now + PAGE_LEASE))
        for page in pages:
            self.telemetry.page("fired")
            await self._record(crisis, page)
        # every page goes out at once: a person waits on none of the others
        await asyncio.gather(*(self._deliver_leased(crisis, page, adopt) for page in pages if page.undelivered))
        return pages

    async def _deliver_leased(self, crisis: Crisis, page: Page, adopt: bool) -> None:
        """Deliver a page this process created, or (adopting) one whose sender died."""
        now = self.clock.now()
        if adopt and not await self.pages.claim(page.id, self.holder, now + PAGE_LEASE, now):
            return  # a live process is delivering it
        await self._deliver(crisis, page, adopt=adopt)

    async def _record(self, crisis: Crisis, page: Page) -> None:
        target = page.current
        if target is not None:
            name, role = self.plan.person_name(target.person_id), self.plan.role_name(target.role_id)
            text = f"Paged {name} ({role}): {page.reason}"
            data = Paged(person_id=target.person_id)
            await self.timeline.record(crisis.number, EventKind.PAGED, text, data=data, key=_key(page, "paged"))

    async def _deliver(self, crisis: Crisis, page: Page, intro: str = "", adopt: bool = False) -> None:
        """Send the card of the current position to the war room and to the person, then record
        it delivered (which lets the lease go). Keys mark both, so a delivery interrupted by a
        crash is finished, not repeated."""
        target = page.current
        if target is None:
            return
        card = messages.card(self.plan, crisis, page, target, intro)
        in_room, direct = await asyncio.gather(
            self._post_card(crisis, card, _key(page, "card"), adopt),
            self._direct(crisis, target.person_id, card, _key(page, "dm"), adopt),
        )
        posted = {name: p for name, p in (("card", in_room), ("dm", direct)) if p is not None}
        await self.pages.mark_delivered(page.id, page.position, self.holder, posted)

    async def _post_card(self, crisis: Crisis, card: Message, key: str, adopt: bool) -> PostedMessage | None:
        if crisis.room is None:
            return None
        try:
            found = await self.chat.find_posted(crisis.room.id, key) if adopt else None
            return found or await self.chat_for(crisis).post(crisis.room.id, card, key=key)
        except ChatPlatformError as exc:
            log.warning("posting the page of %s failed: %s", crisis.key, exc.user_message)
            return None

    async def _direct(
        self, crisis: Crisis, person_id: str, card: Message, key: str, adopt: bool
    ) -> PostedMessage | None:
        """The timer goes on whatever happens here: the next person is paged if this one never hears."""
        name = self.plan.person_name(person_id)
        person = self.plan.people.get(person_id)
        if person is None:
            why = "no longer in the plan"
        else:
            member = Member(person_id, person)
            try:
                found = await self.chat.find_notified(member, key) if adopt else None
                return found or await self.chat_for(crisis).notify(member, card, key=key)
            except ChatPlatformError as exc:
                why = exc.user_message
        text = f"Could not reach {name} directly: {why}"
        if await self.timeline.record(crisis.number, EventKind.PAGE_FAILED, text, key=key):
            await self._say(crisis, messages.direct_message_failed(name, why))
        return None

    async def _settle(self, crisis: Crisis, page: Page, message: Message) -> None:
        """Replace the card and direct message of the page's position: no button stays live."""
        for posted in page.posted.values():
            try:
                await self.chat_for(crisis).update(posted, message)
            except ChatPlatformError as exc:
                log.info("could not update a page card: %s", exc.user_message)

    async def fire(self, page: Page, holder: str) -> bool:
        """The page is due: climb one step (or finish the delivery its dead sender left undone).
        False if another process took the page meanwhile."""
        crisis = await self.crises.get(page.crisis_number)
        if crisis is None or crisis.status is CrisisStatus.RESOLVED:
            page.status = PageStatus.CANCELLED
            return await self.pages.advance(page, holder)
        if page.undelivered:
            await self._record(crisis, page)
            await self._deliver(crisis, page, adopt=True)
            return True
        silent = page.current
        page.position += 1
        # the old card is settled only once the climb is ours: an acknowledgement that won the
        # race has settled it already, and truthfully
        moved_on = messages.moved_on(self.plan, crisis, page, silent, page.current) if silent else None
        if page.current is None:
            page.status = PageStatus.EXHAUSTED
            if not await self.pages.advance(page, holder):
                return False
            if moved_on is not None:
                await self._settle(crisis, page, moved_on)
            text = f"Nobody acknowledged the page for {self.plan.role_name(page.role_id)}"
            await self.timeline.record(crisis.number, EventKind.PAGE_EXHAUSTED, text, key=_key(page, "exhausted"))
            await self._say(crisis, messages.exhausted(self.plan, crisis, page))
            return True
        page.due_at = self.clock.now() + timedelta(minutes=page.timeout_minutes) / crisis.speed
        if not await self.pages.advance(page, holder):
            return False
        if moved_on is not None:
            await self._settle(crisis, page, moved_on)
        self.telemetry.page("climbed")
        await self._record(crisis, page)
        await self._deliver(crisis, page, intro=messages.moving_up(self.plan, silent, page))
        return True

    async def acknowledge_page(self, page_id: int, actor: Actor) -> Message:
        """The Acknowledge button: the page names its crisis."""
        page = await self.pages.get_page(page_id)
        crisis = await self.crises.get(page.crisis_number) if page else None
        if page is None or crisis is None:
            raise NotFoundError("That page no longer exists.")
        return await self.acknowledge(crisis, actor, page.id)

    async def acknowledge(
        self, crisis: Crisis, actor: Actor, page_id: int | None = None, everything: bool = False
    ) -> Message:
        """Stop a page: the person paged (or anyone paged before them on its ladder), or a lead.

        Without a page, only the actor's own pages are acknowledged; ``everything`` (``ack all``,
        leads only) also covers pages that nobody answered, so one ack never silences the rest
        by accident.
        """
        waiting = [p for p in await self.pages.pages_of(crisis.number) if p.status in WAITING]
        if page_id is not None:
            page = await self.pages.get_page(page_id)
            if page is None or page.crisis_number != crisis.number:
                raise NotFoundError("That page no longer exists.")
            candidates = [page]
        elif everything:
            self.access.require_lead(
                crisis, actor, "can acknowledge every page at once", "Acknowledge your own page with /crisis ack."
            )
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
            if page.status not in WAITING:
                return messages.already_closed(page)
            if not (self._reached(page, actor) or self.access.is_lead(crisis, actor)):
                target = page.current or (page.chain[-1] if page.chain else None)
                name = self.plan.person_name(target.person_id) if target else "the person paged"
                raise PermissionDeniedError(
                    f"This page is for {name}.", hint="The crisis lead can also acknowledge it."
                )
            now = self.clock.now()
            if await self.pages.close_page(page.id, PageStatus.ACKNOWLEDGED, actor, now):
                self.telemetry.page("acknowledged")
                acked.append(page)
                target = page.current or (page.chain[-1] if page.chain else None)
                if target is not None:
                    await self._settle(crisis, page, messages.answered(self.plan, crisis, page, target, actor, now))
        if not acked:
            return notice("Already acknowledged.")
        roles = ", ".join(self.plan.role_name(p.role_id) for p in acked)
        text = f"{actor.name} acknowledged the page for {roles}"
        await self.timeline.record(crisis.number, EventKind.ACKNOWLEDGED, text, actor)
        await self._say(crisis, messages.acknowledged_in_room(actor, roles))
        return messages.thanks(actor, roles)

    @staticmethod
    def _reached(page: Page, actor: Actor) -> bool:
        return actor.person_id is not None and any(
            t.person_id == actor.person_id for t in page.chain[: page.position + 1]
        )

    async def cancel_open(self, crisis: Crisis, keep_roles: set[str], actor: Actor) -> list[str]:
        cancelled = []
        for page in await self.pages.pages_of(crisis.number, PageStatus.OPEN):
            if page.role_id in keep_roles:
                continue
            if await self.pages.close_page(page.id, PageStatus.CANCELLED, actor, self.clock.now()):
                cancelled.append(self.plan.role_name(page.role_id))
                if page.current is not None:
                    await self._settle(crisis, page, messages.no_longer_needed(self.plan, crisis, page, page.current))
        return cancelled

    async def open_roles(self, crisis: Crisis) -> set[str]:
        return {p.role_id for p in await self.pages.pages_of(crisis.number, PageStatus.OPEN)}

    async def _say(self, crisis: Crisis, message: Message) -> None:
        if crisis.room is None:
            return
        try:
            await self.chat_for(crisis).post(crisis.room.id, message)
        except ChatPlatformError as exc:
            log.warning("could not post in the war room of %s: %s", crisis.key, exc.user_message)


def _key(page: Page, what: str) -> str:
    """What a page did at its current position, once: its card, its direct message, its event."""
    return f"page:{page.id}:{page.position}:{what}"
