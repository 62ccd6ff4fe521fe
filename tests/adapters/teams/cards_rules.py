"""The Adaptive Card 1.5 rules the adapter relies on, checked on every card it sent in a test.

Teams refuses a message over about 28 KB; a card must name version 1.5; its actions are
``Action.Execute`` with the core's action as both ``verb`` and ``data["action"]`` (the SDK routes
on the latter); every ``<at>`` in its text has a mention entity with the same text, and every entity
is used (an unused one pings nobody; an unmatched tag shows raw).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from bot.adapters.teams.cards import CARD_TYPE, FORM_ACTION
from bot.core.model.actions import Action

MAX_MESSAGE_BYTES = 28_000
ELEMENTS = {"TextBlock", "FactSet", "ActionSet", "Input.Text", "Input.ChoiceSet"}
_TAG = re.compile(r"(?<!\\)<at>(.*?)(?<!\\)</at>")


def texts_of(card: dict[str, Any]) -> Iterator[str]:
    for element in card["body"]:
        if "text" in element:
            yield element["text"]
        for fact in element.get("facts", []):
            yield fact["title"]
            yield fact["value"]


def check_card(card: dict[str, Any]) -> None:
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"
    for element in card["body"]:
        assert element["type"] in ELEMENTS, element["type"]
        for action in element.get("actions", []):
            assert action["type"] == "Action.Execute", action
            assert action["verb"] == action["data"]["action"]
            assert action["verb"] == FORM_ACTION or action["verb"] in {a.value for a in Action}
    entities = card.get("msteams", {}).get("entities", [])
    tags = {f"<at>{name}</at>" for text in texts_of(card) for name in _TAG.findall(text)}
    assert tags == {e["text"] for e in entities}, (tags, entities)
    for entity in entities:
        assert entity["type"] == "mention"
        assert re.fullmatch(r"[0-9a-f-]{36}", entity["mentioned"]["id"])


def check_activity(activity: dict[str, Any]) -> None:
    assert len(json.dumps(activity, ensure_ascii=False).encode()) <= MAX_MESSAGE_BYTES
    for attachment in activity.get("attachments") or []:
        assert attachment["contentType"] == CARD_TYPE
        check_card(attachment["content"])
