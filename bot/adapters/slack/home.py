"""The App Home tab, kept fresh, and Events API retries skipped.

The Home tab is re-published for the people who opened it whenever a crisis changes, so it is
never staler than the last command. Each person sees the crises the plan lets them see.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.response import BoltResponse
from slack_sdk.models.views import View

from bot.adapters.slack.chat import SlackChat
from bot.core.messaging.message import Message
from bot.core.model.crisis import Actor
from bot.core.ports import Clock, ProcessedEvents
from bot.core.service import CrisisService

log = logging.getLogger(__name__)
MAX_HOME_VIEWERS = 500
PUBLISH_BATCH = 10


class HomeTab:
    def __init__(self, service: CrisisService, chat: SlackChat) -> None:
        self.service = service
        self.chat = chat
        self.viewers: dict[str, None] = {}  # insertion-ordered set, bounded

    def viewer(self, user: str) -> Actor:
        person = self.chat.person_for(user)
        name = self.service.plan.person_name(person) if person else user
        return Actor(platform_id=user, name=name, person_id=person)

    async def opened(self, event: dict[str, Any]) -> None:
        user = str(event.get("user") or "")
        if not user or event.get("tab", "home") != "home":
            return
        self.viewers[user] = None
        while len(self.viewers) > MAX_HOME_VIEWERS:
            self.viewers.pop(next(iter(self.viewers)))
        [home] = await self.service.overviews([self.viewer(user)])
        await self.chat.client.views_publish(user_id=user, view=self.view(home))

    def view(self, message: Message) -> dict[str, Any]:
        blocks = [b.to_dict() for b in self.chat.renderer.blocks(message)[:100]]
        return View(type="home", blocks=blocks).to_dict()

    async def refresh(self) -> None:
        """After a crisis changed: re-publish for everyone who has the Home tab, a few at a time
        (views.publish is rate limited per user, not per app, so a small batch is safe)."""
        users = list(self.viewers)
        if not users:
            return
        homes = await self.service.overviews([self.viewer(u) for u in users])
        for start in range(0, len(users), PUBLISH_BATCH):
            batch = list(zip(users, homes, strict=True))[start : start + PUBLISH_BATCH]
            results = await asyncio.gather(
                *(self.chat.client.views_publish(user_id=user, view=self.view(home)) for user, home in batch),
                return_exceptions=True,
            )
            for (user, _), result in zip(batch, results, strict=True):
                if isinstance(result, Exception):
                    log.warning("could not refresh the Home tab of %s: %s", user, result)


class RetrySkipper:
    """Slack re-sends an event it believes lost; handle each event id once, on any replica."""

    def __init__(self, events: ProcessedEvents, clock: Clock) -> None:
        self.events = events
        self.clock = clock

    async def __call__(self, body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        event_id = body.get("event_id")
        retried = body.get("type") == "event_callback" and bool(event_id)
        if retried and not await self.events.first_time(str(event_id), self.clock.now()):
            return BoltResponse(status=200, body="")  # acknowledged, not handled again
        await next()
        return None
