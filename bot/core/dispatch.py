"""Routing: which use case a command, a button or a form runs, and which message it answers with.

The door (:mod:`bot.core.service`) guards and times; this module decides. A new command is parsed
in :mod:`bot.core.commands` and routed in :meth:`Dispatcher.command`; a new button gets its
``Action`` and payload in :mod:`bot.core.model.actions` and a case in :meth:`Dispatcher.press`;
a new form is built in :mod:`bot.core.messaging.forms` and handled in :meth:`Dispatcher.submit`.
"""

from __future__ import annotations

from collections.abc import Mapping

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
from bot.core.crisis.declare import Progress
from bot.core.drafts.frameworks import MissingVariablesError
from bot.core.drills.commands import DrillCommand, DrillControlCommand
from bot.core.drills.labels import DrillChat
from bot.core.messaging import crisis as views
from bot.core.messaging import export as export_views
from bot.core.messaging import forms
from bot.core.messaging.message import Form, Message
from bot.core.messaging.text import asking, error, notice, with_form
from bot.core.model.actions import (
    Action,
    AlertRef,
    CrisisRef,
    DeclareContext,
    DraftRef,
    DraftReview,
    DraftStage,
    FormKind,
    NewDraftContext,
    PageRef,
    ProposedEscalation,
    pressed,
    submitted,
)
from bot.core.model.chat import Attachment
from bot.core.model.crisis import Actor, Crisis, CrisisStatus, Invocation
from bot.core.model.drafts import Draft
from bot.core.model.errors import ChatPlatformError, UsageError
from bot.core.model.events import TimelineEvent
from bot.core.model.permissions import Permission
from bot.core.plan.model import Plan
from bot.core.ports import ChatPort, Clock, CrisisRepository
from bot.core.reports import export
from bot.core.reports.redact import redacted
from bot.core.usecases import UseCases


