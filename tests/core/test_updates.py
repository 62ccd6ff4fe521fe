"""Status updates for two audiences: the war room gets the detail, stakeholders a plain summary in
their channel, required at the severities the plan names (there, a bare update opens the form)."""

from __future__ import annotations

import pytest

from bot.adapters.console.workspace import ConsoleWorkspace
from bot.container import Core
from bot.core.commands import StartCommand
from bot.core.model.actions import FormKind
from bot.core.model.crisis import Crisis, Invocation
from bot.core.model.events import EventKind
from bot.core.plan.model import LoadedPlan
from tests.conftest import person

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
DETAIL = "Carrier found the damaged pallet; 40 orders affected, 12 customers contacted"
SUMMARY = "A shipping fault damaged some lamps; every customer affected gets a replacement this week."


async def declared(core: Core, loaded_plan: LoadedPlan, severity: str) -> Crisis:
    return await core.service.start(
        StartCommand("complaint", severity, "Cracked shades"), person(loaded_plan, "amelie")
    )


def posts(ws: ConsoleWorkspace, channel: str) -> list[str]:
    return [p.message.plain_text() for p in ws.channels[channel].posts] if channel in ws.channels else []


async def test_where_no_summary_is_required_an_update_stays_in_the_war_room(
    core: Core, ws: ConsoleWorkspace, loaded_plan: LoadedPlan
) -> None:
    crisis = await declared(core, loaded_plan, "sev3")
    inv = Invocation(actor=person(loaded_plan, "amelie"), text=f"update {DETAIL}", channel_id=crisis.room_name)
    reply = (await core.service.handle(inv)).plain_text()
    assert "war room only" in reply
    assert "/crisis update with no text" in reply, "how to tell stakeholders too"
    assert any(DETAIL in text for text in posts(ws, crisis.room_name))
    assert posts(ws, "crisis-stakeholders") == []


async def test_where_a_summary_is_required_the_form_opens_with_the_detail(
    core: Core, ws: ConsoleWorkspace, loaded_plan: LoadedPlan
) -> None:
    crisis = await declared(core, loaded_plan, "sev2")
    before = len(await core.store.crises.timeline(crisis.number))
    inv = Invocation(actor=person(loaded_plan, "amelie"), text=f"update {DETAIL}", channel_id=crisis.room_name)
    reply = await core.service.handle(inv)
    assert reply.form is not None
    assert reply.form.kind is FormKind.UPDATE
    detail, summary = reply.form.fields
    assert detail.initial == DETAIL
    assert summary.required, "required at SEV2"
    assert "At SEV2 every update carries a stakeholder summary" in reply.plain_text()
    assert len(await core.store.crises.timeline(crisis.number)) == before, "nothing posted or recorded yet"

    submitted = await core.service.submit(
        FormKind.UPDATE, reply.form.payload, {"detail": DETAIL, "summary": SUMMARY}, person(loaded_plan, "amelie")
    )
    assert "the summary in #crisis-stakeholders" in submitted.plain_text()
    [told] = posts(ws, "crisis-stakeholders")
    assert SUMMARY in told
    assert "40 orders" not in told, "the internal detail stays in the war room"
    assert "SEV2" in told
    assert "Amélie Laurent" in told, "the lead, a field the plan chose"
    room = posts(ws, crisis.room_name)[-1]
    assert DETAIL in room
    assert f"Stakeholders were told: {SUMMARY}" in room
    [event] = [e for e in await core.store.crises.timeline(crisis.number) if e.kind is EventKind.STATUS_UPDATE]
    assert event.text == f"{DETAIL}\nStakeholders were told: {SUMMARY}"


async def test_a_form_sent_without_the_required_summary_is_refused_politely(
    core: Core, ws: ConsoleWorkspace, loaded_plan: LoadedPlan
) -> None:
    crisis = await declared(core, loaded_plan, "sev1")
    amelie = person(loaded_plan, "amelie")
    form = (await core.service.handle(Invocation(actor=amelie, text="update", channel_id=crisis.room_name))).form
    assert form is not None
    reply = await core.service.submit(FormKind.UPDATE, form.payload, {"detail": DETAIL, "summary": "  "}, amelie)
    assert "At SEV1 every update carries a stakeholder summary" in reply.plain_text()
    assert posts(ws, "crisis-stakeholders") == []


async def test_a_bare_update_opens_the_form_with_an_optional_summary(core: Core, loaded_plan: LoadedPlan) -> None:
    crisis = await declared(core, loaded_plan, "sev4")
    amelie = person(loaded_plan, "amelie")
    reply = await core.service.handle(Invocation(actor=amelie, text="update", channel_id=crisis.room_name))
    assert reply.form is not None
    detail, summary = reply.form.fields
    assert detail.required
    assert not summary.required
    assert "leave empty to keep it in the war room" in summary.label
