"""The Bolt app: ``/crisis``, buttons, forms, the message shortcut and the App Home.

Slack gives an app 3 seconds to acknowledge. Every listener here acknowledges first, with nothing
but in-memory work, and hands the slow part (database, Slack calls) to a Bolt lazy listener; the
person sees "Declaring..." straight away, then the war room link. Everything else is the core's:
this module only turns Slack payloads into calls on the :class:`CrisisService` door and renders
what comes back (Block Kit, modals).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.slack.chat import SlackChat, slack_error
from bot.adapters.slack.forms import FormContext, FormTooLong, modal, submitted_values
from bot.adapters.slack.home import HomeTab, RetrySkipper
from bot.adapters.slack.lazy import TrackedLazyRunner
from bot.adapters.work import Work
from bot.core.messaging.message import Form, Message
from bot.core.messaging.text import error
from bot.core.model.actions import Action, FormKind
from bot.core.model.clock import SystemClock
from bot.core.model.crisis import Actor, Invocation
from bot.core.model.errors import ChatPlatformError, CrisisError
from bot.core.ports import Clock, ProcessedEvents
from bot.core.service import CrisisService, Instant
from bot.observability.logs import command_name, log_context

log = logging.getLogger(__name__)
COMMAND = "/crisis"
SHORTCUT = "add_to_timeline"
DECLARE_SHORTCUT = "declare_from_message"
EVIDENCE_SHORTCUT = "attach_evidence"
# the answer to these forms replaces the card they were opened from (the draft card, edited)
REPLACES_CARD = frozenset({FormKind.DRAFT_EDIT})
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_ACTIONS = re.compile("^(" + "|".join(re.escape(a.value) for a in Action) + ")$")
_FORMS = re.compile("^(" + "|".join(re.escape(f.value) for f in FormKind) + ")$")


class _TokenWarning(logging.Filter):
    """crisisbot reads SLACK_BOT_TOKEN itself and hands Bolt a client made with it; Bolt reads the
    variable again and warns, at every start, that it will not use it. That is the design, not a
    problem, and a warning at every start teaches people to ignore warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_TOKEN_WARNING = _TokenWarning()


def quiet_token_warning() -> None:
    logging.getLogger("slack_bolt.AsyncApp").addFilter(_TOKEN_WARNING)  # adding it twice keeps one


Lazy = Callable[..., Awaitable[None]]
# How long an acknowledgement may wait for its declaration to be stored: Slack's 3 s less the time
# to render and send the answer, and inside the route's own deadline (server.ACK_DEADLINE), so a
# database that is down or hung gets the person a polite "not stored", not Slack's timeout.
ACK_STORE_WITHIN = 2.0