class Dispatcher:
    def __init__(self, plan: Plan, crises: CrisisRepository, chat: ChatPort, clock: Clock, cases: UseCases) -> None:
        self.plan = plan
        self._crises = crises
        self._chat = chat
        self._clock = clock
        self._cases = cases

    async def find(self, number: int | None, channel_id: str | None, war_room_only: bool = False) -> Crisis:
        return await self._cases.lookup.find(number, channel_id, war_room_only)

    async def resolve(self, cmd: ResolveCommand, inv: Invocation) -> Crisis:
        crisis = await self.find(cmd.number, inv.channel_id)
        return await self._cases.resolver.resolve(crisis, cmd, inv.actor)

    async def command(self, cmd: Command, inv: Invocation, progress: Progress | None) -> Message:
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
                return with_form(reply, forms.declare(self.plan, scenario, cmd.severity_id))
            case StartCommand():
                return views.started_reply(self.plan, await self._cases.declarer.declare(cmd, actor, progress))
            case DrillCommand(ask=True):
                if not self._cases.drills.loaded.drills:
                    return await cases.drills.start(DrillCommand(), actor, progress)
                return asking(forms.drill(self._cases.drills.loaded.drills))
            case DrillCommand():
                return await cases.drills.start(cmd, actor, progress)
            case DrillControlCommand():
                return await cases.drills.control(cmd, await self.find(None, here), actor)
            case StatusCommand(number=number):
                crisis = await self.find(number, here)
                cases.access.require_view(crisis, actor)
                events = await cases.timeline.events(crisis.number)
                return views.status(self.plan, crisis, events, self._clock.now())
            case ListCommand(which=which):
                status = None if which == "all" else CrisisStatus(which)
                visible = [c for c in await self._crises.list_crises(status) if cases.access.may_see(c, actor)]
                return views.crisis_list(visible, which, self._clock.now())
            case ResolveCommand():
                crisis = await self.resolve(cmd, inv)
                prompt = views.review_prompt(crisis, intro=f"{crisis.key} is resolved; the summary is posted.")
                return with_form(prompt, forms.review(crisis.number, offered=True))
            case ReviewCommand(number=number):
                crisis = await self.find(number, here)
                cases.access.require_view(crisis, actor)
                return with_form(views.review_prompt(crisis), forms.review(crisis.number, offered=True))
            case HelpCommand(topic=topic):
                return views.help_message(self.plan, topic)
            case DraftCommand():
                crisis = await self.find(None, here)
                try:
                    return await cases.drafts.create(cmd, crisis, actor)
                except MissingVariablesError as missing:
                    return with_form(error(missing), self._facts_form(cmd, crisis))
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
                crisis = await self.find(number, here)
                cases.access.require_view(crisis, actor)
                cases.access.require(Permission.EXPORT, crisis, actor)
                return await self._post_export(crisis, actor)
        raise UsageError("I don't know that command.", hint="Type /crisis help.")

    def _facts_form(self, cmd: DraftCommand, crisis: Crisis) -> Form:
        drafts = self._cases.drafts
        scenario = drafts.framework_for(cmd.scenario_id or crisis.scenario_id)
        lang = cmd.lang or (crisis.drill.language if crisis.drill else None) or self.plan.language
        context = NewDraftContext(crisis=crisis.number, scenario=scenario, stage=cmd.stage, lang=lang)
        used = drafts.renderer.variables(scenario, cmd.stage, lang)
        return forms.new_draft(drafts.framework(scenario), context, dict(cmd.values), used)

    async def export(self, crisis: Crisis, fmt: str, *, full: bool = True) -> str:
        """The post-incident report, Markdown or JSON, with everything on record (contact
        details blanked out unless ``full``)."""
        record, events, drafts, review = await self._record(crisis, full)
        mentions = await self._cases.alerts.feed.report(crisis)
        return export.render(self.plan, record, events, drafts, fmt, review, mentions)

    async def _record(
        self, crisis: Crisis, full: bool
    ) -> tuple[Crisis, list[TimelineEvent], list[Draft], dict[str, str]]:
        events = await self._cases.timeline.events(crisis.number)
        drafts = await self._cases.drafts.drafts.drafts_of(crisis.number)
        if full:
            return crisis, events, drafts, dict(crisis.review)
        return redacted(crisis, events, drafts, crisis.review)

    async def _post_export(self, crisis: Crisis, actor: Actor) -> Message:
        """The report goes in the war room's thread, where the team reviews it together: in the
        platform's own format, then as Markdown and JSON files (or, where files cannot be
        attached, the Markdown as plain text, so nothing is missing)."""
        full = self._cases.access.full_export(crisis, actor)
        record, events, drafts, review = await self._record(crisis, full)
        args = (self.plan, record, events, drafts)
        report = export_views.export_message(*args, review, self._chat.limits, redacted=not full)
        if crisis.room is None:
            return report
        room, thread = crisis.room.id, crisis.kickoff_message_id
        chat = DrillChat(self._chat) if crisis.drill else self._chat
        await chat.post(room, report, thread_id=thread)
        mentions = await self._cases.alerts.feed.report(crisis)
        markdown = export.render(*args, "md", review, mentions)
        files = [
            Attachment(filename=f"{crisis.key}.md", title=f"{crisis.key} report (Markdown)", content=markdown),
            Attachment(
                filename=f"{crisis.key}.json",
                title=f"{crisis.key} report (JSON)",
                content=export.render(*args, "json", review, mentions),
            ),
        ]
        try:
            await chat.upload(room, files, thread_id=thread)
        except ChatPlatformError as exc:
            await chat.post(room, export_views.as_text(crisis, markdown, str(exc)), thread_id=thread)
        return notice(f"The {crisis.key} report is in the war room thread (also: crisisbot export {crisis.key}).")

    async def press(self, action_id: str, value: str, actor: Actor) -> Message:
        action, payload = pressed(action_id, value)
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
                draft, crisis = await drafts.get(draft_id, active=True)
                self._cases.access.require_draft_change(Permission.EDIT_DRAFT, crisis, draft, actor)
                used = drafts.renderer.variables(draft.scenario, draft.stage, draft.lang)
                return asking(forms.edit_draft(draft, drafts.framework(draft.scenario), used))
            case Action.DRAFT_CHANGES, DraftReview():
                return asking(forms.request_changes(payload))
            case Action.DRAFT_PUBLISH, DraftRef(draft=draft_id):
                draft, crisis = await drafts.get(draft_id)
                self._cases.access.require_draft_change(Permission.PUBLISH, crisis, draft, actor)
                return asking(forms.publish(draft_id))
            case Action.REVIEW_OPEN, CrisisRef(crisis=number):
                crisis = await self.find(number, None)
                return asking(forms.review(crisis.number))
            case Action.ALERT_DECLARE, AlertRef(alert=alert_id):
                return asking(await self._cases.alerts.declare_form(alert_id))
            case Action.ALERT_WATCH, AlertRef(alert=alert_id):
                return await self._cases.alerts.watch(alert_id, actor)
            case Action.ALERT_ESCALATE, ProposedEscalation(alert=alert_id, crisis=number, severity=severity):
                return await self._cases.alerts.feed.escalate(alert_id, number, severity, actor)
            case Action.ALERT_DISMISS, AlertRef(alert=alert_id):
                await self._cases.alerts.open_alert(alert_id)
                return asking(forms.dismiss_alert(alert_id))
        raise UsageError("That button is not known here.", hint="Type /crisis help.")

    async def submit(
        self,
        kind_name: str,
        raw: str,
        values: Mapping[str, str],
        actor: Actor,
        progress: Progress | None,
        request_key: str | None,
    ) -> Message:
        kind, payload = submitted(kind_name, raw)
        drafts = self._cases.drafts
        match kind, payload:
            case FormKind.DECLARE, DeclareContext(alert=alert_id, content_hash=from_message):
                command, problems = forms.read_declare(self.plan, values)
                if command is None:
                    raise UsageError("The form is not complete.", hint="\n".join(problems.values()))
                crisis = await self._cases.declarer.declare(command, actor, progress, request_key)
                if alert_id is not None:
                    await self._cases.alerts.declared(alert_id, crisis, actor)
                if from_message is not None:
                    await self._cases.evidence.declared(crisis, actor, payload)
                return views.started_reply(self.plan, crisis)
            case FormKind.ALERT_DISMISS, AlertRef(alert=alert_id):
                return await self._cases.alerts.dismiss(alert_id, actor, values.get("reason") or "")
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
            case FormKind.DRILL, _:
                script, speed = values.get("script") or None, (values.get("speed") or "1").strip()
                typed = parse(f"drill --speed {speed}" + (f" --script {script}" if script else ""), self.plan)
                assert isinstance(typed, DrillCommand), "a drill form reads as a drill command"
                return await self._cases.drills.start(typed, actor, progress)
            case FormKind.UPDATE, CrisisRef(crisis=number):
                crisis = await self.find(number, None)
                detail, summary = values.get("detail") or "", values.get("summary")
                return await self._cases.updates.status_update(crisis, actor, detail, summary, submitted=True)
        raise UsageError("That form is not known here.", hint="Type /crisis help.")
