"""Post one message in a crisis's war room and in the announcements channel.

Every use case that tells both places (updates, escalations, the summary) goes through here, so
a failing channel is handled the same way everywhere: the other post still goes out, and the
failure is written on the timeline instead of aborting what the person asked for.
"""

from __future__ import annotations

import asyncio
import logging

from bot.core.context import UseCase
from bot.core.messaging.message import Message
from bot.core.model.crisis import Crisis
from bot.core.model.errors import ChatPlatformError
from bot.core.model.events import EventKind

log = logging.getLogger(__name__)


class Broadcast(UseCase):
    async def send(self, crisis: Crisis, message: Message) -> None:
        posts = [self.chat.announce(self.plan.announcements_channel, message)]
        if crisis.room is not None:
            posts.append(self.chat.post(crisis.room.id, message))
        failures = []
        for outcome in await asyncio.gather(*posts, return_exceptions=True):
            if isinstance(outcome, ChatPlatformError):
                failures.append(outcome)
            elif isinstance(outcome, BaseException):
                raise outcome  # a bug, not a refusal: the edge logs it with its traceback
        for failure in failures:
            log.warning("could not post for %s: %s", crisis.key, failure.user_message)
            text = f"Could not post '{message.summary[:80]}': {failure.user_message}"
            await self.timeline.record(crisis.number, EventKind.POST_FAILED, text)
