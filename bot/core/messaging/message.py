"""A platform-neutral outbound message that every adapter can render natively.

The core never writes markup. User text stays plain text inside ``Text`` spans and each adapter
escapes it for its own format (mrkdwn, Adaptive Card text, Rich markup). Mentions, channel links
and emphasis are structured spans, so that only the bot can produce a real ping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.core.model.actions import Action, FormKind, Payload, encode


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Strong:
    text: str


@dataclass(frozen=True)
class Mention:
    """A person of the plan; adapters resolve it to a platform mention, or the plain name."""

    person_id: str
    name: str


@dataclass(frozen=True)
class RoomLink:
    room_id: str
    name: str
    url: str | None = None


@dataclass(frozen=True)
class Link:
    url: str
    label: str


Span = Text | Strong | Mention | RoomLink | Link
Line = tuple[Span, ...]


def line(*parts: Span | str) -> Line:
    """Build a line where bare strings are plain text."""
    return tuple(Text(p) if isinstance(p, str) else p for p in parts)


@dataclass(frozen=True)
class Header:
    text: str


@dataclass(frozen=True)
class Paragraph:
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Fields:
    """Short label/value pairs shown side by side where the platform can (severity, lead ...)."""

    items: tuple[tuple[str, Line], ...]


@dataclass(frozen=True)
class ChecklistItem:
    text: str
    owner: Line = ()
    note: str = ""


@dataclass(frozen=True)
class Checklist:
    title: str
    items: tuple[ChecklistItem, ...]


@dataclass(frozen=True)
class Context:
    line: Line


@dataclass(frozen=True)
class Divider:
    pass


@dataclass(frozen=True)
class Preformatted:
    """Fixed-width text shown exactly as written (a long table): no formatting, no mentions."""

    text: str


class Style(StrEnum):
    PRIMARY = "primary"
    DANGER = "danger"


# Pressing these asks for text first: the core answers the press with a form to fill in.
ASKS_FIRST = frozenset(
    {
        Action.DRAFT_EDIT,
        Action.DRAFT_CHANGES,
        Action.DRAFT_PUBLISH,
        Action.REVIEW_OPEN,
        Action.ALERT_DECLARE,
        Action.ALERT_DISMISS,
    }
)


@dataclass(frozen=True)
class Button:
    """An action a person can take. Adapters send ``action`` and ``value`` back to the core
    untouched when it is pressed; ``value`` is the payload, encoded by the core."""

    label: str
    action: Action
    payload: Payload
    style: Style | None = None

    @property
    def value(self) -> str:
        return encode(self.payload)

    @property
    def asks_first(self) -> bool:
        """True when pressing it opens a form (a modal, a card, prompts) before anything happens."""
        return self.action in ASKS_FIRST


@dataclass(frozen=True)
class Actions:
    buttons: tuple[Button, ...]


Block = Header | Paragraph | Fields | Checklist | Context | Divider | Preformatted | Actions


class FieldKind(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    URL = "url"
    CHOICE = "choice"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class FormField:
    """One input. ``primary`` fields are the point of the form: a line-by-line platform (the
    console) asks only those and keeps the others' initial values."""

    key: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = False
    initial: str | None = None
    hint: str | None = None
    max_length: int | None = None
    choices: tuple[Choice, ...] = ()
    primary: bool = True


@dataclass(frozen=True)
class Form:
    """Something to fill in before the core can act: submitted back as ``kind``, ``payload``
    and the values typed, keyed by field. ``offered``: not needed to go on, only proposed (the
    review after a resolve); pop-up platforms open it at once, others leave it to its button."""

    kind: FormKind
    title: str
    submit: str
    fields: tuple[FormField, ...]
    payload: str = ""
    offered: bool = False


@dataclass(frozen=True)
class Message:
    """``summary`` is the plain-text fallback (notifications, screen readers, logs); ``form``
    asks the person for input (the message is then what to show where no form can open)."""

    summary: str
    blocks: tuple[Block, ...] = ()
    mentions: tuple[Mention, ...] = field(default=())
    form: Form | None = None

    def plain_text(self) -> str:
        """A plain rendering, used for logs and for platforms with no rich format."""
        out: list[str] = []
        for block in self.blocks:
            match block:
                case Header(text=text):
                    out.append(text)
                case Paragraph(lines=lines):
                    out.extend(span_text(ln) for ln in lines)
                case Fields(items=items):
                    out.extend(f"{label}: {span_text(value)}" for label, value in items)
                case Checklist(title=title, items=items):
                    out.append(title)
                    out.extend(f"[ ] {item.text}" for item in items)
                case Context(line=ln):
                    out.append(span_text(ln))
                case Actions(buttons=buttons):
                    out.append(" | ".join(b.label for b in buttons))
                case Divider():
                    out.append("---")
                case Preformatted(text=text):
                    out.append(text)
        return "\n".join(out) if out else self.summary


def span_text(spans: Line) -> str:
    parts = []
    for span in spans:
        match span:
            case Text(text=t) | Strong(text=t):
                parts.append(t)
            case Mention(name=name):
                parts.append(f"@{name}")
            case RoomLink(name=name):
                parts.append(f"#{name}")
            case Link(label=label, url=url):
                parts.append(f"{label} ({url})")
    return "".join(parts)
