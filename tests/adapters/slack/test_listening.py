"""The "Possible crisis" card in Slack: posted once in the monitoring channel with people's words
escaped, Declare opening the start form pre-filled, the crisis declared from it with its evidence.
The real Bolt app over HTTP, signed requests, the local fake of the Web API."""

from __future__ import annotations

import json
from typing import Any

from bot.core.model.alerts import AlertStatus
from bot.core.model.clock import ManualClock
from bot.core.model.events import EventKind
from tests.adapters.http.intake_support import mention
from tests.adapters.slack.conftest import SlackRig
from tests.adapters.slack.harness import expect, filled
from tests.adapters.slack.test_live_cards import action_ids, value_of

AMELIE = "U01AMELIE0"


def posted_in_general(rig: SlackRig, message: dict[str, Any]) -> str:
    """Someone posted ``message`` in #general; returns the channel's id."""
    channel = str(next(c["id"] for c in rig.fake.channels.values() if c["name"] == "general"))
    rig.fake.messages.setdefault(channel, []).append(message)
    return channel


async def spike(rig: SlackRig, clock: ManualClock) -> tuple[str, dict[str, Any]]:
    channel = rig.fake.add_channel("social-monitoring", members=[rig.fake.bot_user_id])
    for n in range(30):
        text = "<!channel> where is my parcel? @here" if n == 29 else f"parcel {n} never arrived"
        await rig.service.take_in("generic", mention(f"s{n}", text=text, metrics={"reach": 1000 + n}))
        clock.advance(seconds=5)
    await rig.core.cases.alerts.tick()
    await rig.core.cases.alerts.tick()
    [card] = rig.fake.messages[channel]
    return channel, card


async def test_the_card_is_posted_once_and_pings_nobody(rig: SlackRig, clock: ManualClock) -> None:
    _, card = await spike(rig, clock)
    assert action_ids(card) == ["alert_declare", "alert_watch", "alert_dismiss"]
    shown = json.dumps(card)
    assert "Possible crisis: Late and lost deliveries" in shown
    assert "<!channel>" not in shown
    assert "&lt;!channel&gt;" in shown


async def test_declare_from_the_card_opens_the_form_pre_filled(rig: SlackRig, clock: ManualClock) -> None:
    channel, card = await spike(rig, clock)
    status, _, _ = await rig.slack.click("alert_declare", value_of(card, "alert_declare"), user=AMELIE, channel=channel)
    assert status == 200
    expect(lambda: rig.fake.count("views.open"))
    view: dict[str, Any] = rig.fake.calls("views.open")[0].args["view"]
    assert view["callback_id"] == "crisis_start"
    blocks = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert blocks["title"]["initial_value"] == "Late and lost deliveries: 30 mentions"
    assert blocks["scenario"]["initial_option"]["value"] == "complaint"
    assert blocks["severity"]["initial_option"]["value"] == "sev3"
    assert blocks["source"]["initial_value"] == "https://x.com/jane/status/s29"
    status, _ = await rig.slack.submit_view({**view, "id": "V0ALERT1", "state": filled(view)})
    assert status == 200
    await rig.drain()
    alert = await rig.core.store.alerts.get(1)
    assert alert is not None
    assert alert.status is AlertStatus.DECLARED
    assert alert.crisis_number == 1
    events = await rig.repo.timeline(1)
    assert sum(e.kind is EventKind.EVIDENCE for e in events) == 5
    assert action_ids(rig.fake.messages[channel][0]) == []  # the card keeps no live button


async def test_declare_a_crisis_from_a_message(rig: SlackRig) -> None:
    message = {"type": "message", "user": "U0SOMEONE", "ts": "1700000111.000200", "text": "Video: lamp on fire <!here>"}
    await rig.slack.shortcut("declare_from_message", posted_in_general(rig, message), message, user=AMELIE)
    expect(lambda: rig.fake.count("views.open"))
    view: dict[str, Any] = rig.fake.calls("views.open")[0].args["view"]
    blocks = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert blocks["details"]["initial_value"] == "Video: lamp on fire <!here>"  # plain text input: no ping
    assert blocks["source"]["initial_value"].startswith("https://")
    await rig.slack.submit_view({**view, "id": "V0MSG1", "state": filled(view, scenario="product_failure")})
    await rig.drain()
    [evidence] = [e for e in await rig.repo.timeline(1) if e.kind is EventKind.EVIDENCE]
    assert evidence.data.model_dump()["url"] == blocks["source"]["initial_value"]
    assert len(evidence.data.model_dump()["content_hash"]) == 64


async def test_attach_a_message_as_evidence_to_the_open_crisis(rig: SlackRig) -> None:
    _, _, url = await rig.slack.command("start complaint sev3 Evidence test", user=AMELIE)
    expect(lambda: "declared." in json.dumps(rig.fake.responses(url)))
    message = {"type": "message", "user": "U0SOMEONE", "ts": "1700000222.000300", "text": "Screenshot of the thread"}
    answer_url = await rig.slack.shortcut("attach_evidence", posted_in_general(rig, message), message, user=AMELIE)
    expect(lambda: "Kept as evidence in CRISIS-0001" in json.dumps(rig.fake.responses(answer_url)))
    [evidence] = [e for e in await rig.repo.timeline(1) if e.kind is EventKind.EVIDENCE]
    assert "Screenshot of the thread" in evidence.text
