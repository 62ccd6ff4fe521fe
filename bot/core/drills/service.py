"""Drills: start one from a script, steer it (inject, pause, resume, end), play its injects.

A drill is an ordinary crisis flagged as a drill, so the team practises with the real commands
and the real declaration steps; only its clock (``speed``), its labels and its injects differ.
Injects are durable timers claimed like pages: a restart or a second replica never plays one
twice, and a paused or ended drill plays none.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.core.commands import ResolveCommand, StartCommand
from bot.core.context import Context, UseCase
from bot.core.crisis.declare import Declarer, Progress
from bot.core.crisis.resolve import Resolver
from bot.core.drills.actions import holds, team_actions
from bot.core.drills.commands import DrillAction, DrillCommand, DrillControlCommand
from bot.core.messaging import drills as messages
from bot.core.messaging.message import Message
from bot.core.model.crisis import Actor, Crisis, CrisisStatus
from bot.core.model.drill import DrillInfo, Pause
from bot.core.model.errors import ChatPlatformError, ConflictError, PermissionDeniedError, UsageError
from bot.core.model.events import EventKind, Injected
from bot.core.model.injects import InjectStatus, ScheduledInject
from bot.core.plan.drills import DrillScript
from bot.core.ports import DrillRepository

log = logging.getLogger(__name__)
INJECT_LEASE = timedelta(seconds=60)  # longer than posting one inject, bounded calls included
UNSCRIPTED_MINUTES = 60.0


class Drills(UseCase):
    def __init__(
        self, ctx: Context, injects: DrillRepository, declarer: Declarer, resolver: Resolver, holder: str
    ) -> None:
        super().__init__(ctx)
        self.injects = injects
        self.declarer = declarer
        self.resolver = resolver
        self.holder = holder

    # -- starting ---------------------------------------------------------------------------------

    def script_for(self, cmd: DrillCommand) -> tuple[str, DrillScript | None]:
        """The script named, else the first for the scenario named, else none (a drill with no
        injects, for a team that only wants to time itself)."""
        scripts = self.loaded.drills
        if cmd.script is not None:
            if cmd.script not in scripts:
                names = ", ".join(sorted(scripts)) or "none yet (add one in playbooks/drills/)"
                raise UsageError(f"There is no drill script `{cmd.script[:40]}`.", hint=f"Scripts: {names}")
            return cmd.script, scripts[cmd.script]
        wanted = cmd.scenario_id
        for sid in sorted(scripts):
            if wanted is None or scripts[sid].scenario == wanted:
                return sid, scripts[sid]
        return "", None

    async def reserve(self, cmd: DrillCommand, actor: Actor, reply_to: str | None = None) -> Crisis:
        """Store the drill's crisis (before any acknowledgement, as for a real one) and its injects."""
        script_id, script = self.script_for(cmd)
        scenario_id = cmd.scenario_id or (script.scenario if script else "other")
        if scenario_id not in self.plan.scenarios:
            raise UsageError(f"The plan has no scenario `{scenario_id}` for this drill.")
        now = self.clock.now()
        scenario = self.plan.scenarios[scenario_id]
        info = DrillInfo(
            script=script_id,
            title=script.title if script else f"Drill: {scenario.name}",
            speed=cmd.speed or 1.0,
            started_at=now,
            duration_minutes=script.duration if script else UNSCRIPTED_MINUTES,
            targets=script.targets.over(self.plan.drills.targets) if script else self.plan.drills.targets,
            expected=script.expected_escalation if script else None,
            language=script.language if script else None,
        )
        severity = cmd.severity_id or (script.severity if script else None)
        start = StartCommand(scenario_id, severity, info.title)
        crisis = await self.declarer.reserve(start, actor, reply_to=reply_to, drill=info)
        await self.schedule(crisis)
        return crisis

    async def schedule(self, crisis: Crisis) -> int:
        """Its injects' timers, from its start and speed; scheduling again adds nothing."""
        info = crisis.drill
        script = self.loaded.drills.get(info.script) if info else None
        if info is None or script is None:
            return 0
        await self.injects.schedule(crisis.number, [info.started_at + info.real(i.at) for i in script.injects])
        return len(script.injects)

    async def start(self, cmd: DrillCommand, actor: Actor, progress: Progress | None = None) -> Message:
        crisis = await self.reserve(cmd, actor)
        if progress is not None:
            await progress(messages.control(f"Starting drill {crisis.key}: creating the war room..."))
        await self.declarer.run(crisis)
        assert crisis.drill is not None
        script = self.loaded.drills.get(crisis.drill.script)
        return messages.started(crisis, crisis.drill, len(script.injects) if script else 0)

    # -- steering ---------------------------------------------------------------------------------

    async def control(self, cmd: DrillControlCommand, crisis: Crisis, actor: Actor) -> Message:
        info = crisis.drill
        if info is None:
            raise UsageError(f"{crisis.key} is a real crisis, not a drill.", hint="Drill commands steer drills only.")
        if crisis.status is CrisisStatus.RESOLVED or info.ended_at is not None:
            raise ConflictError(f"Drill {crisis.key} is over.", hint="Start another with /crisis drill.")
        if actor.platform_id != crisis.declared_by.platform_id and not self.access.is_lead(crisis, actor):
            starter = crisis.declared_by.name
            raise PermissionDeniedError(
                f"Only the facilitator ({starter}) or the crisis lead can steer drill {crisis.key}.",
                hint="Play along with the ordinary commands.",
            )
        now = self.clock.now()
        match cmd.action:
            case DrillAction.INJECT:
                if crisis.room is not None:
                    await self.chat_for(crisis).post(crisis.room.id, messages.live_inject(cmd.text, actor))
                minute = round(info.elapsed(now).total_seconds() / 60, 1)
                data = Injected(at=minute)
                await self.timeline.record(
                    crisis.number, EventKind.DRILL_INJECT, f"Live inject: {cmd.text}", actor, data
                )
                return messages.control("Inject played in the war room.")
            case DrillAction.PAUSE:
                if info.paused:
                    return messages.control(f"Drill {crisis.key} is already paused.")
                crisis.drill = info.model_copy(update={"pauses": [*info.pauses, Pause(start=now)]})
                await self.crises.update(crisis, {"drill"})
                await self.timeline.record(
                    crisis.number, EventKind.DRILL_PAUSED, f"{actor.name} paused the drill", actor
                )
                return messages.control(f"Drill {crisis.key} paused: no inject comes until /crisis drill resume.")
            case DrillAction.RESUME:
                if not info.paused:
                    return messages.control(f"Drill {crisis.key} is not paused.")
                pause = info.pauses[-1]
                closed = Pause(start=pause.start, end=now)
                crisis.drill = info.model_copy(update={"pauses": [*info.pauses[:-1], closed]})
                await self.crises.update(crisis, {"drill"})
                await self.injects.delay_pending(crisis.number, now - pause.start)
                await self.timeline.record(
                    crisis.number, EventKind.DRILL_RESUMED, f"{actor.name} resumed the drill", actor
                )
                return messages.control(f"Drill {crisis.key} resumed: the injects come as much later as it paused.")
        # the facilitator ends what they started, lead or not: checked above
        await self.resolver.resolve(crisis, ResolveCommand(None, f"Drill ended by {actor.name}"), actor, checked=True)
        return messages.control(f"Drill {crisis.key} ended: the scorecard is in the war room.")

    # -- injects ----------------------------------------------------------------------------------

    async def fire_due(self) -> int:
        """The scheduler's chore: play (or skip) every inject that is due, each once."""
        played = 0
        now = self.clock.now()
        for inject in await self.injects.claim_due(now, self.holder, INJECT_LEASE):
            crisis = await self.crises.get(inject.crisis_number)
            if crisis is None or crisis.drill is None or crisis.status is CrisisStatus.RESOLVED:
                await self.injects.finish(inject.id, InjectStatus.CANCELLED, now, self.holder)
                continue
            if crisis.drill.paused:
                await self.injects.release(inject.id, self.holder)  # resuming moves it later
                continue
            played += await self._play(crisis, inject)
        return played

    async def _play(self, crisis: Crisis, inject: ScheduledInject) -> int:
        info = crisis.drill
        script = self.loaded.drills.get(info.script) if info else None
        if info is None or script is None or inject.position >= len(script.injects):
            await self.injects.finish(inject.id, InjectStatus.CANCELLED, self.clock.now(), self.holder)
            return 0
        scripted = script.injects[inject.position]
        done = team_actions(await self.timeline.events(crisis.number))
        wanted = all(holds(c, done) for c in scripted.when) and not any(holds(c, done) for c in scripted.unless)
        data = Injected(position=inject.position, at=scripted.at, what=messages.inject_text(scripted))
        now = self.clock.now()
        if not wanted:
            what = messages.inject_text(scripted)
            text = f"Inject {inject.position + 1} skipped (the team's actions made it moot): {what}"
            await self.timeline.record(
                crisis.number, EventKind.DRILL_INJECT_SKIPPED, text, data=data, key=f"inject:{inject.position}"
            )
            await self.injects.finish(inject.id, InjectStatus.SKIPPED, now, self.holder)
            return 0
        if crisis.room is not None:
            key = f"{crisis.key}:inject:{inject.position}"
            chat = self.chat_for(crisis)
            try:
                # a replica that died after posting left the card: find it rather than post twice
                if not await chat.find_posted(crisis.room.id, key):
                    await chat.post(crisis.room.id, messages.inject_card(scripted, scripted.at), key=key)
            except ChatPlatformError as exc:
                log.warning("inject %s of %s not posted: %s", inject.position, crisis.key, exc.user_message)
                return 0  # its lease lapses and a later tick tries again
        text = messages.inject_text(scripted)
        await self.timeline.record(
            crisis.number, EventKind.DRILL_INJECT, text, data=data, key=f"inject:{inject.position}"
        )
        await self.injects.finish(inject.id, InjectStatus.FIRED, now, self.holder)
        return 1

    async def ensure_scheduled(self) -> int:
        """Injects of drills whose declaring process died before scheduling them (idempotent)."""
        added = 0
        for crisis in await self.crises.list_crises(CrisisStatus.ACTIVE, limit=50):
            if crisis.drill is not None and crisis.drill.ended_at is None:
                before = len(await self.injects.injects_of(crisis.number))
                added += max(0, await self.schedule(crisis) - before)
        return added
