"""One crisis from declaration to review, through the Slack app, on a clock the test moves.

Declare, acknowledge, note, message shortcut, escalate, draft / edit / approve / publish, status
update, resolve: then the summary's figures are checked exactly and the export against a golden
file (``UPDATE_GOLDEN=1`` rewrites it after a deliberate change).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from bot.core.model.actions import DraftRef
from bot.core.model.clock import ManualClock
from tests.adapters.slack.conftest import SlackRig
from tests.adapters.slack.harness import expect, filled, texts

GOLDEN = Path(__file__).parent / "golden" / "full_crisis.md"
AMELIE, SOFIA, MARCUS, JORDAN = "U01AMELIE0", "U01SOFIA00", "U01MARCUS0", "U01JORDAN0"
FACTS = 'customer_handle=@jane what_went_wrong="a cracked shade" next_update=17:00 fix="a new lamp" agent_name=Sofia'


async def said(rig: SlackRig, url: str) -> str:
    expect(lambda: rig.fake.responses(url))
    return texts(rig.fake.responses(url))


def channel_named(rig: SlackRig, name: str) -> str:
    return str(next(c["id"] for c in rig.fake.channels.values() if c["name"] == name))


def button_values(message: dict[str, Any], action_id: str) -> list[str]:
    return [
        e["value"]
        for b in message.get("blocks", [])
        if b.get("type") == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    ]


async def test_a_whole_crisis_in_slack(rig: SlackRig, clock: ManualClock) -> None:
    _, _, url = await rig.slack.command("start complaint sev3 Cracked shades on launch day", user=AMELIE)
    expect(lambda: "declared." in texts(rig.fake.responses(url)))
    room = next(c for c in rig.fake.channels.values() if c["name"].endswith("cracked-shades-on-launch-day"))
    room_id = room["id"]

    clock.advance(minutes=2)
    page_card = next(
        m for m in rig.fake.messages[room_id] if "Sofia Chen" in json.dumps(m) and "page_ack" in json.dumps(m)
    )
    _, _, ack_url = await rig.slack.click(
        "page_ack", button_values(page_card, "page_ack")[0], user=SOFIA, channel=room_id
    )
    assert "acknowledged" in await said(rig, ack_url)

    clock.advance(minutes=1)
    _, _, note_url = await rig.slack.command("note Carrier confirms a damaged pallet", user=SOFIA, channel=room_id)
    assert "Added to the CRISIS-0001 timeline" in await said(rig, note_url)

    clock.advance(minutes=1)
    message = {
        "type": "message",
        "user": JORDAN,
        "ts": "1700000999.000100",
        "text": "A journalist from Le Parisien DM'd us",
    }
    shortcut_url = await rig.slack.shortcut("add_to_timeline", room_id, message, user=SOFIA)
    assert "Added to the CRISIS-0001 timeline" in await said(rig, shortcut_url)

    clock.advance(minutes=1)
    _, _, esc_url = await rig.slack.command("escalate Press is asking", user=JORDAN, channel=room_id)
    assert "SEV3 → SEV2" in await said(rig, esc_url)

    clock.advance(minutes=3)
    _, _, draft_url = await rig.slack.command(f"draft {FACTS}", user=SOFIA, channel=room_id)
    draft_button = button_values((expect(lambda: rig.fake.responses(draft_url)))[0], "draft_edit")[0]
    draft_id = DraftRef.model_validate_json(draft_button).draft
    await rig.core.cases.drafts.edit(
        draft_id,
        rig.base_actor(SOFIA),
        text="@jane So sorry about the cracked shade, that's on us. DM us? – Sofia",
    )
    clock.advance(minutes=2)
    _, _, submit_url = await rig.slack.click("draft_submit", draft_button, user=SOFIA, channel=room_id)
    assert "for review" in await said(rig, submit_url)
    clock.advance(minutes=2)
    review = next(m for m in rig.fake.messages[room_id] if "draft_approve" in json.dumps(m))
    approve = button_values(review, "draft_approve")[0]
    _, _, approve_url = await rig.slack.click("draft_approve", approve, user=MARCUS, channel=room_id)
    assert "approved" in await said(rig, approve_url)
    clock.advance(minutes=3)
    await rig.core.cases.drafts.publish(draft_id, rig.base_actor(SOFIA), "https://x.example/maisonlumen/status/1")

    clock.advance(minutes=5)
    # at SEV2 stakeholders get a summary with every update: the form opens, with the detail typed
    await rig.slack.command("update Replacements ship today; mentions slowing", user=AMELIE, channel=room_id)
    form = expect(lambda: rig.fake.calls("views.open"))[-1].args["view"]
    assert form["callback_id"] == "crisis_update_form"
    summary_text = "Every affected customer gets a new lamp this week."
    filled_in = filled(form, summary=summary_text)
    await rig.slack.submit_view({**form, "id": "VUPDATE", "state": filled_in}, user=AMELIE)
    stakeholders = expect(lambda: rig.fake.messages.get(channel_named(rig, "crisis-stakeholders")))
    assert summary_text in json.dumps(stakeholders[-1])
    assert "mentions slowing" not in json.dumps(stakeholders), "the internal detail stays in the war room"
    assert any(
        summary_text in json.dumps(m) and "mentions slowing" in json.dumps(m) for m in rig.fake.messages[room_id]
    )

    clock.advance(minutes=25)
    _, _, resolve_url = await rig.slack.command(
        "resolve Every customer has a replacement", user=AMELIE, channel=room_id
    )
    assert "CRISIS-0001 is resolved" in await said(rig, resolve_url)
    summary = expect(
        lambda: next((m for m in rig.fake.messages[room_id] if "CRISIS-0001 resolved" in m.get("text", "")), None)
    )
    text = json.dumps(summary, ensure_ascii=False)
    for figure in (
        "*Took*\\n45m 00s",
        "*Severity*\\nSEV3 → SEV2",
        "War room ready  +0s",
        "First acknowledgement  +2m 00s",
        "First draft  +8m 00s",
        "First reply approved  +12m 00s",
        "First reply published  +15m 00s",
        "Resolved  +45m 00s",
        "09:05 SEV3 → SEV2 by Jordan Ellis: Press is asking",
        "1 draft: 1 published",
    ):
        assert figure in text, f"{figure!r} not in the summary"
    expect(lambda: rig.fake.count("views.open") >= 1)  # the review form, right after resolving

    crisis = await rig.repo.get(1)
    assert crisis is not None
    report = await rig.service.export(crisis, "md")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(report, encoding="utf-8")
    assert report == GOLDEN.read_text(encoding="utf-8")


async def test_app_home_is_published_once_per_event(rig: SlackRig) -> None:
    _, _, url = await rig.slack.command("start troll Bots on the launch post", user=AMELIE)
    expect(lambda: "declared." in texts(rig.fake.responses(url)))
    event = {"type": "app_home_opened", "user": SOFIA, "channel": "D0SOFIA", "tab": "home"}
    assert await rig.slack.event(event, "Ev001") == 200
    expect(lambda: rig.fake.count("views.publish"))
    view = rig.fake.calls("views.publish")[-1].args["view"]
    assert view["type"] == "home"
    assert "CRISIS-0001" in json.dumps(view)
    assert await rig.slack.event(event, "Ev001", retry=1) == 200  # Slack's retry of the same event
    _, _, resolve_url = await rig.slack.command("resolve quiet again", user=AMELIE)
    expect(lambda: rig.fake.responses(resolve_url))
    expect(lambda: rig.fake.count("views.publish") >= 2)
    assert rig.fake.count("views.publish") == 2, "one publish for the event (not its retry), one refresh after resolve"
