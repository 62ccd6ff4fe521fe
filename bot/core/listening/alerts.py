"""Noticing: spikes and viral posts become one "Possible crisis" card each, in the monitoring channel.

A scheduler chore (every replica ticks it) computes each topic's rate against its baseline; a
spike raises an alert whose key stays in force until the spike is over, so the insert of only one
replica wins and a spike is alerted once, not once per tick, per mention or per replica. Viral
posts raise theirs as they are stored. Cards are posted by whichever replica claims them, under a
key looked for before posting again. Watch, Dismiss and Declare are one click each: of two people
pressing at once, one wins and the other is told.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.core.commands import MAX_TITLE
from bot.core.context import Context, UseCase
from bot.core.listening import spikes
from bot.core.listening.warroom import WarRoomFeed
from bot.core.messaging import forms
from bot.core.messaging import listening as views
from bot.core.messaging.message import Form, Message
from bot.core.messaging.text import notice
from bot.core.model.alerts import Alert, AlertKind, AlertStatus, NewAlert
from bot.core.model.chat import PostedMessage
from bot.core.model.crisis import Actor, Crisis
from bot.core.model.errors import ChatPlatformError, UsageError
from bot.core.model.events import EventKind, Evidence
from bot.core.model.mentions import Mention
from bot.core.ports import AlertRepository, MentionStore

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)
TOP = 3
EVIDENCE = 5  # posts attached to a crisis declared from a card
JUST_NOW = timedelta(microseconds=1)  # spans are [start, end): a mention seen "now" counts


class Alerts(UseCase):
    def __init__(
        self, ctx: Context, mentions: MentionStore, alerts: AlertRepository, feed: WarRoomFeed, holder: str
    ) -> None:
        super().__init__(ctx)
        self.mentions = mentions
        self.alerts = alerts
        self.feed = feed
        self.holder = holder

    @property
    def channel(self) -> str:
        return self.plan.monitoring.channel

    async def tick(self) -> None:
        """The scheduler's chore: notice spikes, post the cards raised, remind the watchers."""
        await self.notice_spikes()
        await self.post_raised()
        await self.remind_due()
        await self.feed.post_digests()

    async def notice_spikes(self) -> None:
        monitoring, now = self.plan.monitoring, self.clock.now()
        in_force = {a.topic: a for a in await self.alerts.in_force(AlertKind.SPIKE)}
        base_start, window_start = spikes.windows(monitoring, now)
        for topic in monitoring.topics:
            window, baseline = await self.mentions.counts(
                topic, [(window_start, now + JUST_NOW), (base_start, window_start)]
            )
            rate = spikes.rate(monitoring, window, baseline)
            if rate.is_spike(monitoring):
                if topic not in in_force:
                    key = f"spike:{topic}"
                    new = NewAlert(
                        kind=AlertKind.SPIKE, topic=topic, key=key, raised_at=now,
                        window_start=window_start, window_count=window, baseline_count=baseline,
                    )  # fmt: skip
                    if await self.alerts.raise_alert(new):
                        log.info("possible crisis: %s spikes (%d mentions in the window)", topic, window)
            elif topic in in_force and rate.window_count < monitoring.spike.min_mentions / 2:
                await self.alerts.end(in_force[topic].id)  # over: the next spike is a new alert

    async def post_raised(self) -> None:
        for alert in await self.alerts.claim_unposted(self.clock.now(), self.holder, LEASE):
            key = f"alert-{alert.id}"
            crisis = await self.feed.following(alert.topic) if alert.kind is AlertKind.VIRAL else None
            try:
                if crisis is not None and crisis.room is not None:  # during a crisis: to its war room
                    posted = await self.chat_for(crisis).find_posted(crisis.room.id, key)
                    if posted is None:
                        proposal = await self.feed.propose(alert, crisis)
                        posted = await self.chat_for(crisis).post(crisis.room.id, proposal, key=key)
                else:
                    posted = await self.chat.find_posted(self.channel, key)
                    if posted is None:
                        posted = await self.chat.announce(self.channel, await self.card(alert), key=key)
            except ChatPlatformError as exc:
                log.warning("could not post %s in #%s: %s (tried again later)", alert.ref, self.channel, exc)
                continue
            await self.alerts.posted(alert.id, self.holder, _where(posted))

    async def remind_due(self) -> None:
        for alert in await self.alerts.claim_reminders(self.clock.now()):
            try:
                await self.chat.announce(self.channel, await self.card(alert, "Still watching"))
            except ChatPlatformError as exc:
                log.warning("could not remind about %s: %s", alert.ref, exc)

    async def card(self, alert: Alert, heading: str = "Possible crisis") -> Message:
        return views.possible_crisis(self.plan, alert, await self.figures(alert), heading)

    async def figures(self, alert: Alert) -> views.CardFigures:
        monitoring, now = self.plan.monitoring, self.clock.now()
        buckets = spikes.buckets(monitoring, now + JUST_NOW)
        counts = await self.mentions.counts(alert.topic, buckets)
        rate = spikes.rate(monitoring, alert.window_count, alert.baseline_count)
        span = monitoring.spike.window_minutes * 3
        top = await self.posts(alert, TOP)
        return views.CardFigures(rate.per_minute, rate.baseline_per_minute, spikes.sparkline(counts), span, top)

    async def posts(self, alert: Alert, limit: int) -> list[Mention]:
        """The posts an alert is about: the viral one, or a spike's top by reach."""
        if alert.kind is AlertKind.VIRAL:
            found = await self.mentions.get(alert.network or "", alert.post_id or "")
            return [found] if found else []
        return (await self.mentions.digest(alert.window_start, limit, alert.topic)).top

    # -- the buttons ---------------------------------------------------------------------------------

    async def open_alert(self, alert_id: int) -> Alert:
        alert = await self.alerts.get(alert_id)
        if alert is None:
            raise UsageError("That alert is not known here.", hint="Look for a newer card in the monitoring channel.")
        if alert.status in (AlertStatus.DISMISSED, AlertStatus.DECLARED):
            who = alert.decided_by.name if alert.decided_by else "someone"
            raise UsageError(f"{alert.ref} was already {alert.status.value} by {who}.")
        return alert

    async def declare_form(self, alert_id: int) -> Form:
        alert = await self.open_alert(alert_id)
        topic = self.plan.monitoring.topics.get(alert.topic)
        scenario = topic.scenario if topic else "other"
        top = await self.posts(alert, TOP)
        name = topic.name if topic else alert.topic
        details = "\n".join(f"- {m.author_handle or m.network}: {views.quote(m.text)}" for m in top)
        source = next((m.url for m in top if m.url), None)
        title = f"{name}: {alert.window_count} mentions" if alert.kind is AlertKind.SPIKE else name
        return forms.declare(
            self.plan, scenario, topic.severity if topic else None,
            title=title[:MAX_TITLE], details=f"From {alert.ref}.\n{details}"[: forms.MAX_DETAILS],
            source=source, alert=alert.id,
        )  # fmt: skip

    async def watch(self, alert_id: int, actor: Actor) -> Message:
        await self.open_alert(alert_id)
        minutes = self.plan.monitoring.watch_minutes
        at = self.clock.now()
        alert = await self.alerts.decide(
            alert_id, AlertStatus.WATCHING, actor, at, remind_at=at + timedelta(minutes=minutes)
        )
        if alert is None:
            raise UsageError("Someone else acted on that alert just now.")
        return notice(f"{alert.ref}: {actor.name} is watching it; a reminder comes here in {minutes} minutes.")

    async def dismiss(self, alert_id: int, actor: Actor, reason: str) -> Message:
        if not reason.strip():
            raise UsageError("Say why it is not a crisis: the reason is kept with the alert.")
        await self.open_alert(alert_id)
        alert = await self.alerts.decide(
            alert_id, AlertStatus.DISMISSED, actor, self.clock.now(), reason=reason.strip()
        )
        if alert is None:
            raise UsageError("Someone else acted on that alert just now.")
        log.info("%s dismissed by %s: %s", alert.ref, actor.name, reason.strip())
        await self._replace_card(alert, f"{alert.ref} dismissed by {actor.name}: {reason.strip()}")
        return notice(f"{alert.ref} dismissed. The reason is kept with it.")

    async def declared(self, alert_id: int, crisis: Crisis, actor: Actor) -> None:
        """A crisis was declared from the card: the alert points to it, its posts become evidence."""
        alert = await self.alerts.decide(
            alert_id, AlertStatus.DECLARED, actor, self.clock.now(), crisis_number=crisis.number
        )
        if alert is None:
            return  # dismissed meanwhile, or declared twice: the crisis stands on its own
        for mention in await self.posts(alert, EVIDENCE):
            data = Evidence(
                network=mention.network, post_id=mention.post_id, url=mention.url, author=mention.author_handle,
                reach=mention.reach, content_hash=mention.content_hash, alert=alert.id,
            )  # fmt: skip
            text = f"Evidence from {alert.ref}: {mention.author_handle or mention.network}: {views.quote(mention.text)}"
            await self.timeline.record(
                crisis.number,
                EventKind.EVIDENCE,
                text,
                actor,
                data,
                key=f"evidence-{alert.id}-{mention.network}-{mention.post_id}",
            )
        await self._replace_card(alert, f"{alert.ref}: {actor.name} declared {crisis.key}.")

    async def _replace_card(self, alert: Alert, what: str) -> None:
        if not alert.card:
            return
        posted = PostedMessage(channel_id=alert.card["channel"], message_id=alert.card["id"])
        try:
            await self.chat.update(posted, views.decided(alert, what))
        except ChatPlatformError as exc:
            log.warning("could not update the card of %s: %s", alert.ref, exc)


def _where(posted: PostedMessage) -> dict[str, str]:
    return {"channel": posted.channel_id, "id": posted.message_id}
