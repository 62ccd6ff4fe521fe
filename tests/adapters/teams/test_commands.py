"""Commands typed to the bot in Teams: an @mention in a channel or a 1:1 chat, through the one
door with the same parser and answers as Slack; the reply goes to the activity's serviceUrl,
path included, in the thread the command was typed in."""

from __future__ import annotations

from typing import Any

from tests.adapters.teams.conftest import TeamsRig
from tests.adapters.teams.harness import GENERAL, entra_id


def texts(activity: dict[str, Any]) -> str:
    """Every TextBlock and fact of the activity's cards, joined."""
    out = []
    for attachment in activity.get("attachments") or []:
        for element in attachment["content"]["body"]:
            out.append(element.get("text", ""))
            out.extend(f"{f['title']} {f['value']}" for f in element.get("facts", []))
    return "\n".join(out)


async def test_a_mention_in_a_channel_declares_a_crisis(rig: TeamsRig) -> None:
    assert await rig.teams.say("crisis start complaint sev3 Delivery delays", by="amelie") == 200
    [crisis] = await rig.core.service.crises()
    assert crisis.room is not None
    channel = rig.ms.state.channels[crisis.room.id]
    assert channel.name == crisis.room.name
    assert not channel.private
    thread = [s for s in rig.ms.state.sent if s.conversation.startswith(f"{GENERAL};messageid=")]
    assert "Declaring CRISIS-0001" in texts(thread[0].activity)
    assert "CRISIS-0001 declared" in texts(thread[-1].activity)
    assert all(s.service_url == rig.ms.service_url for s in rig.ms.state.sent)  # ".../amer/", path kept
    assert [s for s in rig.ms.state.sent if s.conversation == crisis.room.id]  # kickoff in the war room
    assert rig.ms.state.sent_to("a:personal-")  # pages as 1:1 messages


async def test_a_one_to_one_chat_needs_no_mention(rig: TeamsRig) -> None:
    me = f"a:personal-{entra_id('amelie')}"
    assert await rig.teams.say("list", by="amelie", conversation=me, mention_bot=False) == 200
    [answer] = rig.ms.state.sent
    assert answer.conversation == me
    assert texts(answer.activity) == "No active crisis. Calm seas."


async def test_a_mistyped_command_gets_the_same_answer_as_in_slack(rig: TeamsRig) -> None:
    assert await rig.teams.say("crisis strat complaint", by="amelie") == 200
    [answer] = rig.ms.state.sent
    assert "I don't know the command" in texts(answer.activity)
    assert await rig.core.service.crises() == []


async def test_other_mentions_become_plan_people(rig: TeamsRig) -> None:
    await rig.teams.say("crisis start complaint sev3 Delivery delays", by="amelie")
    [crisis] = await rig.core.service.crises()
    assert crisis.room is not None
    before = len(rig.ms.state.sent)
    # Claire has no Teams id in the plan: she is found by the e-mail Teams has for her
    assert await rig.teams.say("crisis lead {claire}", by="amelie", conversation=crisis.room.id) == 200
    assert "Claire" in "".join(texts(s.activity) for s in rig.ms.state.sent[before:])
    assert (await rig.core.service.find(crisis.number, None)).lead_person_id == "claire"


async def test_a_typed_mention_tag_is_only_text(rig: TeamsRig) -> None:
    await rig.teams.say("crisis start complaint sev3 <at>Everyone</at> **now** [x](https://evil.example)", by="amelie")
    [crisis] = await rig.core.service.crises()
    assert crisis.title.startswith("<at>Everyone</at>")  # stored as typed
    kickoff = next(s for s in rig.ms.state.sent if crisis.room and s.conversation == crisis.room.id)
    shown = texts(kickoff.activity)
    assert "\\<at\\>Everyone\\</at\\>" in shown
    assert "\\*\\*now\\*\\*" in shown
    assert "\\[x\\]" in shown
    entities = kickoff.activity["attachments"][0]["content"]["msteams"].get("entities", [])
    assert all(e["text"] != "<at>Everyone</at>" for e in entities)
