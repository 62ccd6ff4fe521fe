"""Chat messages as evidence: "Declare a crisis from this" and "Attach to crisis as evidence".

Someone pastes a screenshot's link or a customer's post into a channel: that message is often the
first evidence the team has. Declaring from it pre-fills the start form (its text as the details,
its link as the source) and keeps it with the crisis; attaching files it with a crisis already
open. Either way it is kept with the hash of what it said, as mentions from listening tools are.
"""

from __future__ import annotations

import hashlib

from bot.core.commands import MAX_TITLE
from bot.core.context import UseCase
from bot.core.crisis.lookup import Lookup
from bot.core.messaging import forms
from bot.core.messaging.listening import quote
from bot.core.messaging.message import Message
from bot.core.messaging.text import asking, notice
from bot.core.model.actions import DeclareContext
from bot.core.model.crisis import Actor, Crisis
from bot.core.model.errors import UsageError
from bot.core.model.events import EventKind, Evidence

CHAT = "chat"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class MessageEvidence(UseCase):
    async def declare_form(self, text: str, permalink: str | None, author: str | None) -> Message:
        if not text.strip():
            raise UsageError("That message has no text to declare a crisis from.", hint="Try /crisis start instead.")
        first = quote(text.strip().splitlines()[0], MAX_TITLE)
        form = forms.declare(
            self.plan, title=first, details=text[: forms.MAX_DETAILS], source=permalink,
            evidence=DeclareContext(url=permalink, author=author, content_hash=text_hash(text)),
        )  # fmt: skip
        return asking(form)

    async def declared(self, crisis: Crisis, actor: Actor, context: DeclareContext) -> None:
        """The message the crisis was declared from is its first evidence."""
        data = Evidence(network=CHAT, url=context.url, author=context.author, content_hash=context.content_hash)
        who = context.author or "a message"
        await self.timeline.record(
            crisis.number,
            EventKind.EVIDENCE,
            f"Evidence: the message by {who} it was declared from",
            actor,
            data,
            key="evidence-declared-from",
        )

    async def attach(
        self, lookup: Lookup, channel_id: str, actor: Actor, text: str, permalink: str | None, author: str | None
    ) -> Message:
        crisis = await lookup.find(None, channel_id)
        data = Evidence(network=CHAT, url=permalink, author=author, content_hash=text_hash(text))
        said = f"Evidence from {author or 'a message'}: “{quote(text)}”"
        await self.timeline.record(crisis.number, EventKind.EVIDENCE, said, actor, data)
        return notice(f"Kept as evidence in {crisis.key}, with a hash of what it said.")
