"""What a drill shows: injects marked SIMULATED, its start and controls, and the scorecard."""

from __future__ import annotations

from datetime import timedelta

from bot.core.drills.scorecard import HEADLINE, Score, Scorecard
from bot.core.messaging.message import Block, Context, Divider, Fields, Header, Line, Message, Paragraph, Strong, line
from bot.core.messaging.text import duration
from bot.core.model.crisis import Actor, Crisis
from bot.core.model.drill import DrillInfo
from bot.core.model.injects import InjectStatus
from bot.core.plan.drills import Inject, InjectKind

KIND_LABEL = {
    InjectKind.POST: "SIMULATED POST",
    InjectKind.DM: "SIMULATED DIRECT MESSAGE",
    InjectKind.MESSAGE: "SIMULATED MESSAGE",
    InjectKind.METRIC: "SIMULATED LISTENING ALERT",
}


def _quote(text: str) -> Paragraph:
    return Paragraph(tuple(line(f"> {row}" if row else ">") for row in text.splitlines() or [""]))


def inject_card(inject: Inject, minute: float) -> Message:
    """Looks like what it stands for, and cannot be taken for the real thing."""
    head: list[Line] = []
    match inject.kind:
        case InjectKind.POST | InjectKind.DM:
            author = inject.author
            assert author is not None, "validated with the script"
            where = f" on {inject.network}" if inject.network else ""
            badge = " ✓ verified" if author.verified else ""
            name = f" ({author.name})" if author.name else ""
            head.append(line(Strong(f"{KIND_LABEL[inject.kind]}{where}")))
            head.append(line(f"{author.handle}{name}{badge} · {author.followers:,} followers"))
        case InjectKind.MESSAGE:
            head.append(line(Strong(KIND_LABEL[inject.kind]), f" from {inject.sender}"))
        case InjectKind.METRIC:
            head.append(line(Strong(KIND_LABEL[inject.kind])))
    blocks: list[Block] = [Paragraph(tuple(head)), _quote(inject.text)]
    reach = f"Reach so far: {inject.reach:,} views · " if inject.reach else ""
    blocks.append(Context(line(f"{reach}drill minute {minute:g} · made up for the drill, not real")))
    summary = f"{KIND_LABEL[inject.kind]}: {inject.text[:100]}"
    return Message(summary=summary, blocks=tuple(blocks))


def inject_text(inject: Inject) -> str:
    """The inject as the timeline records it: who, where, what."""
    match inject.kind:
        case InjectKind.POST | InjectKind.DM:
            assert inject.author is not None
            where = f" on {inject.network}" if inject.network else ""
            return f"{inject.kind.value.upper()} by {inject.author.handle}{where}: {inject.text}"
        case InjectKind.MESSAGE:
            return f"Message from {inject.sender}: {inject.text}"
    return f"Metric: {inject.text}"


def live_inject(text: str, actor: Actor) -> Message:
    return Message(
        summary=f"SIMULATED (facilitator): {text[:100]}",
        blocks=(
            Paragraph((line(Strong("SIMULATED"), f" · from the facilitator, {actor.name}"),)),
            _quote(text),
        ),
    )


def started(crisis: Crisis, info: DrillInfo, injects: int) -> Message:
    real = duration(info.real(info.duration_minutes))
    speed = f" at {info.speed:g}x speed" if info.speed != 1 else ""
    text = (
        f"Drill {crisis.key} started: {info.title}. {injects} scripted inject(s) over "
        f"{info.duration_minutes:g} drill minutes{speed} ({real} of real time). "
        "Use the ordinary commands; /crisis drill pause, resume or end to steer it."
    )
    return Message(summary=text, blocks=(Paragraph((line(text),)),))


def control(text: str) -> Message:
    return Message(summary=text, blocks=(Paragraph((line(text),)),))


NOT_PLAYED = {
    InjectStatus.SKIPPED: "not played (the team's actions made it moot)",
    InjectStatus.CANCELLED: "not played (the drill ended first)",
    InjectStatus.PENDING: "not played yet",
}


def _verdict(score: Score) -> str:
    took = duration(score.took) if score.took is not None else "not reached"
    if score.target is None:
        return took
    mark = "✓ met" if score.met else "✗ missed"
    return f"{took} (target {score.target:g} min) {mark}"


def scorecard_message(card: Scorecard) -> Message:
    headline = next(s for s in card.scores if s.key == HEADLINE)
    blocks: list[Block] = [
        Header(f"Drill scorecard · {card.key}"),
        Paragraph((line(Strong(card.title), f" · {card.met}/{card.scored} targets met"),)),
        Paragraph((line(Strong("Holding statement: "), _verdict(headline)),)),
        Fields(tuple((s.label, line(_verdict(s))) for s in card.scores if s.key != HEADLINE)),
        Divider(),
    ]
    rows: list[Line] = [line(Strong("Injects"))]
    for inject in card.injects:
        when = f"min {inject.at:g} · " if inject.at is not None else ("live · " if inject.position is None else "")
        if inject.status is not InjectStatus.FIRED:
            why = NOT_PLAYED.get(inject.status, inject.status.value)
            rows.append(line(f"{when}{why}: {inject.text[:200]}"))
            continue
        answered = (
            f"answered by {inject.answered_by.who} ({inject.answered_by.action.value}) "
            f"after {duration(inject.answered_after or timedelta(0))}"
            if inject.answered_by
            else "no response"
        )
        rows.append(line(f"{when}{inject.text[:200]} → {answered}"))
    if len(rows) == 1:
        rows.append(line("No inject was played."))
    blocks.append(Paragraph(tuple(rows)))
    speed = f", run at {card.speed:g}x" if card.speed != 1 else ""
    blocks.append(
        Context(line(f"Drill time {duration(card.duration)}{speed}. Next: the review questions, /crisis review."))
    )
    return Message(
        summary=f"Drill scorecard for {card.key}: {card.met}/{card.scored} targets met", blocks=tuple(blocks)
    )
