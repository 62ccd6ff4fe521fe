"""``SlackChat``: the core's ChatPort over the Slack Web API.

What Slack makes hard is handled here, so the core never sees it:
- a person may be known by Slack id or only by email (looked up once, then cached);
- ``conversations.invite`` fails whole on one bad user unless ``force=true``, and takes at most
  100 users per call: we force, chunk, and turn the per-user errors into readable reasons;
- the bot must be a member to post: public channels are joined, private ones explained;
- rate limits (429 + Retry-After) and 5xx are retried (:mod:`bot.adapters.slack.retries`), every
  call is bounded in time, and whatever still fails becomes a ``ChatPlatformError`` (the port's
  one error), whatever Slack or a proxy in front of it answered;
- a message a step may post twice (after a crash) carries its key in Slack's message metadata,
  where ``find_posted`` looks for it in the channel's recent history.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.slack.blocks import BlockRenderer, cut, escape
from bot.adapters.slack.retries import Sleep, retry_handlers
from bot.core.messaging.message import Message
from bot.core.model.chat import Attachment, PostedMessage
from bot.core.model.crisis import Room
from bot.core.model.errors import ChatPlatformError, RoomNameTakenError
from bot.core.plan.model import Plan
from bot.core.ports import ChatLimits, InviteReport, Member

log = logging.getLogger(__name__)
INVITE_BATCH = 100
CALL_TIMEOUT = 10.0  # seconds per HTTP attempt: a hung Slack call must not hold a declaration
HISTORY_LOOKBACK = 100  # messages searched for a key; a resumed step runs seconds after the first
METADATA_EVENT = "crisisbot_post"
# a channel this bot made under a reserved name this recently is the retried create's own: the
# retries of one call (a few backoffs, 10 s per attempt) end well within it
JUST_MADE_S = 120

REASONS = {
    "user_not_found": "Slack does not know this user id; check slack_id in the plan",
    "users_not_found": "no Slack account uses this email",
    "cant_invite": "Slack refused the invitation (deactivated account or a guest not allowed here)",
    "user_is_deactivated": "the Slack account is deactivated",
    "cant_invite_self": "this is the bot itself",
    "user_is_restricted": "guest accounts cannot be added to this channel",
    "ura_max_channels": "this single-channel guest is already in a channel",
    "no_contact": "no Slack id or email in the plan",
}


def make_session(timeout: float = CALL_TIMEOUT) -> aiohttp.ClientSession:
    """A kept-alive session whose own timeout bounds each call: slack_sdk applies its timeout
    only to sessions it creates itself, so a session we give it must carry one."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))


def make_client(
    token: str,
    base_url: str,
    session: aiohttp.ClientSession | None = None,
    sleep: Sleep = asyncio.sleep,
    timeout: float = CALL_TIMEOUT,
) -> AsyncWebClient:
    """``session``: one kept-alive HTTP session, so calls on the declare path skip the TCP and TLS
    handshakes. Bolt's own client must stay session-less: Bolt copies it for every lazy listener."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,  # type: ignore[arg-type]  # slack_sdk says int; aiohttp takes any seconds
        retry_handlers=retry_handlers(sleep=sleep),
        session=session,
    )


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code, whatever came back: JSON, an HTML page from a proxy, plain text."""
    response = exc.response
    data = getattr(response, "data", None)
    if isinstance(data, dict):
        return str(data.get("error") or "unknown_error")
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return f"http_{status}" if status else "no_response"


class SlackCallError(ChatPlatformError):
    """A Web API call that failed after its retries; ``error`` is Slack's code for it."""

    def __init__(self, action: str, error: str) -> None:
        if error == "missing_scope":  # installed before the manifest asked for this permission
            super().__init__(
                f"crisisbot is not allowed to {action} in this workspace (missing_scope).",
                hint="A workspace admin can reinstall the app from deploy/slack/manifest.yaml to grant it.",
            )
        else:
            super().__init__(f"Slack could not {action}: {error}.")
        self.error = error


