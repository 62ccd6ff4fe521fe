"""Block Kit rendering: escaping, real mentions only from the core, and Slack's size limits."""

from __future__ import annotations

from bot.adapters.slack.blocks import MAX_BLOCKS, MAX_SECTION, BlockRenderer, escape
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
