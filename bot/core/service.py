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

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.core.commands import (
    AckCommand,
    Command,
    DraftCommand,
    ExportCommand,
    HelpCommand,
    LeadCommand,
    ListCommand,
    NoteCommand,
    ResolveCommand,
    ReviewCommand,
    SeverityChangeCommand,
    StartCommand,
    StatusCommand,
    parse,
)
from bot.core.crisis.declare import Declarer, Progress
from bot.core.crisis.lookup import Lookup
from bot.core.crisis.resolve import Resolver
from bot.core.crisis.timeline import Timeline
from bot.core.crisis.updates import Updates
from bot.core.drafts.frameworks import MissingVariablesError
from bot.core.drafts.service import DraftService
from bot.core.escalation.paging import PagingService
from bot.core.escalation.severity import SeverityService
from bot.core.messaging import crisis as views
from bot.core.messaging import forms
from bot.core.messaging.message import Form, Message
from bot.core.messaging.text import SOMETHING_WENT_WRONG, error, notice, progress
from bot.core.model.actions import (
    Action,
    CrisisRef,
    DraftRef,
    DraftReview,
    DraftStage,
    FormKind,
    NewDraftContext,
    PageRef,
    action_payload,
    form_payload,
)
from bot.core.model.crisis import Actor, Crisis, CrisisStatus, Invocation
from bot.core.model.errors import CrisisError, UsageError
from bot.core.plan.model import LoadedPlan, Plan
from bot.core.ports import ChatPort, Clock, CrisisRepository, DraftRepository
from bot.core.reports import export

log = logging.getLogger(__name__)
Listener = Callable[[], Awaitable[None]]
DECLARING = "Declaring a crisis: creating the war room and paging owners..."
CHANGES = (StartCommand, ResolveCommand, SeverityChangeCommand, LeadCommand, NoteCommand)


@dataclass(frozen=True)
class Instant:
    """An answer that fits in a platform's acknowledgement. ``final``: it is the whole answer
    (a mistyped command); otherwise the work follows (a declaration under way)."""

    message: Message
    final: bool


@dataclass(frozen=True)
class UseCases:
    """Everything the door delegates to, built (all of it) by the composition root."""

    lookup: Lookup
    timeline: Timeline
    declarer: Declarer
    updates: Updates
    paging: PagingService
    severity: SeverityService
    drafts: DraftService
    resolver: Resolver


