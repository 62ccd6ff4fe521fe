"""Slack extras around the timeline: the App Home, the "Add to crisis timeline" message
shortcut, the post-incident review form, and skipping Events API retries.

The Home tab is re-published for the people who opened it whenever a crisis changes, so it is
never staler than the last command.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from slack_bolt.async_app import AsyncAck
from slack_bolt.response import BoltResponse
from slack_sdk.models.blocks import InputBlock, PlainTextInputElement, PlainTextObject
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.draft_modals import state_values
from bot.core import views
from bot.core.errors import CrisisError
from bot.core.models import CrisisStatus
from bot.core.timeline import REVIEW_QUESTIONS

if TYPE_CHECKING:
    from bot.adapters.slack.app import SlackHandlers

log = logging.getLogger(__name__)
REVIEW_CALLBACK = "crisis_review_form"
SHORTCUT = "add_to_timeline"
MAX_HOME_VIEWERS = 500


class EventLog(Protocol):
    async def first_time(self, event_id: str, at: datetime) -> bool:
        """True the first time an event id is seen, by any replica."""
        ...


class HomeAndTimeline:
    def __init__(self, base: SlackHandlers, events: EventLog | None = None) -> None:
        self.base = base
        self.service = base.service
        self.events = events
        self.viewers: dict[str, None] = {}  # insertion-ordered set, bounded

    # -- App Home ------------------------------------------------------------------------------

    async def home_opened(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        user = str(event.get("user") or "")
        if not user or event.get("tab", "home") != "home":
            return
        self.viewers[user] = None
        while len(self.viewers) > MAX_HOME_VIEWERS:
            self.viewers.pop(next(iter(self.viewers)))
        await self.publish(client, user)

    async def home_view(self) -> dict[str, Any]:
        """One view for everyone: it lists crises, nothing personal."""
        repo = self.service.repo
        active = await repo.list_crises(CrisisStatus.ACTIVE, limit=20)
        resolved = await repo.list_crises(CrisisStatus.RESOLVED, limit=10)
        message = views.home(self.service.plan, active, resolved, self.service.clock.now())
        blocks = [b.to_dict() for b in self.base.chat.renderer.blocks(message)[:100]]
        return View(type="home", blocks=blocks).to_dict()

    async def publish(self, client: AsyncWebClient, user: str) -> None:
        await client.views_publish(user_id=user, view=await self.home_view())

    async def refresh(self, client: AsyncWebClient) -> None:
        """After a crisis changed: re-publish for everyone who has the Home tab, a few at a time
        (views.publish is rate limited per user, not per app, so a small batch is safe)."""
        users = list(self.viewers)
        if not users:
            return
        view = await self.home_view()
        for start in range(0, len(users), 10):
            batch = users[start : start + 10]
            results = await asyncio.gather(
                *(client.views_publish(user_id=user, view=view) for user in batch), return_exceptions=True
            )
            for user, result in zip(batch, results, strict=True):
                if isinstance(result, Exception):
                    log.warning("could not refresh the Home tab of %s: %s", user, result)

    # -- Events API retries ----------------------------------------------------------------

    async def skip_retries(self, body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        """Slack re-sends an event it believes lost; handle each event id once, on any replica."""
        event_id = body.get("event_id")
        seen = (
            self.events is not None
            and body.get("type") == "event_callback"
            and bool(event_id)
            and not await self.events.first_time(str(event_id), self.service.clock.now())
        )
        if seen:
            return BoltResponse(status=200, body="")  # acknowledged, not handled again
        await next()
        return None

    # -- the message shortcut --------------------------------------------------------------

    async def ack(self, ack: AsyncAck) -> None:
        await ack()

    async def add_to_timeline(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        channel = str((body.get("channel") or {}).get("id") or "")
        message = body.get("message") or {}
        actor = self.base.actor(body)
        try:
            crisis = await self.service.repo.get_by_room(channel)
            if crisis is None:
                raise CrisisError(
                    "This message is not in a war room.", hint="Use the shortcut on messages inside a crisis channel."
                )
            permalink = None
            try:
                permalink = (await client.chat_getPermalink(channel=channel, message_ts=str(message.get("ts"))))[
                    "permalink"
                ]
            except Exception as exc:
                log.warning("no permalink for %s: %s", message.get("ts"), exc)
            author_id = str(message.get("user") or "")
            person = self.base.chat.person_for(author_id)
            author = self.service.plan.people[person].name if person else (author_id or None)
            text = self.base.command_text({"text": message.get("text") or ""})
            reply = await self.service.timeline.note(crisis, actor, text, permalink=permalink, author=author)
        except CrisisError as exc:
            reply = views.error(exc)
        await self.base.answer(client, body.get("response_url"), None, reply)

    # -- the review form -------------------------------------------------------------------

    async def open_review(self, client: AsyncWebClient, trigger_id: str | None, number: int) -> None:
        blocks = [
            InputBlock(
                block_id=key,
                label=question,
                optional=True,
                element=PlainTextInputElement(action_id="value", multiline=True, max_length=2000),
            )
            for key, question in REVIEW_QUESTIONS.items()
        ]
        view = View(
            type="modal",
            callback_id=REVIEW_CALLBACK,
            title=PlainTextObject(text="Post-incident review"),
            submit=PlainTextObject(text="Save"),
            close=PlainTextObject(text="Later"),
            private_metadata=str(number),
            blocks=blocks,
        )
        await client.views_open(trigger_id=trigger_id, view=view.to_dict())

    async def on_review_button(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        value = str(((body.get("actions") or [{}])[0]).get("value") or "")
        if value.isdigit():
            await self.open_review(client, body.get("trigger_id"), int(value))

    async def on_review_form(self, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        number = str(view.get("private_metadata") or "")
        actor = self.base.actor(body)
        try:
            crisis = await self.service.find(int(number) if number.isdigit() else None, None)
            reply = await self.service.timeline.save_review(crisis, actor, state_values(view))
        except CrisisError as exc:
            reply = views.error(exc)
        await self.base.answer(client, None, (body.get("user") or {}).get("id"), reply)
