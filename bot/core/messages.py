"""A platform-neutral outbound message that every adapter can render natively.

The core never writes markup. User text stays plain text inside ``Text`` spans and each adapter
escapes it for its own format (mrkdwn, Adaptive Card text, Rich markup). Mentions, channel links
and emphasis are structured spans, so that only the bot can produce a real ping.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
class Button:
    """An action a person can take; ``action_id`` is routed back to the core by adapters."""

    label: str
    action_id: str
    value: str = ""
    style: str | None = None


@dataclass(frozen=True)
class Actions:
    buttons: tuple[Button, ...]


Block = Header | Paragraph | Fields | Checklist | Context | Divider | Actions


@dataclass(frozen=True)
class Message:
    """``summary`` is the plain-text fallback (notifications, screen readers, logs)."""

    summary: str
    blocks: tuple[Block, ...] = ()
    mentions: tuple[Mention, ...] = field(default=())

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
