"""Adaptive Card rendering: user text escaped everywhere (no injected mention, link or markup),
mentions only from the core's Mention spans, buttons as Action.Execute, forms as card inputs, and
a message too big for one Teams message split over several cards."""

from __future__ import annotations

import json

import bot.core.messaging.message as m
from bot.adapters.teams.cards import FORM_ACTION, CardRenderer, escape, submitted
from bot.core.model.actions import Action, CrisisRef, FormKind
from tests.adapters.teams.cards_rules import MAX_MESSAGE_BYTES, check_card

SAM = "6f1c2b3a-0000-4000-8000-00000000c0de"
HOSTILE = "<at>Sam</at> <b>bold</b> **x** _y_ [win](https://evil.example) &amp; # h\n- item\n1. one"


def rendered(message: m.Message) -> str:
    [card] = CardRenderer({"sam": SAM}).cards(message)
    check_card(card)
    return json.dumps(card, ensure_ascii=False)


def test_user_text_is_escaped_in_every_block() -> None:
    message = m.Message(
        summary=HOSTILE,
        blocks=(
            m.Header(HOSTILE),
            m.Paragraph((m.line(HOSTILE, m.Strong(HOSTILE)),)),
            m.Fields(((HOSTILE, m.line(HOSTILE)),)),
            m.Checklist(HOSTILE, (m.ChecklistItem(HOSTILE, note=HOSTILE),)),
            m.Context(m.line(HOSTILE)),
            m.Preformatted(HOSTILE),
            m.Paragraph((m.line(m.Link("javascript:alert(1)", HOSTILE), m.RoomLink("19:x", HOSTILE)),)),
        ),
    )
    out = rendered(message)
    assert "<at>" not in out  # every typed tag is escaped: \\<at\\>
    assert "[win](" not in out
    assert "](javascript" not in out  # a link that is not http(s) is shown as text, not linked
    assert "\\\\*\\\\*x\\\\*\\\\*" in out


def test_only_mention_spans_ping_and_each_has_its_entity() -> None:
    message = m.Message("lead", blocks=(m.Paragraph((m.line("Lead: ", m.Mention("sam", "Sam <b>Lee</b>")),)),))
    [card] = CardRenderer({"sam": SAM}).cards(message)
    check_card(card)
    [entity] = card["msteams"]["entities"]
    assert entity["mentioned"]["id"] == SAM
    assert entity["text"] == "<at>Sam bLee/b</at>"


def test_a_person_without_a_teams_id_is_shown_by_name() -> None:
    message = m.Message("lead", blocks=(m.Paragraph((m.line(m.Mention("nobody", "No Body")),)),))
    [card] = CardRenderer({}).cards(message)
    assert "entities" not in card["msteams"]
    assert card["body"][0]["text"] == "**No Body**"


def test_buttons_are_execute_actions_with_verb_and_action() -> None:
    button = m.Button("Acknowledge", Action.PAGE_ACK, CrisisRef(crisis=1), m.Style.PRIMARY)
    [card] = CardRenderer({}).cards(m.Message("page", blocks=(m.Actions((button,)),)))
    check_card(card)
    [action] = card["body"][0]["actions"]
    assert action["type"] == "Action.Execute"
    assert action["verb"] == action["data"]["action"] == Action.PAGE_ACK.value
    assert action["data"]["value"] == button.value


def test_a_form_is_a_card_with_inputs_that_come_back_by_key() -> None:
    form = m.Form(
        FormKind.UPDATE,
        "Status update",
        "Post",
        (
            m.FormField("detail", "Detail", m.FieldKind.LONG_TEXT, required=True, initial=HOSTILE, max_length=3000),
            m.FormField("severity", "Severity", m.FieldKind.CHOICE, choices=(m.Choice("sev2", "SEV2"),)),
        ),
        payload='{"crisis":1}',
    )
    card = CardRenderer({}).form(form)
    check_card(card)
    inputs = {e["id"]: e for e in card["body"] if e["type"].startswith("Input.")}
    assert inputs["f:detail"]["isMultiline"]
    assert inputs["f:detail"]["isRequired"]
    assert inputs["f:detail"]["value"] == HOSTILE  # an input's value is never markdown
    [submit] = card["body"][-1]["actions"]
    assert submit["data"] == {"action": FORM_ACTION, "form": "crisis_update_form", "payload": '{"crisis":1}'}
    data = submit["data"] | {"f:detail": "typed", "f:severity": "sev2"}
    assert submitted(data) == {"detail": "typed", "severity": "sev2"}


def test_a_message_too_big_for_one_card_is_split() -> None:
    rows = m.Preformatted("\n".join(f"{i:04d} " + "x" * 90 for i in range(600)))
    paragraphs = tuple(m.Paragraph((m.line(f"{i} " + "y" * 400),)) for i in range(120))
    cards = CardRenderer({}).cards(m.Message("big", blocks=(*paragraphs, rows)))
    assert len(cards) > 1
    for card in cards[:-1]:
        check_card(card)
        assert len(json.dumps(card).encode()) <= MAX_MESSAGE_BYTES


def test_escape_keeps_plain_words_plain() -> None:
    assert escape("Delivery delays, 3 people") == "Delivery delays, 3 people"
