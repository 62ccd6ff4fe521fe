"""Where Slack opens a modal, Teams shows the form as a card: a bare ``crisis start`` posts the
declare form; its submit (an Action.Execute) declares, the form card is replaced so it cannot be
sent twice, and a field the core refuses is named without losing what was typed."""

from __future__ import annotations

from typing import Any

from tests.adapters.teams.conftest import TeamsRig
from tests.adapters.teams.harness import GENERAL
from tests.fakes.microsoft_state import Sent


def form_of(sent: Sent) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form's submit data and its inputs' initial values."""
    body = sent.activity["attachments"][0]["content"]["body"]
    inputs = {e["id"]: e.get("value", "") for e in body if e["type"].startswith("Input.")}
    return body[-1]["actions"][0]["data"], inputs


async def test_a_bare_start_shows_the_declare_form_and_its_submit_declares(rig: TeamsRig) -> None:
    await rig.teams.say("crisis start complaint", by="amelie")
    [form_card] = rig.ms.state.sent
    data, inputs = form_of(form_card)
    assert data["form"] == "crisis_start"
    assert inputs["f:scenario"] == "complaint"
    thread = form_card.conversation
    filled = data | inputs | {"f:title": "Delivery delays"}
    status, answer = await rig.teams.press(filled, by="amelie", reply_to=form_card.id, conversation=thread)
    assert status == 200
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Input." not in str(answer["value"])  # the form is gone: it cannot be sent twice
    [crisis] = await rig.core.service.crises()
    assert crisis.title == "Delivery delays"
    assert any(s.conversation == thread and "declared" in s.activity.get("summary", "") for s in rig.ms.state.sent)


async def test_a_refused_field_is_named_and_nothing_is_done(rig: TeamsRig) -> None:
    await rig.teams.say("crisis start complaint", by="amelie")
    [form_card] = rig.ms.state.sent
    data, inputs = form_of(form_card)
    filled = data | inputs | {"f:title": "x" * 500}
    status, answer = await rig.teams.press(filled, by="amelie", reply_to=form_card.id, conversation=GENERAL)
    assert status == 200
    assert answer["type"] == "application/vnd.microsoft.activity.message"
    assert "title" in answer["value"]
    assert await rig.core.service.crises() == []


async def test_an_invoke_crisisbot_does_not_handle_is_refused(rig: TeamsRig) -> None:
    query = {"commandId": "searchCrises", "parameters": [{"name": "q", "value": "x"}]}
    status, _ = await rig.teams.post(
        rig.teams.activity("invoke", by="amelie", name="composeExtension/query", value=query)
    )
    assert status == 501
    assert rig.ms.state.sent == []


async def test_a_message_with_card_values_is_not_a_command(rig: TeamsRig) -> None:
    activity = rig.teams.activity("message", by="amelie", text="", value={"action": "page_ack"})
    assert (await rig.teams.post(activity))[0] == 200
    assert rig.ms.state.sent == []


async def test_a_draft_is_edited_in_a_card_form_and_shown_again(rig: TeamsRig) -> None:
    await rig.teams.say("crisis start complaint sev3 Delivery delays", by="amelie")
    [crisis] = await rig.core.service.crises()
    assert crisis.room is not None
    room = crisis.room.id
    facts = 'customer_handle=@jane what_went_wrong="a late parcel" next_update=17:00 fix="a refund today"'
    await rig.teams.say(f"crisis draft {facts}", by="sofia", conversation=room)
    draft_card = next(s for s in reversed(rig.ms.state.sent) if "draft_edit" in str(s.activity))
    body = draft_card.activity["attachments"][0]["content"]["body"]
    edit = next(a["data"] for e in body for a in e.get("actions", []) if a["verb"] == "draft_edit")
    status, answer = await rig.teams.press(edit, by="sofia", reply_to=draft_card.id, conversation=room)
    assert status == 200
    form = answer["value"]  # the form replaces the card, for the one who pressed Edit
    inputs = {e["id"]: e for e in form["body"] if e["type"].startswith("Input.")}
    assert inputs["f:text"]["isMultiline"]
    submit = form["body"][-1]["actions"][0]["data"]
    typed = "@jane So sorry <at>about</at> the **late** parcel. DM us? – Sofia"
    before = len(rig.ms.state.sent)
    await rig.teams.press(submit | {"f:text": typed}, by="sofia", reply_to=draft_card.id, conversation=room)
    shown = [s.activity for s in rig.ms.state.sent[before:]]
    assert shown, "the edited draft is shown again"
    text = str(shown)
    assert "So sorry \\\\<at\\\\>about\\\\</at\\\\> the \\\\*\\\\*late\\\\*\\\\* parcel" in text


async def test_another_tenant_is_refused(rig: TeamsRig) -> None:
    activity = rig.teams.activity("message", by="amelie", text="crisis start complaint sev3 Intruder", entities=[])
    activity["conversation"]["tenantId"] = "99999999-9999-4999-8999-999999999999"
    assert (await rig.teams.post(activity))[0] == 200
    assert await rig.core.service.crises() == []
    assert rig.ms.state.sent == []
