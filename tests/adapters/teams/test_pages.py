"""Pages are proactive 1:1 messages, which Teams allows only once the person has the app: who
cannot be reached is named in the war room, as in Slack. The export, which Teams bots cannot
attach as files, is shown as text in the war room."""

from __future__ import annotations

import json

from tests.adapters.teams.conftest import TeamsRig
from tests.adapters.teams.harness import entra_id


async def test_someone_without_the_app_is_named_in_the_war_room(rig: TeamsRig) -> None:
    rig.ms.state.installed_for.discard(entra_id("sofia"))
    await rig.teams.say("crisis start complaint sev3 Delivery delays", by="amelie")
    [crisis] = await rig.core.service.crises()
    assert crisis.room is not None
    room = json.dumps([s.activity for s in rig.ms.state.sent_to(crisis.room.id)], ensure_ascii=False)
    assert "Could not send Sofia Chen a direct message" in room
    assert "install crisisbot for them" in room
    assert rig.ms.state.sent_to(f"a:personal-{entra_id('amelie')}")  # the others are paged


async def test_the_export_is_shown_as_text_where_files_cannot_go(rig: TeamsRig) -> None:
    await rig.teams.say("crisis start complaint sev3 Delivery delays", by="amelie")
    [crisis] = await rig.core.service.crises()
    assert crisis.room is not None
    before = len(rig.ms.state.sent)
    await rig.teams.say("crisis export", by="amelie", conversation=crisis.room.id)
    posted = json.dumps([s.activity for s in rig.ms.state.sent[before:]], ensure_ascii=False)
    assert "Teams bots cannot attach files" in posted
    assert "CRISIS-0001 report as text" in posted
    assert "report is in the war room thread" in posted
