"""`/crisis export` in Slack: a report Slack can show (no raw Markdown), then the Markdown and JSON
as files in the war room thread, or the Markdown as text when the app may not upload files."""

from __future__ import annotations

import json
from typing import Any

from tests.adapters.slack.conftest import SlackRig
from tests.adapters.slack.harness import expect, texts
from tests.fakes.slack_files import uploaded_text

AMELIE, SOFIA = "U01AMELIE0", "U01SOFIA00"
NOTE = "Replacement batch | <!channel> # not a heading **nor bold**"


async def resolved_room(rig: SlackRig) -> dict[str, Any]:
    _, _, url = await rig.slack.command("start complaint sev3 Cracked shades export", user=AMELIE)
    expect(lambda: "declared." in texts(rig.fake.responses(url)))
    room = next(c for c in rig.fake.channels.values() if c["name"].endswith("cracked-shades-export"))
    for command in (f"note {NOTE}", "resolve Every customer has a new lamp"):
        _, _, said = await rig.slack.command(command, user=AMELIE, channel=room["id"])
        await rig.handlers.drain()
        assert rig.fake.responses(said), command
    return room


async def exported(rig: SlackRig, room: dict[str, Any]) -> list[dict[str, Any]]:
    """The thread messages the export added, in order."""
    before = len(rig.fake.messages[room["id"]])
    _, _, url = await rig.slack.command("export", user=AMELIE, channel=room["id"])
    expect(lambda: "report is in the war room thread" in texts(rig.fake.responses(url)))
    return rig.fake.messages[room["id"]][before:]


def mrkdwn(value: Any) -> list[str]:
    if isinstance(value, dict):
        own = [value["text"]] if value.get("type") == "mrkdwn" else []
        return own + [t for v in value.values() for t in mrkdwn(v)]
    if isinstance(value, list):
        return [t for v in value for t in mrkdwn(v)]
    return []


def preformatted(message: dict[str, Any]) -> str:
    return "\n".join(
        el["text"]
        for block in message.get("blocks", [])
        if block["type"] == "rich_text"
        for part in block["elements"]
        if part["type"] == "rich_text_preformatted"
        for el in part["elements"]
    )


async def test_the_report_is_slack_native_and_the_files_are_attached(rig: SlackRig) -> None:
    room = await resolved_room(rig)
    report, files = await exported(rig, room)
    kickoff = rig.fake.messages[room["id"]][0]["ts"]
    assert report["thread_ts"] == kickoff
    assert files["thread_ts"] == kickoff

    kinds = [b["type"] for b in report["blocks"]]
    assert kinds[0] == "header"
    assert "rich_text" in kinds, "the timeline is a fixed-width table"
    assert any(b["type"] == "section" and b.get("fields") for b in report["blocks"])
    for text in mrkdwn(report["blocks"]):
        assert not text.lstrip().startswith("#"), f"a Markdown heading Slack shows raw: {text!r}"
        assert "**" not in text.replace("\\*\\*", "")
        assert "|---|" not in text
        assert "<!channel>" not in text, "user text is escaped in mrkdwn"
    table = preformatted(report)
    assert NOTE in table, "rich text shows user text exactly, and Slack never obeys it there"
    assert "note" in table

    crisis = await rig.repo.get(1)
    assert crisis is not None
    assert [f["name"] for f in files["files"]] == ["CRISIS-0001.md", "CRISIS-0001.json"]
    assert uploaded_text(rig.fake, "CRISIS-0001.md") == await rig.service.export(crisis, "md")
    as_json = json.loads(uploaded_text(rig.fake, "CRISIS-0001.json"))
    assert as_json["resolution_summary"] == "Every customer has a new lamp"


async def test_without_files_write_the_markdown_comes_as_text(rig: SlackRig) -> None:
    room = await resolved_room(rig)
    rig.fake.scopes.discard("files:write")  # an install from before the scope was added
    report, fallback = await exported(rig, room)
    assert report["blocks"][0]["type"] == "header"
    assert rig.fake.files == {}
    crisis = await rig.repo.get(1)
    assert crisis is not None
    markdown = await rig.service.export(crisis, "md")
    assert preformatted(fallback) == markdown.rstrip("\n")
    note = " ".join(mrkdwn(fallback["blocks"]))
    assert "missing_scope" in note
    assert "reinstall" in note
    assert "crisisbot export CRISIS-0001 --output" in note