def unescape(text: str) -> str:
    """Slack sends ``&``, ``<`` and ``>`` escaped in command text; store what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class SlackHandlers:
    """Listeners, kept as methods so that tests and the benchmark build the very same app."""

    def __init__(self, service: CrisisService, chat: SlackChat, work: Work | None = None) -> None:
        self.service = service
        self.chat = chat
        self.plan = service.plan
        self.work = work or Work()
        self.home = HomeTab(service, chat)
        service.subscribe(self._crises_changed)

    def authorizer(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """Who the bot is, for Bolt: from one auth.test shared with the chat, and without it when
        Slack does not answer. Bolt's own check would tell people to reinstall the app on any
        transient auth.test failure, and drop their request. (A plain function: Bolt passes
        arguments by the names it sees, and would take a method's ``self`` for one of them.)"""
        chat = self.chat

        async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            try:
                await chat.identity()
            except ChatPlatformError as exc:
                log.warning("auth.test failed (%s); answering with what is known", exc.user_message)
            return AuthorizeResult(
                enterprise_id=enterprise_id, team_id=team_id, bot_token=chat.client.token, bot_user_id=chat.bot_user_id
            )

        return authorize

    async def drain(self) -> None:
        """Wait until every request's work (and what it started, Slack calls included) is done."""
        await self.work.drain()
        await self.chat.settle()

    async def _crises_changed(self) -> None:
        self.work.spawn(self.home.refresh(), "refreshing the Home tab")

    # -- /crisis ---------------------------------------------------------------------------

    def command_text(self, body: dict[str, Any]) -> str:
        """The text as typed; real @mentions (user ids, thanks to should_escape) become ``@person``."""

        def person(match: re.Match[str]) -> str:
            return f"@{self.chat.person_for(match.group(1)) or match.group(1)}"

        return unescape(_MENTION.sub(person, str(body.get("text") or "")))

    async def on_command(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """Acknowledge, then run the command as tracked work. Not a Bolt lazy listener: Bolt
        deep-copies the whole request for each of those, half a millisecond of the event loop per
        command that the next acknowledgements in the queue would wait for."""
        # every line logged for this command, its background work included, says which one it was
        with log_context(command=command_name(str(body.get("text") or ""))):
            instant = await self.ack_command(ack, body)
            if instant is not None and instant.final:
                return  # the acknowledgement was the whole answer
            with log_context(crisis=instant.crisis if instant else None):
                self.work.later(self.run_command(body, respond, client, instant), "the /crisis command")

    async def ack_command(self, ack: AsyncAck, body: dict[str, Any]) -> Instant | None:
        """Mistakes are answered in the acknowledgement itself; a declaration is stored before
        "Declaring..." goes out, so no replica can lose what a person was told is under way.
        Returns what was acknowledged: ``final`` when nothing is to follow (a mistake, or a
        declaration refused, e.g. not stored while the database is down)."""
        address = json.dumps({"response_url": body.get("response_url"), "user": self.actor(body).platform_id})
        instant = await self.service.accept(self.invocation(body), reply_to=address, within=ACK_STORE_WITHIN)
        if instant is None:
            await ack()
            return None
        message = instant.message
        await ack(text=self.chat.renderer.fallback(message), blocks=self.blocks_of(message), response_type="ephemeral")
        return instant

    async def run_command(
        self, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, acked: Instant | None
    ) -> None:
        """The work after a command's acknowledgement. Never runs after a final one: that
        declaration was refused (the person read so), and running the command again here
        would declare the crisis after all, once the database answers."""
        if acked is not None and acked.crisis is not None:
            await self.service.declare_reserved(acked.crisis)  # it answers the declarer itself
            return
        inv = self.invocation(body)

        async def progress(message: Message) -> None:
            await self.reply(respond, message)

        reply = await self.service.handle(inv, progress)
        where = FormContext(response_url=body.get("response_url"), channel_id=body.get("channel_id"))
        await self.show(reply, client, body.get("trigger_id"), where, lambda m: self.reply(respond, m))

    # -- buttons and forms ---------------------------------------------------------------------

    async def ack_only(self, ack: AsyncAck) -> None:
        await ack()

    async def on_button(self, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        raw = (body.get("actions") or [{}])[0]
        action = raw if isinstance(raw, dict) else {}
        reply = await self.service.press(
            str(action.get("action_id", "")), str(action.get("value", "")), self.actor(body)
        )
        context = FormContext(response_url=body.get("response_url"), channel_id=(body.get("channel") or {}).get("id"))
        user = self.actor(body).platform_id
        # buttons in a modal or a DM may come without a response_url: answer by direct message
        say = functools.partial(self.answer, client, context.response_url, user)
        await self.show(reply, client, body.get("trigger_id"), context, say)

    async def ack_form(self, ack: AsyncAck, view: dict[str, Any]) -> None:
        """Field errors are shown in the form itself, which stays open; nothing else is done."""
        errors = self.service.check_form(str(view.get("callback_id") or ""), submitted_values(view))
        if errors:
            await ack(response_action="errors", errors=errors)
        else:
            await ack()

    async def on_form(self, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        kind = str(view.get("callback_id") or "")
        values = submitted_values(view)
        if self.service.check_form(kind, values):
            return  # refused in the acknowledgement, with the errors shown in the form
        context = FormContext.load(view.get("private_metadata"))
        actor = self.actor(body)

        async def tell(message: Message) -> None:
            await self.answer(client, context.response_url, actor.platform_id, message)

        view_id = view.get("id")
        reply = await self.service.submit(
            kind,
            context.payload,
            values,
            actor,
            progress=tell,
            request_key=f"slack:view:{view_id}" if view_id else None,
        )
        replace = kind in REPLACES_CARD
        await self.answer(client, context.response_url, actor.platform_id, reply, replace=replace)

    async def show(
        self,
        reply: Message,
        client: AsyncWebClient,
        trigger_id: str | None,
        context: FormContext,
        say: Callable[[Message], Awaitable[None]],
    ) -> None:
        """Show a reply; a form it asks for opens as a modal (the reply is then only the fallback,
        unless the form is merely offered, as the review after a resolve)."""
        form = reply.form
        if form is None or form.offered:
            await say(reply)
        if form is None:
            return
        problem = await self.open_form(client, trigger_id, form, context.model_copy(update={"payload": form.payload}))
        if problem is not None and not form.offered:
            await say(problem)

    async def open_form(
        self, client: AsyncWebClient, trigger_id: str | None, form: Form, context: FormContext
    ) -> Message | None:
        """Open the modal (a trigger lasts 3 seconds, so nothing slow comes first); what went
        wrong, as a reply, if it could not open."""
        try:
            view = modal(form, context)
            await client.views_open(trigger_id=trigger_id, view=view.to_dict())
        except FormTooLong as exc:
            return error(CrisisError(str(exc), hint="Shorten it in the console (crisisbot console) or start anew."))
        except SlackApiError as exc:
            log.info("form %s not opened: %s", form.kind, slack_error(exc))
            return error(
                CrisisError(
                    f"I could not open the form ({slack_error(exc)}).",
                    hint="Type it in one line instead: /crisis start complaint sev3 Delivery delays flood our mentions"
                    if form.kind is FormKind.DECLARE
                    else "Try the button again.",
                )
            )
        return None

    # -- the message shortcut and the App Home ---------------------------------------------

    async def add_to_timeline(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        channel, text, permalink, author = await self._message_facts(body, client)
        reply = await self.service.note_from_message(
            channel, self.actor(body), text, permalink=permalink, author=author
        )
        await self.answer(client, body.get("response_url"), None, reply)

    async def declare_from_message(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        """The start form, pre-filled from the message (the trigger lasts 3 s: the permalink is
        looked up first, quickly, then the modal opens)."""
        channel, text, permalink, author = await self._message_facts(body, client)
        reply = await self.service.declare_from_message(text, permalink=permalink, author=author)
        context = FormContext(response_url=body.get("response_url"), channel_id=channel)
        say = functools.partial(self.answer, client, context.response_url, self.actor(body).platform_id)
        await self.show(reply, client, body.get("trigger_id"), context, say)

    async def attach_evidence(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        channel, text, permalink, author = await self._message_facts(body, client)
        reply = await self.service.evidence_from_message(
            channel, self.actor(body), text, permalink=permalink, author=author
        )
        await self.answer(client, body.get("response_url"), None, reply)

    async def _message_facts(
        self, body: dict[str, Any], client: AsyncWebClient
    ) -> tuple[str, str, str | None, str | None]:
        """(channel, text, permalink, author) of the message a shortcut was used on."""
        channel = str((body.get("channel") or {}).get("id") or "")
        message = body.get("message") or {}
        ts = str(message.get("ts") or "")
        permalink = None
        try:
            permalink = (await client.chat_getPermalink(channel=channel, message_ts=ts))["permalink"]
        except SlackApiError as exc:
            log.warning("no permalink for %s: %s", ts, slack_error(exc))
        author_id = str(message.get("user") or "")
        person = self.chat.person_for(author_id)
        author = self.plan.person_name(person) if person else (author_id or None)
        return channel, self.command_text({"text": message.get("text") or ""}), permalink, author

    async def home_opened(self, event: dict[str, Any]) -> None:
        await self.home.opened(event)

    # -- plumbing ----------------------------------------------------------------------------------

    def invocation(self, body: dict[str, Any]) -> Invocation:
        return Invocation(actor=self.actor(body), text=self.command_text(body), channel_id=body.get("channel_id"))

    def actor(self, body: dict[str, Any]) -> Actor:
        raw_user = body.get("user")
        user: dict[str, Any] = raw_user if isinstance(raw_user, dict) else {}
        user_id = str(body.get("user_id") or user.get("id") or "unknown")
        person_id = self.chat.person_for(user_id)
        if person_id is not None:
            name = self.plan.person_name(person_id)
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


def build_app(
    service: CrisisService,
    chat: SlackChat,
    signing_secret: str,
    events: ProcessedEvents,
    clock: Clock | None = None,
) -> tuple[AsyncApp, SlackHandlers]:
    """The Bolt app over ``chat.client`` (whose base URL and retry handlers the caller chose)."""
    # Bolt gets its own session-less client (it copies the client for each lazy listener);
    # process_before_response=True answers Slack as soon as ack() returns instead of polling for it
    # every 10 ms: the slow work still runs after, in the lazy listeners.
    # Its token comes from ``authorize`` per request, so the client carries none (and Bolt, given
    # no token, has none to warn it will not use).
    client = AsyncWebClient(base_url=chat.client.base_url, retry_handlers=chat.client.retry_handlers)
    handlers = SlackHandlers(service, chat)
    quiet_token_warning()
    app = AsyncApp(
        name="crisisbot",  # without a name, Bolt reads every caller's source file to make one up
        client=client,
        signing_secret=signing_secret,
        process_before_response=True,
        authorize=handlers.authorizer(),
    )
    app.listener_runner.lazy_listener_runner = TrackedLazyRunner(handlers.work, log)
    app.use(RetrySkipper(events, clock or SystemClock()))
    app.command(COMMAND)(handlers.on_command)
    app.action(_ACTIONS)(ack=handlers.ack_only, lazy=[handlers.on_button])
    app.view(_FORMS)(ack=handlers.ack_form, lazy=[handlers.on_form])
    app.shortcut(SHORTCUT)(ack=handlers.ack_only, lazy=[handlers.add_to_timeline])
    app.shortcut(DECLARE_SHORTCUT)(ack=handlers.ack_only, lazy=[handlers.declare_from_message])
    app.shortcut(EVIDENCE_SHORTCUT)(ack=handlers.ack_only, lazy=[handlers.attach_evidence])
    app.event("app_home_opened")(handlers.home_opened)
    return app, handlers
