"""Block Kit rendering: escaping, real mentions only from the core, and Slack's size limits."""

from __future__ import annotations

import re
from typing import Any

from bot.adapters.console.workspace import ConsoleWorkspace
from bot.adapters.slack.blocks import MAX_BLOCKS, MAX_SECTION, BlockRenderer, escape
from bot.container import Core
from bot.core.commands import StartCommand
from bot.core.messaging.message import (
    Block,
    Checklist,
    ChecklistItem,
    Header,
    Mention,
    Message,
    Paragraph,
    Strong,
    Text,
    line,
)
from bot.core.model.crisis import Actor, Invocation
from bot.core.plan.model import LoadedPlan
from tests.conftest import person


def test_escape_is_slacks_three_characters() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_mentions_become_pings_only_for_known_people() -> None:
    renderer = BlockRenderer({"amelie": "U01AMELIE0"})
    text = renderer.spans(line(Mention("amelie", "Amélie"), " and ", Mention("claire", "Claire <x>")))
    assert text == "<@U01AMELIE0> and *Claire &lt;x&gt;*"
    assert renderer.spans((Strong("<!here>"),)) == "*&lt;!here&gt;*"


def test_long_paragraphs_are_split_into_valid_sections() -> None:
    long_lines = tuple(line("word " * 60) for _ in range(200))
    blocks = BlockRenderer().blocks(Message("long", (Paragraph(long_lines),)))
    assert len(blocks) > 1
    for block in blocks:
        as_dict = block.to_dict()  # slack_sdk validates lengths here
        assert len(as_dict["text"]["text"]) <= MAX_SECTION


def test_a_single_giant_line_is_split_without_breaking_an_escape() -> None:
    text = ("a<b " * 2000).strip()
    blocks = BlockRenderer().blocks(Message("giant", (Paragraph((line(Text(text)),)),)))
    pieces = [b.to_dict()["text"]["text"] for b in blocks]
    assert all(len(p) <= MAX_SECTION for p in pieces)
    assert "".join(pieces).replace(" ", "") == escape(text).replace(" ", "")
    assert all(not p.endswith("&lt") and not p.endswith("&") for p in pieces)


def test_more_than_50_blocks_become_several_messages() -> None:
    items = tuple(ChecklistItem(f"step {i}") for i in range(3))
    blocks: tuple[Block, ...] = (*(Header(f"h{i}") for i in range(120)), Checklist("c", items))
    chunks = BlockRenderer().messages(Message("many", blocks))
    assert [len(c) for c in chunks] == [MAX_BLOCKS, MAX_BLOCKS, 21]


def test_header_is_cut_to_slacks_limit() -> None:
    [header] = BlockRenderer().blocks(Message("h", (Header("x" * 400),)))
    assert len(header.to_dict()["text"]["text"]) == 150


EMPHASIS = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


def emphasis_problems(text: str) -> list[str]:
    """Bold spans Slack would not render: mrkdwn opens and closes one only next to a letter."""
    return [m.group(0) for m in EMPHASIS.finditer(text) if m.group(1) != m.group(1).strip()]


def mrkdwn_texts(obj: Any) -> list[str]:
    if isinstance(obj, dict):
        own = [obj["text"]] if obj.get("type") == "mrkdwn" and isinstance(obj.get("text"), str) else []
        return own + [t for v in obj.values() for t in mrkdwn_texts(v)]
    if isinstance(obj, list):
        return [t for v in obj for t in mrkdwn_texts(v)]
    return []


async def test_no_message_the_bot_can_send_has_bold_slack_would_not_render(
    core: Core, ws: ConsoleWorkspace, loaded_plan: LoadedPlan
) -> None:
    """Every kind of message of a whole crisis, rendered as Block Kit and read as Slack would."""
    amelie, sofia, nadia = (person(loaded_plan, p) for p in ("amelie", "sofia", "nadia"))
    replies: list[Message] = []
    crisis = await core.service.start(StartCommand("complaint", "sev3", "Cracked shades"), amelie)

    async def say(who: Actor, text: str) -> Message:
        reply = await core.service.handle(Invocation(actor=who, text=text, channel_id=crisis.room_name))
        replies.append(reply)
        return reply

    for text in ("status", "list all", "help", "ack", "note The carrier called", "update Refunds today", "bogus"):
        await say(amelie, text)
    await say(sofia, "escalate sev1 National press")
    card = await say(sofia, 'draft customer_handle=@jane what_went_wrong="a crack" next_update=17:00 fix="a lamp"')
    drafts = core.cases.drafts
    await drafts.edit(1, sofia, text="@jane So sorry about the crack. A new lamp ships today. – Sofia")
    replies += [card, await drafts.submit(1, sofia), await drafts.decide(1, nadia, approve=True)]
    replies.append(await drafts.publish(1, nadia, "https://x.example/1"))
    await say(amelie, "export")
    await say(amelie, "resolve All replaced")
    sent = [p.message for channel in ws.channels.values() for p in channel.posts]
    sent += [p.message for posts in ws.direct.values() for p in posts]
    renderer = BlockRenderer({"amelie": "U01AMELIE0"})
    problems = {
        message.summary: bad
        for message in [*sent, *replies]
        if (
            bad := [
                p for t in mrkdwn_texts([b.to_dict() for b in renderer.blocks(message)]) for p in emphasis_problems(t)
            ]
        )
    }
    assert len(sent) + len(replies) > 30, "a whole crisis's worth of messages"
    assert problems == {}


def test_the_checker_catches_what_slack_would_show_as_asterisks() -> None:
    assert emphasis_problems("*Paging *<@U1> and *fine* text") == ["*Paging *"]
    assert emphasis_problems("*Review needed from Crisis lead:* <@U1>") == []
