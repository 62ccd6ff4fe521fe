"""The post-incident export: Markdown checked against a golden file, and the same content as JSON.

To accept a deliberate change of the report, rewrite the golden file and review its diff:
``UPDATE_GOLDEN=1 python -m pytest tests/core/test_export.py``.
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

import pytest

from bot.core.model.crisis import CrisisStatus
from bot.core.model.events import EventData
from bot.core.reports.export import md_cell, md_lines, md_text, to_json, to_markdown
from tests.core.test_summary import (
    PUBLISHED_URL,
    T0,
    at,
    sample_crisis,
    sample_drafts,
    sample_events,
    sample_plan,
)

GOLDEN = Path(__file__).parent / "golden" / "crisis_export.md"
REVIEW = {
    "went_well": "The room was ready in under a minute.\n# Not a heading\n- not a list either",
    "plan_changes": "   ",  # blank: not answered
}


def test_markdown_matches_the_golden_file() -> None:
    text = to_markdown(sample_plan(), sample_crisis(), sample_events(), sample_drafts(), REVIEW)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.is_file(), f"{GOLDEN} is missing: run with UPDATE_GOLDEN=1 to create it, then review it"
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_markdown_is_deterministic_whatever_the_order_of_events_and_drafts() -> None:
    events, drafts = sample_events(), sample_drafts()
    random.Random(3).shuffle(events)
    drafts.reverse()
    shuffled = to_markdown(sample_plan(), sample_crisis(), events, drafts, REVIEW)
    assert shuffled == to_markdown(sample_plan(), sample_crisis(), sample_events(), sample_drafts(), REVIEW)


def test_markdown_has_every_event_and_the_review_questions() -> None:
    text = to_markdown(sample_plan(), sample_crisis(), sample_events(), sample_drafts(), None)
    timeline = text.split("## Timeline\n")[1].split("## Review")[0]

    assert len([row for row in timeline.splitlines() if row.startswith("| 2026-")]) == len(sample_events())
    assert "| 2026-11-25T09:38:12Z | Sofia Chen | draft published |" in timeline
    review = text.split("## Review\n")[1]
    assert re.findall(r"^### (.*)$", review, re.MULTILINE) == [
        "What went well?",
        "What did not go well?",
        "What should change in the plan?",
    ]
    assert review.count("_not answered yet_") == 3


def _cells(row: str) -> int:
    """Cells in a Markdown table row: the unescaped pipes, less one."""
    return len(re.findall(r"(?<!\\)\|", row)) - 1


def test_hostile_title_does_not_break_the_markdown() -> None:
    crisis = sample_crisis(
        title="| # <!channel> *x*", details="# Big\n| a | b |\n```\n1. one\n---", resolution_summary="=== done"
    )
    text = to_markdown(sample_plan(), crisis, sample_events(), sample_drafts(), {"went_badly": "## nope\n> quote"})
    lines = text.splitlines()

    assert lines[0] == r"# CRISIS-0007: \| \# \<!channel\> \*x\*"
    assert "<!channel>" not in text
    assert "```" not in text
    tables = [ln for ln in lines if ln.startswith("|")]
    assert r"| Status | resolved |" in tables
    for block in re.split(r"\n(?!\|)", text):  # each table keeps one width from header to last row
        rows = [ln for ln in block.splitlines() if ln.startswith("|")]
        assert len({_cells(r) for r in rows}) <= 1, rows
    headings = [ln for ln in lines if ln.startswith("#")]
    assert all(h.startswith(("# CRISIS-0007", "## ", "### ")) for h in headings), headings
    assert not any(ln.startswith(("## nope", "> quote", "1. one", "---", "===")) for ln in lines)
    assert "\\#\\# nope\\" in lines  # a hard break before the next line
    assert r"\=== done" in lines


def test_hostile_text_in_a_table_cell_stays_in_its_cell() -> None:
    row = f"| {md_cell('| # <!channel> *x*')} |"
    assert row == r"| \| \# \<!channel\> \*x\* |"
    assert _cells(row) == 1
    assert md_cell("two\nlines | here") == r"two<br>lines \| here"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# heading", [r"\# heading"]),
        ("- item", [r"\- item"]),
        ("+ item", [r"\+ item"]),
        ("12. item", [r"12\. item"]),
        ("3) item", [r"3\) item"]),
        ("---", [r"\---"]),
        ("> quote", [r"\> quote"]),
        ("    code", ["code"]),
        ("a\nb\n\nc", ["a\\", "b", "", "c"]),
        ("back\\slash\nnext", ["back\\\\slash\\", "next"]),
    ],
)
def test_md_lines_escapes_what_would_open_a_block(text: str, expected: list[str]) -> None:
    assert md_lines(text) == expected


def test_md_text_is_one_line() -> None:
    assert md_text("a\n  b_c [d](e) `f` ~g~") == r"a b\_c \[d\](e) \`f\` \~g\~"


def test_json_has_the_same_content_as_plain_data() -> None:
    data = to_json(sample_plan(), sample_crisis(), sample_events(), sample_drafts(), REVIEW)

    assert json.loads(json.dumps(data)) == data
    assert list(data) == [
        "key",
        "number",
        "title",
        "status",
        "scenario",
        "severity",
        "severity_path",
        "lead",
        "room",
        "declared_by",
        "declared_at",
        "resolved_by",
        "resolved_at",
        "took_seconds",
        "details",
        "source_url",
        "resolution_summary",
        "key_times",
        "escalations",
        "roles",
        "also_took_part",
        "drafts_by_status",
        "drafts",
        "timeline",
        "review",
        "mentions",  # null: this crisis follows no listening topic
    ]
    assert data["mentions"] is None
    assert data["key"] == "CRISIS-0007"
    assert data["scenario"] == {"id": "complaint", "name": "Customer complaint"}
    assert data["severity_path"] == ["sev3", "sev2"]
    assert data["lead"] == {"person_id": "amelie", "name": "Amélie Laurent"}
    assert data["declared_at"] == "2026-11-25T09:00:00Z"
    assert data["took_seconds"] == 7500
    assert data["key_times"] == {
        "war_room_ready": {"at": "2026-11-25T09:00:45Z", "seconds": 45},
        "first_ack": {"at": "2026-11-25T09:02:10Z", "seconds": 130},
        "first_draft": {"at": "2026-11-25T09:05:00Z", "seconds": 300},
        "first_approved": {"at": "2026-11-25T09:12:00Z", "seconds": 720},
        "first_published": {"at": "2026-11-25T09:38:12Z", "seconds": 2292},
        "resolved": {"at": "2026-11-25T11:05:00Z", "seconds": 7500},
    }
    assert data["escalations"] == [
        {
            "at": "2026-11-25T09:20:00Z",
            "kind": "escalated",
            "from": "sev3",
            "to": "sev2",
            "by": "Amélie Laurent",
            "reason": "A journalist asked for comment",
        }
    ]
    assert data["roles"][2] == {"role": "Press & PR", "people": [{"person_id": "nadia", "name": "Nadia Haddad"}]}
    assert data["also_took_part"] == [{"name": "Jordan Ellis", "person_id": "jordan"}]
    assert data["drafts_by_status"] == {"draft": 1, "in_review": 1, "approved": 1, "published": 1}
    assert [d["id"] for d in data["drafts"]] == [1, 2, 3, 4]
    published = data["drafts"][0]
    assert published["published_url"] == PUBLISHED_URL
    assert published["approved_by"] is None
    assert published["approved_at"] == "2026-11-25T09:12:00Z"
    assert len(data["timeline"]) == len(sample_events())
    assert data["timeline"][2] == {
        "at": "2026-11-25T09:00:30Z",
        "kind": "invited",
        "who": "crisisbot",
        "text": "Invited Amélie Laurent, Théo Marchand",
        "data": {"failed": {}, "invited": ["amelie", "theo"]},
    }
    assert [(r["key"], r["answer"]) for r in data["review"]] == [
        ("went_well", REVIEW["went_well"]),
        ("went_badly", None),
        ("plan_changes", None),
    ]


def test_json_of_an_open_crisis_and_extra_review_answers() -> None:
    crisis = sample_crisis(status=CrisisStatus.ACTIVE, resolved_at=None, resolved_by=None, lead_person_id=None)
    data = to_json(sample_plan(), crisis, [], [], {"zzz_extra": "kept", "went_badly": "slow approvals"})

    assert data["resolved_at"] is None
    assert data["took_seconds"] is None
    assert data["lead"] is None
    assert data["key_times"]["war_room_ready"] == {"at": None, "seconds": None}
    assert data["timeline"] == []
    assert data["review"][-1] == {"key": "zzz_extra", "question": "zzz extra", "answer": "kept"}
    assert data["review"][1]["answer"] == "slow approvals"


def test_event_data_becomes_plain_json() -> None:
    events = sample_events()[:1]
    data_in = EventData.model_validate({"b": (1, 2), "a": at(5), "c": {"z": 1, "y": T0}})
    events[0] = events[0].model_copy(update={"data": data_in})
    data = to_json(sample_plan(), sample_crisis(), events, [], None)

    assert data["timeline"][0]["data"] == {
        "a": "2026-11-25T09:00:05Z",
        "b": [1, 2],
        "c": {"y": "2026-11-25T09:00:00Z", "z": 1},
    }
    assert list(data["timeline"][0]["data"]) == ["a", "b", "c"]
