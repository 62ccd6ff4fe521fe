"""The use cases behind ``/crisis``: the same for every chat platform.

Declaring lives in :mod:`bot.core.declare` (its steps are the intricate part); this module parses,
routes, finds the crisis a command is about, and resolves.
"""

from __future__ import annotations

import logging
import uuid

from bot.core import export, views
from bot.core.broadcast import broadcast
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
from bot.core.declare import Declarer, Progress
from bot.core.drafts import DraftService
from bot.core.errors import ConflictError, CrisisError, NotFoundError, UsageError
from bot.core.ladder import Ladder
from bot.core.messages import Message
from bot.core.models import Actor, Crisis, CrisisStatus, Draft, Invocation, TimelineEvent
from bot.core.paging import PagingService
from bot.core.plan import LoadedPlan
from bot.core.ports import ChatPort, Clock, CrisisRepository, PageRepository
from bot.core.summary import summary_message
from bot.core.timeline import Timeline

log = logging.getLogger(__name__)


class CrisisService:
    def __init__(
        self,
        loaded: LoadedPlan,
        repo: CrisisRepository,
        chat: ChatPort,
        clock: Clock,
        owner: str | None = None,
        drafts: DraftService | None = None,
        pages: PageRepository | None = None,
    ) -> None:
        self.loaded = loaded
        self.plan = loaded.plan
        self.repo = repo
        self.chat = chat
        self.clock = clock
        # names this process in leases, so replicas can tell whose unfinished work is whose
        self.owner = owner or f"crisisbot-{uuid.uuid4().hex[:12]}"
        self.paging = PagingService(loaded, repo, pages, chat, clock) if pages is not None else None
        self.ladder = Ladder(loaded, repo, chat, clock, self.paging) if self.paging is not None else None
        self.declarer = Declarer(loaded, repo, chat, clock, self.owner, self.paging)
        self.drafts = drafts
        self.timeline = Timeline(loaded, repo, chat, clock)

    async def handle(self, inv: Invocation, progress: Progress | None = None) -> Message:
        """Parse and run one ``/crisis`` command; every failure becomes a reply, never silence."""
        try:
            return await self.execute(parse(inv.text, self.plan), inv, progress)
        except CrisisError as exc:
            return views.error(exc)
        except Exception:
            log.exception("/crisis %s failed", inv.text[:80])
            return views.error(
                CrisisError(
                    "Something went wrong on my side and I could not finish that.",
                    hint="Check with /crisis status; what was already done is kept.",
                )
            )

    async def execute(self, cmd: Command, inv: Invocation, progress: Progress | None = None) -> Message:
        match cmd:
            case StartCommand():
                return views.started_reply(self.plan, await self.start(cmd, inv.actor, progress))
            case StatusCommand(number=number):
                crisis = await self.find(number, inv.channel_id)
                events = await self.repo.timeline(crisis.number or 0)
                return views.status(self.plan, crisis, events, self.clock.now())
            case ListCommand(which=which):
                status = None if which == "all" else CrisisStatus(which)
                crises = await self.repo.list_crises(status)
                return views.crisis_list(crises, which, self.clock.now())
            case ResolveCommand():
                crisis = await self.resolve(cmd, inv)
                return views.review_prompt(crisis, intro=f"{crisis.key} is resolved; the summary is posted.")
            case HelpCommand(topic=topic):
                return views.help_message(self.plan, topic)
            case DraftCommand():
                return await self.require_drafts().create(cmd, await self.find(None, inv.channel_id), inv.actor)
            case SeverityChangeCommand():
                crisis = await self.find(cmd.number, inv.channel_id, war_room_only=True)
                return await self.require_ladder().change_severity(cmd, crisis, inv.actor)
            case AckCommand(number=number, everything=everything):
                crisis = await self.find(number, inv.channel_id)
                return await self.require_ladder().paging.acknowledge(crisis, inv.actor, everything=everything)
            case LeadCommand():
                crisis = await self.find(cmd.number, inv.channel_id)
                return await self.require_ladder().hand_over(cmd, crisis, inv.actor)
            case NoteCommand(text=text, update=True):
                return await self.timeline.status_update(await self.find(None, inv.channel_id), inv.actor, text)
            case NoteCommand(text=text):
                return await self.timeline.note(await self.find(None, inv.channel_id), inv.actor, text)
            case ExportCommand(number=number):
                return views.export_message(await self.export(await self.find(number, inv.channel_id), "md"))
            case ReviewCommand(number=number):
                return views.review_prompt(await self.find(number, inv.channel_id))
        raise UsageError("I don't know that command.", hint="Type /crisis help.")

    def require_ladder(self) -> Ladder:
        if self.ladder is None:
            raise ConflictError("Paging and escalation are not set up here.")
        return self.ladder

    def require_drafts(self) -> DraftService:
        if self.drafts is None:
            raise ConflictError("Reply drafts are not set up here (no message_frameworks folder was loaded).")
        return self.drafts

    async def act(self, action_id: str, value: str, actor: Actor) -> Message:
        """A button press, on any platform; failures become a reply, as for commands.

        Buttons that need a form first (Edit, Answer the review ...) are handled by the adapter.
        """
        try:
            if action_id == "page_ack":
                page = await self.require_ladder().paging.pages.get_page(int(value)) if value.isdigit() else None
                paged = await self.repo.get(page.crisis_number) if page else None
                if page is None or paged is None:
                    raise NotFoundError("That page no longer exists.")
                return await self.require_ladder().paging.acknowledge(paged, actor, page.id)
            return await self.require_drafts().act(action_id, value, actor)
        except CrisisError as exc:
            return views.error(exc)

    async def start(
        self, cmd: StartCommand, actor: Actor, progress: Progress | None = None, request_key: str | None = None
    ) -> Crisis:
        return await self.declarer.declare(cmd, actor, progress, request_key)

    async def resume(self, crisis: Crisis, *, adopt: bool = False) -> Crisis:
        return await self.declarer.resume(crisis, adopt=adopt)

    async def resume_unfinished(self) -> list[Crisis]:
        """Run at start-up: finish declarations that a crashed process left half done."""
        return await self.declarer.resume_unfinished()

    async def history(self, crisis: Crisis) -> tuple[list[TimelineEvent], list[Draft]]:
        events = await self.repo.timeline(crisis.number or 0)
        drafts = await self.drafts.drafts.drafts_of(crisis.number or 0) if self.drafts else []
        return events, drafts

    async def export(self, crisis: Crisis, fmt: str) -> str:
        """The post-incident report, Markdown or JSON, with everything on record."""
        events, drafts = await self.history(crisis)
        return export.render(self.plan, crisis, events, drafts, fmt, crisis.review)

    async def find(self, number: int | None, channel_id: str | None, war_room_only: bool = False) -> Crisis:
        """The crisis named, else the one whose war room this is, else the only active one.

        ``war_room_only``: commands that move a crisis (escalate ...) must not guess; outside its
        war room they need the crisis named.
        """
        if number is not None:
            crisis = await self.repo.get(number)
            if crisis is None:
                raise NotFoundError(f"There is no crisis CRISIS-{number:04d}.", hint="Type /crisis list to see them.")
            return crisis
        if channel_id is not None and (crisis := await self.repo.get_by_room(channel_id)) is not None:
            return crisis
        if war_room_only:
            raise UsageError(
                "Run this in the crisis's war room, or name the crisis.",
                hint="Example: /crisis escalate CRISIS-0007 sev2 A journalist is asking",
            )
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
        if self.ladder is not None and crisis.status is CrisisStatus.ACTIVE:
            self.ladder.check("resolve", crisis, inv.actor)
        now = self.clock.now()
        summary = cmd.summary or None
        if crisis.number is None or not await self.repo.mark_resolved(crisis.number, now, inv.actor, summary):
            raise ConflictError(f"{crisis.key} was already resolved.", hint="Type /crisis list to see active crises.")
        crisis.status, crisis.resolved_at, crisis.resolved_by = CrisisStatus.RESOLVED, now, inv.actor
        if self.paging is not None:
            await self.paging.cancel_open(crisis, set(), inv.actor)
        crisis.resolution_summary = summary
        said = f": {cmd.summary}" if cmd.summary else ""
        await self.repo.add_event(
            crisis.number,
            TimelineEvent(
                at=now, kind="resolved", actor=inv.actor, text=f"{inv.actor.name} resolved {crisis.key}{said}"
            ),
        )
        events, drafts = await self.history(crisis)
        message = summary_message(self.plan, crisis, events, drafts, now)
        await broadcast(self.plan, self.chat, self.repo, self.clock, crisis, message)
        return crisis
