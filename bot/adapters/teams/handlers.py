"""Teams activities in, calls on the core's door out: messages, card actions, the message action.

Teams has no slash commands: people @mention the bot in a channel (``@crisisbot crisis start
complaint sev3 Delivery delays``) or write to it in a 1:1 chat. The text reaches the core's one
parser with the bot's own mention taken out (and a leading ``crisis`` or ``/crisis``, which the
menu inserts); any other mention becomes ``@person`` when the plan knows that person, by Entra id
or else by e-mail, as Slack's mentions do.

Teams waits about 15 s for the HTTP answer, and the SDK runs the handler before answering, so
what happens here is quick: a declaration is stored (as for Slack, before anyone is told it is
under way) and the rest is :class:`Work`, capped like Slack's lazy listeners. Card actions answer
with a short toast, or the card that replaces the form they submitted; a card the core changes
(an acknowledged page, an approved draft) is updated by the core for everyone.
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any

from bot.adapters.teams.cards import FORM_ACTION, card, escape, submitted
from bot.adapters.teams.chat import TeamsChat
from bot.adapters.work import Work
from bot.core.messaging.message import Message
from bot.core.model.actions import FormKind
from bot.core.model.crisis import Actor, Invocation
from bot.core.model.errors import ChatPlatformError
from bot.core.service import CrisisService
from bot.observability.logs import command_name, log_context

log = logging.getLogger(__name__)
CARD_ACTION = "adaptiveCard/action"
MESSAGE_ACTION = "composeExtension/submitAction"
TOAST_LIMIT = 300
_COMMAND_WORD = re.compile(r"^\s*/?crisis\b\s*", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")


def plain(text: str) -> str:
    """Text without the HTML Teams wraps messages in (a message action gets the body as HTML)."""
    return html.unescape(_TAGS.sub(" ", text.replace("<br>", "\n").replace("</p>", "\n"))).replace("\xa0", " ")


def invoke(status: int, body: Any = None) -> dict[str, Any]:
    """What the SDK sends back as the HTTP answer to an invoke."""
    return {"status": status, "body": body}


def toast(text: str) -> dict[str, Any]:
    return invoke(200, {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text})


def card_answer(content: dict[str, Any]) -> dict[str, Any]:
    return invoke(200, {"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": content})


# how long storing a declaration may take before Teams is answered that it may not be stored:
# well inside the route's deadline (sdk.DEADLINE, 12 s), itself inside Teams' 15 s
STORE_WITHIN = 8.0


class TeamsHandlers:
    def __init__(self, service: CrisisService, chat: TeamsChat, app_id: str, work: Work | None = None) -> None:
        self.service = service
        self.chat = chat
        self.plan = service.plan
        self.bot_ids = {app_id.lower(), f"28:{app_id}".lower()}
        self.work = work or Work()
        self._mentions: dict[str, str | None] = {}  # 29:... user id -> plan person (or nobody)

    async def drain(self) -> None:
        """Wait until every request's background work (and what it started) is done."""
        await self.work.drain()

    async def route(self, activity: dict[str, Any]) -> dict[str, Any] | None:
        """Every activity (the SDK's catch-all): invokes need an answer, others none. Only the
        company's own tenant runs its crisis plan: an activity from another tenant is refused."""
        kind, name = activity.get("type"), activity.get("name")
        tenant = str((activity.get("conversation") or {}).get("tenantId") or "")
        if tenant and tenant.lower() != self.chat.connector.tenant_id.lower():
            log.info("an activity from tenant %.40s refused", tenant)
            return invoke(403, {"error": "another tenant"}) if kind == "invoke" else None
        await self.remember(activity)
        if kind == "message" and not activity.get("value"):
            await self.on_message(activity)
        elif kind == "invoke" and name == CARD_ACTION:
            return await self.on_card_action(activity)
        elif kind == "invoke" and name == MESSAGE_ACTION:
            return await self.on_message_action(activity)
        elif kind == "invoke":
            return invoke(501, {"error": f"crisisbot does not handle {str(name)[:60]}"})
        return None

    async def remember(self, activity: dict[str, Any]) -> None:
        """The serviceUrl (whole, path included) for this conversation and team, and the team the
        app was installed in: proactive messages have no request to take them from."""
        channel_data = activity.get("channelData") or {}
        team = channel_data.get("team") or {} if isinstance(channel_data, dict) else {}
        group_id = team.get("aadGroupId") if isinstance(team, dict) else None
        service_url = activity.get("serviceUrl")
        if isinstance(service_url, str) and service_url:
            conversation = (activity.get("conversation") or {}).get("id")
            await self.chat.addresses.seen(service_url, conversation, group_id)
        if group_id and activity.get("type") in ("installationUpdate", "conversationUpdate"):
            await self.chat.addresses.installed_in(str(group_id))

    # -- messages ------------------------------------------------------------------------------

    def actor(self, activity: dict[str, Any]) -> Actor:
        sender = activity.get("from") or {}
        entra = str(sender.get("aadObjectId") or "")
        person = self.chat.person_for(entra) if entra else None
        name = self.plan.person_name(person) if person else str(sender.get("name") or entra or "someone")
        return Actor(platform_id=entra or str(sender.get("id") or "unknown"), name=name, person_id=person)

    async def command_text(self, activity: dict[str, Any]) -> str:
        """The text as typed: the bot's own mention removed, others as ``@person``."""
        text = str(activity.get("text") or "")
        for entity in activity.get("entities") or []:
            if not isinstance(entity, dict) or entity.get("type") != "mention":
                continue
            mentioned = entity.get("mentioned") or {}
            tag = str(entity.get("text") or "")
            if not tag:
                continue
            if str(mentioned.get("id") or "").lower() in self.bot_ids:
                text = text.replace(tag, " ", 1)
                continue
            person = await self.mentioned(activity, mentioned)
            who = person or re.sub(r"\s+", "", str(mentioned.get("name") or "someone"))
            text = text.replace(tag, f"@{who}", 1)
        return _COMMAND_WORD.sub("", plain(text).strip()).strip()

    async def mentioned(self, activity: dict[str, Any], mentioned: dict[str, Any]) -> str | None:
        """The plan person behind a mention: by Entra id, else by the e-mail Teams knows them by
        (a mention carries only the ``29:`` id; the conversation's member record has the rest)."""
        user = str(mentioned.get("id") or "")
        if user in self._mentions:
            return self._mentions[user]
        person = self.chat.person_for(str(mentioned.get("aadObjectId") or user))
        if person is None and user:
            conversation = str((activity.get("conversation") or {}).get("id") or "").split(";")[0]
            try:
                member = await self.chat.connector.member(str(activity.get("serviceUrl") or ""), conversation, user)
            except ChatPlatformError as exc:
                log.info("mentioned user not looked up: %s", exc.user_message)
                return None
            person = self.chat.person_for(str(member.get("aadObjectId") or ""))
            email = str(member.get("email") or member.get("userPrincipalName") or "").lower()
            person = person or next(
                (pid for pid, p in self.plan.people.items() if (p.email or "").lower() == email), None
            )
        self._mentions[user] = person
        return person

    async def on_message(self, activity: dict[str, Any]) -> None:
        conversation = str((activity.get("conversation") or {}).get("id") or "")
        service_url = str(activity.get("serviceUrl") or "")
        thread = self.thread_of(activity)
        inv = Invocation(
            actor=self.actor(activity), text=await self.command_text(activity), channel_id=conversation.split(";")[0]
        )
        with log_context(command=command_name(inv.text)):
            await self._on_command(inv, service_url, thread)

    async def _on_command(self, inv: Invocation, service_url: str, thread: str) -> None:
        instant = await self.service.accept(inv, reply_to=TeamsChat.address(service_url, thread), within=STORE_WITHIN)

        where = TeamsChat.address(service_url, thread)

        async def say(message: Message) -> None:
            await self.chat.reply(where, message)

        async def run() -> None:
            async with self.work.slot():
                if instant is not None:
                    await say(instant.message)
                    if instant.final:
                        return
                    if instant.crisis is not None:
                        await self.service.declare_reserved(instant.crisis)  # it answers the declarer
                        return
                await self.show(await self.service.handle(inv, say), where)

        with log_context(crisis=instant.crisis if instant else None):
            self.work.spawn(run(), "Teams command")

    @staticmethod
    def thread_of(activity: dict[str, Any]) -> str:
        """Where to answer: in a channel, the thread of the message (Teams' ``;messageid=``)."""
        conversation = str((activity.get("conversation") or {}).get("id") or "")
        if ";messageid=" in conversation or (activity.get("conversation") or {}).get("conversationType") != "channel":
            return conversation
        root = activity.get("replyToId") or activity.get("id")
        return f"{conversation};messageid={root}" if root else conversation

    async def show(self, reply: Message, where: str) -> None:
        """A reply; a form it asks for comes as a card form below it (or instead of it)."""
        form = reply.form
        if form is None or form.offered:
            await self.chat.reply(where, reply)
        if form is not None:
            await self.chat.reply_card(where, self.chat.renderer.form(form))

    # -- cards ---------------------------------------------------------------------------------

    async def on_card_action(self, activity: dict[str, Any]) -> dict[str, Any]:
        value = activity.get("value") or {}
        action = value.get("action") or {} if isinstance(value, dict) else {}
        data = action.get("data") or {} if isinstance(action, dict) else {}
        if not isinstance(data, dict):
            return toast("That button is not one of mine.")
        if data.get("action") == FORM_ACTION:
            return await self.on_form(activity, data)
        reply = await self.service.press(
            str(data.get("action") or ""), str(data.get("value") or ""), self.actor(activity)
        )
        if reply.form is not None and not reply.form.offered:
            return card_answer(self.chat.renderer.form(reply.form))
        text = reply.plain_text()
        if len(text) <= TOAST_LIMIT and reply.form is None:
            return toast(text)
        where = TeamsChat.address(str(activity.get("serviceUrl") or ""), self.thread_of(activity))
        self.work.spawn(self._post(where, reply), "answering a Teams button")
        return toast(reply.summary[:TOAST_LIMIT])

    async def _post(self, where: str, reply: Message) -> None:
        async with self.work.slot():
            await self.show(reply, where)

    async def on_form(self, activity: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        kind, payload, values = str(data.get("form") or ""), str(data.get("payload") or ""), submitted(data)
        errors = self.service.check_form(kind, values)
        if errors:
            return toast(" ".join(f"{k}: {v}" for k, v in errors.items())[:TOAST_LIMIT])
        actor = self.actor(activity)
        where = TeamsChat.address(str(activity.get("serviceUrl") or ""), self.thread_of(activity))
        key = f"teams:form:{activity.get('replyToId') or activity.get('id')}"

        async def say(message: Message) -> None:
            await self.chat.reply(where, message)

        async def run() -> None:
            async with self.work.slot():
                reply = await self.service.submit(kind, payload, values, actor, progress=say, request_key=key)
                await self.show(reply, where)

        self.work.spawn(run(), "a Teams form")
        done = f"{actor.name} sent this form." if kind != FormKind.DECLARE else f"{actor.name} is declaring a crisis."
        return card_answer(card([{"type": "TextBlock", "text": escape(done), "wrap": True}], []))

    # -- the message action "Add to crisis timeline" ------------------------------------------------

    async def on_message_action(self, activity: dict[str, Any]) -> dict[str, Any]:
        value = activity.get("value") or {}
        message = value.get("messagePayload") or {} if isinstance(value, dict) else {}
        body = message.get("body") or {}
        text = plain(str(body.get("content") or "")).strip()
        data = value.get("data") if isinstance(value, dict) else None
        comment = str(data.get("comment") or "").strip() if isinstance(data, dict) else ""
        text = f"{text}\n({comment})" if comment else text
        sender = (message.get("from") or {}).get("user") or {}
        author_id = str(sender.get("aadObjectId") or sender.get("id") or "")
        person = self.chat.person_for(author_id) if author_id else None
        author = self.plan.person_name(person) if person else (str(sender.get("displayName") or "") or None)
        conversation = str((activity.get("conversation") or {}).get("id") or "").split(";")[0]
        link = message.get("linkToMessage")
        permalink = str(link) if isinstance(link, str) and link.startswith("https://") else None
        reply = await self.service.note_from_message(
            conversation, self.actor(activity), text, permalink=permalink, author=author
        )
        return invoke(200, {"composeExtension": {"type": "message", "text": reply.plain_text()[:TOAST_LIMIT]}})
