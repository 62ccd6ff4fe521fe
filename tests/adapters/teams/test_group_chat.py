"""Group-chat war rooms (``teams.war_room: group_chat``) through the real Teams app, authentication
on, against the fake Graph and Bot Connector: the chat made with two people at least and the right
topic, crisisbot installed in it before its first post (Teams refuses a post before), its people
added, someone Graph will not add named in the war room, 429s retried, and one chat only when a
declaration is resumed after its chat was made but not recorded."""

from __future__ import annotations

import json

import pytest

from bot.container import Storage
from bot.core.model.clock import ManualClock
from bot.core.model.crisis import Crisis, StepKey, StepStatus
from bot.core.plan.chain import invitees
from bot.core.plan.model import LoadedPlan, TeamsWarRoom
from bot.frameworks import JinjaDraftRenderer
from tests.adapters.teams.conftest import TeamsRig
from tests.adapters.teams.harness import ANNOUNCE, CATALOG_ID, entra_id
from tests.adapters.teams.restarts import restarted, resume
from tests.fakes.microsoft import APP_ID
from tests.fakes.microsoft_state import Fault, GroupChat, Sent

pytestmark = pytest.mark.parametrize("war_room_kind", [TeamsWarRoom.GROUP_CHAT])
CREATE = "POST /graph/v1.0/chats"
INSTALL = "POST /graph/v1.0/chats/{chat}/installedApps"


def teams_id(rig: TeamsRig, person_id: str) -> str:
    return rig.teams.plan.people[person_id].teams_id or entra_id(person_id)


def the_chat(rig: TeamsRig, crisis: Crisis) -> GroupChat:
    """The one war-room chat of the crisis (other chats of the same people may exist)."""
    assert crisis.room is not None
    [chat] = [c for c in rig.ms.state.chats.values() if c.topic == crisis.room_name]
    assert crisis.room.id == chat.id
    return chat


def text_of(sent: Sent) -> str:
    return json.dumps(sent.activity, ensure_ascii=False)


async def test_a_declaration_makes_a_group_chat_with_crisisbot_in_it(rig: TeamsRig) -> None:
    await rig.teams.say("crisis start complaint sev3 Delivery delays", by="amelie")
    [crisis] = await rig.core.service.crises()
    chat = the_chat(rig, crisis)
    assert crisis.room is not None
    assert chat.topic == crisis.room.name
    assert len(rig.ms.state.chats) == 1
    assert crisis.room.url == rig.ms.state.chat_json(chat)["webUrl"]
    assert all(s.status is StepStatus.DONE for s in crisis.steps), crisis.steps
    # the lead role started it; the invitation brought the others, with no team in between
    assert {teams_id(rig, p) for p in ("amelie", "marcus")} <= chat.members
    assert chat.members == {teams_id(rig, p) for p in invitees(crisis.assignments)}
    assert [c.name for c in rig.ms.state.channels.values()] == [ANNOUNCE]
    assert not rig.ms.state.team_members

    # installed (consenting to what its definition asks) before the first post in the chat
    assert chat.apps == [CATALOG_ID]
    calls = rig.ms.state.calls
    installed = calls.index(("POST", f"/graph/v1.0/chats/{chat.id}/installedApps"))
    first_post = calls.index(("POST", f"/amer/v3/conversations/{chat.id}/activities"))
    assert installed < first_post
    [kickoff, *_] = rig.ms.state.sent_to(chat.id)
    assert kickoff.service_url == rig.ms.service_url  # the serviceUrl Teams gave, path kept
    assert "Delivery delays" in text_of(kickoff)
    assert rig.ms.state.sent_to("a:personal-"), "the owners were paged in 1:1 chats"
    assert any(crisis.key in text_of(s) for s in rig.ms.state.sent_to(ANNOUNCE) + rig.ms.state.sent)

    # the war room works as a war room: a command in the chat answers there, about its crisis
    before = len(rig.ms.state.sent_to(chat.id))
    assert await rig.teams.say("crisis status", by="marcus", conversation=chat.id) == 200
    answers = rig.ms.state.sent_to(chat.id)[before:]
    assert answers
    assert crisis.key in text_of(answers[-1])
    assert all(";messageid=" not in s.conversation for s in rig.ms.state.sent_to(chat.id))


