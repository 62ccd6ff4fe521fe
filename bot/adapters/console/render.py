"""Render neutral messages with Rich.

Every piece of user text goes through ``rich.text.Text`` (never through markup parsing), so a
title such as ``[bold]<!channel>[/]`` prints literally, as typed.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

import bot.core.messaging.message as m

MENTION_STYLE = "bold cyan"
ROOM_STYLE = "bold magenta"


def spans(line: m.Line) -> Text:
    out = Text()
    for span in line:
        match span:
            case m.Text(text=t):
                out.append(t)
            case m.Strong(text=t):
                out.append(t, style="bold")
            case m.Mention(name=name):
                out.append(f"@{name}", style=MENTION_STYLE)
            case m.RoomLink(name=name):
                out.append(f"#{name}", style=ROOM_STYLE)
            case m.Link(url=url, label=label):
                out.append(label, style=f"underline link {url}")
    return out


def block(b: m.Block) -> RenderableType:
    match b:
        case m.Header(text=text):
            return Text(text, style="bold")
        case m.Paragraph(lines=lines):
            return Text("\n").join(spans(ln) for ln in lines)
        case m.Fields(items=items):
            grid = Table.grid(padding=(0, 2))
            grid.add_column(style="dim")
            grid.add_column()
            for label, value in items:
                grid.add_row(label, spans(value))
            return grid
        case m.Checklist(title=title, items=items):
            checklist = Text(title, style="bold")
            for item in items:
                checklist.append("\n☐ ")
                checklist.append(item.text)
                if item.owner:
                    checklist.append(" — ", style="dim")
                    checklist.append_text(spans(item.owner))
                if item.note:
                    checklist.append(f" ({item.note})", style="dim")
            return checklist
        case m.Context(line=ln):
            return Text.assemble(spans(ln), style="dim")
        case m.Divider():
            return Rule(style="dim")
        case m.Preformatted(text=text):
            return Text(text, no_wrap=True, overflow="ellipsis")
        case m.Actions(buttons=buttons):
            choices = "  ".join(f"[{i}] {btn.label}" for i, btn in enumerate(buttons, 1))
            return Text(f"{choices}   (type the number)", style="bold")
    raise TypeError(f"unknown block {b!r}")


def message(msg: m.Message, *, title: str | None = None, subtitle: str | None = None) -> RenderableType:
    body = Group(*(block(b) for b in msg.blocks)) if msg.blocks else Text(msg.summary)
    return Panel(
        body,
        title=Text(title) if title else None,
        subtitle=Text(subtitle) if subtitle else None,
        title_align="left",
        subtitle_align="right",
        border_style="blue",
    )
