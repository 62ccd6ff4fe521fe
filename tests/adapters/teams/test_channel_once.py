"""A war-room channel is made once, even when Graph's answer to the create is lost (a 5xx after
the work, a dropped connection): the channel Graph made is adopted under its name, never left
orphaned beside a ``-2``. A channel someone else made under the name still moves the crisis to the
next name, even when the answer about it was lost too, or when it carries crisisbot's own words
but was made before crisisbot asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.container import Storage
from bot.core.model.clock import ManualClock
from bot.core.model.crisis import Crisis, StepKey, StepStatus, crisis_key
from bot.core.plan.model import LoadedPlan, TeamsWarRoom
from bot.frameworks import JinjaDraftRenderer
from tests.adapters.teams.conftest import TeamsRig
from tests.adapters.teams.harness import ANNOUNCE, GENERAL
from tests.adapters.teams.restarts import restarted, resume
from tests.fakes.microsoft_state import Channel, Fault

CREATE = "POST /graph/v1.0/teams/{team}/channels"
LIST = "GET /graph/v1.0/teams/{team}/channels"
DECLARE = "crisis start complaint sev3 Delivery delays"
LOST_ANSWERS = [Fault(504, code="GatewayTimeout", lost=True), Fault(0, dropped=True)]


def war_rooms(rig: TeamsRig) -> list[Channel]:
    return [c for c in rig.ms.state.channels.values() if c.name != ANNOUNCE]


def creates(rig: TeamsRig) -> int:
    return sum(1 for method, path in rig.ms.state.calls if method == "POST" and path.endswith("/channels"))


def assert_one_war_room_with_its_kickoff(rig: TeamsRig, crisis: Crisis) -> None:
    [channel] = war_rooms(rig)
    assert crisis.room is not None
    assert (crisis.room.id, crisis.room.name) == (channel.id, channel.name)
    assert channel.name == crisis.room_name
    assert all(s.status is StepStatus.DONE for s in crisis.steps), crisis.steps
    [kickoff, *_] = rig.ms.state.sent_to(channel.id)
    assert crisis.key in str(kickoff.activity)
    assert crisis.key in channel.description  # how the adapter knew the channel for its own


@pytest.mark.parametrize("lost", LOST_ANSWERS, ids=["gateway-timeout", "dropped-connection"])
@pytest.mark.parametrize("war_room_kind", [TeamsWarRoom.STANDARD_CHANNEL, TeamsWarRoom.PRIVATE_CHANNEL])
async def test_a_lost_answer_on_create_gives_one_channel_with_the_kickoff(rig: TeamsRig, lost: Fault) -> None:
    rig.ms.state.fault(CREATE, lost)
    await rig.teams.say(DECLARE, by="amelie")
    [crisis] = await rig.core.service.crises()
    assert_one_war_room_with_its_kickoff(rig, crisis)
    assert creates(rig) == 1, "the create was not repeated after its lost answer"
    assert not crisis.room_name.endswith("-2")


async def test_a_lost_answer_then_a_crash_is_adopted_by_the_resumed_declaration(
    rig: TeamsRig, teams_loaded: LoadedPlan, store: Storage, clock: ManualClock, renderer: JinjaDraftRenderer
) -> None:
    # Graph made the channel, the answer was lost, and looking for it failed too: the step fails
    rig.ms.state.fault(CREATE, Fault(504, code="GatewayTimeout", lost=True))
    rig.ms.state.fault(LIST, Fault(403, code="Forbidden"))
    await rig.teams.say(DECLARE, by="amelie")
    [crisis] = await rig.core.service.crises()
    step = crisis.step(StepKey.CREATE_ROOM)
    assert step is not None
    assert step.status is StepStatus.FAILED
    assert crisis.room is None
    assert len(war_rooms(rig)) == 1

    # another process, knowing only the database: its create meets the name (409), and the
    # channel is the one the first process asked for, so it is adopted
    async with restarted(rig, teams_loaded, store, clock, renderer) as other:
        resumed = await resume(other, clock)
    assert_one_war_room_with_its_kickoff(rig, resumed)
    assert creates(rig) == 2


async def test_someone_elses_channel_moves_on_even_when_the_answer_was_lost(rig: TeamsRig) -> None:
    await rig.teams.say(DECLARE, by="amelie")
    [first] = await rig.core.service.crises()
    assert first.room is not None
    taken = f"{first.room.name}-2"  # the name the next crisis reserves, made by hand
    rig.ms.state.create_channel(taken, private=False, owners=[], description="Our customer lunch")
    rig.ms.state.fault(CREATE, Fault(504, code="GatewayTimeout", lost=True))  # the 409 about it is lost
    await rig.teams.say(DECLARE, by="marcus", conversation=GENERAL)
    second = next(c for c in await rig.core.service.crises() if c.number != first.number)
    assert second.room is not None
    assert second.room.name == f"{taken}-2"
    assert rig.ms.state.channels[second.room.id].description.startswith(second.key)
    assert [c.name for c in war_rooms(rig)] == [first.room.name, taken, second.room.name]


async def test_a_channel_with_crisisbots_words_made_before_it_asked_is_not_adopted(rig: TeamsRig) -> None:
    """Another crisisbot (a test deployment on its own database, say) made it the day before."""
    await rig.teams.say(DECLARE, by="amelie")
    [first] = await rig.core.service.crises()
    assert first.room is not None
    key = crisis_key(first.number + 1)
    words = f"{key} · SEV3 · Delivery delays · War room for {key}, declared by crisisbot"
    yesterday = datetime.now(UTC) - timedelta(days=1)
    taken = f"{first.room.name}-2"
    rig.ms.state.create_channel(taken, private=False, owners=[], description=words, created=yesterday)
    await rig.teams.say(DECLARE, by="marcus", conversation=GENERAL)
    second = next(c for c in await rig.core.service.crises() if c.number != first.number)
    assert second.key == key
    assert second.room is not None
    assert second.room.name == f"{taken}-2"
    assert rig.ms.state.channels[second.room.id].description == words  # the same words: only the time told


async def test_graph_5xx_on_create_is_retried_only_after_looking(rig: TeamsRig) -> None:
    """A 503 before the work (Graph made nothing): the create is made again, once the listing
    showed no channel of the name, and there is still one war room."""
    rig.ms.state.fault(CREATE, Fault(503, code="ServiceUnavailable"))
    await rig.teams.say(DECLARE, by="amelie")
    [crisis] = await rig.core.service.crises()
    assert_one_war_room_with_its_kickoff(rig, crisis)
    assert creates(rig) == 2
    assert rig.waits == [0.5]
