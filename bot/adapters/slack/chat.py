"""``SlackChat``: the core's ChatPort over the Slack Web API.

What Slack makes hard is handled here, so the core never sees it:
- a person may be known by Slack id or only by email (looked up once, then cached);
- ``conversations.invite`` fails whole on one bad user unless ``force=true``, and takes at most
  100 users per call: we force, chunk, and turn the per-user errors into readable reasons;
- the bot must be a member to post: public channels are joined, private ones explained;
- rate limits (429 + Retry-After) and 5xx are retried by slack_sdk's retry handlers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.blocks import BlockRenderer, cut, escape
from bot.adapters.slack.retries import Sleep, retry_handlers
from bot.core.messaging.message import Message
from bot.core.model.crisis import Room
from bot.core.model.errors import ChatPlatformError, RoomNameTakenError
from bot.core.plan.model import Plan
from bot.core.ports import ChatLimits, InviteReport, Member, PostedMessage

log = logging.getLogger(__name__)
INVITE_BATCH = 100

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


def make_client(
    token: str, base_url: str, session: aiohttp.ClientSession | None = None, sleep: Sleep = asyncio.sleep
) -> AsyncWebClient:
    """``session``: one kept-alive HTTP session, so calls on the declare path skip the TCP and TLS
    handshakes. Bolt's own client must stay session-less: Bolt copies it for every lazy listener."""
    return AsyncWebClient(token=token, base_url=base_url, retry_handlers=retry_handlers(sleep=sleep), session=session)


def slack_error(exc: SlackApiError) -> str:
    return str(exc.response.get("error", "unknown_error")) if exc.response is not None else "no_response"


