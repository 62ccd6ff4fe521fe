"""Who may do what, one row of the plan's permissions at a time: allowed, and refused politely.

The example plan: people of the plan escalate; the lead de-escalates and resolves; a crisis's own
people post updates and notes, see it, export it and draft; the communication roles (and the
author) edit and publish drafts; declaring at sev2 takes a person of the plan, sev1 the lead.
"""

from __future__ import annotations

import pytest

from bot.adapters.console.workspace import ConsoleWorkspace
from bot.container import Core
from bot.core.commands import DraftCommand, StartCommand
from bot.core.model.crisis import Actor, Crisis, Invocation
from bot.core.model.drafts import DraftStatus
from bot.core.model.errors import PermissionDeniedError
from bot.core.plan.model import LoadedPlan
from tests.conftest import person

GUEST = Actor(platform_id="U0GUEST", name="A guest")
# who may do what is decided before any query: one database is enough
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
FACTS = (
    ("customer_handle", "@claire_b"),
    ("what_went_wrong", "a cracked shade"),
    ("next_update", "17:00"),
    ("fix", "a new lamp ships today"),
    ("agent_name", "Sofia"),
)


@pytest.fixture
async def crisis(core: Core, loaded_plan: LoadedPlan) -> Crisis:
    """A sev3 complaint: its people are the lead, the community managers and the social team."""
    return await core.service.start(StartCommand("complaint", "sev3", "Cracked shades"), person(loaded_plan, "amelie"))


def said(reply: object) -> str:
    text = getattr(reply, "plain_text", None)
    return text() if callable(text) else str(reply)


async def run(core: Core, crisis: Crisis, who: Actor, text: str) -> str:
    assert crisis.room is not None
    return said(await core.service.handle(Invocation(actor=who, text=text, channel_id=crisis.room.id)))


@pytest.mark.parametrize(
    ("command", "allowed", "refused", "refusal"),
    [
        ("escalate Press is calling", "jordan", "guest", "You are not in Maison Lumen's crisis plan"),
        ("deescalate", "marcus", "sofia", "Only the crisis lead can deescalate CRISIS-0001"),
        ("update Replacements ship today", "sofia", "nadia", "Only the people of CRISIS-0001 can post an update"),
        ("note The carrier called", "theo", "nadia", "Only the people of CRISIS-0001 can add to the timeline"),
        ("status", "jordan", "nadia", "Only the people of CRISIS-0001 can see CRISIS-0001"),
        ("export", "sofia", "guest", "You are not in Maison Lumen's crisis plan, so you cannot see CRISIS-0001"),
        ("resolve Done", "amelie", "jordan", "Only the crisis lead can resolve CRISIS-0001"),
    ],
)
async def test_each_command_follows_its_row_of_the_plan(
    core: Core, crisis: Crisis, loaded_plan: LoadedPlan, command: str, allowed: str, refused: str, refusal: str
) -> None:
    refused_actor = GUEST if refused == "guest" else person(loaded_plan, refused)
    no = await run(core, crisis, refused_actor, command)
    assert refusal in no
    assert "Ask" in no, "a refusal says whom to ask"
    yes = await run(core, crisis, person(loaded_plan, allowed), command)
    assert "Only " not in yes
    assert "not in Maison Lumen's crisis plan" not in yes


async def test_an_outsider_cannot_post_all_clear_to_the_company(
    core: Core, crisis: Crisis, ws: ConsoleWorkspace
) -> None:
    before = len(ws.channels["crisis-announcements"].posts)
    reply = await run(core, crisis, GUEST, "update All clear, stand down")
    assert "not in Maison Lumen's crisis plan" in reply
    assert len(ws.channels["crisis-announcements"].posts) == before, "nothing went out"
    saved = await core.store.crises.get(crisis.number)
    assert saved is not None
    assert saved.next_update_due == crisis.next_update_due, "the reminder clock was not reset"


