"""One crisis from declaration to review through the Teams app, on a clock the test moves: the
same steps as Slack's full-crisis test, and the same export (Slack's golden file), so the same
crisis gives the same timeline on both platforms. Every card sent is checked against the rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.core.model.actions import DraftRef
from bot.core.model.clock import ManualClock
from bot.core.model.crisis import Actor
from tests.adapters.teams.cards_rules import check_activity
from tests.adapters.teams.conftest import TeamsRig
from tests.adapters.teams.harness import entra_id
from tests.fakes.microsoft_state import Sent

GOLDEN = Path(__file__).parents[1] / "slack" / "golden" / "full_crisis.md"
FACTS = 'customer_handle=@jane what_went_wrong="a cracked shade" next_update=17:00 fix="a new lamp" agent_name=Sofia'


def same_instant_sorted(report: str) -> str:
    """The report with the timeline rows of one instant in a fixed order. Steps of a declaration
    run side by side (the invitations beside the announcement), and here each waits on a fake
    Microsoft in another thread, so which one is recorded first varies from run to run."""
    lines = report.splitlines(keepends=True)
    out: list[str] = []
    group: list[str] = []

    def instant(line: str) -> str | None:
        cells = line.split("|")
        return cells[1].strip() if line.startswith("| 20") and len(cells) > 2 else None

    for line in [*lines, ""]:
        if group and instant(line) != instant(group[0]):
            out.extend(sorted(group))
            group = []
        if instant(line) is not None:
            group.append(line)
        else:
            out.append(line)
    return "".join(out)


def buttons(sent: Sent, verb: str) -> list[dict[str, Any]]:
    return [
        action["data"]
        for attachment in sent.activity.get("attachments") or []
        for element in attachment["content"]["body"]
        for action in element.get("actions", [])
        if action["verb"] == verb
    ]


def last_with(rig: TeamsRig, verb: str, conversation: str, text: str = "") -> Sent:
    return next(
        s
        for s in reversed(rig.ms.state.sent)
        if s.conversation.startswith(conversation) and buttons(s, verb) and text in json.dumps(s.activity)
    )


async def test_a_whole_crisis_in_teams(rig: TeamsRig, clock: ManualClock) -> None:
    rig.ms.state.create_channel("crisis-stakeholders", private=False, owners=[])
    await rig.teams.say("crisis start complaint sev3 Cracked shades on launch day", by="amelie")
    [crisis] = await rig.core.service.crises()
    assert crisis.room is not None
    room = crisis.room.id

    clock.advance(minutes=2)
    page = last_with(rig, "page_ack", room, "Sofia Chen")
    status, answer = await rig.teams.press(
        buttons(page, "page_ack")[0], by="sofia", reply_to=page.id, conversation=room
    )
    assert status == 200
    assert "acknowledged" in answer["value"]
    updated = [s for s in rig.ms.state.sent if s.updated and s.id == page.id]
    assert updated, "the page card is updated once acknowledged"
    assert not buttons(updated[-1], "page_ack")
    assert "Sofia Chen" in json.dumps(updated[-1].activity, ensure_ascii=False)

    clock.advance(minutes=1)
    await rig.teams.say("crisis note Carrier confirms a damaged pallet", by="sofia", conversation=room)

    clock.advance(minutes=1)
    message = {
        "id": "1700000999",
        "body": {"contentType": "html", "content": "<p>A journalist from Le Parisien DM&#39;d us</p>"},
        "from": {"user": {"id": "29:jordan", "displayName": "Jordan Ellis", "aadObjectId": entra_id("jordan")}},
    }
    value = {"commandId": "addToTimeline", "commandContext": "message", "messagePayload": message, "data": {}}
    activity = rig.teams.activity("invoke", by="sofia", conversation=room, name="composeExtension/submitAction")
    status, answer = await rig.teams.post(activity | {"value": value})
    assert status == 200
    assert "Added to the CRISIS-0001 timeline" in answer["composeExtension"]["text"]

    clock.advance(minutes=1)
    await rig.teams.say("crisis escalate Press is asking", by="jordan", conversation=room)

    clock.advance(minutes=3)
    await rig.teams.say(f"crisis draft {FACTS}", by="sofia", conversation=room)
    draft_card = last_with(rig, "draft_edit", room)
    draft_id = DraftRef.model_validate_json(buttons(draft_card, "draft_edit")[0]["value"]).draft
    sofia = rig.teams.plan.people["sofia"]
    await rig.core.cases.drafts.edit(
        draft_id,
        Actor(platform_id=sofia.teams_id or "", name=sofia.name, person_id="sofia"),
        text="@jane So sorry about the cracked shade, that's on us. DM us? – Sofia",
    )
    clock.advance(minutes=2)
    submit = buttons(draft_card, "draft_submit")[0]
    _, answer = await rig.teams.press(submit, by="sofia", reply_to=draft_card.id, conversation=room)
    assert "for review" in json.dumps(answer)
    clock.advance(minutes=2)
    review = last_with(rig, "draft_approve", room)
    _, answer = await rig.teams.press(
        buttons(review, "draft_approve")[0], by="marcus", reply_to=review.id, conversation=room
    )
    assert "approved" in json.dumps(answer)
    approved = [s for s in rig.ms.state.sent if s.updated and s.id == review.id]
    assert approved, "the review request is updated once approved"
    assert "Marcus Reid" in json.dumps(approved[-1].activity, ensure_ascii=False)
    assert not buttons(approved[-1], "draft_approve")
    clock.advance(minutes=3)
    await rig.core.cases.drafts.publish(
        draft_id,
        Actor(platform_id=sofia.teams_id or "", name=sofia.name, person_id="sofia"),
        "https://x.example/maisonlumen/status/1",
    )

    clock.advance(minutes=5)
    await rig.teams.say("crisis update Replacements ship today; mentions slowing", by="amelie", conversation=room)
    form = last_with(rig, "crisisbot.form", room)
    data = buttons(form, "crisisbot.form")[0]
    summary = "Every affected customer gets a new lamp this week."
    inputs = {
        e["id"]: e.get("value", "")
        for a in form.activity["attachments"]
        for e in a["content"]["body"]
        if e["type"].startswith("Input.")
    }
    filled = data | inputs | {"f:summary": summary}
    status, answer = await rig.teams.press(filled, by="amelie", reply_to=form.id, conversation=room)
    assert status == 200
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"  # the form is replaced
    stakeholders = next(c.id for c in rig.ms.state.channels.values() if c.name == "crisis-stakeholders")
    assert summary in json.dumps(rig.ms.state.sent_to(stakeholders)[-1].activity)

    clock.advance(minutes=25)
    await rig.teams.say("crisis resolve Every customer has a replacement", by="amelie", conversation=room)
    assert any("CRISIS-0001 resolved" in s.activity.get("summary", "") for s in rig.ms.state.sent_to(room))

    for sent in rig.ms.state.sent:
        check_activity(sent.activity)
    resolved = await rig.core.store.crises.get(1)
    assert resolved is not None
    report = await rig.core.service.export(resolved, "md")
    assert same_instant_sorted(report) == same_instant_sorted(GOLDEN.read_text(encoding="utf-8"))
