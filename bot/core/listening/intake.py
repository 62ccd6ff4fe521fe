"""Taking mentions in: from a request body or an export file, through the source's mapping, into
the evidence store.

A batch is parsed whole before anything is stored, and stored in one transaction: a bad item is
named and left out, the good ones are kept, and nothing is ever half-stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.listening.mapping import items_of, parse_all
from bot.core.listening.matching import TopicMatcher, viral_reason
from bot.core.model.mentions import IntakeRefused, IntakeReport, Matched, Mention
from bot.core.plan.monitoring import Monitoring
from bot.core.plan.sources import GENERIC, SourceMapping, generic
from bot.core.ports import Clock, MentionStore

MAX_BATCH = 500  # mentions in one request: a tool sending more splits them (the answer says so)


class Intake:
    def __init__(
        self, sources: Mapping[str, SourceMapping], store: MentionStore, clock: Clock, monitoring: Monitoring
    ) -> None:
        self._sources = {GENERIC: generic(), **sources}
        self._store = store
        self._clock = clock
        self._virality = monitoring.virality
        self._matcher = TopicMatcher(monitoring.topics)

    @property
    def sources(self) -> frozenset[str]:
        return frozenset(self._sources)

    def source(self, name: str) -> SourceMapping:
        found = self._sources.get(name)
        if found is None:
            known = ", ".join(sorted(self._sources))
            raise IntakeRefused("source", f"unknown source '{name}' (known: {known})", unknown_source=True)
        return found

    def match(self, mention: Mention) -> Matched:
        """The topics a mention is about, and whether it matters on its own (only for a topic's)."""
        topics = self._matcher.topics_of(mention)
        return Matched(mention, topics, viral_reason(mention, self._virality) if topics else None)

    async def take_in(self, source: str, body: Mapping[str, Any]) -> IntakeReport:
        """A request body: one mention, or a batch at the source's ``batch`` path."""
        mapping = self.source(source)
        return await self.take_items(source, items_of(body, mapping, MAX_BATCH))

    async def take_items(
        self, source: str, items: Sequence[object], *, from_text: bool = False, first: int = 0
    ) -> IntakeReport:
        """Items already split out (an import reads them from a file). ``from_text``: the values
        are text (a CSV) and are converted; ``first``: the index of the first item, so a
        rejection names its place in the whole file."""
        mentions, rejected = parse_all(items, self.source(source), strict=not from_text, first=first)
        matched = [self.match(m) for m in mentions]
        stored = await self._store.store(source, matched, self._clock.now()) if matched else None
        return IntakeReport(stored.accepted if stored else 0, stored.duplicates if stored else 0, rejected)
