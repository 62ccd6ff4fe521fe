"""``/crisis start`` with no arguments: the declare form, its validation and double submission."""

from __future__ import annotations

import json
from typing import Any

from tests.adapters.slack.conftest import SlackRig
from tests.adapters.slack.harness import expect, texts


def filled(
    view: dict[str, Any], *, title: str | None, scenario: str = "complaint", severity: str = "sev2"
) -> dict[str, Any]:
    """The view as Slack sends it back on submit: the opened view plus its state."""
    values: dict[str, Any] = {
        "scenario": {"value": {"type": "static_select", "selected_option": {"value": scenario}}},
        "severity": {"value": {"type": "static_select", "selected_option": {"value": severity}}},
        "title": {"value": {"type": "plain_text_input", "value": title}},
        "details": {"value": {"type": "plain_text_input", "value": "Thread with 2k likes"}},
        "source": {"value": {"type": "url_text_input", "value": "https://social.example/p/42"}},
    }
    return {**view, "id": "V0FORM1", "state": {"values": values}}


async def open_form(rig: SlackRig) -> tuple[dict[str, Any], str]:
    status, ack, url = await rig.slack.command("start", trigger="trig.form.1")
    assert status == 200
    assert ack == ""
    expect(lambda: rig.fake.count("views.open"))
    [call] = rig.fake.calls("views.open")
    assert call.args["trigger_id"] == "trig.form.1"
    view: dict[str, Any] = call.args["view"]
    return view, url


async def test_form_declares_a_crisis_and_answers_in_the_conversation(rig: SlackRig) -> None:
    view, url = await open_form(rig)
    assert view["callback_id"] == "crisis_start"
    assert [b["block_id"] for b in view["blocks"]] == ["scenario", "severity", "title", "details", "source"]

    status, ack = await rig.slack.submit_view(filled(view, title="Influencer video about broken lamp"))
    assert status == 200
    assert ack == ""
    expect(lambda: "declared." in texts(rig.fake.responses(url)))
    crisis = await rig.repo.get(1)
    assert crisis is not None
    assert crisis.severity_id == "sev2"
    assert crisis.details == "Thread with 2k likes"
    assert crisis.source_url == "https://social.example/p/42"
    assert crisis.request_key == "slack:view:V0FORM1"
    kickoff = json.dumps([c.args for c in rig.fake.calls("chat.postMessage")])
    assert "https://social.example/p/42" in kickoff


async def test_repeated_submission_declares_once(rig: SlackRig) -> None:
    view, url = await open_form(rig)
    submitted = filled(view, title="Double click")
    await rig.slack.submit_view(submitted)
    await rig.slack.submit_view(submitted)
    expect(lambda: "declared." in texts(rig.fake.responses(url)))
    expect(lambda: rig.fake.count("pins.add"))
    assert rig.fake.count("conversations.create") == 1
    assert len(await rig.repo.list_crises()) == 1


async def test_missing_title_is_shown_in_the_form(rig: SlackRig) -> None:
    view, _ = await open_form(rig)
    # Slack only sends a form whose required inputs hold something: spaces are something to it
    status, ack = await rig.slack.submit_view(filled(view, title="   ", severity="sev9"))
    assert status == 200
    body = json.loads(ack)
    assert body["response_action"] == "errors"
    assert body["errors"]["title"] == "Give the crisis a short title."
    assert body["errors"]["severity"] == "Pick a severity from the list."
    assert rig.fake.count("conversations.create") == 0


async def test_expired_trigger_tells_the_user_the_one_line_form(rig: SlackRig) -> None:
    rig.fake.fail_next("views.open", error="expired_trigger_id")
    _, _, url = await rig.slack.command("start")
    expect(lambda: rig.fake.responses(url))
    reply = texts(rig.fake.responses(url))
    assert "I could not open the form (expired_trigger_id)" in reply
    assert "/crisis start complaint sev3" in reply


async def test_form_without_response_url_answers_by_dm(rig: SlackRig) -> None:
    view, _ = await open_form(rig)
    view = {**view, "private_metadata": "{}"}
    await rig.slack.submit_view(filled(view, title="Answer by DM"))
    expect(lambda: any(c.args.get("channel") == "U01AMELIE0" for c in rig.fake.calls("chat.postMessage")))
