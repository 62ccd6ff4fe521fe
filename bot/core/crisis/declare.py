"""Declaring a crisis: steps recorded before they run, finished after a crash, each done once.

The crisis and its pending steps are written in one transaction, under a lease: the process
declaring it renews the lease while it works and releases it when done, so no other process (nor
this one's own scheduler) resumes a declaration that is still running. When a process dies, its
lease runs out (or, when it is restarted under the same replica name, is taken over at once) and
another process resumes the steps still pending. Each step is safe to run again
(:mod:`bot.core.crisis.steps`), so a resumed declaration adopts what the dead one left behind.

A request is stored before anyone is told "Declaring..." (``reserve``), so a declaration that was
acknowledged is never lost: whichever process finishes it answers the declarer.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from bot.core.commands import StartCommand
from bot.core.context import Context, UseCase
from bot.core.crisis import rooms
from bot.core.crisis.steps import DeclarationSteps
from bot.core.crisis.updates import next_update_due
from bot.core.escalation.paging import PagingService
from bot.core.messaging.message import Message
from bot.core.messaging.text import progress as progress_note
from bot.core.model.crisis import Actor, Crisis, CrisisStatus, NewCrisis, RetryPolicy, Step, StepKey, StepStatus
from bot.core.model.drill import DrillInfo
from bot.core.model.errors import (
    AlreadyDeclaredError,
    ConflictError,
    CrisisError,
    DatabaseUnavailableError,
    DuplicateRequestError,
    RoomNameTakenError,
    UsageError,
)
from bot.core.model.events import Declared, EventKind, TimelineEvent
from bot.core.plan import chain

log = logging.getLogger(__name__)
Progress = Callable[[Message], Awaitable[None]]
DEDUPE_WINDOW_SECONDS = 120
LEASE = timedelta(seconds=15)  # how long a dead declarer's work waits before another replica takes it
STEP_RETRY = RetryPolicy(attempts=3, after=timedelta(seconds=30))  # a failed step: 2 more tries
HEARTBEAT_SECONDS = 4.0  # well inside the lease, so a slow step never loses it
# how long a declaration this process stored may wait for a free slot before its own scheduler
# takes it as lost (an acknowledgement that failed after storing it, say): far beyond a burst
QUEUED_PATIENCE = timedelta(minutes=10)

START_STEPS = (
    (StepKey.CREATE_ROOM, "Create the war room"),
    (StepKey.INVITE, "Invite the chain of command"),
    (StepKey.KICKOFF, "Post the kickoff message and playbook"),
    (StepKey.PIN, "Pin the kickoff message"),
    (StepKey.PAGE, "Page the owners (with acknowledgement)"),
    (StepKey.ANNOUNCE, "Announce in the announcements channel"),
)
ANSWER_STEP = (StepKey.ANSWER, "Tell the declarer")
Work = Callable[[Crisis, bool], Awaitable[str]]


class Declarer(UseCase):
    def __init__(self, ctx: Context, paging: PagingService, holder: str) -> None:
        super().__init__(ctx)
        self.steps = DeclarationSteps(ctx, paging)
        # "replica#incarnation": names this process in leases, so replicas tell whose work is whose
        self.holder = holder
        self._running: set[int] = set()  # crisis numbers this process is declaring right now
        # stored here and waiting for one of the slots of background work (``run_reserved``), by
        # when they were stored: in a burst the wait outlasts the lease, and this process's own
        # scheduler must not run them a second time beside the slot's run
        self._queued: dict[int, datetime] = {}

    async def declare(
        self,
        cmd: StartCommand,
        actor: Actor,
        progress: Progress | None = None,
        request_key: str | None = None,
        drill: DrillInfo | None = None,
    ) -> Crisis:
        """Reserve the crisis and run its steps (for callers that wait for the outcome)."""
        crisis = await self.reserve(cmd, actor, request_key, drill=drill)
        if progress is None:
            return await self.run(crisis)
        note = progress_note(f"Declaring {crisis.key}: creating the war room and paging the owners...")
        _, declared = await asyncio.gather(progress(note), self.run(crisis))  # the note is off the critical path
        return declared

    async def reserve(
        self,
        cmd: StartCommand,
        actor: Actor,
        request_key: str | None = None,
        reply_to: str | None = None,
        *,
        drill: DrillInfo | None = None,
    ) -> Crisis:
        """Store the declaration, steps pending, under this process's lease: from here on it is
        never lost. ``request_key`` names the request on its platform (a Slack view id) so a
        repeated submission finds the first crisis; without one, the same person declaring the
        same thing within a couple of minutes is taken for a double click. ``reply_to``: where
        the declarer hears the outcome, whichever process finishes it."""
        if cmd.title is None:
            raise UsageError(
                "Give the crisis a short title: `/crisis start [scenario] [sev1..sev4] <title>`.",
                hint="Example: /crisis start complaint sev3 Delivery delays flood our mentions",
            )
        scenario = self.plan.scenarios[cmd.scenario_id]
        asked = cmd.severity_id or scenario.default_severity
        severity_id = self.access.declarable(actor, asked, scenario.default_severity)
        now = self.clock.now()
        keys = [request_key] if request_key else _dedupe_keys(actor, cmd.scenario_id, severity_id, cmd.title, now)
        roster = chain.resolve(self.plan, cmd.scenario_id, severity_id)
        steps = [*START_STEPS, *((ANSWER_STEP,) if reply_to else ())]
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
            next_update_due=next_update_due(self.plan, severity_id, now, drill.speed if drill else 1.0),
            drill=drill,
            reply_to=reply_to,
            asked_severity=asked if asked != severity_id else None,
            steps=[Step(key=k, label=label, updated_at=now) for k, label in steps],
        )

        def declared(crisis: Crisis) -> TimelineEvent:
            what = "a DRILL, " if drill is not None else ""
            text = f"{actor.name} declared {crisis.key} ({what}{severity_id.upper()}, {scenario.name}): {crisis.title}"
            return TimelineEvent(
                at=now,
                kind=EventKind.DECLARED,
                text=text,
                actor=actor,
                data=Declared(severity=severity_id),
                key="declared",
            )

        try:
            return await self._create(draft, keys[1:], declared)
        except DuplicateRequestError as exc:
            await self._refuse_duplicate(exc.request_key)
            raise

    async def _refuse_duplicate(self, key: str) -> None:
        existing = await self.crises.get_by_request_key(key)
        if existing is not None:
            where = f" War room: #{existing.room.name}." if existing.room else ""
            raise AlreadyDeclaredError(
                f"{existing.key} was already declared for this at {existing.declared_at:%H:%M UTC}.{where}",
                number=existing.number,
            )

    async def _create(
        self, draft: NewCrisis, other_keys: Sequence[str], first_event: Callable[[Crisis], TimelineEvent]
    ) -> Crisis:
        """The crisis, its steps and its "declared" event in one transaction, under the first
        free war room name."""
        limit = self.chat.limits.room_name
        # a restricted crisis's room is named without its title: channel names show in places
        # (audit logs, admin lists, invitations) that its members do not choose
        restricted = self.plan.scenarios[draft.scenario_id].restricted
        title = "restricted" if restricted else draft.title
        # a drill's room says so in its very name: nobody joins it thinking it is real
        prefix = "drill" if draft.drill is not None else self.plan.war_room.prefix
        base = rooms.base_name(prefix, draft.declared_at, title, limit)
        until = self.clock.now() + LEASE
        for name in rooms.candidates(base, limit):
            try:
                named = draft.model_copy(update={"room_name": name})
                created = await self.crises.create(
                    named, self.holder, until, other_keys=other_keys, first_event=first_event
                )
            except RoomNameTakenError:
                continue
            self.telemetry.declared()  # stored: from here the crisis exists, whoever finishes it
            self._queued[created.number] = self.clock.now()
            return created
        raise ConflictError("Too many war rooms share this title today; add a word to the title.")

    async def run_reserved(self, number: int) -> Crisis:
        """Run the steps of a crisis this process reserved (the platform's acknowledgement went
        out meanwhile). If the lease was lost in between, another process has it: leave it."""
        self._queued.pop(number, None)
        crisis = await self.crises.get(number)
        if crisis is None:
            raise ConflictError(f"Crisis {number} is not in the database.")
        if number in self._running or not await self.crises.renew(number, self.holder, self.clock.now() + LEASE):
            return crisis
        return await self.run(crisis)

    async def resume_unfinished(self) -> list[Crisis]:
        """Finish declarations a dead process left behind (its lease expired, or it was this
        replica before a restart).

        They are claimed one by one, then run side by side, as declarations that arrive together
        run: a replica that dies in a burst leaves several behind, and run one after the other
        the last war room would wait for every declaration before it (ten left behind with Slack
        at 300 ms a call: 16 s more for the last one than for the first)."""
        claimed: list[Crisis] = []
        try:
            await self._claim_unfinished(claimed)
        finally:  # even if claiming the next one failed: those claimed are run now, not in 15 s
            outcomes = await asyncio.gather(*(self.run(c, adopt=True) for c in claimed), return_exceptions=True)
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        if failed:
            raise failed[0]  # the others ran to their end; the scheduler logs this one
        return [o for o in outcomes if not isinstance(o, BaseException)]

    async def _claim_unfinished(self, claimed: list[Crisis]) -> None:
        for stale in await self.crises.unfinished(self.clock.now(), STEP_RETRY, self.holder):
            now = self.clock.now()
            if stale.number in self._running or self._waits_for_a_slot(stale.number, now):
                continue  # this process is declaring it right now, or will as soon as a slot frees
            if not await self.crises.claim(stale.number, self.holder, now + LEASE, now):
                continue
            # read it again: the list may be older than the declaration that just finished it
            crisis = await self.crises.get(stale.number)
            if crisis is None or not self._due(crisis) or crisis.status is not CrisisStatus.ACTIVE:
                await self.crises.release(stale.number, self.holder)
                continue
            log.info("resuming the declaration of %s", crisis.key)
            claimed.append(crisis)

    def _waits_for_a_slot(self, number: int, now: datetime) -> bool:
        queued = self._queued.get(number)
        if queued is not None and now - queued > QUEUED_PATIENCE:
            del self._queued[number]  # never run here: its slot's work was lost, the scheduler takes it
            return False
        return queued is not None

    async def run(self, crisis: Crisis, *, adopt: bool = False) -> Crisis:
        """Run the steps not done yet, under the lease (renewed meanwhile, released at the end).

        ``adopt``: a resumed declaration, which looks for what an earlier attempt left first.
        """
        self._queued.pop(crisis.number, None)
        self._running.add(crisis.number)
        try:
            async with self._leased(crisis):
                await self._run(crisis, adopt)
        finally:
            self._running.discard(crisis.number)
        failed = [s.key.value for s in crisis.steps if s.status is StepStatus.FAILED]
        room = f"#{crisis.room.name}" if crisis.room else "no war room"
        # one line per declaration for whoever reads the log during the crisis
        log.info("%s declared (%s, %s): %s%s", crisis.key, crisis.scenario_id, crisis.severity_id, room,
                 f"; failed: {', '.join(failed)}" if failed else "")  # fmt: skip
        return crisis

    @contextlib.asynccontextmanager
    async def _leased(self, crisis: Crisis) -> AsyncIterator[None]:
        heartbeat = asyncio.ensure_future(self._heartbeat(crisis.number))
        try:
            yield
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
        # released only when the steps ran to their end: a crash or a cancellation leaves the
        # lease to expire, and the steps still pending to whoever takes them over
        await self.crises.release(crisis.number, self.holder)

    async def _heartbeat(self, number: int) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                renewed = await self.crises.renew(number, self.holder, self.clock.now() + LEASE)
            except DatabaseUnavailableError:
                continue  # the next beat tries again: a restart of the database must not end the lease's care
            if not renewed:
                log.warning("lost the lease on crisis %s: another process took its declaration over", number)
                return

    async def _run(self, crisis: Crisis, adopt: bool) -> None:
        steps = self.steps
        if self._pending(crisis, StepKey.CREATE_ROOM):
            created, _ = await asyncio.gather(
                self._step(crisis, StepKey.CREATE_ROOM, steps.create_room, adopt), steps.prepare(crisis)
            )
            if not created:
                await self._maybe(crisis, StepKey.ANSWER, steps.answer, adopt)
                return
        await asyncio.gather(
            self._room_setup(crisis, adopt), self._maybe(crisis, StepKey.ANNOUNCE, steps.announce, adopt)
        )
        await self._maybe(crisis, StepKey.ANSWER, steps.answer, adopt)

    async def _room_setup(self, crisis: Crisis, adopt: bool) -> None:
        await self._maybe(crisis, StepKey.INVITE, self.steps.invite, adopt)
        await self._maybe(crisis, StepKey.KICKOFF, self.steps.kickoff, adopt)
        # pinning and paging both need only the kickoff: side by side, off each other's path
        pin = self._maybe(crisis, StepKey.PIN, self.steps.pin, adopt) if crisis.kickoff_message_id else _nothing()
        await asyncio.gather(pin, self._maybe(crisis, StepKey.PAGE, self.steps.page, adopt))

    async def _maybe(self, crisis: Crisis, key: StepKey, work: Work, adopt: bool) -> None:
        if self._pending(crisis, key):
            await self._step(crisis, key, work, adopt)

    @staticmethod
    def _pending(crisis: Crisis, key: StepKey) -> bool:
        step = crisis.step(key)
        return (
            crisis.status is CrisisStatus.ACTIVE
            and step is not None
            and step.status is not StepStatus.DONE
            and step.attempts < STEP_RETRY.attempts
        )

    def _due(self, crisis: Crisis) -> bool:
        """Steps to run now: pending, or failed long enough ago for another try."""
        now = self.clock.now()
        return any(
            s.status is StepStatus.PENDING
            or (
                s.status is StepStatus.FAILED
                and s.attempts < STEP_RETRY.attempts
                and (s.updated_at is None or s.updated_at <= now - STEP_RETRY.after)
            )
            for s in crisis.steps
        )

    async def _step(self, crisis: Crisis, key: StepKey, work: Work, adopt: bool) -> bool:
        """Run one step and record its outcome; a failure is recorded and reported, never raised."""
        try:
            detail, status = await work(crisis, adopt), StepStatus.DONE
        except DatabaseUnavailableError:
            raise  # not the step's failure: it stays pending and is resumed once the database answers
        except CrisisError as exc:
            detail, status = str(exc), StepStatus.FAILED
        except Exception as exc:  # the edge of a step: a bug must not leave it silently pending
            log.exception("step %s of %s failed", key, crisis.key)
            detail, status = f"unexpected error ({type(exc).__name__})", StepStatus.FAILED
        at = self.clock.now()
        step = crisis.step(key)
        assert step is not None, f"{key} is not a step of {crisis.key}"
        step.status, step.detail, step.updated_at, step.attempts = status, detail, at, step.attempts + 1
        await self.crises.set_step(crisis.number, key, status, detail, at, step.attempts)
        if status is StepStatus.FAILED:
            self.telemetry.step_failed(key.value)
            await self.timeline.record(crisis.number, EventKind.STEP_FAILED, f"{step.label} failed: {detail}")
        return status is StepStatus.DONE


def _dedupe_keys(actor: Actor, scenario_id: str, severity_id: str, title: str, now: datetime) -> list[str]:
    """Keys for this window and the previous one, so a click just before a window edge counts."""
    what = "|".join((actor.platform_id, scenario_id, severity_id, " ".join(title.casefold().split())))
    digest = hashlib.sha256(what.encode()).hexdigest()[:24]
    window = int(now.timestamp() // DEDUPE_WINDOW_SECONDS)
    return [f"auto:{digest}:{window}", f"auto:{digest}:{window - 1}"]


async def _nothing() -> None:
    return None
