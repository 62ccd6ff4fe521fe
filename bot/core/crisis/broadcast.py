"""Post one message in a crisis's war room and in a shared channel (the announcements).

Every use case that tells both places (updates, escalations, the summary) goes through here, so
a failing channel is handled the same way everywhere: the other post still goes out, and the
failure is written on the timeline instead of aborting what the person asked for. And a
restricted crisis's details never reach a shared channel: there, it says ``outside`` (nothing
when there is nothing to say without details).
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
    async def send(
        self, crisis: Crisis, message: Message, shared: Message | None, *, channel: str | None = None
    ) -> bool:
        """``message`` to the war room, ``shared`` (None: nothing) to ``channel`` (the
        announcements unless named). True when the shared channel was told.

        A restricted crisis's war-room message never goes out as it is, whatever the caller
        passed: the callers give a message without details, or none."""
        if self.access.restricted(crisis) and shared is message:
            shared = None
        if crisis.drill is not None:  # the real announcements stay real: drills go where the plan says
            channel = self.plan.drills.announcements_channel
            shared = shared if channel else None
        posts = []
        if shared is not None:
            posts.append(self.chat_for(crisis).announce(channel or self.plan.announcements_channel, shared))
        if crisis.room is not None:
            posts.append(self.chat_for(crisis).post(crisis.room.id, message))
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
        return shared is not None
