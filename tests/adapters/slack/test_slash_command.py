"""``/crisis`` through the real Bolt app over HTTP, against the local fake Slack Web API."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.adapters.slack.conftest import SlackRig
from tests.adapters.slack.harness import ANNOUNCE, expect, sign, texts

TITLE = "Delivery delays flood our mentions"


def room_named(rig: SlackRig, suffix: str) -> dict[str, Any] | None:
    return next((c for c in rig.fake.channels.values() if c["name"].endswith(suffix)), None)


def posted(rig: SlackRig, channel_id: str) -> list[dict[str, Any]]:
    return [c.args for c in rig.fake.calls("chat.postMessage") if c.args.get("channel") == channel_id]


def formatted_strings(value: Any) -> list[str]:
    """Every string Slack would parse for mentions: all but the text of plain_text objects."""
    if isinstance(value, dict):
        if value.get("type") == "plain_text":
            return []
        return [s for v in value.values() for s in formatted_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in formatted_strings(v)]
    return [value] if isinstance(value, str) else []


async def declared(rig: SlackRig, response_url: str) -> str:
    expect(lambda: "declared." in texts(rig.fake.responses(response_url)))
    return texts(rig.fake.responses(response_url))


async def test_quick_path_builds_the_war_room(rig: SlackRig) -> None:
    status, ack, url = await rig.slack.command(f"start complaint sev3 {TITLE}")
    assert status == 200
    assert "Declaring CRISIS-0001" in ack, "stored before the acknowledgement, so it has its number"

    reply = await declared(rig, url)
    assert "CRISIS-0001 declared." in reply
    room = room_named(rig, "delivery-delays-flood-our-mentions")
    assert room is not None
    assert room["is_private"] is True
    assert f"<#{room['id']}>" in reply
    expected = {"U01AMELIE0", "U01MARCUS0", "U01SOFIA00", "U01THEO000", "U01JORDAN0"}
    assert expected <= set(room["members"])
    await rig.chat.settle()
    assert room["topic"].startswith("CRISIS-0001 · SEV3")

    kickoff, *pages = posted(rig, room["id"])
    blocks = json.dumps(kickoff["blocks"])
    assert len(pages) == 2, "sev3 pages the lead and the community manager, each with Acknowledge"
    assert all("page_ack" in json.dumps(p["blocks"]) for p in pages)
    dms = {c.args["channel"] for c in rig.fake.calls("chat.postMessage")}
    assert {"U01AMELIE0", "U01SOFIA00"} <= dms, "each page is also a direct message"
    assert "First actions" in blocks
    assert "<@U01AMELIE0>" in blocks, "the lead is pinged with a real mention"
    assert "<@U01SOFIA00>" in kickoff["text"], "the notification text carries the pings"
    assert rig.fake.pins[room["id"]], "the kickoff is pinned"
    announce = [c.args for c in rig.fake.calls("chat.postMessage") if c.args.get("channel") == f"#{ANNOUNCE}"]
    assert f"<#{room['id']}>" in json.dumps(announce[0]["blocks"])


async def test_email_only_people_are_looked_up_and_invited(rig: SlackRig) -> None:
    _, _, url = await rig.slack.command("start product_failure sev2 Checkout is down")
    await declared(rig, url)
    lookups = [c.args["email"] for c in rig.fake.calls("users.lookupByEmail")]
    assert "claire.dubois@agencerivage.example" in lookups
    room = room_named(rig, "checkout-is-down")
    assert room is not None
    claire = next(uid for uid, u in rig.fake.users.items() if u["name"] == "claire")
    assert claire in room["members"]
    # found by e-mail, then mentioned (and so notified) like everyone else, in every later message
    kickoff = posted(rig, room["id"])[0]
    assert f"<@{claire}>" in json.dumps(kickoff["blocks"])
    assert "*Claire Dubois*" not in json.dumps(kickoff["blocks"])
    await rig.slack.command("escalate sev1 National press", channel=room["id"])
    lookups = [c.args["email"] for c in rig.fake.calls("users.lookupByEmail")]
    assert lookups.count("claire.dubois@agencerivage.example") == 1, "looked up once, then cached"


async def test_name_taken_in_slack_picks_the_next_name(rig: SlackRig) -> None:
    today = time.strftime("%Y%m%d", time.gmtime(rig.core.clock.now().timestamp()))
    made_by_hand = rig.fake.add_channel(f"crisis-{today}-troll-storm", members=["U01AMELIE0"])
    rig.fake.channels[made_by_hand]["creator"] = "U01AMELIE0"  # a person's, moments ago: not ours to take
    _, _, url = await rig.slack.command("start troll Troll storm")
    await declared(rig, url)
    assert room_named(rig, "troll-storm-2") is not None
    crisis = await rig.repo.get(1)
    assert crisis is not None
    assert crisis.room_name == f"crisis-{today}-troll-storm-2"


async def test_one_person_who_cannot_be_invited_does_not_stop_the_others(rig: SlackRig) -> None:
    rig.fake.users["U01SOFIA00"]["deleted"] = True
    del rig.fake.users["U01THEO000"]
    _, _, url = await rig.slack.command("start complaint Late parcels")
    reply = await declared(rig, url)
    assert "3 of 5 people invited." in reply
    room = room_named(rig, "late-parcels")
    assert room is not None
    assert {"U01AMELIE0", "U01MARCUS0", "U01JORDAN0"} <= set(room["members"])
    kickoff = json.dumps(posted(rig, room["id"])[0]["blocks"])
    assert "Could not invite:" in kickoff
    assert "deactivated" in kickoff
    assert "Slack does not know this user id" in kickoff


async def test_rate_limit_and_server_error_during_start_are_retried(rig: SlackRig) -> None:
    rig.fake.fail_next("conversations.create", status=429, retry_after=1)
    rig.fake.fail_next("chat.postMessage", status=500)
    _, _, url = await rig.slack.command("start troll Spam wave")
    reply = await declared(rig, url)
    assert "failed" not in reply
    assert rig.fake.count("conversations.create") == 2
    assert any(1.0 <= w <= 1.25 for w in rig.waits), "waited Slack's Retry-After (recorded, not slept)"
    room = room_named(rig, "spam-wave")
    assert room is not None
    assert rig.fake.pins[room["id"]]
    crisis = await rig.repo.get(1)
    assert crisis is not None
    assert crisis.unfinished_steps == []


async def test_a_failure_that_outlasts_retries_is_reported_and_recorded(rig: SlackRig) -> None:
    rig.fake.fail_next("pins.add", error="restricted_action", times=5)
    _, _, url = await rig.slack.command("start troll Spam wave")
    reply = await declared(rig, url)
    assert "Pin the kickoff message failed: Slack could not pin the kickoff message: restricted_action." in reply
    _, _, status_url = await rig.slack.command("status CRISIS-0001")
    expect(lambda: rig.fake.responses(status_url))
    assert "Pin the kickoff message: failed" in texts(rig.fake.responses(status_url))


async def test_forged_and_stale_requests_are_rejected(rig: SlackRig) -> None:
    body = "command=%2Fcrisis&text=start+troll+Forged&user_id=U01AMELIE0&channel_id=C1&response_url=x&trigger_id=t"
    forged = sign(body, secret="not-the-signing-secret")
    assert (await rig.slack.post(body, forged))[0] == 401
    stale = sign(body, timestamp=int(time.time()) - 6 * 60)
    assert (await rig.slack.post(body, stale))[0] == 401
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (await rig.slack.post(body, unsigned))[0] == 401
    assert rig.fake.count("conversations.create") == 0
    assert await rig.repo.list_crises() == []


async def test_user_text_cannot_ping_anyone(rig: SlackRig) -> None:
    _, _, url = await rig.slack.command("start <!channel> <@U01NADIA00> <!here|here> *bold* & co")
    await declared(rig, url)
    # plain_text objects are never parsed for mentions by Slack; everything else is
    everything = "\n".join(formatted_strings([*rig.fake.responses(url), *(c.args for c in rig.fake.calls())]))
    assert "<!channel>" not in everything
    assert "<!here" not in everything
    assert "<@U01NADIA00>" not in everything
    assert "&lt;!channel&gt; &lt;@U01NADIA00&gt;" in everything
    crisis = await rig.repo.get(1)
    assert crisis is not None
    assert crisis.title == "<!channel> <@U01NADIA00> <!here|here> *bold* & co", "stored as typed"


async def test_text_arrives_escaped_by_slack_and_is_stored_as_typed(rig: SlackRig) -> None:
    _, _, url = await rig.slack.command("start complaint Q&A <live> leak")
    await declared(rig, url)
    crisis = await rig.repo.get(1)
    assert crisis is not None
    assert crisis.title == "Q&A <live> leak"
    assert crisis.room_name.endswith("-q-a-live-leak")


async def test_status_list_resolve_and_help_in_slack(rig: SlackRig) -> None:
    _, _, url = await rig.slack.command("start troll Bot swarm")
    await declared(rig, url)
    room = room_named(rig, "bot-swarm")
    assert room is not None

    _, _, status_url = await rig.slack.command("status", channel=room["id"])
    expect(lambda: rig.fake.responses(status_url))
    assert "CRISIS-0001: Bot swarm" in texts(rig.fake.responses(status_url))

    _, _, list_url = await rig.slack.command("list")
    expect(lambda: rig.fake.responses(list_url))
    assert "CRISIS-0001" in texts(rig.fake.responses(list_url))

    _, _, resolve_url = await rig.slack.command("resolve Accounts reported and blocked", channel=room["id"])
    expect(lambda: rig.fake.responses(resolve_url))
    assert "CRISIS-0001 is resolved" in texts(rig.fake.responses(resolve_url))
    assert any("resolved" in c.args.get("text", "") for c in rig.fake.calls("chat.postMessage"))

    status, ack, _ = await rig.slack.command("launch")
    assert status == 200
    help_text = ack  # a mistake is answered in the acknowledgement itself, at once
    assert "I don't know the command `launch`" in help_text
    assert "/crisis start [scenario] [sev1..sev4] &lt;title&gt;" in help_text


async def test_announcements_channel_the_bot_is_not_in(rig: SlackRig) -> None:
    announce = next(c for c in rig.fake.channels.values() if c["name"] == ANNOUNCE)
    announce["members"].remove(rig.fake.bot_user_id)
    _, _, url = await rig.slack.command("start troll Public channel join")
    await declared(rig, url)
    assert rig.fake.count("conversations.join") == 1
    assert rig.fake.bot_user_id in announce["members"]
    assert rig.fake.messages[announce["id"]]


async def test_private_announcements_channel_says_how_to_fix_it(rig: SlackRig) -> None:
    announce = next(c for c in rig.fake.channels.values() if c["name"] == ANNOUNCE)
    announce["is_private"] = True
    announce["members"].remove(rig.fake.bot_user_id)
    _, _, url = await rig.slack.command("start troll Private announcements")
    reply = await declared(rig, url)
    assert "Announce in the announcements channel failed" in reply
    assert "crisisbot cannot see a #crisis-announcements channel" in reply
    assert "/invite @crisisbot" in reply
    room = room_named(rig, "private-announcements")
    assert room is not None
    assert rig.fake.pins[room["id"]], "the war room is complete even though the announcement failed"


async def test_health_endpoint(rig: SlackRig) -> None:
    url = rig.slack.app_url.replace("/slack/events", "/healthz")
    async with rig.slack.session.get(url) as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ok"}


async def test_a_message_over_50_blocks_continues_in_its_thread(rig: SlackRig) -> None:
    from bot.core.messaging.message import Header, Message

    channel = next(c["id"] for c in rig.fake.channels.values() if c["name"] == "general")
    posted_message = await rig.chat.post(channel, Message("long playbook", tuple(Header(f"h{i}") for i in range(120))))
    calls = posted(rig, channel)
    assert [len(c["blocks"]) for c in calls] == [50, 50, 20]
    assert calls[0].get("thread_ts") is None
    assert {c["thread_ts"] for c in calls[1:]} == {posted_message.message_id}


async def test_tokens_never_reach_the_logs(rig: SlackRig, caplog: Any) -> None:
    import logging

    from tests.adapters.slack.harness import BOT_TOKEN, SIGNING_SECRET

    caplog.set_level(logging.DEBUG)
    rig.fake.fail_next("pins.add", error="restricted_action", times=5)
    _, _, url = await rig.slack.command("start troll Logged crisis")
    await declared(rig, url)
    assert caplog.records, "debug logging was on: there must be something to check"
    assert BOT_TOKEN not in caplog.text
    assert SIGNING_SECRET not in caplog.text


async def test_an_unexpected_failure_still_gets_an_answer(rig: SlackRig, sqlite_url: str) -> None:
    import sqlite3

    _, _, url = await rig.slack.command("start troll Before the outage")
    await declared(rig, url)
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as db:  # a real fault, not a stand-in
        db.execute("DROP TABLE timeline_event")
    _, _, status_url = await rig.slack.command("status")
    expect(lambda: rig.fake.responses(status_url))
    reply = texts(rig.fake.responses(status_url))
    assert "Something went wrong on my side" in reply
    assert "/crisis status" in reply


async def test_escalate_ack_and_lead_with_a_real_mention(rig: SlackRig) -> None:
    _, _, url = await rig.slack.command("start complaint sev3 Escalation in Slack")
    await declared(rig, url)
    room = room_named(rig, "escalation-in-slack")
    assert room is not None
    page_cards = [m for m in posted(rig, room["id"]) if "page_ack" in json.dumps(m.get("blocks"))]
    page_ids = [e["value"] for m in page_cards for b in m["blocks"] if b["type"] == "actions" for e in b["elements"]]
    _, _, ack_url = await rig.slack.click("page_ack", page_ids[0], user="U01AMELIE0", channel=room["id"])
    expect(lambda: rig.fake.responses(ack_url))
    assert "Thanks Amélie Laurent: acknowledged" in texts(rig.fake.responses(ack_url))

    _, _, esc_url = await rig.slack.command("escalate Journalist called", user="U01JORDAN0", channel=room["id"])
    expect(lambda: rig.fake.responses(esc_url))
    assert "SEV3 → SEV2: Journalist called" in texts(rig.fake.responses(esc_url))
    assert "U01NADIA00" in room["members"], "press joins at sev2"

    # Slack sends a real mention as <@U...|name> because the manifest sets should_escape
    _, _, lead_url = await rig.slack.command("lead <@U01MARCUS0|marcus>", channel=room["id"])
    expect(lambda: rig.fake.responses(lead_url))
    assert "Marcus Reid now leads CRISIS-0001" in texts(rig.fake.responses(lead_url))


async def test_a_declaration_refused_in_its_acknowledgement_is_not_run_again(rig: SlackRig, sqlite_url: str) -> None:
    """The acknowledgement said it failed and nothing follows it: the command used to be run
    again behind it, which told the person twice, and once the database answered again (after an
    outage) declared the crisis they had been told was not stored."""
    import sqlite3

    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as db:  # a real fault, not a stand-in
        db.execute("DROP TABLE crisis_step")
    status, ack, url = await rig.slack.command("start troll Never stored")
    assert status == 200
    assert "Something went wrong on my side" in ack
    assert rig.fake.responses(url) == []  # the app's work is drained before command() returns
    assert rig.fake.count("conversations.create") == 0
