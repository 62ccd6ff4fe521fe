"""The core's forms as Slack modals, and a submitted modal back into the values typed.

Any form renders the same way: one input block per field, the field's key as block id, the form
kind as callback id, and what the submission needs (the core's payload, where to answer) in
``private_metadata``. A form opened before an upgrade may be submitted after it: the metadata is
read leniently, and what no longer makes sense is refused by the core, politely.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
    UrlInputElement,
)
from slack_sdk.models.views import View

from bot.adapters.slack.blocks import cut
from bot.core.messaging.message import FieldKind, Form, FormField

MAX_INPUT = 3000  # Slack's longest plain_text_input
MAX_METADATA = 3000
MAX_OPTIONS = 100


class FormTooLong(ValueError):
    """A field's current text is longer than a Slack form can hold."""

    def __init__(self, label: str, length: int) -> None:
        super().__init__(f"{label} is {length} characters: Slack's form holds {MAX_INPUT}.")


class FormContext(BaseModel):
    """What a submission needs besides the values: the core's payload, and where to answer."""

    payload: str = ""
    response_url: str | None = None
    channel_id: str | None = None

    def dump(self) -> str:
        text = self.model_dump_json(exclude_none=True)
        if len(text) > MAX_METADATA:
            raise ValueError("form metadata over Slack's 3000 characters")
        return text

    @classmethod
    def load(cls, raw: str | None) -> FormContext:
        try:
            return cls.model_validate_json(raw or "{}")
        except ValidationError:
            return cls()


def modal(form: Form, context: FormContext) -> View:
    return View(
        type="modal",
        callback_id=form.kind.value,
        title=PlainTextObject(text=cut(form.title, 24)),
        submit=PlainTextObject(text=cut(form.submit, 24)),
        close=PlainTextObject(text="Cancel"),
        private_metadata=context.dump(),
        blocks=[_input(field) for field in form.fields][:100],
    )


def _input(field: FormField) -> Block:
    if field.initial is not None and len(field.initial) > MAX_INPUT:
        raise FormTooLong(field.label, len(field.initial))
    element: Any
    if field.kind is FieldKind.CHOICE:
        options = [Option(value=c.value, text=cut(c.label, 75)) for c in field.choices][:MAX_OPTIONS]
        initial = next((o for o in options if o.value == field.initial), None)
        element = StaticSelectElement(action_id="value", options=options, initial_option=initial)
    elif field.kind is FieldKind.URL:
        element = UrlInputElement(action_id="value", initial_value=field.initial or None)
    else:
        element = PlainTextInputElement(
            action_id="value",
            multiline=field.kind is FieldKind.LONG_TEXT,
            initial_value=field.initial or None,
            max_length=min(field.max_length or MAX_INPUT, MAX_INPUT),
        )
    return InputBlock(
        block_id=field.key,
        label=cut(field.label, 2000),
        optional=not field.required,
        hint=cut(field.hint, 2000) if field.hint else None,
        element=element,
    )


def submitted_values(view: Mapping[str, Any]) -> dict[str, str]:
    """block id -> what was typed or picked; anything that is not text (a forged list) is dropped."""
    values: dict[str, str] = {}
    state = view.get("state")
    blocks = state.get("values") if isinstance(state, Mapping) else None
    for block_id, fields in (blocks if isinstance(blocks, Mapping) else {}).items():
        field = fields.get("value") if isinstance(fields, Mapping) else None
        if not isinstance(field, Mapping):
            continue
        selected = field.get("selected_option")
        raw = selected.get("value") if isinstance(selected, Mapping) else field.get("value")
        if isinstance(raw, str) and raw.strip():
            values[str(block_id)] = raw.strip()
    return values
