"""The Bolt app: ``/crisis`` and the declare form, acknowledged at once, worked on after.

Slack gives an app 3 seconds to acknowledge. Every listener here acknowledges first, with nothing
but in-memory work, and hands the slow part (database, Slack calls) to a Bolt lazy listener; the
person sees "Declaring..." straight away, then the war room link.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.slack.chat import SlackChat, slack_error
from bot.adapters.slack.draft_handlers import FORM_CALLBACKS, DraftHandlers
from bot.adapters.slack.home import REVIEW_CALLBACK, SHORTCUT, EventLog, HomeAndTimeline
from bot.adapters.slack.modals import START_CALLBACK, ModalContext, read_submission, start_modal
from bot.core import views
from bot.core.commands import (
    DraftCommand,
    ExportCommand,
    LeadCommand,
    NoteCommand,
    ResolveCommand,
    ReviewCommand,
    SeverityChangeCommand,
    StartCommand,
    parse,
)
from bot.core.errors import AlreadyDeclaredError, CrisisError, UsageError
from bot.core.frameworks import MissingVariablesError
from bot.core.messages import Message
from bot.core.models import Actor, CrisisStatus, Invocation
from bot.core.service import CrisisService

log = logging.getLogger(__name__)
COMMAND = "/crisis"
MAX_CONCURRENT_WORK = 16


_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def unescape(text: str) -> str:
    """Slack sends ``&``, ``<`` and ``>`` escaped in command text; store what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class SlackHandlers:
    """Listeners, kept as methods so that tests and the benchmark build the very same app."""

    def __init__(self, service: CrisisService, chat: SlackChat, events: EventLog | None = None) -> None:
        self.service = service
        self.chat = chat
        self.plan = service.plan
        # a burst of commands must not starve the acknowledgements of the next ones
        self.work = asyncio.Semaphore(MAX_CONCURRENT_WORK)
        self.drafts = DraftHandlers(self)
        self.home = HomeAndTimeline(self, events)

    # -- /crisis ---------------------------------------------------------------------------

    def command_text(self, body: dict[str, Any]) -> str:
        """The text as typed; real @mentions (user ids, thanks to should_escape) become ``@person``."""

        def person(match: re.Match[str]) -> str:
            return f"@{self.chat.person_for(match.group(1)) or match.group(1)}"

        return unescape(_MENTION.sub(person, str(body.get("text") or "")))

    async def ack_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """Parsing is pure and fast, so mistakes are answered in the acknowledgement itself."""
        try:
            command = parse(self.command_text(body), self.plan)
        except UsageError as exc:
            message = views.error(exc)
            await ack(
                text=self.chat.renderer.fallback(message), blocks=self.blocks_of(message), response_type="ephemeral"
            )
            return
        if isinstance(command, StartCommand) and command.title is not None:
            await ack(response_type="ephemeral", text="Declaring a crisis: creating the war room and paging owners...")
        else:
            await ack()

    async def run_command(self, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        async with self.work:
            await self._run_command(body, respond, client)

    async def _run_command(self, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        actor = self.actor(body)
        invocation = Invocation(actor=actor, text=self.command_text(body), channel_id=body.get("channel_id"))
        try:
            command = parse(invocation.text, self.plan)
        except UsageError:
            return  # answered in the acknowledgement
        if isinstance(command, StartCommand) and command.title is None:
            try:
                await self.open_start_form(client, body, command)
            except CrisisError as exc:
                await self.reply(respond, views.error(exc))
            return
        if isinstance(command, DraftCommand):
            try:
                await self.reply(respond, await self.service.execute(command, invocation))
                return
            except MissingVariablesError:
                pass  # ask for the facts in a form, below
            except CrisisError as exc:
                await self.reply(respond, views.error(exc))
                return
            try:
                await self.drafts.open_new(client, body, command)
            except CrisisError as exc:
                await self.reply(respond, views.error(exc))
            return

        async def progress(message: Message) -> None:
            await self.reply(respond, message)

        if isinstance(command, ExportCommand):
            await self.reply(respond, await self.post_export(command, invocation))
            return
        # handle() turns every failure, expected or not, into a reply: nobody is left waiting
        await self.reply(respond, await self.service.handle(invocation, progress))
        if isinstance(command, ResolveCommand | ReviewCommand):
            await self.try_review_form(client, body, command, invocation)
        if isinstance(command, StartCommand | ResolveCommand | SeverityChangeCommand | LeadCommand | NoteCommand):
            await self.home.refresh(client)

    async def post_export(self, command: ExportCommand, invocation: Invocation) -> Message:
        """The report goes in the war room's thread (Slack splits nothing for us: we post it all)."""
        try:
            crisis = await self.service.find(command.number, invocation.channel_id)
            report = await self.service.export(crisis, "md")
            if crisis.room is None:
                return views.export_message(report)
            await self.chat.post(crisis.room.id, views.export_message(report), thread_id=crisis.kickoff_message_id)
        except CrisisError as exc:
            return views.error(exc)
        return views.notice(f"The {crisis.key} report is in the war room thread (also: crisisbot export {crisis.key}).")

    async def try_review_form(
        self, client: AsyncWebClient, body: dict[str, Any], command: ResolveCommand | ReviewCommand, inv: Invocation
    ) -> None:
        """Open the review form at once when the trigger is still fresh; the button is the fallback."""
        try:
            crisis = await self.service.find(command.number, inv.channel_id)
            if crisis.status is CrisisStatus.RESOLVED and crisis.number is not None:
                await self.home.open_review(client, body.get("trigger_id"), crisis.number)
        except Exception as exc:
            log.info("review form not opened (the reply's button still works): %s", exc)

    async def open_start_form(self, client: AsyncWebClient, body: dict[str, Any], command: StartCommand) -> None:
        context = ModalContext(channel_id=body.get("channel_id"), response_url=body.get("response_url"))
        scenario = command.scenario_id if command.scenario_id != "other" else None
        view = start_modal(self.plan, context, scenario, command.severity_id)
        try:
            await client.views_open(trigger_id=body.get("trigger_id"), view=view.to_dict())
        except SlackApiError as exc:
            raise UsageError(
                f"I could not open the form ({slack_error(exc)}).",
                hint="Type it in one line instead: /crisis start complaint sev3 Delivery delays flood our mentions",
            ) from None

    # -- the declare form ----------------------------------------------------------------------

    async def ack_start_form(self, ack: AsyncAck, view: dict[str, Any]) -> None:
        _command, errors = read_submission(self.plan, view)
        if errors:
            await ack(response_action="errors", errors=errors)
        else:
            await ack()

    async def declare_from_form(self, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        command, _errors = read_submission(self.plan, view)
        if command is None:
            return  # the ack listener already showed the errors in the form
        context = ModalContext.load(view.get("private_metadata"))
        actor = self.actor(body)

        async def tell(message: Message) -> None:
            await self.notify(client, context, actor, message)

        view_id = view.get("id")
        try:
            crisis = await self.service.start(
                command, actor, tell, request_key=f"slack:view:{view_id}" if view_id else None
            )
        except AlreadyDeclaredError:
            return  # a repeated submission of the same form: the first one already answered
        except CrisisError as exc:
            await tell(views.error(exc))
            return
        except Exception:
            log.exception("declaring from the form failed")
            await tell(views.error(CrisisError("Something went wrong on my side.", hint="Check with /crisis status.")))
            return
        await tell(views.started_reply(self.plan, crisis))
        await self.home.refresh(client)

    # -- plumbing ----------------------------------------------------------------------------------

    def actor(self, body: dict[str, Any]) -> Actor:
        raw_user = body.get("user")
        user: dict[str, Any] = raw_user if isinstance(raw_user, dict) else {}
        user_id = str(body.get("user_id") or user.get("id") or "unknown")
        person_id = self.chat.person_for(user_id)
        if person_id is not None:
            name = self.plan.people[person_id].name
        else:
            name = str(body.get("user_name") or user.get("name") or user.get("username") or user_id)
        return Actor(platform_id=user_id, name=name, person_id=person_id)

    def blocks_of(self, message: Message) -> list[dict[str, Any]]:
        """An ephemeral reply is one message: the first 50 blocks (replies are far shorter)."""
        return [b.to_dict() for b in self.chat.renderer.messages(message)[0]]

    async def reply(self, respond: AsyncRespond, message: Message) -> None:
        await respond(
            text=self.chat.renderer.fallback(message), blocks=self.blocks_of(message), response_type="ephemeral"
        )

    async def notify(self, client: AsyncWebClient, context: ModalContext, actor: Actor, message: Message) -> None:
        await self.answer(client, context.response_url, actor.platform_id, message)

    async def answer(
        self,
        client: AsyncWebClient,
        response_url: str | None,
        user: str | None,
        message: Message,
        replace: bool = False,
    ) -> None:
        """Answer a form or a shortcut: through its response_url when there is one (``replace``
        updates the card it came from), else by direct message."""
        blocks = self.blocks_of(message)
        text = self.chat.renderer.fallback(message)
        if response_url:
            response = await AsyncWebhookClient(response_url).send(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=replace
            )
            if response.status_code == 200:
                return
            log.warning("response_url refused the reply (HTTP %s); sending a DM", response.status_code)
        if user:
            await client.chat_postMessage(channel=user, text=text, blocks=blocks)


def build_app(service: CrisisService, chat: SlackChat, signing_secret: str, events: EventLog | None = None) -> AsyncApp:
    """The Bolt app over ``chat.client`` (whose base URL and retry handlers the caller chose)."""
    # Bolt gets its own session-less client (it copies the client for each lazy listener);
    # process_before_response=True answers Slack as soon as ack() returns instead of polling for it
    # every 10 ms: the slow work still runs after, in the lazy listeners.
    client = AsyncWebClient(
        token=chat.client.token, base_url=chat.client.base_url, retry_handlers=chat.client.retry_handlers
    )
    app = AsyncApp(client=client, signing_secret=signing_secret, process_before_response=True)
    handlers = SlackHandlers(service, chat, events)
    app.use(handlers.home.skip_retries)
    app.command(COMMAND)(ack=handlers.ack_command, lazy=[handlers.run_command])
    app.view(START_CALLBACK)(ack=handlers.ack_start_form, lazy=[handlers.declare_from_form])
    app.action(re.compile(r"^draft_"))(ack=handlers.drafts.ack, lazy=[handlers.drafts.on_button])
    app.action("page_ack")(ack=handlers.drafts.ack, lazy=[handlers.drafts.on_button])
    app.action("review_open")(ack=handlers.home.ack, lazy=[handlers.home.on_review_button])
    app.view(REVIEW_CALLBACK)(ack=handlers.home.ack, lazy=[handlers.home.on_review_form])
    app.shortcut(SHORTCUT)(ack=handlers.home.ack, lazy=[handlers.home.add_to_timeline])
    app.event("app_home_opened")(handlers.home.home_opened)
    for callback in FORM_CALLBACKS:
        app.view(callback)(ack=handlers.drafts.ack_form, lazy=[handlers.drafts.on_form])
    return app
