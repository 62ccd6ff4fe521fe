"""Reply drafts through the Slack app: the card, Edit, review by the plan's role, double clicks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot.core.model.events import EventKind
from tests.adapters.slack.conftest import SlackRig
from tests.adapters.slack.harness import expect, filled, texts

FACTS = (
    'customer_handle=@jane what_went_wrong="a cracked shade" next_update=17:00 '
    'fix="a new lamp ships today" agent_name=Sofia'
)
SOFIA, MARCUS, JORDAN, AMELIE = "U01SOFIA00", "U01MARCUS0", "U01JORDAN0", "U01AMELIE0"


async def war_room(rig: SlackRig, severity: str) -> dict[str, Any]:
    _, _, url = await rig.slack.command(f"start complaint {severity} Cracked shades thread")
    expect(lambda: "declared." in texts(rig.fake.responses(url)))
    return next(c for c in rig.fake.channels.values() if c["name"].endswith("cracked-shades-thread"))


def buttons(responses: list[Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for response in responses:
        for block in response.get("blocks", []):
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                found[element["action_id"]] = element.get("value", "")
    return found


async def answered(rig: SlackRig, url: str) -> str:
    expect(lambda: rig.fake.responses(url))
    return texts(rig.fake.responses(url))


async def test_review_flow_with_the_right_role_and_one_approval(rig: SlackRig) -> None:
    room = await war_room(rig, "sev2")  # sev2 replies need the crisis lead's approval
    _, _, url = await rig.slack.command(f"draft {FACTS}", user=SOFIA, channel=room["id"])
    card = await answered(rig, url)
    assert "Talking points" in card
    assert "characters for X (Twitter)" in card
    ids = buttons(rig.fake.responses(url))
    assert set(ids) == {"draft_edit", "draft_submit", "draft_stage"}
    draft_id = ids["draft_edit"]

    _, _, submit_url = await rig.slack.click("draft_submit", draft_id, user=SOFIA, channel=room["id"])
    assert "Adapt the draft" in await answered(rig, submit_url), "nobody submits an unedited template"

    _, _, edit_url = await rig.slack.click("draft_edit", draft_id, user=SOFIA, channel=room["id"])
    expect(lambda: rig.fake.count("views.open"))
    view = rig.fake.calls("views.open")[-1].args["view"]
    assert view["callback_id"] == "draft_edit_form"
    edited = "@jane You're right, a cracked shade is not okay. I'm on it now: DM us your order? – Sofia"
    await rig.slack.submit_view({**view, "id": "VEDIT1", "state": filled(view, text=edited)}, user=SOFIA)
    expect(lambda: any(r.get("replace_original") for r in rig.fake.responses(edit_url)))
    assert "I'm on it now" in texts(rig.fake.responses(edit_url))

    _, _, submit_url = await rig.slack.click("draft_submit", draft_id, user=SOFIA, channel=room["id"])
    assert "with Crisis lead for review" in await answered(rig, submit_url)
    review = expect(lambda: next((m for m in rig.fake.messages[room["id"]] if "Review needed" in json.dumps(m)), None))
    assert review.get("thread_ts"), "reviews happen in the kickoff's thread"
    assert f"<@{AMELIE}>" in json.dumps(review)
    assert f"<@{MARCUS}>" in json.dumps(review)

    _, _, refused_url = await rig.slack.click("draft_approve", draft_id, user=JORDAN, channel=room["id"])
    assert "Only Crisis lead" in await answered(rig, refused_url)

    clicks = await asyncio.gather(
        rig.slack.click("draft_approve", draft_id, user=MARCUS, channel=room["id"]),
        rig.slack.click("draft_approve", draft_id, user=MARCUS, channel=room["id"]),
    )
    for _, _, click_url in clicks:
        await answered(rig, click_url)
    crisis = await rig.repo.get(1)
    assert crisis is not None
    events = await rig.repo.timeline(1)
    assert [e.kind for e in events].count(EventKind.DRAFT_APPROVED) == 1
    assert any("Approved by Marcus Reid" in json.dumps(m) for m in rig.fake.messages[room["id"]])


async def test_missing_facts_open_a_form(rig: SlackRig) -> None:
    room = await war_room(rig, "sev3")
    await rig.slack.command("draft complaint apologize", user=SOFIA, channel=room["id"])
    expect(lambda: rig.fake.count("views.open"))
    view = rig.fake.calls("views.open")[-1].args["view"]
    assert view["callback_id"] == "draft_new_form"
    assert "var_customer_handle" in [b["block_id"] for b in view["blocks"]]


async def test_low_severity_draft_is_marked_ready_without_review(rig: SlackRig) -> None:
    room = await war_room(rig, "sev3")
    _, _, url = await rig.slack.command(f"draft {FACTS}", user=SOFIA, channel=room["id"])
    await answered(rig, url)
    assert "Mark ready" in texts(rig.fake.responses(url))


async def test_the_facts_form_asks_only_what_the_stage_uses(rig: SlackRig) -> None:
    room = await war_room(rig, "sev3")
    await rig.slack.command('draft complaint acknowledge customer_handle="@jane_b"', user=SOFIA, channel=room["id"])
    view = rig.fake.calls("views.open")[-1].args["view"]
    asked = {b["block_id"]: not b.get("optional", False) for b in view["blocks"]}
    # the acknowledgement names what went wrong; the fix and the next update come later
    assert asked == {"var_customer_handle": True, "var_what_went_wrong": True, "var_agent_name": False}
    await rig.slack.submit_view(
        {**view, "id": "VFACTS", "state": filled(view, var_what_went_wrong="a cracked shade")}, user=SOFIA
    )
    draft = await rig.core.store.drafts.get_draft(1)
    assert draft is not None
    assert draft.text.startswith("@jane_b You're right to call this out: a cracked shade")

    await rig.slack.click("draft_edit", '{"draft":1}', user=SOFIA, channel=room["id"])
    edit = rig.fake.calls("views.open")[-1].args["view"]
    assert [b["block_id"] for b in edit["blocks"]] == [
        "text",
        "var_customer_handle",
        "var_what_went_wrong",
        "var_agent_name",
    ]
    await rig.slack.submit_view({**edit, "id": "VEDIT2", "state": filled(edit)}, user=SOFIA)