async def test_the_app_must_be_in_the_catalog_and_the_step_says_so(rig: TeamsRig) -> None:
    rig.ms.state.catalog.clear()
    await rig.teams.say("crisis start complaint sev3 Delivery delays", by="amelie")
    [crisis] = await rig.core.service.crises()
    step = crisis.step(StepKey.CREATE_ROOM)
    assert step is not None
    assert step.status is StepStatus.FAILED
    assert "app catalog" in (step.detail or "")
    assert not any(s.conversation.endswith("@thread.v2") for s in rig.ms.state.sent), "no post without the app"


async def test_someone_graph_will_not_add_is_named_in_the_war_room(rig: TeamsRig) -> None:
    rig.ms.state.chat_refuses.add(teams_id(rig, "sofia"))
    await rig.teams.say("crisis start complaint sev3 Delivery delays", by="amelie")
    [crisis] = await rig.core.service.crises()
    chat = the_chat(rig, crisis)
    assert crisis.unreachable.get("sofia") == "Teams would not add them to the war room chat (Forbidden)"
    assert teams_id(rig, "sofia") not in chat.members
    assert teams_id(rig, "theo") in chat.members  # one refusal keeps nobody else out
    [kickoff, *_] = rig.ms.state.sent_to(chat.id)
    assert "Could not invite" in text_of(kickoff)
    assert "Sofia Chen" in text_of(kickoff)


async def test_graph_429_on_create_is_retried_after_a_bounded_wait(rig: TeamsRig) -> None:
    rig.ms.state.fault(CREATE, Fault(429, retry_after=2), Fault(429, retry_after=3600))
    await rig.teams.say("crisis start complaint sev3 Delivery delays", by="amelie")
    [crisis] = await rig.core.service.crises()
    the_chat(rig, crisis)
    assert rig.waits[:2] == [2.0, 10.0]  # Retry-After honoured, capped at 10 s
    assert rig.ms.state.calls.count(("POST", "/graph/v1.0/chats")) == 3


@pytest.mark.parametrize("lost", [True, False], ids=["answer-lost-before-recorded", "recorded-not-installed"])
async def test_a_resumed_declaration_adopts_its_chat_and_makes_no_second(
    rig: TeamsRig,
    teams_loaded: LoadedPlan,
    store: Storage,
    clock: ManualClock,
    renderer: JinjaDraftRenderer,
    lost: bool,
) -> None:
    lead = [teams_id(rig, "amelie"), teams_id(rig, "marcus")]
    for n in range(3):  # the lead's other chats: the war room is found on a later page
        rig.ms.state.create_chat({"chatType": "group", "topic": f"Team lunch {n}"}, lead)
    if lost:  # Graph made the chat, the process never heard: only Graph knows it
        rig.ms.state.fault(CREATE, Fault(504, code="GatewayTimeout", lost=True))
    else:  # made and written down, then the install failed: the address book knows it
        rig.ms.state.fault(INSTALL, Fault(403, code="Forbidden"))
    await rig.teams.say("crisis start complaint sev3 Delivery delays", by="amelie")
    [crisis] = await rig.core.service.crises()
    step = crisis.step(StepKey.CREATE_ROOM)
    assert step is not None
    assert step.status is StepStatus.FAILED
    assert crisis.room is None
    assert [c.topic for c in rig.ms.state.chats.values()].count(crisis.room_name) == 1  # no blind retry

    async with restarted(rig, teams_loaded, store, clock, renderer) as other:
        resumed = await resume(other, clock)
    chat = the_chat(rig, resumed)  # still one chat of that topic, and it is the war room
    assert all(s.status is StepStatus.DONE for s in resumed.steps), resumed.steps
    assert chat.apps == [CATALOG_ID]
    assert rig.ms.state.sent_to(chat.id), "the kickoff is in the adopted chat"
    assert rig.ms.state.app_installed_in(chat.id, APP_ID)