class CrisisService:
    def __init__(
        self,
        loaded: LoadedPlan,
        crises: CrisisRepository,
        drafts: DraftRepository,
        chat: ChatPort,
        clock: Clock,
        cases: UseCases,
    ) -> None:
        self.loaded = loaded
        self._crises = crises
        self._drafts = drafts
        self._chat = chat
        self._clock = clock
        self._cases = cases
        self._listeners: list[Listener] = []

    @property
    def plan(self) -> Plan:
        """The plan, read-only: adapters map their users to its people and build forms from it."""
        return self.loaded.plan

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` after any command that changed a crisis (awaited before replying)."""
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
        return None

    async def handle(self, inv: Invocation, progress: Progress | None = None) -> Message:
        """Parse and run one ``/crisis`` command; every failure becomes a reply, never silence."""
        return await self._guard(self._handle(inv, progress), f"/crisis {inv.text[:80]}")

    async def press(self, action: str, value: str, actor: Actor) -> Message:
        """A button; one that asks for text first answers with the form to fill in."""
        return await self._guard(self._press(action, value, actor), f"button {action[:40]}")

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
        work = self._submit(kind, payload, values, actor, progress, request_key)
        return await self._guard(work, f"form {kind[:40]}")

    async def note_from_message(
        self, channel_id: str, actor: Actor, text: str, *, permalink: str | None, author: str | None
    ) -> Message:
        """A message shortcut: file someone's message (kept with its author and link) on the timeline."""

        async def note() -> Message:
            crisis = await self._cases.lookup.in_room(channel_id)
            return await self._cases.updates.note(crisis, actor, text, permalink=permalink, author=author)

        return await self._guard(note(), "note from a message")

    async def overview(self) -> Message:
        """What is burning now and what was resolved lately (Slack's App Home)."""
        active = await self._crises.list_crises(CrisisStatus.ACTIVE, limit=20)
        resolved = await self._crises.list_crises(CrisisStatus.RESOLVED, limit=10)
        return views.home(self.plan, active, resolved, self._clock.now())

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
        return await self._cases.lookup.find(number, channel_id, war_room_only)

    async def resolve(self, cmd: ResolveCommand, inv: Invocation) -> Crisis:
        crisis = await self.find(cmd.number, inv.channel_id)
        return await self._cases.resolver.resolve(crisis, cmd, inv.actor)

    async def export(self, crisis: Crisis, fmt: str) -> str:
        """The post-incident report, Markdown or JSON, with everything on record."""
        events = await self._cases.timeline.events(crisis.number)
        drafts = await self._drafts.drafts_of(crisis.number)
        return export.render(self.plan, crisis, events, drafts, fmt, crisis.review)

    # -- routing ------------------------------------------------------------------------------

    async def _guard(self, work: Awaitable[Message], what: str) -> Message:
        try:
            return await work
        except CrisisError as exc:
            return error(exc)
        except Exception:
            log.exception("%s failed", what)
            return error(SOMETHING_WENT_WRONG)

    async def _handle(self, inv: Invocation, progress: Progress | None) -> Message:
        command = parse(inv.text, self.plan)
        reply = await self._execute(command, inv, progress)
        if isinstance(command, CHANGES):
            for listener in self._listeners:
                await listener()
        return reply

    async def _execute(self, cmd: Command, inv: Invocation, progress: Progress | None) -> Message:
        cases, actor, here = self._cases, inv.actor, inv.channel_id
        match cmd:
            case StartCommand(title=None):
                # no title: ask for everything in a form where the platform has one
                scenario = cmd.scenario_id if cmd.scenario_id != "other" else None
                reply = error(
                    UsageError(
                        "Give the crisis a short title: `/crisis start [scenario] [sev1..sev4] <title>`.",
                        hint="Example: /crisis start complaint sev3 Delivery delays flood our mentions",
                    )
                )
                return _with_form(reply, forms.declare(self.plan, scenario, cmd.severity_id))
            case StartCommand():
                return views.started_reply(self.plan, await self.start(cmd, actor, progress))
            case StatusCommand(number=number):
                crisis = await self.find(number, here)
                events = await cases.timeline.events(crisis.number)
                return views.status(self.plan, crisis, events, self._clock.now())
            case ListCommand(which=which):
                status = None if which == "all" else CrisisStatus(which)
                return views.crisis_list(await self._crises.list_crises(status), which, self._clock.now())
            case ResolveCommand():
                crisis = await self.resolve(cmd, inv)
                prompt = views.review_prompt(crisis, intro=f"{crisis.key} is resolved; the summary is posted.")
                return _with_form(prompt, forms.review(crisis.number, offered=True))
            case ReviewCommand(number=number):
                crisis = await self.find(number, here)
                return _with_form(views.review_prompt(crisis), forms.review(crisis.number, offered=True))
            case HelpCommand(topic=topic):
                return views.help_message(self.plan, topic)
            case DraftCommand():
                crisis = await self.find(None, here)
                try:
                    return await cases.drafts.create(cmd, crisis, actor)
                except MissingVariablesError as missing:
                    return _with_form(error(missing), self._facts_form(cmd, crisis))
            case SeverityChangeCommand():
                crisis = await self.find(cmd.number, here, war_room_only=True)
                return await cases.severity.change_severity(cmd, crisis, actor)
            case AckCommand(number=number, everything=everything):
                return await cases.paging.acknowledge(await self.find(number, here), actor, everything=everything)
            case LeadCommand():
                return await cases.severity.hand_over(cmd, await self.find(cmd.number, here), actor)
            case NoteCommand(text=text, update=True):
                return await cases.updates.status_update(await self.find(None, here), actor, text)
            case NoteCommand(text=text):
                return await cases.updates.note(await self.find(None, here), actor, text)
            case ExportCommand(number=number):
                return await self._post_export(await self.find(number, here))
        raise UsageError("I don't know that command.", hint="Type /crisis help.")

    def _facts_form(self, cmd: DraftCommand, crisis: Crisis) -> Form:
        drafts = self._cases.drafts
        scenario = drafts.framework_for(cmd.scenario_id or crisis.scenario_id)
        lang = cmd.lang or self.plan.language
        context = NewDraftContext(crisis=crisis.number, scenario=scenario, stage=cmd.stage, lang=lang)
        return forms.new_draft(drafts.framework(scenario), context, dict(cmd.values))

    async def _post_export(self, crisis: Crisis) -> Message:
        """The report goes in the war room's thread, where the team reviews it together."""
        report = views.export_message(await self.export(crisis, "md"))
        if crisis.room is None:
            return report
        await self._chat.post(crisis.room.id, report, thread_id=crisis.kickoff_message_id)
        return notice(f"The {crisis.key} report is in the war room thread (also: crisisbot export {crisis.key}).")

    async def _press(self, action_id: str, value: str, actor: Actor) -> Message:
        try:
            action = Action(action_id)
        except ValueError:
            raise UsageError("That button is not known here.", hint="Type /crisis help.") from None
        payload = action_payload(action, value)
        drafts = self._cases.drafts
        match action, payload:
            case Action.PAGE_ACK, PageRef(page=page):
                return await self._cases.paging.acknowledge_page(page, actor)
            case Action.DRAFT_SUBMIT, DraftRef(draft=draft_id):
                return await drafts.submit(draft_id, actor)
            case Action.DRAFT_APPROVE, DraftReview(draft=draft_id, seen=seen):
                return await drafts.decide(draft_id, actor, approve=True, seen_hash=seen or None)
            case Action.DRAFT_STAGE, DraftStage(draft=draft_id, stage=stage):
                return await drafts.another_stage(draft_id, stage, actor)
            case Action.DRAFT_EDIT, DraftRef(draft=draft_id):
                draft, _ = await drafts.get(draft_id, active=True)
                return _asking(forms.edit_draft(draft, drafts.framework(draft.scenario)))
            case Action.DRAFT_CHANGES, DraftReview():
                return _asking(forms.request_changes(payload))
            case Action.DRAFT_PUBLISH, DraftRef(draft=draft_id):
                await drafts.get(draft_id)
                return _asking(forms.publish(draft_id))
            case Action.REVIEW_OPEN, CrisisRef(crisis=number):
                crisis = await self.find(number, None)
                return _asking(forms.review(crisis.number))
        raise UsageError("That button is not known here.", hint="Type /crisis help.")

    async def _submit(
        self,
        kind_name: str,
        raw: str,
        values: Mapping[str, str],
        actor: Actor,
        progress: Progress | None,
        request_key: str | None,
    ) -> Message:
        try:
            kind = FormKind(kind_name)
        except ValueError:
            raise UsageError("That form is not known here.", hint="Type /crisis help.") from None
        payload = form_payload(kind, raw)
        drafts = self._cases.drafts
        match kind, payload:
            case FormKind.DECLARE, _:
                command, problems = forms.read_declare(self.plan, values)
                if command is None:
                    raise UsageError("The form is not complete.", hint="\n".join(problems.values()))
                crisis = await self.start(command, actor, progress, request_key)
                for listener in self._listeners:
                    await listener()
                return views.started_reply(self.plan, crisis)
            case FormKind.DRAFT_NEW, NewDraftContext(crisis=number, scenario=scenario, stage=stage, lang=lang):
                facts = tuple(forms.variable_values(values).items())
                crisis = await self.find(number, None)
                return await drafts.create(DraftCommand(scenario, stage, lang, facts), crisis, actor)
            case FormKind.DRAFT_EDIT, DraftRef(draft=draft_id):
                text = values.get("text")
                return await drafts.edit(draft_id, actor, text, forms.variable_values(values))
            case FormKind.DRAFT_PUBLISH, DraftRef(draft=draft_id):
                return await drafts.publish(draft_id, actor, (values.get("url") or "").strip() or None)
            case FormKind.DRAFT_CHANGES, DraftReview(draft=draft_id, seen=seen):
                note = (values.get("note") or "").strip()
                return await drafts.decide(draft_id, actor, approve=False, note=note, seen_hash=seen or None)
            case FormKind.REVIEW, CrisisRef(crisis=number):
                crisis = await self.find(number, None)
                return await self._cases.updates.save_review(crisis, actor, values)
        raise UsageError("That form is not known here.", hint="Type /crisis help.")


def _with_form(message: Message, form: Form) -> Message:
    return Message(summary=message.summary, blocks=message.blocks, mentions=message.mentions, form=form)


def _asking(form: Form) -> Message:
    """The answer to a button that asks first: the form, and a line for where none can open."""
    return _with_form(notice(f"{form.title}: fill in the form that opened."), form)
