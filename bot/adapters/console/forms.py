"""Forms in a line-based terminal: one prompt per field, answered on the next line.

Only a form's primary fields are asked (the text of a draft, not every fact behind it); the
others keep their current values, as they would in a modal nobody touched. An empty line keeps a
field's current value, or skips an optional one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.messaging.message import FieldKind, Form, FormField


def prompt(item: FormField) -> str:
    if item.kind is FieldKind.CHOICE:
        listing = ", ".join(f"{i}. {c.label}" for i, c in enumerate(item.choices, 1))
        keep = f"; an empty line keeps {item.initial}" if item.initial else ""
        return f"{item.label} Type a number: {listing}{keep}"
    if item.initial:
        return f"{item.label} (one line; an empty line keeps the current text)"
    return f"{item.label} (one line{'' if item.required else '; empty to skip'})"


@dataclass
class Filling:
    """A form being answered, field by field."""

    form: Form
    typed: dict[str, str] = field(default_factory=dict)
    position: int = 0

    @property
    def asked(self) -> list[FormField]:
        return [f for f in self.form.fields if f.primary]

    @property
    def current(self) -> FormField | None:
        asked = self.asked
        return asked[self.position] if self.position < len(asked) else None

    def answer(self, text: str) -> str | None:
        """Take the line for the current field; a sentence saying why if it is asked again."""
        item = self.current
        if item is None:
            return None
        text = text.strip()
        if item.kind is FieldKind.CHOICE and text:
            chosen = _choice(item, text)
            if chosen is None:
                return f"'{text[:40]}' is not one of the choices."
            text = chosen
        if item.required and not text and not item.initial:
            return "This one is needed."
        if text:
            self.typed[item.key] = text
        self.position += 1
        return None

    def values(self) -> dict[str, str]:
        """Everything the form holds: what was typed, else the field's current value."""
        out = {f.key: f.initial for f in self.form.fields if f.initial}
        out.update(self.typed)
        return out


def _choice(item: FormField, text: str) -> str | None:
    if text.isdigit() and 1 <= int(text) <= len(item.choices):
        return item.choices[int(text) - 1].value
    folded = text.casefold()
    return next((c.value for c in item.choices if folded in (c.value.casefold(), c.label.casefold())), None)
