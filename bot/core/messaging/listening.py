"""What listening says in chat: the "Possible crisis" card, and its answers.

Posts are quoted as plain ``Text`` spans, never as markup: a mention is someone else's words, and
an adapter escapes them, so a post saying ``<!channel>`` pings nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.messaging.message import (
    Actions,
    Block,
    Button,
    Context,
    Fields,
    Header,
    Link,
    Message,
    Paragraph,
    Preformatted,
    Style,
    Text,
    line,
)
from bot.core.messaging.message import Line as SpanLine
from bot.core.model.actions import Action, AlertRef, ProposedEscalation
from bot.core.model.alerts import Alert, AlertKind
from bot.core.model.crisis import Crisis
from bot.core.model.mentions import Mention, MentionDigest
from bot.core.plan.model import Plan

QUOTE = 140


@dataclass(frozen=True)
class CardFigures:
    """What the card shows besides the alert itself, read when it is posted."""

    per_minute: float
    baseline_per_minute: float
    sparkline: str
    span_minutes: int
    top: list[Mention]


def quote(text: str, limit: int = QUOTE) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def post_line(mention: Mention) -> SpanLine:
    who = mention.author_handle or mention.author_name or "someone"
    reach = f" · reach {mention.reach:,}" if mention.reach is not None else ""
    said = "(deleted)" if mention.deleted else f"“{quote(mention.text)}”"
    head = Link(mention.url, who) if mention.url else Text(who)
    return (head, Text(f" on {mention.network}{reach}: {said}"))


def rate_line(alert: Alert, figures: CardFigures, window_minutes: int) -> str:
    now = f"{alert.window_count} mentions in the last {window_minutes} min ({figures.per_minute:.1f}/min)"
    if figures.baseline_per_minute == 0:
        return f"{now}, where it is usually silent"
    ratio = figures.per_minute / figures.baseline_per_minute
    return f"{now}: {ratio:.0f}x its usual {figures.baseline_per_minute:.2f}/min"


def possible_crisis(plan: Plan, alert: Alert, figures: CardFigures, heading: str = "Possible crisis") -> Message:
    monitoring = plan.monitoring
    topic = monitoring.topics.get(alert.topic)
    name = topic.name if topic else alert.topic
    scenario = topic.scenario if topic else "other"
    severity = (topic.severity if topic else None) or plan.scenarios[scenario].default_severity
    if alert.kind is AlertKind.SPIKE:
        what = rate_line(alert, figures, monitoring.spike.window_minutes)
    else:
        what = f"One post matters on its own: {alert.reason or 'a viral post'}."
    blocks: list[Block] = [
        Header(f"{heading}: {name}"),
        Paragraph((line(what),)),
        Preformatted(f"{figures.sparkline}  mentions, last {figures.span_minutes} min"),
    ]
    if figures.top:
        blocks.append(Paragraph((line("Top posts by reach:"), *(post_line(m) for m in figures.top))))
    blocks += [
        Fields(
            (
                ("Suggested scenario", line(plan.scenarios[scenario].name)),
                ("Suggested severity", line(severity.upper())),
            )
        ),
        Actions(
            (
                Button("Declare", Action.ALERT_DECLARE, AlertRef(alert=alert.id), Style.PRIMARY),
                Button(f"Watch ({monitoring.watch_minutes} min)", Action.ALERT_WATCH, AlertRef(alert=alert.id)),
                Button("Dismiss", Action.ALERT_DISMISS, AlertRef(alert=alert.id), Style.DANGER),
            )
        ),
        Context(line(f"{alert.ref} · raised {alert.raised_at:%H:%M} UTC")),
    ]
    return Message(summary=f"{heading}: {name}. {what}", blocks=tuple(blocks))


def decided(alert: Alert, what: str) -> Message:
    """The card once someone acted on it: no live buttons left to press twice."""
    return Message(summary=what, blocks=(Paragraph((line(what),)), Context(line(alert.ref))))


def digest(found: MentionDigest, minutes: float) -> Message:
    """The war room's digest: how many new mentions, how fast, the few that reach the most."""
    per_minute = found.count / max(minutes, 1 / 60)
    head = f"Mentions: {found.count} new in the last {minutes:.0f} min ({per_minute:.1f}/min)"
    lines: list[SpanLine] = [line(head)]
    lines += [post_line(m) for m in found.top]
    return Message(summary=head, blocks=(Paragraph(tuple(lines)),))


def who(mention: Mention) -> str:
    facts = [
        f
        for f in (
            "verified" if mention.verified else "",
            f"{mention.followers:,} followers" if mention.followers else "",
        )
        if f
    ]
    handle = mention.author_handle or mention.author_name or "someone"
    return f"{handle} ({', '.join(facts)})" if facts else handle


def escalation_proposal(crisis: Crisis, alert: Alert, mention: Mention | None, severity: str | None) -> Message:
    """A viral post while the crisis is open; with an Escalate button when the topic's
    ``viral_severity`` is worse than the crisis's."""
    author = who(mention) if mention else "someone"
    if severity is None:
        head = (
            f"A post by {author} mentions us ({alert.reason}); {crisis.key} is already at {crisis.severity_id.upper()}."
        )
        blocks: list[Block] = [Paragraph((line(head),))]
    else:
        head = f"A post by {author} mentions us: escalate to {severity.upper()}?"
        payload = ProposedEscalation(alert=alert.id, crisis=crisis.number, severity=severity)
        blocks = [Paragraph((line(head),))]
    if mention is not None:
        blocks.append(Paragraph((post_line(mention),)))
    if severity is not None:
        blocks.append(
            Actions((Button(f"Escalate to {severity.upper()}", Action.ALERT_ESCALATE, payload, Style.DANGER),))
        )
    blocks.append(Context(line(f"{alert.ref} · {alert.reason}")))
    return Message(summary=head, blocks=tuple(blocks))
