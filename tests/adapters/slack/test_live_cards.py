"""Messages that asked for a click stop asking once answered: a page card and its direct message
lose the Acknowledge button when someone acknowledges or the page moves on, and a review request
loses Approve / Request changes once reviewed or outdated. An old button must never look live."""

from __future__ import annotations

import json
from typing import Any

from bot.core.model.clock import ManualClock
from tests.adapters.slack.conftest import SlackRig
from tests.adapters.slack.harness import expect, filled, texts

AMELIE, SOFIA, MARCUS = "U01AMELIE0", "U01SOFIA00", "U01MARCUS0"
FACTS = 'customer_handle=@jane what_went_wrong="a cracked shade" next_update=17:00 fix="a new lamp" agent_name=Sofia'


def action_ids(message: dict[str, Any]) -> list[str]:
    return [
        e["action_id"] for b in message.get("blocks", []) if b.get("type") == "actions" for e in b.get("elements", [])
    ]


def value_of(message: dict[str, Any], action_id: str) -> str:
    return str(
        next(
            e["value"]
            for b in message.get("blocks", [])
            if b.get("type") == "actions"
            for e in b["elements"]
            if e["action_id"] == action_id
        )
    )


def pages_for(rig: SlackRig, channel_id: str, user: str) -> list[dict[str, Any]]:
    """Page cards for ``user`` in the channel, open (a mention and the button) or answered (the
    name, no mention: an answered page pings nobody again)."""
    name = rig.core.service.plan.person_name(rig.chat.person_for(user) or "")
    return [
        m
        for m in rig.fake.messages.get(channel_id, [])
        if ("page_ack" in action_ids(m) and f"<@{user}>" in json.dumps(m)) or f"Page for {name}" in json.dumps(m)
    ]


async def declared_room(rig: SlackRig, severity: str, title: str) -> str:
    _, _, url = await rig.slack.command(f"start complaint {severity} {title}", user=AMELIE)
    expect(lambda: "declared." in texts(rig.fake.responses(url)))
    slug = title.lower().replace(" ", "-")
    return str(next(c["id"] for c in rig.fake.channels.values() if c["name"].endswith(slug)))


async def test_an_acknowledged_page_keeps_no_button_in_the_room_or_the_dm(rig: SlackRig) -> None:
    room = await declared_room(rig, "sev3", "Live cards on ack")
    card = pages_for(rig, room, SOFIA)[0]
    dm = pages_for(rig, "D01SOFIA00", SOFIA)[0]
    assert action_ids(card) == ["page_ack"]
    assert action_ids(dm) == ["page_ack"]

    _, _, url = await rig.slack.click("page_ack", value_of(card, "page_ack"), user=SOFIA, channel=room)
    expect(lambda: rig.fake.responses(url))

    for message in (card, dm):  # the fake updates the stored message in place, as Slack does
        assert action_ids(message) == [], "an answered page must not look open"
        assert "Acknowledged by Sofia Chen" in json.dumps(message)
        assert "edited" in message
    assert len(pages_for(rig, room, SOFIA)) == 1, "updated where it was, not posted again"


async def test_a_page_that_moves_on_says_who_was_paged_next(rig: SlackRig, clock: ManualClock) -> None:
    room = await declared_room(rig, "sev3", "Live cards on timeout")
    first = pages_for(rig, room, SOFIA)[0]
    before = {m["ts"] for m in rig.fake.messages[room] if "page_ack" in action_ids(m)}
    assert len(before) == 2, "sev3 pages the lead and the community manager"
    timeout = rig.core.service.plan.severities["sev3"].ack_timeout_minutes
    clock.advance(minutes=timeout + 1)
    await rig.core.scheduler.tick()
    await rig.handlers.drain()

    assert action_ids(first) == []
    assert f"No answer in {timeout} min: paged" in json.dumps(first)
    live = {m["ts"] for m in rig.fake.messages[room] if "page_ack" in action_ids(m)}
    assert live, "the people paged next have a card to acknowledge"
    assert not live & before, "only the cards of the people paged next still ask for a click"


async def test_a_review_request_closes_once_reviewed_and_when_the_text_changes(rig: SlackRig) -> None:
    room = await declared_room(rig, "sev2", "Live review cards")

    async def submitted(draft_id: str, text: str) -> dict[str, Any]:
        _, _, _edit_url = await rig.slack.click("draft_edit", draft_id, user=SOFIA, channel=room)
        expect(lambda: rig.fake.count("views.open"))
        view = rig.fake.calls("views.open")[-1].args["view"]
        await rig.slack.submit_view({**view, "id": "VEDIT", "state": filled(view, text=text)}, user=SOFIA)
        await rig.slack.click("draft_submit", draft_id, user=SOFIA, channel=room)
        requests = [m for m in rig.fake.messages[room] if "draft_approve" in action_ids(m)]
        assert len(requests) == 1, "one open review request at a time"
        return requests[0]

    _, _, url = await rig.slack.command(f"draft {FACTS}", user=SOFIA, channel=room)
    expect(lambda: rig.fake.responses(url))
    draft_id = next(value_of(r, "draft_edit") for r in rig.fake.responses(url) if "blocks" in r)

    first = await submitted(draft_id, "@jane A cracked shade is not okay. DM us your order? – Sofia")
    second_text = "@jane A cracked shade is not okay, sorry. DM us your order? – Sofia"
    second = await submitted(draft_id, second_text)
    assert action_ids(first) == []
    assert "outdated: Sofia Chen changed the text" in json.dumps(first)
    assert "DM us your order" in json.dumps(first), "the old request still shows what it asked about"

    _, _, approve_url = await rig.slack.click("draft_approve", value_of(second, "draft_approve"), user=MARCUS)
    expect(lambda: rig.fake.responses(approve_url))
    assert action_ids(second) == []
    assert "approved by Marcus Reid" in json.dumps(second)
    assert "sorry" in json.dumps(second)


async def test_resolving_closes_the_pages_nobody_answered(rig: SlackRig) -> None:
    room = await declared_room(rig, "sev3", "Live cards on resolve")
    open_cards = [m for m in rig.fake.messages[room] if "page_ack" in action_ids(m)]
    _, _, url = await rig.slack.command("resolve Replacement lamps shipped", user=AMELIE, channel=room)
    expect(lambda: "resolved" in texts(rig.fake.responses(url)).lower())
    await rig.handlers.drain()
    assert open_cards
    assert all(action_ids(m) == [] for m in open_cards)
    assert all("No longer needed" in json.dumps(m) for m in open_cards)
