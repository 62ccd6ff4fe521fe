"""Reply drafts: rendered from a framework, edited by a person, approved when the plan says so.

The rules, from the plan and the seed article:
- a draft is talking points, not a canned reply: it cannot be submitted until a person edited it,
  nor while it still shows a ``[PLACEHOLDER]``;
- at low severity the social team decides on its own; from the level where the plan names an
  approver role, someone holding that role approves, and never the draft's own author;
- the approved text is frozen by its hash: editing it afterwards needs a new approval;
- crisisbot never posts to a social network: a person copies the text and marks it published.
Each transition is a conditional save, so a double click on Approve records one approval.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping

from bot.core.commands import DraftCommand
from bot.core.context import Context, UseCase
from bot.core.drafts.frameworks import GENERIC, STAGES, Framework
from bot.core.messaging import drafts as draft_views
from bot.core.messaging.message import Message
from bot.core.messaging.text import notice
from bot.core.model.crisis import Actor, Crisis, CrisisStatus
from bot.core.model.drafts import Draft, DraftStatus, NewDraft
from bot.core.model.errors import ConflictError, NotFoundError, PermissionDeniedError, UsageError
from bot.core.model.events import DraftEvent, EventKind, Published
from bot.core.model.permissions import Permission
from bot.core.plan.chain import role_people
from bot.core.ports import DraftRenderer, DraftRepository

log = logging.getLogger(__name__)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class DraftService(UseCase):
    def __init__(self, ctx: Context, drafts: DraftRepository, renderer: DraftRenderer) -> None:
        super().__init__(ctx)
        self.drafts = drafts
        self.renderer = renderer

    def framework_for(self, scenario: str) -> str:
        return scenario if scenario in self.renderer.frameworks() else GENERIC

    def framework(self, scenario: str) -> Framework:
        return self.renderer.frameworks()[self.framework_for(scenario)]

    async def create(self, cmd: DraftCommand, crisis: Crisis, actor: Actor) -> Message:
        if crisis.status is CrisisStatus.RESOLVED:
            raise ConflictError(f"{crisis.key} is resolved: no more replies to draft for it.")
        self.access.require(Permission.DRAFT, crisis, actor)
        scenario = self.framework_for(cmd.scenario_id or crisis.scenario_id)
        lang = cmd.lang or (crisis.drill.language if crisis.drill else None) or self.plan.language
        rendered = self.renderer.render(scenario, cmd.stage, lang, dict(cmd.values))
        now = self.clock.now()
        draft = await self.drafts.create_draft(
            NewDraft(
                crisis_number=crisis.number,
                scenario=scenario,
                stage=cmd.stage,
                lang=lang,
                text=rendered.text,
                values=dict(cmd.values),
                author=actor,
                created_at=now,
                updated_at=now,
            )
        )
        await self._event(
            draft,
            actor,
            EventKind.DRAFT_CREATED,
            f"{actor.name} drafted a reply, stage {cmd.stage} (draft #{draft.id})",
        )
        return self.card(draft, crisis)

    def card(self, draft: Draft, crisis: Crisis, note: str = "") -> Message:
        framework = self.renderer.frameworks()[draft.scenario]
        network = self.renderer.network(framework.network)
        findings = self.renderer.lint(draft.scenario, draft.stage, draft.lang, draft.text)
        approver = self.plan.severities[crisis.severity_id].approver
        points = [
            tp.text.get(draft.lang, tp.text.get("en", tp.id)) for tp in framework.stages[draft.stage].talking_points
        ]
        approver_name = self.plan.roles[approver].name if approver else None
        return draft_views.card(draft, points, network, findings, approver_name, _next_stage(draft.stage), note)

    async def get(self, draft_id: int, *, active: bool = False) -> tuple[Draft, Crisis]:
        """The draft and its crisis; ``active`` refuses drafts of a resolved crisis."""
        draft = await self.drafts.get_draft(draft_id)
        crisis = await self.crises.get(draft.crisis_number) if draft else None
        if draft is None or crisis is None:
            raise NotFoundError(f"There is no draft #{draft_id}.", hint="Start one with /crisis draft.")
        if active and crisis.status is CrisisStatus.RESOLVED:
            raise ConflictError(
                f"{crisis.key} is resolved: its drafts are closed.", hint="Publishing an approved one still works."
            )
        return draft, crisis

    def approver_role(self, crisis: Crisis, draft: Draft) -> str | None:
        """The plan's approver at the crisis's severity now; escalating mid-review raises the bar."""
        return self.plan.severities[crisis.severity_id].approver or draft.reviewer_role

    async def edit(
        self, draft_id: int, actor: Actor, text: str | None = None, values: Mapping[str, str] | None = None
    ) -> Message:
        """New values re-render a draft nobody has edited yet; a person's own text always wins."""
        draft, crisis = await self.get(draft_id, active=True)
        self.access.require_draft_change(Permission.EDIT_DRAFT, crisis, draft, actor)
        if draft.status is DraftStatus.PUBLISHED:
            raise ConflictError(f"Draft #{draft_id} is published already; start a new one for a follow-up.")
        before = draft.status
        new_text = draft.text
        if values is not None and dict(values) != draft.values:
            draft.values = {k: v for k, v in values.items() if v.strip()}
            if not draft.edited and (text is None or text.strip() == draft.text.strip()):
                new_text = self.renderer.render(draft.scenario, draft.stage, draft.lang, draft.values).text
        if text is not None and text.strip() and text.strip() != draft.text.strip():
            new_text = text.strip()
            draft.edited = True
        if not new_text.strip():
            raise UsageError("A draft cannot be empty.", hint="Write the reply, or keep the previous text.")
        note = ""
        shown = draft.text
        if new_text != draft.text:
            draft.text = new_text
            if draft.status in (DraftStatus.APPROVED, DraftStatus.IN_REVIEW):
                note = "The text changed after review: it needs a new approval."
                draft.reset_approval()
        draft.updated_at = self.clock.now()
        if not await self.drafts.save_draft(draft, {before}):
            raise ConflictError(f"Draft #{draft_id} changed meanwhile.", hint="Open it again to see the latest text.")
        await self._event(draft, actor, EventKind.DRAFT_EDITED, f"{actor.name} edited draft #{draft.id}")
        if before is DraftStatus.IN_REVIEW and note:
            await self._settle_review(
                crisis, draft, shown, f"outdated: {actor.name} changed the text; it needs a new submission"
            )
        return self.card(draft, crisis, note)

    async def submit(self, draft_id: int, actor: Actor) -> Message:
        draft, crisis = await self.get(draft_id, active=True)
        self.access.require_draft_change(Permission.EDIT_DRAFT, crisis, draft, actor)
        if draft.status not in (DraftStatus.DRAFT, DraftStatus.CHANGES_REQUESTED):
            raise ConflictError(
                f"Draft #{draft_id} is {draft.status.value.replace('_', ' ')}, not open for submission."
            )
        if not draft.edited:
            raise UsageError(
                "Adapt the draft to this person and this moment first: use Edit.",
                hint="Frameworks give talking points, not canned replies; a person edits every draft.",
            )
        placeholders = [
            f.message
            for f in self.renderer.lint(draft.scenario, draft.stage, draft.lang, draft.text)
            if f.code == "placeholder"
        ]
        if placeholders:
            raise UsageError("The draft still has placeholders to fill in.", hint="\n".join(placeholders))
        approver = self.plan.severities[crisis.severity_id].approver
        now = self.clock.now()
        draft.updated_at = now
        if approver is None:
            draft.status, draft.approved_at, draft.approved_hash = DraftStatus.APPROVED, now, text_hash(draft.text)
            if not await self.drafts.save_draft(draft, {DraftStatus.DRAFT, DraftStatus.CHANGES_REQUESTED}):
                raise ConflictError(f"Draft #{draft_id} changed meanwhile.")
            level = crisis.severity_id.upper()
            await self._event(
                draft,
                actor,
                EventKind.DRAFT_READY,
                f"{actor.name} marked draft #{draft.id} ready ({level}: no approval needed)",
            )
            return draft_views.ready(draft, f"{level} replies are the social team's call: no approval needed.")
        draft.status, draft.reviewer_role = DraftStatus.IN_REVIEW, approver
        if not await self.drafts.save_draft(draft, {DraftStatus.DRAFT, DraftStatus.CHANGES_REQUESTED}):
            raise ConflictError(f"Draft #{draft_id} changed meanwhile.")
        role = self.plan.roles[approver]
        reviewers = role_people(self.plan, approver)
        await self._event(
            draft, actor, EventKind.DRAFT_SUBMITTED, f"{actor.name} submitted draft #{draft.id} to {role.name}"
        )
        if crisis.room is not None:
            try:
                draft.review_posted = await self.chat_for(crisis).post(
                    crisis.room.id,
                    draft_views.review_request(self.plan, draft, role.name, reviewers, text_hash(draft.text)),
                    thread_id=crisis.kickoff_message_id,
                )
            except Exception:
                # nobody would see an Approve button: reopen the draft so it can be submitted again
                draft.status = DraftStatus.DRAFT
                await self.drafts.save_draft(draft, {DraftStatus.IN_REVIEW})
                raise
            # remembered so the request loses its buttons once answered; a review racing this
            # save has already happened, and its request keeps buttons that answer politely
            await self.drafts.save_draft(draft, {DraftStatus.IN_REVIEW})
        return draft_views.submitted(draft, role.name)

    async def decide(
        self, draft_id: int, actor: Actor, approve: bool, note: str = "", seen_hash: str | None = None
    ) -> Message:
        """``seen_hash``: the text the reviewer was shown; a newer text needs a newer look."""
        draft, crisis = await self.get(draft_id, active=True)
        role_id = self.approver_role(crisis, draft)
        if seen_hash and not text_hash(draft.text).startswith(seen_hash):
            raise ConflictError(
                f"Draft #{draft_id} changed since this review request.", hint="Review the latest version in the thread."
            )
        if draft.status is not DraftStatus.IN_REVIEW or role_id is None:
            if draft.status is DraftStatus.APPROVED and draft.approved_by is not None:
                return notice(f"Draft #{draft_id} was already approved by {draft.approved_by.name}.")
            raise ConflictError(f"Draft #{draft_id} is not waiting for review.")
        role = self.plan.roles[role_id]
        holders = role_people(self.plan, role_id)
        if actor.person_id not in holders:
            names = ", ".join(self.plan.people[p].name for p in holders)
            raise PermissionDeniedError(
                f"Only {role.name} ({names}) can review replies at {crisis.severity_id.upper()}.",
                hint="Thanks for looking: ask one of them in the war room.",
            )
        if actor.person_id == draft.author.person_id or actor.platform_id == draft.author.platform_id:
            raise PermissionDeniedError(
                "You wrote this draft, so someone else must review it.", hint=f"Ask another member of {role.name}."
            )
        now = self.clock.now()
        draft.updated_at = now
        if approve:
            draft.status, draft.approved_by, draft.approved_at = DraftStatus.APPROVED, actor, now
            draft.approved_hash = text_hash(draft.text)
        else:
            draft.status = DraftStatus.CHANGES_REQUESTED
        if not await self.drafts.save_draft(draft, {DraftStatus.IN_REVIEW}):
            latest = await self.drafts.get_draft(draft_id)
            who = latest.approved_by.name if latest and latest.approved_by else "someone else"
            return notice(f"Draft #{draft_id} was already reviewed by {who}.")
        verb = "approved" if approve else "asked for changes to"
        said = f": {note}" if note else ""
        await self._event(
            draft,
            actor,
            EventKind.DRAFT_APPROVED if approve else EventKind.DRAFT_CHANGES,
            f"{actor.name} {verb} draft #{draft.id}{said}",
        )
        outcome = f"approved by {actor.name}" if approve else f"{actor.name} asked for changes"
        await self._settle_review(crisis, draft, draft.text, f"✓ {outcome}" if approve else outcome)
        message = (
            draft_views.ready(draft, f"Approved by {actor.name}.")
            if approve
            else draft_views.changes(draft, actor, note)
        )
        if crisis.room is None:
            return message
        await self.chat_for(crisis).post(crisis.room.id, message, thread_id=crisis.kickoff_message_id)
        return notice(f"Thanks: you {verb} draft #{draft.id}; the war room thread has it.")

    async def publish(self, draft_id: int, actor: Actor, url: str | None = None) -> Message:
        draft, crisis = await self.get(draft_id)
        self.access.require_draft_change(Permission.PUBLISH, crisis, draft, actor)
        if draft.status is DraftStatus.PUBLISHED:
            return notice(f"Draft #{draft_id} is already marked published.")
        if draft.status is not DraftStatus.APPROVED or draft.approved_hash != text_hash(draft.text):
            raise ConflictError(f"Draft #{draft_id} is not approved in its current wording.", hint="Submit it first.")
        needed = self.plan.severities[crisis.severity_id].approver
        if needed and (draft.approved_by is None or draft.approved_by.person_id not in role_people(self.plan, needed)):
            draft.reset_approval()
            await self.drafts.save_draft(draft, {DraftStatus.APPROVED})
            role = self.plan.roles[needed].name
            raise ConflictError(
                f"{crisis.key} is {crisis.severity_id.upper()} now: replies need {role}'s approval.",
                hint=f"Submit draft #{draft_id} again.",
            )
        if url and not url.startswith(("https://", "http://")):
            raise UsageError("The link to the published reply must start with https://")
        now = self.clock.now()
        draft.status, draft.published_by, draft.published_at, draft.published_url = (
            DraftStatus.PUBLISHED,
            actor,
            now,
            url,
        )
        draft.updated_at = now
        if not await self.drafts.save_draft(draft, {DraftStatus.APPROVED}):
            return notice(f"Draft #{draft_id} was marked published meanwhile.")
        where = f" at {url}" if url else ""
        text = f"{actor.name} published draft #{draft.id}{where}"
        await self.timeline.record(
            draft.crisis_number, EventKind.DRAFT_PUBLISHED, text, actor, Published(draft=draft.id, url=url)
        )
        message = draft_views.published(draft)
        if crisis.room is None:
            return message
        await self.chat_for(crisis).post(crisis.room.id, message, thread_id=crisis.kickoff_message_id)
        return notice(f"Recorded: draft #{draft.id} is published. The timeline has it.")

    async def another_stage(self, draft_id: int, stage: str, actor: Actor) -> Message:
        draft, crisis = await self.get(draft_id)
        cmd = DraftCommand(draft.scenario, stage, draft.lang, tuple(draft.values.items()))
        return await self.create(cmd, crisis, actor)

    async def _settle_review(self, crisis: Crisis, draft: Draft, shown: str, outcome: str) -> None:
        """Best effort: the decision is recorded and announced whatever happens to the old request."""
        if draft.review_posted is None:
            return
        try:
            await self.chat_for(crisis).update(draft.review_posted, draft_views.reviewed(draft, shown, outcome))
        except Exception:
            log.warning("could not update the review request of draft #%s", draft.id, exc_info=True)

    async def _event(self, draft: Draft, actor: Actor, kind: EventKind, text: str) -> None:
        await self.timeline.record(draft.crisis_number, kind, text, actor, DraftEvent(draft=draft.id))


def _next_stage(stage: str) -> str:
    return STAGES[(STAGES.index(stage) + 1) % len(STAGES)] if stage in STAGES else STAGES[0]