class SlackChat:
    limits = ChatLimits(room_name=80, header=150)  # Slack's channel names and header blocks

    def __init__(self, client: AsyncWebClient, plan: Plan) -> None:
        self.client = client
        self.plan = plan
        # plan person id -> Slack user id; shared with the renderer so mentions become pings
        self.user_ids: dict[str, str] = {pid: p.slack_id for pid, p in plan.people.items() if p.slack_id}
        self.unresolved: dict[str, str] = {}
        self.renderer = BlockRenderer(self.user_ids)
        self._team_url: str | None = None
        self._bot_user_id: str | None = None
        self._identity_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._channel_ids: dict[str, str] = {}

    # -- who's who ---------------------------------------------------------------------------

    async def _identity(self) -> None:
        """auth.test once per process; concurrent callers share the call in flight."""
        if self._identity_task is None or (self._identity_task.done() and self._identity_task.exception()):
            self._identity_task = asyncio.ensure_future(self._fetch_identity())
        await asyncio.shield(self._identity_task)

    async def _fetch_identity(self) -> None:
        auth = await self._call("auth_test")
        self._team_url = str(auth.get("url") or "")
        self._bot_user_id = auth.get("user_id")

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
        await asyncio.gather(self._identity(), *(self._lookup(m) for m in members if m.person_id not in self.user_ids))

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
        self.user_ids[member.person_id] = resp["user"]["id"]
        self.unresolved.pop(member.person_id, None)

    # -- ChatPort --------------------------------------------------------------------------

    async def create_room(self, name: str, *, private: bool, topic: str, purpose: str) -> Room:
        try:
            resp = await self.client.conversations_create(name=name, is_private=private)
        except SlackApiError as exc:
            if slack_error(exc) == "name_taken":
                raise RoomNameTakenError(name) from None
            raise self._platform_error("create the war room", exc) from None
        channel_id = resp["channel"]["id"]
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
        await self._identity()
        url = f"{self._team_url}archives/{channel_id}" if self._team_url else None
        return Room(id=channel_id, name=name, url=url)

    async def find_room(self, name: str) -> Room | None:
        try:
            channel_id = await self._channel_id(name)
            info = await self.client.conversations_info(channel=channel_id)
        except (ChatPlatformError, SlackApiError):
            return None
        await self._identity()
        if info["channel"].get("creator") != self._bot_user_id:
            return None  # someone else's channel with that name: never take it over
        url = f"{self._team_url}archives/{channel_id}" if self._team_url else None
        return Room(id=channel_id, name=name, url=url)

    async def invite(self, room: Room, members: Sequence[Member]) -> InviteReport:
        await self.prepare([m for m in members if m.person_id not in self.user_ids])
        report = InviteReport()
        by_uid: dict[str, str] = {}
        for member in members:
            uid = self.user_ids.get(member.person_id)
            if uid is None:
                report.failed[member.person_id] = _reason(self.unresolved.get(member.person_id, "no_contact"))
            elif uid == self._bot_user_id:
                report.already_in.append(member.person_id)
            else:
                by_uid[uid] = member.person_id
        uids = list(by_uid)
        batches = [uids[i : i + INVITE_BATCH] for i in range(0, len(uids), INVITE_BATCH)]
        for batch in batches:
            errors = await self._invite_batch(room.id, batch)
            for uid in batch:
                pid = by_uid[uid]
                error = errors.get(uid)
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
            data: dict[str, Any] = resp.data if isinstance(resp.data, dict) else {}
        except SlackApiError as exc:
            data = exc.response.data if exc.response is not None and isinstance(exc.response.data, dict) else {}
            if not data.get("errors"):
                return dict.fromkeys(uids, slack_error(exc))
        return {str(e.get("user")): str(e.get("error")) for e in data.get("errors", []) if not e.get("ok", False)}

    async def post(self, channel_id: str, message: Message, thread_id: str | None = None) -> PostedMessage:
        chunks = self.renderer.messages(message)
        text = self.renderer.fallback(message)
        first = await self._post_once(channel_id, text, chunks[0], thread_id)
        ts = str(first["ts"])
        channel = str(first["channel"])
        for rest in chunks[1:]:
            await self._post_once(channel, f"{escape(message.summary)} (continued)", rest, thread_id or ts)
        permalink = f"{self._team_url}archives/{channel}/p{ts.replace('.', '')}" if self._team_url else None
        return PostedMessage(channel, ts, permalink)

    async def _post_once(self, channel: str, text: str, blocks: list[Any], thread_ts: str | None) -> Any:
        payload = [b.to_dict() for b in blocks]
        try:
            return await self.client.chat_postMessage(channel=channel, text=text, blocks=payload, thread_ts=thread_ts)
        except SlackApiError as exc:
            if slack_error(exc) != "not_in_channel":
                raise self._platform_error("post a message", exc) from None
        await self._join(channel)
        try:
            return await self.client.chat_postMessage(channel=channel, text=text, blocks=payload, thread_ts=thread_ts)
        except SlackApiError as exc:
            raise self._platform_error("post a message", exc) from None

    async def _join(self, channel: str) -> None:
        channel_id = await self._channel_id(channel)
        try:
            await self.client.conversations_join(channel=channel_id)
        except SlackApiError as exc:
            if slack_error(exc) in ("method_not_supported_for_channel_type", "channel_not_found"):
                raise ChatPlatformError(
                    f"crisisbot is not a member of #{channel.lstrip('#')}.",
                    hint=f"Invite it there: type /invite @crisisbot in #{channel.lstrip('#')}.",
                ) from None
            raise self._platform_error("join the channel", exc) from None

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
            await self.client.pins_add(channel=posted.channel_id, timestamp=posted.message_id)
        except SlackApiError as exc:
            if slack_error(exc) != "already_pinned":
                raise self._platform_error("pin the kickoff message", exc) from None

    async def notify(self, member: Member, message: Message) -> None:
        """A DM from the bot (its Messages tab): chat.postMessage to the user id, no im: scope needed."""
        if member.person_id not in self.user_ids:
            await self._lookup(member)
        uid = self.user_ids.get(member.person_id)
        if uid is None:
            raise ChatPlatformError(_reason(self.unresolved.get(member.person_id, "no_contact")))
        await self.post(uid, message)

    async def announce(self, channel_name: str, message: Message) -> PostedMessage:
        return await self.post(f"#{channel_name.lstrip('#')}", message)

    # -- helpers -------------------------------------------------------------------------------

    async def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return await getattr(self.client, method)(**{k: v for k, v in kwargs.items() if v is not None})
        except SlackApiError as exc:
            raise self._platform_error(method.replace("_", "."), exc) from None

    async def _best_effort(self, method: str, **kwargs: Any) -> None:
        try:
            await self._call(method, **kwargs)
        except ChatPlatformError as exc:
            log.warning("%s failed: %s", method, exc.user_message)

    @staticmethod
    def _platform_error(action: str, exc: SlackApiError) -> ChatPlatformError:
        error = slack_error(exc)
        status = exc.response.status_code if exc.response is not None else "?"
        log.warning("Slack refused to %s: %s (HTTP %s)", action, error, status)
        return ChatPlatformError(f"Slack could not {action}: {error}.")


def _reason(error: str) -> str:
    return REASONS.get(error, f"Slack said {error}")