class SlackChat:
    limits = ChatLimits(room_name=80, header=150)  # Slack's channel names and header blocks

    def __init__(self, client: AsyncWebClient, plan: Plan) -> None:
        self.client = client
        self.plan = plan
        # plan person id -> Slack user id; shared with the renderer so mentions become pings
        self.user_ids: dict[str, str] = {pid: p.slack_id for pid, p in plan.people.items() if p.slack_id}
        self.unresolved: dict[str, str] = {}
        self.renderer = BlockRenderer(self.user_ids)
        self.team_url: str | None = None
        self.bot_user_id: str | None = None
        self._identity_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._channel_ids: dict[str, str] = {}
        # hears each call that failed after its retries: (Web API method, kind), for the metrics
        self.on_error: Callable[[str, str], None] | None = None

    # -- who's who ---------------------------------------------------------------------------

    async def identity(self) -> None:
        """auth.test once per process; concurrent callers share the call in flight, a failure is
        tried again by the next caller."""
        if self._identity_task is None or (self._identity_task.done() and self._identity_task.exception()):
            self._identity_task = asyncio.ensure_future(self._fetch_identity())
        await asyncio.shield(self._identity_task)

    async def _fetch_identity(self) -> None:
        auth = await self._call("auth_test")
        self.team_url = str(auth.get("url") or "")
        self.bot_user_id = auth.get("user_id")

    async def aclose(self) -> None:
        """Close the kept-alive HTTP session, if this chat was given one."""
        await self.settle()
        if self.client.session is not None and not self.client.session.closed:
            await self.client.session.close()

    async def settle(self) -> None:
        """Wait for background calls (topic, purpose); for tests, benchmarks and shutdown."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    def person_for(self, slack_user_id: str) -> str | None:
        """The plan person behind a Slack user, if the plan (or an email lookup) knows them."""
        return next((pid for pid, uid in self.user_ids.items() if uid == slack_user_id), None)

    async def prepare(self, members: Sequence[Member]) -> None:
        """Resolve emails to Slack ids (and who the bot is) beside room creation, off the critical path."""
        await asyncio.gather(self.identity(), *(self._lookup(m) for m in members if m.person_id not in self.user_ids))

    async def _lookup(self, member: Member) -> None:
        email = member.person.email
        if not email:
            self.unresolved[member.person_id] = "no_contact"
            return
        try:
            resp = await self.client.users_lookupByEmail(email=email)
        except SlackApiError as exc:
            self.unresolved[member.person_id] = slack_error(exc)
            return
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            self.unresolved[member.person_id] = f"lookup failed ({type(exc).__name__})"
            return
        self.user_ids[member.person_id] = resp["user"]["id"]
        self.unresolved.pop(member.person_id, None)

    # -- ChatPort --------------------------------------------------------------------------

    async def create_room(self, name: str, *, private: bool, topic: str, purpose: str) -> Room:
        try:
            resp = await self._call("conversations_create", name=name, is_private=private)
            channel_id = resp["channel"]["id"]
        except SlackCallError as exc:
            if exc.error != "name_taken":
                raise
            mine = await self._just_made(name)
            if mine is None:
                raise RoomNameTakenError(name) from None
            channel_id = mine
        # topic and purpose are cosmetic: set them beside the invitations, not before them
        for method, key, value in (
            ("conversations_setTopic", "topic", topic),
            ("conversations_setPurpose", "purpose", purpose),
        ):
            task = asyncio.ensure_future(
                self._best_effort(method, channel=channel_id, **{key: cut(escape(value), 250)})
            )
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        await self.identity()
        return Room(id=channel_id, name=name, url=self._url(channel_id))

    async def _just_made(self, name: str) -> str | None:
        """The channel behind a ``name_taken`` if this bot made it moments ago: our own create,
        whose answer was lost (a 5xx from a proxy, a dropped connection) and which the retry
        handlers sent again. The database reserves each name for one crisis before Slack is
        asked, so a channel the bot has just made under it is this crisis's; an older one (from
        a database since replaced, say) or anyone else's is not, and the next name is used."""
        try:
            channel_id = await self._channel_id(name)
            info = await self._call("conversations_info", channel=channel_id)
            await self.identity()
        except ChatPlatformError:
            return None
        channel = info["channel"]
        made_at = channel.get("created")
        recent = isinstance(made_at, int | float) and time.time() - made_at <= JUST_MADE_S
        return channel_id if channel.get("creator") == self.bot_user_id and recent else None

    async def find_room(self, name: str) -> Room | None:
        try:
            channel_id = await self._channel_id(name)
            info = await self._call("conversations_info", channel=channel_id)
            await self.identity()
        except ChatPlatformError:
            return None
        if info["channel"].get("creator") != self.bot_user_id:
            return None  # someone else's channel with that name: never take it over
        return Room(id=channel_id, name=name, url=self._url(channel_id))

    async def invite(self, room: Room, members: Sequence[Member]) -> InviteReport:
        await self.prepare([m for m in members if m.person_id not in self.user_ids])
        report = InviteReport()
        by_uid: dict[str, str] = {}
        for member in members:
            uid = self.user_ids.get(member.person_id)
            if uid is None:
                report.failed[member.person_id] = _reason(self.unresolved.get(member.person_id, "no_contact"))
            elif uid == self.bot_user_id:
                report.already_in.append(member.person_id)
            else:
                by_uid[uid] = member.person_id
        uids = list(by_uid)
        for batch in (uids[i : i + INVITE_BATCH] for i in range(0, len(uids), INVITE_BATCH)):
            errors = await self._invite_batch(room.id, batch)
            for uid in batch:
                pid, error = by_uid[uid], errors.get(uid)
                if error is None:
                    report.invited.append(pid)
                elif error == "already_in_channel":
                    report.already_in.append(pid)
                else:
                    report.failed[pid] = _reason(error)
        return report

    async def _invite_batch(self, channel_id: str, uids: list[str]) -> dict[str, str]:
        """Per-user errors of one forced invitation; a whole-call failure applies to everyone."""
        try:
            resp = await self.client.conversations_invite(channel=channel_id, users=",".join(uids), force=True)
            data: Any = resp.data
        except SlackApiError as exc:
            data = getattr(exc.response, "data", None)
            if not (isinstance(data, dict) and data.get("errors")):
                return dict.fromkeys(uids, slack_error(exc))
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            return dict.fromkeys(uids, f"the call failed ({type(exc).__name__})")
        errors = data.get("errors", []) if isinstance(data, dict) else []
        return {str(e.get("user")): str(e.get("error")) for e in errors if isinstance(e, dict) and not e.get("ok")}

    async def post(
        self, channel_id: str, message: Message, thread_id: str | None = None, *, key: str | None = None
    ) -> PostedMessage:
        chunks = self.renderer.messages(message)
        text = self.renderer.fallback(message)
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"key": key}} if key else None
        first = await self._post_once(channel_id, text, chunks[0], thread_id, metadata)
        ts, channel = str(first["ts"]), str(first["channel"])
        for rest in chunks[1:]:
            await self._post_once(channel, f"{escape(message.summary)} (continued)", rest, thread_id or ts, None)
        permalink = f"{self.team_url}archives/{channel}/p{ts.replace('.', '')}" if self.team_url else None
        return PostedMessage(channel_id=channel, message_id=ts, permalink=permalink)

    async def _post_once(
        self, channel: str, text: str, blocks: list[Any], thread_ts: str | None, metadata: dict[str, Any] | None
    ) -> Any:
        args = {"channel": channel, "text": text, "blocks": [b.to_dict() for b in blocks], "thread_ts": thread_ts}
        try:
            return await self._call("chat_postMessage", metadata=metadata, **args)
        except SlackCallError as exc:
            if exc.error != "not_in_channel":
                raise
        await self._join(channel)
        return await self._call("chat_postMessage", metadata=metadata, **args)

    async def find_posted(self, channel: str, key: str) -> PostedMessage | None:
        channel_id = await self._channel_id(channel)
        await self.identity()
        history = await self._call(
            "conversations_history", channel=channel_id, limit=HISTORY_LOOKBACK, include_all_metadata=True
        )
        for found in history.get("messages") or []:
            payload = (found.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == key and found.get("user") in (self.bot_user_id, None):
                return PostedMessage(channel_id=channel_id, message_id=str(found["ts"]))
        return None

    async def _join(self, channel: str) -> None:
        channel_id = await self._channel_id(channel)
        try:
            await self._call("conversations_join", channel=channel_id)
        except SlackCallError as exc:
            if exc.error in ("method_not_supported_for_channel_type", "channel_not_found"):
                name = channel.lstrip("#")
                raise ChatPlatformError(
                    f"crisisbot is not a member of #{name}.",
                    hint=f"Invite it there: type /invite @crisisbot in #{name}.",
                ) from None
            raise

    async def _channel_id(self, channel: str) -> str:
        """Channel ids pass through; names are looked up once (the bot can only join by id)."""
        if not channel.startswith("#") and channel[:1] in ("C", "G", "D") and channel.isupper():
            return channel
        name = channel.lstrip("#")
        cursor: str | None = None
        while name not in self._channel_ids:
            resp = await self._call(
                "conversations_list",
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
                cursor=cursor,
            )
            self._channel_ids.update({str(ch.get("name")): str(ch["id"]) for ch in resp.get("channels", [])})
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor and name not in self._channel_ids:
                raise ChatPlatformError(
                    f"crisisbot cannot see a #{name} channel.",
                    hint=f"Create #{name} (if it is private, type /invite @crisisbot in it), "
                    "or change announcements_channel in the plan.",
                )
        return self._channel_ids[name]

    async def pin(self, posted: PostedMessage) -> None:
        try:
            await self._call("pins_add", channel=posted.channel_id, timestamp=posted.message_id)
        except SlackCallError as exc:
            if exc.error != "already_pinned":
                raise

    async def notify(self, member: Member, message: Message, *, key: str | None = None) -> PostedMessage:
        """A DM from the bot (its Messages tab): chat.postMessage to the user id."""
        return await self.post(await self._user_id(member), message, key=key)

    async def find_notified(self, member: Member, key: str) -> PostedMessage | None:
        opened = await self._call("conversations_open", users=await self._user_id(member))
        return await self.find_posted(str(opened["channel"]["id"]), key)

    async def update(self, posted: PostedMessage, message: Message) -> None:
        """chat.update keeps the message's place (and thread); long content keeps its first 50 blocks."""
        blocks = [b.to_dict() for b in self.renderer.messages(message)[0]]
        text = self.renderer.fallback(message)
        await self._call("chat_update", channel=posted.channel_id, ts=posted.message_id, text=text, blocks=blocks)

    async def upload(self, channel_id: str, files: Sequence[Attachment], *, thread_id: str | None = None) -> None:
        """files_upload_v2 (upload URL, bytes, completion) with the files:write scope; an app
        installed before that scope was added answers missing_scope, and the caller falls back."""
        uploads = [{"filename": f.filename, "title": f.title, "content": f.content} for f in files]
        await self._call("files_upload_v2", file_uploads=uploads, channel=channel_id, thread_ts=thread_id)

    async def _user_id(self, member: Member) -> str:
        if member.person_id not in self.user_ids:
            await self._lookup(member)
        uid = self.user_ids.get(member.person_id)
        if uid is None:
            raise ChatPlatformError(_reason(self.unresolved.get(member.person_id, "no_contact")))
        return uid

    async def announce(self, channel_name: str, message: Message, *, key: str | None = None) -> PostedMessage:
        return await self.post(f"#{channel_name.lstrip('#')}", message, key=key)

    async def reply(self, address: str, message: Message) -> None:
        """``address``: the request's response_url (good for 30 minutes) and the user, as JSON;
        when the response_url no longer answers, the reply goes by direct message."""
        try:
            where = json.loads(address)
        except json.JSONDecodeError:
            where = {}
        where = where if isinstance(where, dict) else {}
        text, blocks = self.renderer.fallback(message), [b.to_dict() for b in self.renderer.messages(message)[0]]
        response_url, user = where.get("response_url"), where.get("user")
        if isinstance(response_url, str) and response_url.startswith(("https://", "http://")):
            try:
                sent = await AsyncWebhookClient(response_url, timeout=int(CALL_TIMEOUT)).send(
                    text=text, blocks=blocks, response_type="ephemeral"
                )
                if sent.status_code == 200:
                    return
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.info("response_url did not answer (%s); sending a DM", type(exc).__name__)
        if isinstance(user, str) and user:
            await self._call("chat_postMessage", channel=user, text=text, blocks=blocks)

    # -- helpers -------------------------------------------------------------------------------

    def _url(self, channel_id: str) -> str | None:
        return f"{self.team_url}archives/{channel_id}" if self.team_url else None

    async def _call(self, method: str, **kwargs: Any) -> Any:
        """One Web API call; anything that fails, after the retries, is a ``ChatPlatformError``."""
        try:
            return await getattr(self.client, method)(**{k: v for k, v in kwargs.items() if v is not None})
        except SlackApiError as exc:
            self._count(method, _kind(exc))
            raise self._platform_error(method, slack_error(exc)) from None
        except (SlackClientError, aiohttp.ClientError, TimeoutError, json.JSONDecodeError) as exc:
            self._count(method, "network")
            raise self._platform_error(method, f"no answer ({type(exc).__name__})") from None

    def _count(self, method: str, kind: str) -> None:
        if self.on_error is not None:
            self.on_error(method.replace("_", "."), kind)  # chat_postMessage -> chat.postMessage

    async def _best_effort(self, method: str, **kwargs: Any) -> None:
        try:
            await self._call(method, **kwargs)
        except ChatPlatformError as exc:
            log.warning("%s failed: %s", method, exc.user_message)

    @staticmethod
    def _platform_error(method: str, error: str) -> SlackCallError:
        action = ACTIONS.get(method, method.replace("_", "."))
        # a name taken is no failure: the caller moves to the next name, or adopts the room a
        # declaration it resumes made before (after a crash or a database outage)
        expected = (method, error) == ("conversations_create", "name_taken")
        log.log(logging.INFO if expected else logging.WARNING, "Slack could not %s: %s", action, error)
        return SlackCallError(action, error)


def _kind(exc: SlackApiError) -> str:
    """A refused call as the metrics count it: Slack's ``ok: false`` is the caller's doing."""
    status = exc.response.status_code
    return "rate_limited" if status == 429 else "server" if status >= 500 else "client"


ACTIONS = {
    "conversations_create": "create the war room",
    "chat_postMessage": "post a message",
    "pins_add": "pin the kickoff message",
    "conversations_join": "join the channel",
    "chat_update": "update a message",
    "files_upload_v2": "attach the files",
}


def _reason(error: str) -> str:
    return REASONS.get(error, f"Slack said {error}")
