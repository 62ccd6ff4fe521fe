"""The one door into the core: every adapter (Slack, Teams, the console) calls only this.

An adapter turns what a person did into one of five calls and renders what comes back:
- ``instant_reply(text)``: what to answer within the platform's acknowledgement window;
- ``handle(invocation)``: a ``/crisis ...`` command;
- ``press(action, value, actor)``: a button;
- ``check_form`` / ``submit(kind, payload, values, actor)``: a form;
- ``note_from_message`` and ``overview``: a message shortcut and the App Home / personal tab.
Each returns a neutral :class:`Message` (possibly carrying a :class:`Form` to show) and turns
every failure into a reply: a person is never left without an answer, and a bug is logged once,
with its traceback, here at the edge.

``subscribe`` lets an adapter hear that crises changed (to refresh a home tab). Use cases that
tests drive directly (``start``, ``resolve``, ``find``, ``export``) are here too, so tests go
through the same door as people.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.commands import (
    LeadCommand,
    NoteCommand,
    ResolveCommand,
    SeverityChangeCommand,
    StartCommand,
    parse,
)
from bot.core.crisis.declare import Progress
from bot.core.dispatch import Dispatcher
from bot.core.drills.commands import DrillCommand
from bot.core.messaging import crisis as views
from bot.core.messaging import forms
from bot.core.messaging.message import Message
from bot.core.messaging.text import NOT_CONFIRMED, NOT_STORED, SOMETHING_WENT_WRONG, error, progress
from bot.core.model.actions import FormKind
from bot.core.model.crisis import Actor, Crisis, CrisisStatus, Invocation
from bot.core.model.errors import CrisisError, DatabaseUnavailableError, UsageError
from bot.core.model.mentions import IntakeReport
from bot.core.model.urgency import urgent
from bot.core.plan.model import LoadedPlan, Plan
from bot.core.ports import ChatPort, Clock, CrisisRepository, NoTelemetry, Telemetry
from bot.core.usecases import UseCases

log = logging.getLogger(__name__)
Listener = Callable[[], Awaitable[None]]
DECLARING = "Declaring a crisis: creating the war room and paging owners..."
CHANGES = (StartCommand, ResolveCommand, SeverityChangeCommand, LeadCommand, NoteCommand, DrillCommand)


@dataclass(frozen=True)
class Instant:
    """An answer that fits in a platform's acknowledgement. ``final``: it is the whole answer
    (a mistyped command); otherwise the work follows. ``crisis``: the declaration stored before
    answering, which the work after the acknowledgement runs (``declare_reserved``)."""

    message: Message
    final: bool
    crisis: int | None = None


class CrisisService:
    def __init__(
        self,
        loaded: LoadedPlan,
        crises: CrisisRepository,
        chat: ChatPort,
        clock: Clock,
        cases: UseCases,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.loaded = loaded
        self._crises = crises
        self._clock = clock
        self._cases = cases
        self._dispatch = Dispatcher(loaded.plan, crises, chat, clock, cases)
        self._listeners: list[Listener] = []
        self._telemetry = telemetry or NoTelemetry()

    @property
    def plan(self) -> Plan:
        """The plan, read-only: adapters map their users to its people and build forms from it."""
        return self.loaded.plan

    # -- what listening tools send ----------------------------------------------------------------

    @property
    def intake_sources(self) -> frozenset[str]:
        """The sources mentions may come from (``generic`` and one per mapping file)."""
        return self._cases.intake.sources

    async def take_in(self, source: str, body: Mapping[str, Any]) -> IntakeReport:
        """A request body from a listening tool: its mentions stored as evidence, the bad ones
        named. Raises :class:`IntakeRefused` when the whole request is refused (nothing stored)."""
        return await self._cases.intake.take_in(source, body)

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` after any command or form that changed a crisis (before replying:
        keep it quick, start slow work in the background)."""
        self._listeners.append(listener)

    # -- what a person does ---------------------------------------------------------------------

    def instant_reply(self, text: str) -> Instant | None:
        """What to say at once, before any slow work: the fix for a mistyped command, or that a
        declaration is under way. Pure and fast, for platforms that must answer in seconds."""
        try:
            command = parse(text, self.plan)
        except UsageError as exc:
            return Instant(error(exc), final=True)
        if isinstance(command, StartCommand) and command.title is not None:
            return Instant(progress(DECLARING), final=False)
        if isinstance(command, DrillCommand) and not command.ask:
            return Instant(progress("Starting a drill..."), final=False)
        return None

    async def accept(self, inv: Invocation, reply_to: str, *, within: float | None = None) -> Instant | None:
        """The acknowledgement of a command, for platforms that acknowledge before working.

        A declaration is stored here, before "Declaring..." goes out: once a person has read
        that, the crisis exists, and whichever replica finishes it answers them at ``reply_to``
        (an address of their platform's). Anything else is answered as ``instant_reply`` does.
        ``within``: the seconds the platform leaves for storing it (its acknowledgement window
        less the time to answer); a database that is down or hung is then answered in time,
        saying the crisis was not stored, or may not be, and what to do.
        """
        instant = self.instant_reply(inv.text)
        if instant is not None and instant.final:
            self._telemetry.command(_verb(inv.text), "refused")  # mistyped: the fix was the answer
        if instant is None or instant.final:
            return instant
        command = parse(inv.text, self.plan)

        async def reserve() -> Instant:
            if isinstance(command, DrillCommand):
                crisis = await self._cases.drills.reserve(command, inv.actor, reply_to=reply_to)
                note = progress(f"Starting drill {crisis.key}: creating the war room and paging the drill's people...")
                return Instant(note, final=False, crisis=crisis.number)
            assert isinstance(command, StartCommand), "only a declaration answers at once without being final"
            crisis = await self._cases.declarer.reserve(command, inv.actor, reply_to=reply_to)
            note = progress(f"Declaring {crisis.key}: creating the war room and paging the owners...")
            return Instant(note, final=False, crisis=crisis.number)

        count = functools.partial(self._telemetry.command, _verb(inv.text))
        limit = asyncio.timeout(within)
        try:
            with urgent():  # the platform's deadline runs: go ahead of the declarations under way
                async with limit:
                    reserved = await reserve()
        except DatabaseUnavailableError as exc:  # the storage layer warned, once per outage
            count("failed")
            return Instant(error(NOT_CONFIRMED if exc.in_doubt else NOT_STORED), final=True)
        except TimeoutError:
            count("timeout" if limit.expired() else "failed")
            if not limit.expired():
                log.exception("storing a declaration failed")
                return Instant(error(SOMETHING_WENT_WRONG), final=True)
            log.warning("storing a declaration took over %g s: answered that it may not be stored", within)
            return Instant(error(NOT_CONFIRMED), final=True)
        except CrisisError as exc:
            count("refused")
            return Instant(error(exc), final=True)
        except Exception:
            log.exception("storing a declaration failed")
            count("failed")
            return Instant(error(SOMETHING_WENT_WRONG), final=True)
        count("ok")
        return reserved

    async def declare_reserved(self, number: int) -> None:
        """Run a declaration ``accept`` stored; its declarer is answered at its ``reply_to``."""
        try:
            await self._cases.declarer.run_reserved(number)
        except DatabaseUnavailableError:
            # its steps stay pending under a lease that expires; the scheduler resumes them
            log.info("declaring crisis %s paused: the database is unavailable", number)
        except Exception:
            log.exception("declaring crisis %s failed", number)  # the steps stay pending: another run finishes them
        await self._changed()

    async def handle(self, inv: Invocation, progress: Progress | None = None) -> Message:
        """Parse and run one ``/crisis`` command; every failure becomes a reply, never silence."""

        async def run() -> Message:
            command = parse(inv.text, self.plan)
            reply = await self._dispatch.command(command, inv, progress)
            if isinstance(command, CHANGES):
                await self._changed()
            return reply

        count = functools.partial(self._telemetry.command, _verb(inv.text))
        return await self._guard(run(), f"/crisis {inv.text[:80]}", count)

    async def press(self, action: str, value: str, actor: Actor) -> Message:
        """A button; one that asks for text first answers with the form to fill in."""
        count = functools.partial(self._telemetry.action, action)
        return await self._guard(self._dispatch.press(action, value, actor), f"button {action[:40]}", count)

    def check_form(self, kind: str, values: Mapping[str, str]) -> dict[str, str]:
        """Field errors to show in the form itself, where the platform can (fast, no I/O)."""
        if kind == FormKind.DECLARE:
            return forms.read_declare(self.plan, values)[1]
        return {}

    async def submit(
        self,
        kind: str,
        payload: str,
        values: Mapping[str, str],
        actor: Actor,
        *,
        progress: Progress | None = None,
        request_key: str | None = None,
    ) -> Message:
        """A filled-in form. ``request_key`` names the submission on its platform, so a repeated
        submission of the same form does its work once."""

        async def run() -> Message:
            reply = await self._dispatch.submit(kind, payload, values, actor, progress, request_key)
            if kind == FormKind.DECLARE:
                await self._changed()
            return reply

        return await self._guard(run(), f"form {kind[:40]}", functools.partial(self._telemetry.action, kind))

    async def note_from_message(
        self, channel_id: str, actor: Actor, text: str, *, permalink: str | None, author: str | None
    ) -> Message:
        """A message shortcut: file someone's message (kept with its author and link) on the timeline."""

        async def note() -> Message:
            crisis = await self._cases.lookup.in_room(channel_id)
            return await self._cases.updates.note(crisis, actor, text, permalink=permalink, author=author)

        return await self._guard(note(), "note from a message")

    async def declare_from_message(self, text: str, *, permalink: str | None, author: str | None) -> Message:
        """A message shortcut: the start form pre-filled from a message, which becomes the first evidence."""
        return await self._guard(self._cases.evidence.declare_form(text, permalink, author), "declare from a message")

    async def evidence_from_message(
        self, channel_id: str, actor: Actor, text: str, *, permalink: str | None, author: str | None
    ) -> Message:
        """A message shortcut: keep a message as evidence of the crisis of this room (or the only open one)."""
        evidence = self._cases.evidence.attach(self._cases.lookup, channel_id, actor, text, permalink, author)
        return await self._guard(evidence, "evidence from a message")

    async def overviews(self, viewers: Sequence[Actor]) -> list[Message]:
        """What is burning now and what was resolved lately (Slack's App Home), for each viewer
        as far as the plan lets them see it: one read of the crises for all of them."""
        access, now = self._cases.access, self._clock.now()
        active = await self._crises.list_crises(CrisisStatus.ACTIVE, limit=20)
        resolved = await self._crises.list_crises(CrisisStatus.RESOLVED, limit=10)
        return [
            views.home(
                self.plan,
                [c for c in active if access.may_see(c, viewer)],
                [c for c in resolved if access.may_see(c, viewer)],
                now,
            )
            for viewer in viewers
        ]

    async def crises(self, limit: int = 200) -> list[Crisis]:
        """The latest crises, newest first (the console recreates their rooms after a restart)."""
        return await self._crises.list_crises(limit=limit)

    # -- use cases, also driven by tests and the command line -----------------------------------

    async def start(
        self, cmd: StartCommand, actor: Actor, progress: Progress | None = None, request_key: str | None = None
    ) -> Crisis:
        return await self._cases.declarer.declare(cmd, actor, progress, request_key)

    async def resume_unfinished(self) -> list[Crisis]:
        """Finish declarations that a crashed process left half done (run by the scheduler)."""
        return await self._cases.declarer.resume_unfinished()

    async def find(self, number: int | None, channel_id: str | None, war_room_only: bool = False) -> Crisis:
        return await self._dispatch.find(number, channel_id, war_room_only)

    async def resolve(self, cmd: ResolveCommand, inv: Invocation) -> Crisis:
        return await self._dispatch.resolve(cmd, inv)

    async def export(self, crisis: Crisis, fmt: str) -> str:
        """The post-incident report, Markdown or JSON, with everything on record."""
        return await self._dispatch.export(crisis, fmt)

    # -- the edge ---------------------------------------------------------------------------------

    async def _guard(
        self, work: Awaitable[Message], what: str, count: Callable[[str], None] = lambda outcome: None
    ) -> Message:
        """Every failure a reply; ``count`` hears the outcome (ok, refused: the person was told
        what to do instead, failed: a bug)."""
        try:
            reply = await work
        except CrisisError as exc:
            count("refused")
            return error(exc)
        except Exception:
            log.exception("%s failed", what)
            count("failed")
            return error(SOMETHING_WENT_WRONG)
        count("ok")
        return reply

    async def _changed(self) -> None:
        for listener in self._listeners:
            await listener()


def _verb(text: str) -> str:
    """The command's name as typed (the metrics keep only names the parser knows)."""
    words = text.split(maxsplit=1)
    return words[0].lower() if words else "help"
