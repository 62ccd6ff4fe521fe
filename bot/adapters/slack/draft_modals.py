"""Modals for drafts: edit a draft (text and facts), give the facts a new draft needs, leave a
review note, and record where a reply was published.

Each carries what the submission needs in ``private_metadata`` (the draft id, and the
response_url of the card it came from so the card can be updated in place).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import InputBlock, PlainTextInputElement, PlainTextObject, UrlInputElement
from slack_sdk.models.views import View

from bot.adapters.slack import metadata
from bot.adapters.slack.blocks import cut
from bot.core.frameworks import Framework

EDIT_CALLBACK = "draft_edit_form"
NEW_CALLBACK = "draft_new_form"
PUBLISH_CALLBACK = "draft_publish_form"
CHANGES_CALLBACK = "draft_changes_form"
MAX_TEXT = 3000


@dataclass(frozen=True)
class DraftContext:
    draft_id: int | None = None
    response_url: str | None = None
    channel_id: str | None = None
    scenario: str | None = None
    stage: str | None = None
    lang: str | None = None
    seen_hash: str | None = None  # the text the reviewer was shown (Request changes)

    def dump(self) -> str:
        return metadata.dump(self)

    @classmethod
    def load(cls, raw: str | None) -> DraftContext:
        return metadata.load(cls, raw)


def _modal(callback: str, title: str, submit: str, context: DraftContext, blocks: list[InputBlock]) -> View:
    return View(
        type="modal",
        callback_id=callback,
        title=PlainTextObject(text=cut(title, 24)),
        submit=PlainTextObject(text=submit),
        close=PlainTextObject(text="Cancel"),
        private_metadata=context.dump(),
        blocks=blocks,
    )


def _variables(framework: Framework, lang: str, values: Mapping[str, str]) -> list[InputBlock]:
    blocks = []
    for name, variable in list(framework.variables.items())[:40]:
        label = variable.label.get(lang) or variable.label.get("en") or name
        blocks.append(
            InputBlock(
                block_id=f"var_{name}",
                label=cut(label, 2000),
                optional=not variable.required,
                hint=cut(f"e.g. {variable.example}", 2000) if variable.example else None,
                element=PlainTextInputElement(
                    action_id="value", initial_value=values.get(name) or None, max_length=500
                ),
            )
        )
    return blocks


def edit_modal(
    draft_id: int, text: str, framework: Framework, lang: str, values: Mapping[str, str], context: DraftContext
) -> View:
    text_block = InputBlock(
        block_id="text",
        label="Your reply",
        hint="Adapt it to this person: their words, their order, this moment.",
        element=PlainTextInputElement(
            action_id="value", multiline=True, initial_value=text[:MAX_TEXT], max_length=MAX_TEXT
        ),
    )
    return _modal(
        EDIT_CALLBACK, f"Edit draft #{draft_id}", "Save", context, [text_block, *_variables(framework, lang, values)]
    )


def new_draft_modal(framework: Framework, lang: str, values: Mapping[str, str], context: DraftContext) -> View:
    return _modal(NEW_CALLBACK, "Facts for the draft", "Draft it", context, _variables(framework, lang, values))


def publish_modal(draft_id: int, context: DraftContext) -> View:
    link = InputBlock(
        block_id="url", label="Link to the published post", optional=True, element=UrlInputElement(action_id="value")
    )
    return _modal(PUBLISH_CALLBACK, f"Published #{draft_id}", "Record", context, [link])


def changes_modal(draft_id: int, context: DraftContext) -> View:
    note = InputBlock(
        block_id="note",
        label="What should change?",
        optional=True,
        element=PlainTextInputElement(action_id="value", multiline=True, max_length=1000),
    )
    return _modal(CHANGES_CALLBACK, f"Changes to #{draft_id}", "Send", context, [note])


def state_values(view: Mapping[str, Any]) -> dict[str, str]:
    """block_id -> the text typed in it (empty fields left out)."""
    values: dict[str, str] = {}
    for block_id, fields in ((view.get("state") or {}).get("values") or {}).items():
        raw = (fields.get("value") or {}).get("value")
        if isinstance(raw, str) and raw.strip():
            values[block_id] = raw.strip()
    return values


def variable_values(typed: Mapping[str, str]) -> dict[str, str]:
    return {k.removeprefix("var_"): v for k, v in typed.items() if k.startswith("var_")}
