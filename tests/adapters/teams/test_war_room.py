"""War rooms through Graph, with Teams' rules: names of at most 50 characters, unique in the team
whatever their case (a taken name moves to the next), 429s retried after a bounded wait, a private
channel with an owner and its members, and the team the app was installed in when the plan names
none."""

from __future__ import annotations

import pytest

from bot.core.plan.model import TeamsWarRoom
from tests.adapters.teams.conftest import TeamsRig
from tests.adapters.teams.harness import GENERAL, entra_id
from tests.fakes.microsoft import TEAM_ID
from tests.fakes.microsoft_state import MAX_CHANNEL_NAME, Fault


async def test_a_long_title_gives_a_name_teams_accepts(rig: TeamsRig) -> None:
    title = "Delivery delays flood our mentions after the carrier strike in the north"
    await rig.teams.say(f"crisis start complaint sev3 {title}", by="amelie")
    [crisis] = await rig.core.service.crises()
    assert crisis.room is not None
    assert len(crisis.room.name) <= MAX_CHANNEL_NAME
    assert crisis.room.id in rig.ms.state.channels


async def test_a_name_taken_in_another_case_moves_to_the_next(rig: TeamsRig) -> None:
    await rig.teams.say("crisis start complaint sev3 Delivery delays", by="amelie")
    [first] = await rig.core.service.crises()
    assert first.room is not None
    taken = f"{first.room.name}-2".upper()  # the name the next crisis reserves, made by hand in another case
    rig.ms.state.create_channel(taken, private=False, owners=[])
    await rig.teams.say("crisis start complaint sev3 Delivery delays", by="marcus", conversation=GENERAL)
    crises = await rig.core.service.crises()
    second = next(c for c in crises if c.number != first.number)
    assert second.room is not None
    assert second.room.id in rig.ms.state.channels
    assert second.room.name.lower() not in (first.room.name, taken.lower())
    assert second.room.name.startswith(f"{first.room.name}-2-")


async def test_graph_429_is_retried_after_a_bounded_wait(rig: TeamsRig) -> None:
    route = "POST /graph/v1.0/teams/{team}/channels"
    rig.ms.state.fault(route, Fault(429, retry_after=2), Fault(429, retry_after=3600))
    await rig.teams.say("crisis start complaint sev3 Delivery delays", by="amelie")
    [crisis] = await rig.core.service.crises()
    assert crisis.room is not None
    assert rig.waits[:2] == [2.0, 10.0]  # Retry-After honoured, capped at 10 s
    assert rig.ms.state.calls.count(("POST", f"/graph/v1.0/teams/{TEAM_ID}/channels")) == 3
    assert [c.id for c in rig.ms.state.channels.values() if c.name == crisis.room_name] == [crisis.room.id]


@pytest.mark.parametrize("war_room_kind", [TeamsWarRoom.PRIVATE_CHANNEL])
async def test_a_private_channel_has_an_owner_and_its_people(rig: TeamsRig) -> None:
    plan = rig.teams.plan
    await rig.teams.say("crisis start complaint sev3 Delivery delays", by="amelie")
    [crisis] = await rig.core.service.crises()
    assert crisis.room is not None
    channel = rig.ms.state.channels[crisis.room.id]
    assert channel.private
    assert plan.people["amelie"].teams_id in channel.members  # the lead owns it
    assert {entra_id(p) for p in ("sofia", "theo")} <= channel.members


async def test_someone_unknown_to_teams_is_named_in_the_war_room(rig: TeamsRig) -> None:
    claire = rig.teams.plan.people["claire"]
    assert claire.email is not None
    del rig.ms.state.users_by_email[claire.email.lower()]
    await rig.teams.say("crisis start complaint sev1 Delivery delays", by="amelie")
    [crisis] = await rig.core.service.crises()
    assert "claire" in crisis.unreachable


async def test_the_installed_team_holds_the_war_rooms_when_the_plan_names_none(rig: TeamsRig) -> None:
    rig.bot.chat.addresses.team_id = None
    install = rig.teams.activity("conversationUpdate", by="amelie", conversation="19:team-root@thread.tacv2")
    install["membersAdded"] = [{"id": "28:bot"}]
    assert (await rig.teams.post(install))[0] == 200
    await rig.teams.say("crisis start complaint sev3 Delivery delays", by="amelie")
    [crisis] = await rig.core.service.crises()
    assert crisis.room is not None
    assert crisis.room.id in rig.ms.state.channels
