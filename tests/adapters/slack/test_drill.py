"""A whole drill through the Slack app on a manual clock: DRILL on every message, injects that
fire or not depending on what the team did, and the scorecard's exact figures."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.core.model.clock import ManualClock
from tests.adapters.slack.conftest import SlackRig
from tests.adapters.slack.harness import ANNOUNCE, expect, filled, texts

AMELIE, SOFIA = "U01AMELIE0", "U01SOFIA00"


def bot_messages(rig: SlackRig, channel_id: str) -> list[dict[str, Any]]:
    return [m for m in rig.fake.messages.get(channel_id, []) if m.get("user") == rig.fake.bot_user_id]


async def test_a_drill_in_slack(rig: SlackRig, clock: ManualClock) -> None:
    status, ack, url = await rig.slack.command("drill --script complaint --speed 6", user=AMELIE)
    assert status == 200
    assert "Starting drill CRISIS-0001" in ack
    expect(lambda: "DRILL" in texts(rig.fake.responses(url)))
    crisis = await rig.repo.get(1)
    assert crisis is not None
    assert crisis.drill is not None
    room = next(c for c in rig.fake.channels.values() if c["name"].startswith("drill-"))
    started = crisis.drill.started_at

    async def minute(m: float) -> None:
        clock.set(started + timedelta(minutes=m) / 6)
        await rig.core.scheduler.tick()
        await rig.handlers.drain()

    await minute(1)
    _, _, ack_url = await rig.slack.command("ack", user=SOFIA, channel=room["id"])
    expect(lambda: rig.fake.responses(ack_url))
    await minute(4)
    sofia = rig.base_actor(SOFIA)
    await rig.slack.command(
        'draft customer_handle=@claire_b what_went_wrong="a cracked shade"', user=SOFIA, channel=room["id"]
    )
    await rig.core.cases.drafts.edit(1, sofia, text="@claire_b So sorry, a new lamp ships today. – Sofia")
    await rig.core.cases.drafts.submit(1, sofia)
    await rig.core.cases.drafts.publish(1, sofia, "https://x.example/maisonlumen/1")
    for m in (8, 15, 18, 22, 30):
        await minute(m)
    _, _, end_url = await rig.slack.command("drill end", user=AMELIE, channel=room["id"])
    expect(lambda: "ended" in texts(rig.fake.responses(end_url)))

    posted = bot_messages(rig, room["id"])
    dms = [m for c in rig.fake.channels.values() if c.get("is_im") for m in bot_messages(rig, c["id"])]
    assert dms
    for message in (*posted, *dms):
        assert message["text"].startswith("DRILL: "), message["text"]
        assert "DRILL" in json.dumps(message["blocks"])
    announce = next(c["id"] for c in rig.fake.channels.values() if c["name"] == ANNOUNCE)
    assert rig.fake.messages.get(announce, []) == [], "a drill stays out of the real announcements"

    cards = json.dumps([m for m in posted if "SIMULATED" in m["text"]])
    assert "SIMULATED POST on x" in cards
    assert "How hard is it to say" not in cards, "a reply went out before minute 15"
    assert "OK, thanks for answering" in cards, "and the customer thanked the brand at minute 18"
    scorecard = json.dumps(next(m for m in posted if "Drill scorecard" in m["text"]), ensure_ascii=False)
    assert "*Holding statement:* 4m 00s (target 15 min) ✓ met" in scorecard
    assert "*First acknowledgement*\\n1m 00s (target 10 min) ✓ met" in scorecard
    assert "*Escalated to SEV2*\\nnot reached (target 25 min) ✗ missed" in scorecard
    assert "*Resolved*\\n30m 00s (target 90 min) ✓ met" in scorecard
    assert "4/5 targets met" in scorecard
    assert "not played (the team's actions made it moot): POST by @lea_deco" in scorecard


async def test_a_bare_drill_opens_the_form_of_scripts(rig: SlackRig) -> None:
    await rig.slack.command("drill", user=AMELIE)
    view = expect(lambda: rig.fake.calls("views.open"))[-1].args["view"]
    assert view["callback_id"] == "crisis_drill_form"
    assert "A leaked video of an executive" in json.dumps(view)
    await rig.slack.submit_view({**view, "id": "VDRILL", "state": filled(view, speed="6")}, user=AMELIE)
    await rig.handlers.drain()
    crisis = await rig.repo.get(1)
    assert crisis is not None
    assert crisis.drill is not None
    assert crisis.drill.speed == 6
