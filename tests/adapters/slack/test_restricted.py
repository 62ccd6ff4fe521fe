"""A restricted crisis through the Slack app: a private channel named without the title, an
announcement with no details, out of sight for outsiders, contact details out of a member's export."""

from __future__ import annotations

import json

from tests.adapters.slack.conftest import SlackRig
from tests.adapters.slack.harness import ANNOUNCE, expect, texts
from tests.fakes.slack_files import uploaded_text

AMELIE, PRIYA, NADIA, DANIEL = "U01AMELIE0", "U01PRIYA00", "U01NADIA00", "U01DANIEL0"
TITLE = "Ex-employee posts the salary grid"


async def answer(rig: SlackRig, text: str, user: str, channel: str | None = None) -> str:
    _, _, url = await (
        rig.slack.command(text, user=user, channel=channel) if channel else rig.slack.command(text, user=user)
    )
    return texts(expect(lambda: rig.fake.responses(url)))


async def test_a_restricted_crisis_in_slack(rig: SlackRig) -> None:
    _, _, url = await rig.slack.command(f"start employee sev3 {TITLE}", user=AMELIE)
    expect(lambda: "declared." in texts(rig.fake.responses(url)))
    [room] = [c for c in rig.fake.channels.values() if "restricted" in c["name"]]
    assert room["is_private"]
    assert "salary" not in room["name"]

    announce = next(c["id"] for c in rig.fake.channels.values() if c["name"] == ANNOUNCE)
    [announced] = rig.fake.messages[announce]
    assert "A restricted crisis was opened: CRISIS-0001" in json.dumps(announced)
    assert "salary" not in json.dumps(announced).lower()

    assert "CRISIS-0001" not in await answer(rig, "list all", NADIA), "press is not one of its people"
    assert "Only the people of CRISIS-0001" in await answer(rig, "status CRISIS-0001", NADIA)
    assert "CRISIS-0001" in await answer(rig, "list all", DANIEL), "legal may see HR's crises"

    note = "Call him on +33 6 12 34 56 78 or write to john.doe@example.com"
    assert "Added to the CRISIS-0001 timeline" in await answer(rig, f"note {note}", PRIYA, room["id"])
    assert "report is in the war room thread" in await answer(rig, "export", PRIYA, room["id"])
    report = uploaded_text(rig.fake, "CRISIS-0001.md")
    assert "john.doe@example.com" not in report
    assert "e-mail removed" in report  # Markdown escapes its brackets
    assert "phone removed" in report
    assert "+33 6 12" not in uploaded_text(rig.fake, "CRISIS-0001.json")
