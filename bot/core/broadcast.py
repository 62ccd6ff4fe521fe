"""Post one message in a crisis's war room and in the announcements channel.

Every use case that tells both places (updates, escalations, the summary) goes through here, so
a failing channel is handled the same way everywhere: the other post still goes out, and the
failure is written on the timeline instead of aborting what the person asked for.
"""

from __future__ import annotations

import asyncio
import logging

from bot.core.messages import Message
from bot.core.models import Crisis, TimelineEvent
from bot.core.plan import Plan
from bot.core.ports import ChatPort, Clock, CrisisRepository

log = logging.getLogger(__name__)


async def broadcast(
    plan: Plan, chat: ChatPort, crises: CrisisRepository, clock: Clock, crisis: Crisis, message: Message
) -> None:
    posts = [chat.announce(plan.announcements_channel, message)]
    if crisis.room is not None:
        posts.append(chat.post(crisis.room.id, message))
    for outcome in await asyncio.gather(*posts, return_exceptions=True):
        if isinstance(outcome, Exception):
            why = getattr(outcome, "user_message", None) or str(outcome)
            log.warning("could not post for %s: %s", crisis.key, why)
            await crises.add_event(
                crisis.number or 0,
                TimelineEvent(
                    at=clock.now(), kind="post_failed", text=f"Could not post '{message.summary[:80]}': {why}"
                ),
            )
