"""The mentions section of a crisis's summary and export: how loud it got, and how early we knew.

"How early did we know?" is the time from the first mention of the crisis's topics, in the hour
before it was declared, to the declaration: the lead a listening tool gave the team, or would
have given it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.model.crisis import Crisis
from bot.core.model.mentions import Mention
from bot.core.plan.model import Plan
from bot.core.ports import AlertRepository, MentionStore

LOOKBACK = timedelta(hours=1)
BUCKETS = 12
TOP = 5


@dataclass(frozen=True)
class MentionsReport:
    topics: list[str]
    total: int
    first_at: datetime | None  # the first matching mention, in the hour before the declaration
    known_early_by: timedelta | None  # declared_at - first_at
    volume: list[tuple[datetime, int]]  # mentions per span, from first_at (or declaration) to the end
    span: timedelta
    peak_per_minute: float
    top: list[Mention]


async def crisis_topics(plan: Plan, alerts: AlertRepository, crisis: Crisis) -> set[str]:
    """The topics a crisis follows: those whose suggested scenario is its own, and those of the
    alerts it was declared from."""
    scenario = {tid for tid, t in plan.monitoring.topics.items() if t.scenario == crisis.scenario_id}
    return scenario | await alerts.topics_declared_into(crisis.number)


async def mentions_report(
    plan: Plan, mentions: MentionStore, alerts: AlertRepository, crisis: Crisis, now: datetime
) -> MentionsReport | None:
    """None when the crisis follows no topic, or none of its topics was mentioned."""
    topics = sorted(await crisis_topics(plan, alerts, crisis))
    if not topics:
        return None
    end = crisis.resolved_at or now
    first = await mentions.first_seen(topics, crisis.declared_at - LOOKBACK, end)
    start = min(first, crisis.declared_at) if first else crisis.declared_at
    span = max((end - start) / BUCKETS, timedelta(minutes=1))
    spans = [(start + span * i, start + span * (i + 1)) for i in range(BUCKETS)]
    counts = await mentions.counts(topics, spans)
    found = await mentions.digest(start - timedelta(microseconds=1), TOP, topics, end)
    if found.count == 0:
        return None
    early = crisis.declared_at - first if first and first <= crisis.declared_at else None
    peak = max(counts, default=0) / (span.total_seconds() / 60)
    return MentionsReport(
        topics, found.count, first, early, list(zip([a for a, _ in spans], counts, strict=True)), span, peak, found.top
    )
