"""Restricted crises (HR, legal, an executive): a private war room named without the title, an
announcement with no details, updates kept in the war room, sight limited to the crisis's people,
its lead and the scenario's ``visible_to`` roles, and contact details blanked out of exports not
asked by the lead.

The example plan marks the angry-employee scenario restricted, visible to HR and legal: at sev3 its
people are the leads, the community managers, the social team and HR; Nadia (press) is not one of
them, Daniel (legal) is not either but may see it.
"""

from __future__ import annotations

import json

import pytest

from bot.adapters.console.workspace import ConsoleChat, ConsoleWorkspace
from bot.container import Core, Storage, build_core
from bot.core.commands import StartCommand
from bot.core.model.clock import ManualClock
from bot.core.model.crisis import Actor, Crisis, Invocation
from bot.core.model.errors import PermissionDeniedError
from bot.core.plan.model import LoadedPlan, WarRoomSettings
from bot.frameworks import JinjaDraftRenderer
from tests.conftest import person, workspace

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
TITLE = "Priya's ex-colleague posts our salary grid"
NOTE = "Reach him at j.doe@example.com or +33 6 12 34 56 78, meeting 2026-12-04 at 10:00, ref 12345"


@pytest.fixture
def public_rooms(loaded_plan: LoadedPlan) -> LoadedPlan:
    """The plan with public war rooms: a restricted crisis's room must be private all the same."""
    plan = loaded_plan.plan.model_copy(update={"war_room": WarRoomSettings(private=False)})
    return loaded_plan.model_copy(update={"plan": plan})


@pytest.fixture
def space(public_rooms: LoadedPlan) -> ConsoleWorkspace:
    return workspace(public_rooms)


@pytest.fixture
def open_core(
    public_rooms: LoadedPlan, store: Storage, renderer: JinjaDraftRenderer, clock: ManualClock, space: ConsoleWorkspace
) -> Core:
    return build_core(public_rooms, store, ConsoleChat(space), renderer, clock)


@pytest.fixture
async def crisis(open_core: Core, loaded_plan: LoadedPlan) -> Crisis:
    return await open_core.service.start(StartCommand("employee", "sev3", TITLE), person(loaded_plan, "amelie"))


async def say(core: Core, who: Actor, text: str, channel: str | None = None) -> str:
    return (await core.service.handle(Invocation(actor=who, text=text, channel_id=channel))).plain_text()


async def test_the_room_is_private_and_named_without_the_title(crisis: Crisis, space: ConsoleWorkspace) -> None:
    room = space.channels[crisis.room_name]
    assert room.private, "private even though the plan's war rooms are public"
    assert "restricted" in crisis.room_name
    assert "salary" not in crisis.room_name


async def test_the_announcement_names_no_details(crisis: Crisis, space: ConsoleWorkspace) -> None:
    [announced] = [p.message.plain_text() for p in space.channels["crisis-announcements"].posts]
    assert f"A restricted crisis was opened: {crisis.key}" in announced
    assert "Amélie Laurent" in announced, "whom to ask"
    for detail in ("salary", "employee", "SEV3", crisis.room_name):
        assert detail.lower() not in announced.lower()


async def test_updates_and_escalations_stay_in_the_war_room(
    open_core: Core, crisis: Crisis, space: ConsoleWorkspace, loaded_plan: LoadedPlan
) -> None:
    amelie = person(loaded_plan, "amelie")
    reply = await say(open_core, amelie, "update Post taken down; HR called him", crisis.room_name)
    assert "war room" in reply
    assert "#crisis-announcements" not in reply
    await say(open_core, amelie, "escalate sev2 A journalist asked", crisis.room_name)
    await say(open_core, amelie, "resolve Settled with legal", crisis.room_name)
    shared = [p.message.plain_text() for p in space.channels["crisis-announcements"].posts]
    assert len(shared) == 2
    assert shared[1] == f"The restricted crisis {crisis.key} was resolved."
    room = "\n".join(p.message.plain_text() for p in space.channels[crisis.room_name].posts)
    assert "Post taken down" in room
    assert "A journalist asked" in room


async def test_only_its_people_its_lead_and_the_named_roles_see_it(
    open_core: Core, crisis: Crisis, loaded_plan: LoadedPlan
) -> None:
    nadia, daniel, priya = (person(loaded_plan, p) for p in ("nadia", "daniel", "priya"))
    with pytest.raises(PermissionDeniedError, match=f"Only the people of {crisis.key}"):
        open_core.cases.access.require_view(crisis, nadia)
    assert crisis.key not in await say(open_core, nadia, "list all")
    assert "Only the people of" in await say(open_core, nadia, f"status {crisis.key}")
    assert "Only the people of" in await say(open_core, nadia, f"export {crisis.key}")
    assert crisis.key in await say(open_core, daniel, "list all"), "legal may see HR's crises"
    assert crisis.key in await say(open_core, priya, "list all"), "HR is one of its people"
    [home_nadia, home_daniel] = await open_core.service.overviews([nadia, daniel])
    assert crisis.key not in home_nadia.plain_text()
    assert crisis.key in home_daniel.plain_text()


async def test_exports_blank_contact_details_unless_the_lead_asks(
    open_core: Core, crisis: Crisis, space: ConsoleWorkspace, loaded_plan: LoadedPlan
) -> None:
    amelie, priya = person(loaded_plan, "amelie"), person(loaded_plan, "priya")
    await say(open_core, priya, f"note {NOTE}", crisis.room_name)

    await say(open_core, priya, "export", crisis.room_name)
    by_member = _thread_text(space, crisis)
    assert "j.doe@example.com" not in by_member
    assert "12 34 56 78" not in by_member
    assert "[e-mail removed]" in by_member
    assert "[phone removed]" in by_member
    assert "2026-12-04 at 10:00, ref 12345" in by_member, "dates, times and short numbers stay"
    assert "contact details are blanked out" in by_member

    space.channels[crisis.room_name].posts.clear()
    await say(open_core, amelie, "export", crisis.room_name)
    by_lead = _thread_text(space, crisis)
    assert "j.doe@example.com" in by_lead
    assert "+33 6 12 34 56 78" in by_lead

    full = json.loads(await open_core.service.export(crisis, "json"))
    assert any("j.doe@example.com" in e["text"] for e in full["timeline"]), "the command line exports in full"


def _thread_text(space: ConsoleWorkspace, crisis: Crisis) -> str:
    return "\n".join(p.message.plain_text() for p in space.channels[crisis.room_name].posts if p.thread_id)
