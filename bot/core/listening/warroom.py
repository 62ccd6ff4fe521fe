"""While a crisis is open: what the public says reaches its war room, and a viral post proposes
escalation.

A crisis follows the topics of the alerts it was declared from and those whose suggested scenario
is its own. Its war room gets a digest at most once a minute (``digest_seconds``), claimed by one
replica, and only when there is something new: a storm of mentions is a few lines a minute, never
a flood. A viral post on one of its topics is proposed as an escalation to the topic's
``viral_severity``, with a button that honours the plan's permissions; the proposal and the
decision both go to the timeline.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.commands import SeverityChangeCommand
from bot.core.context import Context, UseCase
from bot.core.escalation.severity import SeverityService
from bot.core.listening.report import MentionsReport, crisis_topics, mentions_report
from bot.core.messaging import listening as views
from bot.core.messaging.message import Message
from bot.core.model.alerts import Alert, AlertStatus
from bot.core.model.crisis import Actor, Crisis, CrisisStatus
from bot.core.model.errors import ChatPlatformError, UsageError
from bot.core.model.events import EventKind, Evidence
from bot.core.plan.model import severity_rank
from bot.core.ports import AlertRepository, MentionStore

TOP = 3
# a digest covers mentions seen up to a moment ago: one stored at the instant of a digest, its
# transaction not committed yet, falls in the next digest instead of in neither
SETTLE = timedelta(seconds=2)


class WarRoomFeed(UseCase):
    def __init__(
        self, ctx: Context, mentions: MentionStore, alerts: AlertRepository, severity: SeverityService
    ) -> None:
        super().__init__(ctx)
        self.mentions = mentions
        self.alerts = alerts
        self.severity = severity

    async def topics_of(self, crisis: Crisis) -> set[str]:
        return await crisis_topics(self.plan, self.alerts, crisis)

    async def report(self, crisis: Crisis) -> MentionsReport | None:
        return await mentions_report(self.plan, self.mentions, self.alerts, crisis, self.clock.now())

    async def following(self, topic: str) -> Crisis | None:
        """The open crisis (the newest) that follows ``topic``, if any."""
        for crisis in await self.crises.list_crises(CrisisStatus.ACTIVE, limit=50):
            if crisis.room is not None and topic in await self.topics_of(crisis):
                return crisis
        return None

    async def post_digests(self) -> None:
        until = self.clock.now() - SETTLE
        every = timedelta(seconds=self.plan.monitoring.digest_seconds)
        for crisis in await self.crises.list_crises(CrisisStatus.ACTIVE, limit=50):
            topics = await self.topics_of(crisis)
            if crisis.room is None or not topics:
                continue
            previous = await self.alerts.last_digest(crisis.number)
            if previous is not None and previous > until - every:
                continue  # at most one a minute
            since = previous or crisis.declared_at
            found = await self.mentions.digest(since, TOP, sorted(topics), until)
            if found.count == 0 or not await self.alerts.claim_digest(crisis.number, previous, until):
                continue  # nothing new (the next one starts from the same point), or another replica's
            minutes = (until - since).total_seconds() / 60
            try:
                await self.chat_for(crisis).post(crisis.room.id, views.digest(found, minutes))
            except ChatPlatformError as exc:
                await self.timeline.record(crisis.number, EventKind.POST_FAILED, f"Mentions digest not posted: {exc}")

    async def propose(self, alert: Alert, crisis: Crisis) -> Message:
        """What to post in the war room for a viral post on one of its topics; the proposal and the
        post itself go to the timeline."""
        topic = self.plan.monitoring.topics.get(alert.topic)
        target = topic.viral_severity if topic else None
        worse = target if target and severity_rank(target) < severity_rank(crisis.severity_id) else None
        mention = await self.mentions.get(alert.network or "", alert.post_id or "")
        data = Evidence(
            network=alert.network, post_id=alert.post_id, url=mention.url if mention else None,
            author=mention.author_handle if mention else None, reach=mention.reach if mention else None,
            content_hash=mention.content_hash if mention else None, alert=alert.id, to_severity=worse,
        )  # fmt: skip
        said = f"Viral post ({alert.reason})" + (f": escalation to {worse.upper()} proposed" if worse else "")
        await self.timeline.record(
            crisis.number, EventKind.ESCALATION_PROPOSED, said, data=data, key=f"viral-{alert.id}"
        )
        return views.escalation_proposal(crisis, alert, mention, worse)

    async def escalate(self, alert_id: int, crisis_number: int, severity: str, actor: Actor) -> Message:
        crisis = await self.crises.get(crisis_number)
        alert = await self.alerts.get(alert_id)
        if crisis is None or alert is None:
            raise UsageError("That proposal is out of date.", hint="Type /crisis status in the war room.")
        reason = f"A viral post ({alert.reason}), {alert.ref}"
        reply = await self.severity.change_severity(
            SeverityChangeCommand(True, crisis.number, severity, reason), crisis, actor
        )
        await self.alerts.decide(alert_id, AlertStatus.ESCALATED, actor, self.clock.now(), crisis_number=crisis.number)
        return reply