async def test_a_private_crisis_is_out_of_sight_for_outsiders(
    core: Core, crisis: Crisis, loaded_plan: LoadedPlan
) -> None:
    general = Invocation(actor=GUEST, text="list all", channel_id="general")
    assert "Cracked shades" not in said(await core.service.handle(general))
    named = Invocation(actor=GUEST, text="status CRISIS-0001", channel_id="general")
    assert "cannot see CRISIS-0001" in said(await core.service.handle(named))
    member = Invocation(actor=person(loaded_plan, "sofia"), text="list all", channel_id="general")
    assert "Cracked shades" in said(await core.service.handle(member))
    [home] = await core.service.overviews([GUEST])
    assert "Cracked shades" not in home.plain_text()
    [lead_home] = await core.service.overviews([person(loaded_plan, "marcus")])
    assert "Cracked shades" in lead_home.plain_text()


async def test_an_outsiders_sev1_is_declared_at_the_level_they_may(core: Core, loaded_plan: LoadedPlan) -> None:
    crisis = await core.service.start(StartCommand("complaint", "sev1", "The CEO must know"), GUEST)
    assert crisis.severity_id == "sev3", "the scenario's usual level: anyone may raise the alarm"
    assert crisis.asked_severity == "sev1"
    assert "executive_sponsor" not in {a.role_id for a in crisis.assignments}, "nobody pages the CEO for them"
    plan_person = await core.service.start(StartCommand("troll", "sev2", "Spreading"), person(loaded_plan, "jordan"))
    assert plan_person.severity_id == "sev2", "people of the plan may declare sev2"
    lead = await core.service.start(StartCommand("executive_scandal", None, "Video"), person(loaded_plan, "marcus"))
    assert lead.severity_id == "sev1"
    outsider_scandal = await core.service.start(StartCommand("executive_scandal", None, "Rumour"), GUEST)
    assert outsider_scandal.severity_id == "sev3", "the scenario is usually sev1: a stranger gets the worst they may"
    reply = await core.service.handle(Invocation(actor=GUEST, text="start complaint sev1 Once more"))
    assert "Declared at SEV3: the plan keeps SEV1 for others to declare" in reply.plain_text()


async def test_drafts_belong_to_their_author_and_the_communication_roles(core: Core, loaded_plan: LoadedPlan) -> None:
    crisis = await core.service.start(StartCommand("complaint", "sev1", "Recall"), person(loaded_plan, "amelie"))
    drafts = core.cases.drafts
    await drafts.create(DraftCommand("complaint", "acknowledge", None, FACTS), crisis, person(loaded_plan, "sofia"))
    daniel = person(loaded_plan, "daniel")  # legal: in the sev1 war room, not a communication role
    with pytest.raises(PermissionDeniedError, match="Only Community manager, Social media team, Press & PR or"):
        await drafts.edit(1, daniel, text="Our lawyers say nothing.")
    with pytest.raises(PermissionDeniedError, match="draft a reply"):
        await drafts.create(DraftCommand("complaint", "acknowledge", None, FACTS), crisis, GUEST)
    await drafts.edit(1, person(loaded_plan, "sofia"), text="@claire_b We are sorry. A new lamp ships today.")
    await drafts.edit(1, person(loaded_plan, "theo"), text="@claire_b So sorry. A new lamp ships today. – Théo")
    await drafts.submit(1, person(loaded_plan, "theo"))
    await drafts.decide(1, person(loaded_plan, "nadia"), approve=True)
    with pytest.raises(PermissionDeniedError, match="record a reply of CRISIS-0001 as published"):
        await drafts.publish(1, daniel, "https://x.example/1")
    await drafts.publish(1, person(loaded_plan, "nadia"), "https://x.example/1")  # the approver records it
    draft = await core.store.drafts.get_draft(1)
    assert draft is not None
    assert draft.status is DraftStatus.PUBLISHED
