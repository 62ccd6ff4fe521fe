"""A drill in Teams: the same command as in Slack starts it, its war room and every post say
DRILL, and the script's injects reach the war room on the drill's clock."""

from __future__ import annotations

from datetime import timedelta

from bot.core.model.clock import ManualClock
from tests.adapters.teams.conftest import TeamsRig
from tests.adapters.teams.test_commands import texts


async def test_a_scripted_drill_runs_in_teams(rig: TeamsRig, clock: ManualClock) -> None:
    assert await rig.teams.say("crisis drill --script troll --speed 6", by="amelie") == 200
    [crisis] = await rig.core.service.crises()
    assert crisis.drill is not None
    assert crisis.room is not None
    assert crisis.room.name.startswith("drill-")
    room = crisis.room.id
    kickoff = rig.ms.state.sent_to(room)
    assert kickoff, "the kickoff is in the war room"
    assert "DRILL" in texts(kickoff[0].activity)
    assert all("DRILL" in texts(s.activity) for s in rig.ms.state.sent_to("a:personal-")), "pages say DRILL"

    before = len(rig.ms.state.sent_to(room))
    clock.set(crisis.drill.started_at + timedelta(minutes=11) / 6)  # 11 drill minutes: two posts due
    await rig.core.scheduler.tick()
    await rig.bot.drain()
    injected = [texts(s.activity) for s in rig.ms.state.sent_to(room)[before:]]
    assert any("SIMULATED POST on x" in t and "toxic paint" in t for t in injected), injected

    before = len(rig.ms.state.sent)
    await rig.teams.say("crisis drill end", by="amelie", conversation=room)
    ended = "\n".join(texts(s.activity) for s in rig.ms.state.sent[before:])
    assert "Holding statement" in ended, ended  # the scorecard, target by target
