"""Declaring a crisis: steps recorded before they run, finished after a crash, never done twice.

The steps are written to the database as pending in the same transaction as the crisis. Each one
then records its outcome and what it produced (the room, the kickoff message id), and checks for
that product before acting, so a resumed declaration adopts what the crashed one left behind
instead of creating a second room or posting a second kickoff. A lease on the crisis row keeps two
replicas from resuming the same declaration at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.core.commands import StartCommand
from bot.core.context import Context, UseCase
from bot.core.crisis import rooms
from bot.core.crisis.updates import next_update_due
from bot.core.escalation.paging import PagingService
from bot.core.messaging import crisis as views
from bot.core.messaging.message import Message
from bot.core.messaging.text import progress as progress_note
from bot.core.model.crisis import Actor, Crisis, CrisisStatus, NewCrisis, Step, StepKey, StepStatus
from bot.core.model.errors import (
    AlreadyDeclaredError,
    ChatPlatformError,
    ConflictError,
    CrisisError,
    DuplicateRequestError,
    RoomNameTakenError,
    UsageError,
)
from bot.core.model.events import Declared, EventKind, Invited
from bot.core.plan import chain
from bot.core.ports import Member, PostedMessage

log = logging.getLogger(__name__)
Progress = Callable[[Message], Awaitable[None]]
DEDUPE_WINDOW_SECONDS = 120
LEASE = timedelta(minutes=5)

START_STEPS = (
    (StepKey.CREATE_ROOM, "Create the war room"),
    (StepKey.INVITE, "Invite the chain of command"),
    (StepKey.KICKOFF, "Post the kickoff message and playbook"),
    (StepKey.PIN, "Pin the kickoff message"),
    (StepKey.PAGE, "Page the owners (with acknowledgement)"),
    (StepKey.ANNOUNCE, "Announce in the announcements channel"),
)


class Declarer(UseCase):
    def __init__(self, ctx: Context, paging: PagingService, replica: str) -> None:
        super().__init__(ctx)
        self.paging = paging
        # names this process in leases, so replicas can tell whose unfinished work is whose
        self.replica = replica
        self._running: set[int] = set()  # crisis numbers this process is declaring right now

    async def declare(
        self, cmd: StartCommand, actor: Actor, progress: Progress | None = None, request_key: str | None = None
    ) -> Crisis:
        """Declare and run the steps.

        ``request_key`` names the request on its platform (a Slack view id) so a repeated
        submission finds the first crisis. Without one, the same person declaring the same thing
        within a couple of minutes is taken for a double click.
        """
        if cmd.title is None:
            raise UsageError(
                "Give the crisis a short title: `/crisis start [scenario] [sev1..sev4] <title>`.",
                hint="Example: /crisis start complaint sev3 Delivery delays flood our mentions",
            )
        scenario = self.plan.scenarios[cmd.scenario_id]
        severity_id = cmd.severity_id or scenario.default_severity
        now = self.clock.now()
        keys = [request_key] if request_key else _dedupe_keys(actor, cmd.scenario_id, severity_id, cmd.title, now)
        for key in keys:
            await self._refuse_duplicate(key)
        roster = chain.resolve(self.plan, cmd.scenario_id, severity_id)
        draft = NewCrisis(
            title=cmd.title,
            details=cmd.details,
            source_url=cmd.source_url,
            request_key=keys[0],
            scenario_id=cmd.scenario_id,
            severity_id=severity_id,
            declared_by=actor,
            declared_at=now,
            room_name="",
            lead_person_id=roster.lead_person_id,
            assignments=roster.assignments,
            next_update_due=next_update_due(self.plan, severity_id, now),
            steps=[Step(key=k, label=label, updated_at=now) for k, label in START_STEPS],
        )
        try:
            crisis = await self._reserve(draft)
        except DuplicateRequestError:
            await self._refuse_duplicate(keys[0])
            raise
        text = f"{actor.name} declared {crisis.key} ({severity_id.upper()}, {scenario.name}): {crisis.title}"
        await self.timeline.record(crisis.number, EventKind.DECLARED, text, actor, Declared(severity=severity_id))
        if progress is None:
            return await self.resume(crisis)
        note = progress_note(f"Declaring {crisis.key}: creating the war room and paging the owners...")
        _, declared = await asyncio.gather(progress(note), self.resume(crisis))  # the note is off the critical path
        return declared

    async def _refuse_duplicate(self, key: str) -> None:
        existing = await self.crises.get_by_request_key(key)
        if existing is not None:
            where = f" War room: #{existing.room.name}." if existing.room else ""
            raise AlreadyDeclaredError(
                f"{existing.key} was already declared for this at {existing.declared_at:%H:%M UTC}.{where}",
                number=existing.number,
            )

    async def _reserve(self, draft: NewCrisis) -> Crisis:
        limit = self.chat.limits.room_name
        base = rooms.base_name(self.plan.war_room.prefix, draft.declared_at, draft.title, limit)
        until = draft.declared_at + LEASE
        for name in rooms.candidates(base, limit):
            try:
                return await self.crises.create(draft.model_copy(update={"room_name": name}), self.replica, until)
            except RoomNameTakenError:
                continue
        raise ConflictError("Too many war rooms share this title today; add a word to the title.")

    async def resume_unfinished(self) -> list[Crisis]:
        """Finish declarations a crashed process left behind (those whose lease has expired)."""
        finished = []
        for crisis in await self.crises.unfinished():
            now = self.clock.now()
            if crisis.number in self._running:
                continue  # this process is declaring it right now
            if await self.crises.claim(crisis.number, self.replica, now + LEASE, now):
                log.info("resuming the declaration of %s", crisis.key)
                finished.append(await self.resume(crisis, adopt=True))
        return finished

    async def resume(self, crisis: Crisis, *, adopt: bool = False) -> Crisis:
        """Run the steps not done yet; ``adopt`` takes over a room an earlier attempt created."""
        number = crisis.number
        self._running.add(number)
        try:
            return await self._resume(crisis, adopt)
        finally:
            self._running.discard(number)

    async def _resume(self, crisis: Crisis, adopt: bool) -> Crisis:
        if self._pending(crisis, StepKey.CREATE_ROOM):
            created, _ = await asyncio.gather(
                self._step(crisis, StepKey.CREATE_ROOM, self._create_room(crisis, adopt)), self._prepare(crisis)
            )
            if not created:
                return crisis
        await asyncio.gather(self._room_setup(crisis), self._step_if_pending(crisis, StepKey.ANNOUNCE, self._announce))
        return crisis

    async def _room_setup(self, crisis: Crisis) -> None:
        await self._step_if_pending(crisis, StepKey.INVITE, self._invite)
        await self._step_if_pending(crisis, StepKey.KICKOFF, self._kickoff)
        # pinning and paging both need only the kickoff: side by side, off each other's path
        pin = self._step_if_pending(crisis, StepKey.PIN, self._pin) if crisis.kickoff_message_id else _nothing()
        await asyncio.gather(pin, self._step_if_pending(crisis, StepKey.PAGE, self._page))

    async def _step_if_pending(self, crisis: Crisis, key: StepKey, work: Callable[[Crisis], Awaitable[str]]) -> None:
        if self._pending(crisis, key):
            await self._step(crisis, key, work(crisis))

    @staticmethod
    def _pending(crisis: Crisis, key: StepKey) -> bool:
        step = crisis.step(key)
        return crisis.status is CrisisStatus.ACTIVE and step is not None and step.status is not StepStatus.DONE

    async def _step(self, crisis: Crisis, key: StepKey, work: Awaitable[str]) -> bool:
        """Run one step and record its outcome; a failure is recorded and reported, never raised."""
        try:
            detail, status = await work, StepStatus.DONE
        except CrisisError as exc:
            detail, status = str(exc), StepStatus.FAILED
        except Exception as exc:  # the edge of a step: a bug must not leave it silently pending
            log.exception("step %s of %s failed", key, crisis.key)
            detail, status = f"unexpected error ({type(exc).__name__})", StepStatus.FAILED
        at = self.clock.now()
        step = crisis.step(key)
        assert step is not None, f"{key} is not a step of {crisis.key}"
        step.status, step.detail, step.updated_at = status, detail, at
        await self.crises.set_step(crisis.number, key, status, detail, at)
        if status is StepStatus.FAILED:
            await self.timeline.record(crisis.number, EventKind.STEP_FAILED, f"{step.label} failed: {detail}")
        return status is StepStatus.DONE

    def _members(self, crisis: Crisis) -> list[Member]:
        people = chain.invitees(crisis.assignments)
        return [Member(pid, self.plan.people[pid]) for pid in people if pid in self.plan.people]

    async def _prepare(self, crisis: Crisis) -> None:
        try:
            await self.chat.prepare(self._members(crisis))
        except ChatPlatformError as exc:  # only an optimisation: invitations look people up again if needed
            log.warning("looking people up early failed for %s: %s", crisis.key, exc.user_message)

    async def _create_room(self, crisis: Crisis, adopt: bool) -> str:
        """Create the room under the reserved name, else the next free one.

        The database reserves a name before the platform is asked, so two replicas never race
        for it; a name the platform already has (a channel made by hand) moves us to the next.
        """
        if crisis.room is not None:  # created and recorded before a crash
            return f"#{crisis.room.name}"
        for name in rooms.candidates(crisis.room_name, self.chat.limits.room_name):
            if name != crisis.room_name:
                try:
                    await self.crises.rename_room(crisis.number, name)
                except RoomNameTakenError:
                    continue
                crisis.room_name = name
            try:
                crisis.room = await self.chat.create_room(
                    name,
                    private=self.plan.war_room.private,
                    topic=f"{crisis.key} · {crisis.severity_id.upper()} · {crisis.title}",
                    purpose=f"War room for {crisis.key}, declared by crisisbot",
                )
            except RoomNameTakenError:
                # resuming: the crashed attempt may have created our reserved room already
                crisis.room = await self.chat.find_room(name) if adopt and name == crisis.room_name else None
                if crisis.room is None:
                    continue
            await self.crises.update(crisis, {"room", "room_name"})
            await self.timeline.record(crisis.number, EventKind.WAR_ROOM_CREATED, f"War room #{name} ready")
            return f"#{name}"
        raise ConflictError("Could not find a free war-room name; add a word to the title.")

    async def _invite(self, crisis: Crisis) -> str:
        assert crisis.room is not None
        report = await self.chat.invite(crisis.room, self._members(crisis))
        crisis.unreachable = dict(report.failed)
        await self.crises.update(crisis, {"unreachable"})
        names = ", ".join(self.plan.person_name(p) for p in report.invited) or "nobody new"
        invited = Invited(invited=report.invited, failed=report.failed)
        await self.timeline.record(crisis.number, EventKind.INVITED, f"Invited {names}", data=invited)
        for pid, why in report.failed.items():
            text = f"Could not invite {self.plan.person_name(pid)}: {why}"
            await self.timeline.record(crisis.number, EventKind.INVITE_FAILED, text)
        missing = f", {len(report.failed)} could not be invited" if report.failed else ""
        return f"{len(report.invited) + len(report.already_in)} in the room{missing}"

    async def _kickoff(self, crisis: Crisis) -> str:
        assert crisis.room is not None
        if crisis.kickoff_message_id:  # posted and recorded before a crash
            return crisis.kickoff_message_id
        message = views.kickoff(self.plan, crisis, self.loaded.playbooks[crisis.scenario_id])
        posted = await self.chat.post(crisis.room.id, message)
        crisis.kickoff_message_id = posted.message_id
        await self.crises.update(crisis, {"kickoff_message_id"})
        paged = ", ".join(m.name for m in message.mentions)
        text = f"Kickoff and playbook posted; paged {paged or 'nobody'}"
        await self.timeline.record(crisis.number, EventKind.KICKOFF_POSTED, text)
        return posted.message_id

    async def _pin(self, crisis: Crisis) -> str:
        assert crisis.room is not None
        assert crisis.kickoff_message_id is not None
        await self.chat.pin(PostedMessage(crisis.room.id, crisis.kickoff_message_id))
        return "pinned"

    async def _page(self, crisis: Crisis) -> str:
        roles = [a.role_id for a in crisis.assignments if a.paged]
        pages = await self.paging.page_roles(crisis, roles, f"{crisis.key} declared at {crisis.severity_id.upper()}")
        return f"{len(pages)} page(s) waiting for acknowledgement"

    async def _announce(self, crisis: Crisis) -> str:
        channel = self.plan.announcements_channel
        await self.chat.announce(channel, views.announcement(self.plan, crisis))
        await self.timeline.record(crisis.number, EventKind.ANNOUNCED, f"Announced in #{channel}")
        return f"#{channel}"


def _dedupe_keys(actor: Actor, scenario_id: str, severity_id: str, title: str, now: datetime) -> list[str]:
    """Keys for this window and the previous one, so a click just before a window edge counts."""
    what = "|".join((actor.platform_id, scenario_id, severity_id, " ".join(title.casefold().split())))
    digest = hashlib.sha256(what.encode()).hexdigest()[:24]
    window = int(now.timestamp() // DEDUPE_WINDOW_SECONDS)
    return [f"auto:{digest}:{window}", f"auto:{digest}:{window - 1}"]


async def _nothing() -> None:
    return None
