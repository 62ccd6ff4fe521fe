"""Listening in Teams: a spike posts one "Possible crisis" card in the plan's monitoring channel
of the crisis team, with its buttons as Action.Execute, and Declare opens the start form there."""

from __future__ import annotations

from bot.core.model.clock import ManualClock
from tests.adapters.teams.conftest import TeamsRig
from tests.adapters.teams.test_commands import texts
from tests.core.listening.test_alerts import baseline, burst

MONITORING = "social-monitoring"


async def test_a_spike_posts_one_card_in_the_monitoring_channel(rig: TeamsRig, clock: ManualClock) -> None:
    _, made = rig.ms.state.create_channel(MONITORING, private=False, owners=[])
    channel = str(made["id"])
    assert await rig.teams.say("crisis help", by="amelie") == 200  # Teams has spoken to the bot once
    await baseline(rig.core, clock)
    await burst(rig.core, clock, 30)
    await rig.core.scheduler.tick()
    await rig.bot.drain()
    [card] = rig.ms.state.sent_to(channel)
    shown = texts(card.activity)
    assert "Possible crisis: Late and lost deliveries" in shown
    assert "30 mentions in the last 10 min" in shown
    verbs = [a["verb"] for a in card.activity["attachments"][0]["content"]["body"] for a in a.get("actions", [])]
    assert {"alert_declare", "alert_watch", "alert_dismiss"} <= set(verbs), verbs
    await burst(rig.core, clock, 20, start=30, every=1)  # the spike goes on: no second card
    await rig.core.scheduler.tick()
    await rig.bot.drain()
    assert len(rig.ms.state.sent_to(channel)) == 1
