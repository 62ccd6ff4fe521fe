"""Messages about drafts: the card a writer works from, and what reviewers see in the thread.

The draft text is shown as a quote with its character count against the target network's limit,
so the person adapting it sees at once whether it still fits on X.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.drafts.frameworks import LintFinding, Network
from bot.core.messaging.message import (
    Actions,
    Block,
    Button,
    Context,
    Header,
    Mention,
    Message,
    Paragraph,
    Strong,
    Style,
    line,
)
from bot.core.messaging.text import mention, notice
from bot.core.model.actions import Action, DraftRef, DraftReview, DraftStage
from bot.core.model.crisis import Actor
from bot.core.model.drafts import Draft
from bot.core.plan.model import Plan


def _label(draft: Draft) -> str:
    return f"Draft #{draft.id} · {draft.scenario.replace('_', ' ')} · {draft.stage} ({draft.lang.upper()})"


def _quote(text: str) -> Paragraph:
    return Paragraph(tuple(line(f"> {row}" if row else ">") for row in text.splitlines() or [""]))


def _count(draft: Draft, network: Network) -> Context:
    size = network.length(draft.text)
    limit = f"/{network.limit}" if network.limit else ""
    over = " — too long" if network.limit and size > network.limit else ""
    return Context(line(f"{size}{limit} characters for {network.name}{over}"))


def card(
    draft: Draft,
    points: Sequence[str],
    network: Network,
    findings: Sequence[LintFinding],
    approver: str | None,
    next_stage: str,
    note: str = "",
) -> Message:
    """The writer's card: talking points, the draft, its size, what to fix, and what to do next."""
    blocks: list[Block] = [
        Header(_label(draft)),
        Paragraph((line(Strong("Talking points")), *(line(f"• {p}") for p in points))),
        _quote(draft.text),
        _count(draft, network),
    ]
    if note:
        blocks.append(Paragraph((line(Strong(note)),)))
    if findings:
        blocks.append(Paragraph((line(Strong("Before it goes out")), *(line(f"⚠ {f.message}") for f in findings))))
    if not draft.edited:
        blocks.append(Context(line("A starting point, not a reply: edit it for this person before submitting.")))
    submit = f"Submit to {approver}" if approver else "Mark ready"
    ref = DraftRef(draft=draft.id)
    blocks.append(
        Actions(
            (
                Button("Edit", Action.DRAFT_EDIT, ref),
                Button(submit, Action.DRAFT_SUBMIT, ref, Style.PRIMARY),
                Button(f"Draft '{next_stage}'", Action.DRAFT_STAGE, DraftStage(draft=draft.id, stage=next_stage)),
            )
        )
    )
    return Message(summary=f"{_label(draft)}: {draft.text[:80]}", blocks=tuple(blocks))


def review_request(plan: Plan, draft: Draft, role: str, reviewers: Sequence[str], text_hash: str) -> Message:
    """The buttons carry a hash of the text shown, so an old message cannot approve newer text.
    It names (and so notifies) the people who may approve: never the author, who may not."""
    seen = DraftReview(draft=draft.id, seen=text_hash[:12])
    author = draft.author.person_id
    mentions = tuple(mention(plan, pid) for pid in reviewers if pid in plan.people and pid != author)
    asked: list[Mention | str] = []
    for i, person in enumerate(mentions):
        asked.extend([", " if i else "", person])
    return Message(
        summary=f"Draft #{draft.id} needs a review from {role}",
        blocks=(
            Paragraph((line(Strong(f"Review needed from {role}: "), *asked),)),
            Context(line(f"{_label(draft)} · by {draft.author.name}")),
            _quote(draft.text),
            Actions(
                (
                    Button("Approve", Action.DRAFT_APPROVE, seen, Style.PRIMARY),
                    Button("Request changes", Action.DRAFT_CHANGES, seen, Style.DANGER),
                )
            ),
        ),
        mentions=mentions,
    )


def reviewed(draft: Draft, shown: str, outcome: str) -> Message:
    """The review request once answered or outdated: the text it showed, the outcome, no button,
    so nobody approves from a stale message."""
    return Message(
        summary=f"Draft #{draft.id}: {outcome}",
        blocks=(
            Paragraph((line(Strong(f"Review of draft #{draft.id}: "), outcome),)),
            Context(line(f"{_label(draft)} · by {draft.author.name}")),
            _quote(shown),
        ),
    )


def submitted(draft: Draft, role: str) -> Message:
    return notice(f"Draft #{draft.id} is with {role} for review; you will see their answer in the war room thread.")


def ready(draft: Draft, why: str) -> Message:
    """The approved wording, ready to copy; a person posts it and marks it published."""
    return Message(
        summary=f"Draft #{draft.id} is ready to post",
        blocks=(
            Paragraph((line(Strong(f"Draft #{draft.id} is ready to post. "), why),)),
            _quote(draft.text),
            Context(line("Copy it, post it yourself on the network, then mark it published (add the link).")),
            Actions((Button("Mark as published", Action.DRAFT_PUBLISH, DraftRef(draft=draft.id), Style.PRIMARY),)),
        ),
    )


def changes(draft: Draft, reviewer: Actor, note: str) -> Message:
    said = f": {note}" if note else ""
    return notice(f"{reviewer.name} asked for changes to draft #{draft.id}{said}. Edit it and submit again.")


def published(draft: Draft) -> Message:
    who = draft.published_by.name if draft.published_by else "someone"
    where = [" · ", draft.published_url] if draft.published_url else []
    return Message(
        summary=f"Draft #{draft.id} published",
        blocks=(Paragraph((line(Strong(f"Draft #{draft.id} published by {who}"), *where),)),),
    )
