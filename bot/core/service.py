"""The use cases: start, status, list, resolve; the same for every chat platform.

``start`` records its steps as pending in the database before doing them and marks each one as it
goes. A crash between two steps therefore leaves a crisis whose status says what did not happen,
and :meth:`CrisisService.resume` finishes the job without redoing what was done.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable

from bot.core import chain_of_command, rooms, views
from bot.core.commands import (
    Command,
    HelpCommand,
    ListCommand,
    ResolveCommand,
    StartCommand,
    StatusCommand,
    parse,
)
from bot.core.errors import (
    AlreadyDeclaredError,
    ConflictError,
    CrisisError,
    DuplicateRequestError,
    NotFoundError,
    RoomNameTakenError,
    UsageError,
)
from bot.core.messages import Message
from bot.core.models import Actor, Crisis, CrisisStatus, Invocation, Step, StepStatus, TimelineEvent
from bot.core.plan import LoadedPlan
from bot.core.ports import ChatPort, Clock, CrisisRepository, Member, PostedMessage

log = logging.getLogger(__name__)
Progress = Callable[[Message], Awaitable[None]]
DEDUPE_WINDOW_SECONDS = 120

START_STEPS = (
    ("create_room", "Create the war room"),
    ("invite", "Invite the chain of command"),
    ("kickoff", "Post the kickoff message and playbook"),
    ("pin", "Pin the kickoff message"),
    ("announce", "Announce in the announcements channel"),
)


class CrisisService:
    def __init__(self, loaded: LoadedPlan, repo: CrisisRepository, chat: ChatPort, clock: Clock) -> None:
        self.loaded = loaded
        self.plan = loaded.plan
        self.repo = repo
        self.chat = chat
        self.clock = clock

    async def handle(self, inv: Invocation, progress: Progress | None = None) -> Message:
        """Parse and run one ``/crisis`` command; user mistakes become a polite reply."""
        try:
            return await self.execute(parse(inv.text, self.plan), inv, progress)
        except CrisisError as exc:
            return views.error(exc)

    async def execute(self, cmd: Command, inv: Invocation, progress: Progress | None = None) -> Message:
        match cmd:
            case StartCommand():
                crisis = await self.start(cmd, inv.actor, progress)
                return views.started_reply(self.plan, crisis)
            case StatusCommand(number=number):
                crisis = await self.find(number, inv.channel_id)
                events = await self.repo.timeline(self._number(crisis))
                return views.status(self.plan, crisis, events, self.clock.now())
            case ListCommand(which=which):
                status = None if which == "all" else CrisisStatus(which)
                crises = await self.repo.list_crises(status)
                return views.crisis_list(self.plan, crises, which, self.clock.now())
            case ResolveCommand():
                return views.resolved(self.plan, await self.resolve(cmd, inv))
            case HelpCommand(topic=topic):
                return views.help_message(self.plan, topic)

    # -- start -------------------------------------------------------------------------------

    async def start(
        self, cmd: StartCommand, actor: Actor, progress: Progress | None = None, request_key: str | None = None
    ) -> Crisis:
        """Declare a crisis and run its steps.

        ``request_key`` identifies the request on its platform (a Slack view id, say) so that a
        repeated submission finds the first crisis. Without one, the same person declaring the
        same title and scenario within a couple of minutes is taken for a double click.
        """
        if cmd.title is None:
            raise UsageError(
                "Tell me what is happening: `/crisis start [scenario] [sev1..sev4] <title>`.",
                hint="Example: /crisis start complaint sev3 Delivery delays flood our mentions",
            )
        scenario = self.plan.scenarios[cmd.scenario_id]
        severity_id = cmd.severity_id or scenario.default_severity
        roster = chain_of_command.resolve(self.plan, cmd.scenario_id, severity_id)
        now = self.clock.now()
        keys = [request_key] if request_key else _dedupe_keys(actor, cmd, now.timestamp())
        for key in keys:
            await self._refuse_duplicate(key)
        draft = Crisis(
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
            steps=[Step(key=k, label=label, updated_at=now) for k, label in START_STEPS],
        )
        try:
            crisis = await self._reserve(draft)
        except DuplicateRequestError:
            await self._refuse_duplicate(keys[0])
            raise
        await self.repo.add_event(
            self._number(crisis),
            TimelineEvent(
                at=now,
                kind="declared",
                actor=actor,
                text=f"{actor.name} declared {crisis.key} ({severity_id.upper()}, {scenario.name}): {crisis.title}",
            ),
        )
        if progress is not None:
            await progress(views.progress(f"Declaring {crisis.key}: creating the war room and paging the owners..."))
        return await self.resume(crisis)

    async def _refuse_duplicate(self, key: str) -> None:
        existing = await self.repo.get_by_request_key(key)
        if existing is not None and existing.number is not None:
            where = f" War room: #{existing.room.name}." if existing.room else ""
            raise AlreadyDeclaredError(
                f"{existing.key} was already declared for this at {existing.declared_at:%H:%M UTC}.{where}",
                number=existing.number,
            )

    async def _reserve(self, draft: Crisis) -> Crisis:
        base = rooms.base_name(self.plan.war_room.prefix, draft.declared_at, draft.title)
        for name in rooms.candidates(base):
            try:
                return await self.repo.create(draft.model_copy(update={"room_name": name}))
            except RoomNameTakenError:
                continue
        raise ConflictError("Too many war rooms share this title today; add a word to the title.")

    async def resume(self, crisis: Crisis) -> Crisis:
        """Run the start steps that are not done yet, in order; independent ones concurrently."""
        if self._pending(crisis, "create_room"):
            people = chain_of_command.Roster(crisis.assignments, crisis.lead_person_id).invitees()
            members = [Member(pid, self.plan.people[pid]) for pid in people if pid in self.plan.people]
            created, _ = await asyncio.gather(
                self._step(crisis, "create_room", self._create_room(crisis)), self.chat.prepare(members)
            )
            if not created:
                return crisis
        await asyncio.gather(self._room_setup(crisis), self._announce(crisis))
        return crisis

    async def _room_setup(self, crisis: Crisis) -> None:
        if self._pending(crisis, "invite"):
            await self._step(crisis, "invite", self._invite(crisis))
        if self._pending(crisis, "kickoff"):
            await self._step(crisis, "kickoff", self._kickoff(crisis))
        if self._pending(crisis, "pin") and crisis.kickoff_message_id:
            await self._step(crisis, "pin", self._pin(crisis))

    async def _announce(self, crisis: Crisis) -> None:
        if self._pending(crisis, "announce"):
            await self._step(crisis, "announce", self._post_announcement(crisis))

    def _pending(self, crisis: Crisis, key: str) -> bool:
        return any(s.key == key and s.status is not StepStatus.DONE for s in crisis.steps)

    async def _step(self, crisis: Crisis, key: str, work: Awaitable[str]) -> bool:
        """Run one step and record its outcome; a failure is recorded, never raised."""
        try:
            detail = await work
            status = StepStatus.DONE
        except CrisisError as exc:
            detail, status = exc.user_message, StepStatus.FAILED
        except Exception as exc:  # a platform bug must not leave the step silently pending
            log.exception("step %s of %s failed", key, crisis.key)
            detail, status = f"unexpected error: {type(exc).__name__}", StepStatus.FAILED
        at = self.clock.now()
        for step in crisis.steps:
            if step.key == key:
                step.status, step.detail, step.updated_at = status, detail, at
        await self.repo.set_step(self._number(crisis), key, status, detail, at)
        if status is StepStatus.FAILED:
            label = next(s.label for s in crisis.steps if s.key == key)
            await self.repo.add_event(
                self._number(crisis), TimelineEvent(at=at, kind="step_failed", text=f"{label} failed: {detail}")
            )
        return status is StepStatus.DONE

    async def _create_room(self, crisis: Crisis) -> str:
        names = rooms.candidates(crisis.room_name)
        settings = self.plan.war_room
        for name in names:
            if name != crisis.room_name:
                try:
                    await self.repo.rename_room(self._number(crisis), name)
                except RoomNameTakenError:
                    continue
                crisis.room_name = name
            try:
                crisis.room = await self.chat.create_room(
                    name,
                    private=settings.private,
                    topic=f"{crisis.key} · {crisis.severity_id.upper()} · {crisis.title}"[:250],
                    purpose=f"War room for {crisis.key}, declared by crisisbot",
                )
            except RoomNameTakenError:
                continue
            await self.repo.update(crisis)
            await self._event(crisis, "war_room_created", f"War room #{name} created")
            return f"#{name}"
        raise ConflictError("Could not find a free war-room name; add a word to the title.")

    async def _invite(self, crisis: Crisis) -> str:
        assert crisis.room is not None
        people = chain_of_command.Roster(crisis.assignments, crisis.lead_person_id).invitees()
        members = [Member(pid, self.plan.people[pid]) for pid in people if pid in self.plan.people]
        report = await self.chat.invite(crisis.room, members)
        crisis.unreachable = dict(report.failed)
        await self.repo.update(crisis)
        names = ", ".join(self.plan.people[p].name for p in report.invited) or "nobody new"
        await self._event(crisis, "invited", f"Invited {names}", invited=report.invited, failed=report.failed)
        for pid, why in report.failed.items():
            name = self.plan.people[pid].name if pid in self.plan.people else pid
            await self._event(crisis, "invite_failed", f"Could not invite {name}: {why}")
        missing = f", {len(report.failed)} could not be invited" if report.failed else ""
        return f"{len(report.invited) + len(report.already_in)} in the room{missing}"

    async def _kickoff(self, crisis: Crisis) -> str:
        assert crisis.room is not None
        playbook = self.loaded.playbooks[crisis.scenario_id]
        message = views.kickoff(self.plan, crisis, playbook)
        posted = await self.chat.post(crisis.room.id, message)
        crisis.kickoff_message_id = posted.message_id
        await self.repo.update(crisis)
        paged = ", ".join(m.name for m in message.mentions)
        await self._event(crisis, "kickoff_posted", f"Kickoff and playbook posted; paged {paged or 'nobody'}")
        return posted.message_id

    async def _pin(self, crisis: Crisis) -> str:
        assert crisis.room is not None
        assert crisis.kickoff_message_id is not None
        await self.chat.pin(PostedMessage(crisis.room.id, crisis.kickoff_message_id))
        return "pinned"

    async def _post_announcement(self, crisis: Crisis) -> str:
        channel = self.plan.announcements_channel
        await self.chat.announce(channel, views.announcement(self.plan, crisis))
        await self._event(crisis, "announced", f"Announced in #{channel}")
        return f"#{channel}"

    # -- find and resolve ----------------------------------------------------------------------

    async def find(self, number: int | None, channel_id: str | None) -> Crisis:
        """The crisis named, else the one whose war room this is, else the only active one."""
        if number is not None:
            crisis = await self.repo.get(number)
            if crisis is None:
                raise NotFoundError(f"There is no crisis CRISIS-{number:04d}.", hint="Type /crisis list to see them.")
            return crisis
        if channel_id is not None and (crisis := await self.repo.get_by_room(channel_id)) is not None:
            return crisis
        active = await self.repo.list_crises(CrisisStatus.ACTIVE, limit=2)
        if len(active) == 1:
            return active[0]
        if not active:
            raise NotFoundError(
                "There is no active crisis.", hint="Declare one with /crisis start, or /crisis list all."
            )
        raise UsageError(
            "Several crises are active: say which one, e.g. `/crisis status CRISIS-0007`.",
            hint="Type /crisis list to see them, or run the command in the war room.",
        )

    async def resolve(self, cmd: ResolveCommand, inv: Invocation) -> Crisis:
        crisis = await self.find(cmd.number, inv.channel_id)
        if crisis.status is CrisisStatus.RESOLVED:
            raise ConflictError(f"{crisis.key} was already resolved.", hint="Type /crisis list to see active crises.")
        now = self.clock.now()
        crisis.status, crisis.resolved_at, crisis.resolved_by = CrisisStatus.RESOLVED, now, inv.actor
        crisis.resolution_summary = cmd.summary or None
        await self.repo.update(crisis)
        summary = f": {cmd.summary}" if cmd.summary else ""
        await self._event(crisis, "resolved", f"{inv.actor.name} resolved {crisis.key}{summary}", actor=inv.actor)
        message = views.resolved(self.plan, crisis)
        posts = []
        if crisis.room is not None:
            posts.append(self.chat.post(crisis.room.id, message))
        posts.append(self.chat.announce(self.plan.announcements_channel, message))
        for outcome in await asyncio.gather(*posts, return_exceptions=True):
            if isinstance(outcome, BaseException):
                log.warning("could not post the resolution of %s: %s", crisis.key, outcome)
                await self._event(crisis, "post_failed", f"Could not post the resolution: {outcome}")
        return crisis

    async def _event(self, crisis: Crisis, kind: str, text: str, actor: Actor | None = None, **data: object) -> None:
        event = TimelineEvent(at=self.clock.now(), kind=kind, text=text, data=data)
        if actor is not None:
            event = event.model_copy(update={"actor": actor})
        await self.repo.add_event(self._number(crisis), event)

    @staticmethod
    def _number(crisis: Crisis) -> int:
        if crisis.number is None:
            raise RuntimeError("crisis has not been saved yet")
        return crisis.number


def _dedupe_keys(actor: Actor, cmd: StartCommand, timestamp: float) -> list[str]:
    """Keys for this time window and the previous one, so a click just before a window edge counts."""
    what = "|".join((actor.platform_id, cmd.scenario_id, cmd.severity_id or "", (cmd.title or "").casefold()))
    digest = hashlib.sha256(what.encode()).hexdigest()[:24]
    window = int(timestamp // DEDUPE_WINDOW_SECONDS)
    return [f"auto:{digest}:{window}", f"auto:{digest}:{window - 1}"]
