"""The core's neutral messages and forms as Adaptive Cards 1.5, the format Teams shows.

Every piece of text the core hands over is plain: here it is escaped for the card's markdown, so
a title such as ``<at>Sam</at> **[win](https://x)**`` shows as typed: no mention, link or
emphasis it did not ask for. Only :class:`Mention` spans become ``<at>`` mentions, each with the
``msteams.entities`` entry that makes Teams ping the person (by Entra object id); a person the
adapter cannot resolve is shown by name. Buttons are ``Action.Execute`` carrying the core's action
and payload untouched (both as ``verb`` and ``data["action"]``: the SDK routes on the latter).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import bot.core.messaging.message as m

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
# Teams refuses a message over about 28 KB; leave room for the activity around the card
MAX_CARD_BYTES = 24_000
FORM_ACTION = "crisisbot.form"
FIELD_PREFIX = "f:"
# anywhere: emphasis, links, code, HTML and <at> mentions; at a line's start: headings, lists, quotes
_SPECIAL = re.compile(r"([\\`*_~\[\]()<>&|!])")
_LINE_START = re.compile(r"^(\s*)([#+-]|\d+(?=[.)]))", re.MULTILINE)


def escape(text: str) -> str:
    """Plain text for a TextBlock: markdown and ``<at>`` can only come from the adapter."""
    text = _SPECIAL.sub(r"\\\1", text.replace("\r", ""))
    text = _LINE_START.sub(_escape_start, text)
    return text.replace("\n", "\n\n")


def _escape_start(match: re.Match[str]) -> str:
    """``# h``, ``- item`` and ``+ item`` get a backslash before the mark; ``1. item`` after the number."""
    space, mark = match.group(1), match.group(2)
    return f"{space}{mark}\\" if mark.isdigit() else f"{space}\\{mark}"


def _strong(text: str) -> str:
    """Bold, with the spaces around it kept outside the markers (``** x**`` is not bold)."""
    core = text.strip()
    if not core:
        return escape(text)
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    return f"{lead}**{escape(core)}**{trail}"


def _safe_url(url: str) -> str | None:
    if not url.startswith(("https://", "http://")):
        return None
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


class CardRenderer:
    """``teams_ids`` maps plan people to Entra object ids (shared with the chat, which learns more)."""

    def __init__(self, teams_ids: Mapping[str, str]) -> None:
        self.teams_ids = teams_ids

    # -- text ----------------------------------------------------------------------------------

    def spans(self, line: m.Line, mentions: dict[str, dict[str, Any]]) -> str:
        out = []
        for span in line:
            match span:
                case m.Text(text=t):
                    out.append(escape(t))
                case m.Strong(text=t):
                    out.append(_strong(t))
                case m.Mention(person_id=pid, name=name):
                    out.append(self._mention(pid, name, mentions))
                case m.RoomLink(name=name, url=url):
                    safe = _safe_url(url) if url else None
                    out.append(f"[#{escape(name)}]({safe})" if safe else f"#{escape(name)}")
                case m.Link(url=url, label=label):
                    safe = _safe_url(url)
                    out.append(f"[{escape(label)}]({safe})" if safe else escape(f"{label} ({url})"))
        return "".join(out)

    def _mention(self, person_id: str, name: str, mentions: dict[str, dict[str, Any]]) -> str:
        entra_id = self.teams_ids.get(person_id)
        if entra_id is None:
            return f"**{escape(name)}**"
        tag = f"<at>{re.sub(r'[<>]', '', name)}</at>"
        mentions[entra_id] = {"type": "mention", "text": tag, "mentioned": {"id": entra_id, "name": name}}
        return tag

    # -- blocks --------------------------------------------------------------------------------

    def elements(self, block: m.Block, mentions: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        match block:
            case m.Header(text=text):
                return [_text(escape(text), size="Large", weight="Bolder")]
            case m.Paragraph(lines=lines):
                return [_text("\n\n".join(self.spans(ln, mentions) for ln in lines))]
            case m.Fields(items=items):
                facts = [{"title": escape(label), "value": self.spans(value, mentions)} for label, value in items]
                return [{"type": "FactSet", "facts": facts}]
            case m.Checklist(title=title, items=items):
                rows = [_text(escape(title), weight="Bolder")]
                for item in items:
                    text = f"☐ {escape(item.text)}"
                    if item.owner:
                        text += f" — {self.spans(item.owner, mentions)}"
                    if item.note:
                        text += f" ({escape(item.note)})"
                    rows.append(_text(text, spacing="None"))
                return rows
            case m.Context(line=ln):
                return [_text(self.spans(ln, mentions), size="Small", isSubtle=True)]
            case m.Divider():
                return []  # the next element carries a separator
            case m.Preformatted(text=text):
                return [_text(escape(text), fontType="Monospace")]
            case m.Actions(buttons=buttons):
                return [{"type": "ActionSet", "actions": [execute(b) for b in buttons]}]
        raise TypeError(f"unknown block {block!r}")

    def cards(self, message: m.Message) -> list[dict[str, Any]]:
        """One card, or several when the message would be too big for one Teams message."""
        groups: list[list[dict[str, Any]]] = [[]]
        mentions: list[dict[str, dict[str, Any]]] = [{}]
        separate = False
        for block in message.blocks or (m.Paragraph((m.line(message.summary),)),):
            if isinstance(block, m.Divider):
                separate = True
                continue
            found: dict[str, dict[str, Any]] = {}
            elements = self.elements(block, found)
            if separate and elements:
                elements[0]["separator"] = True
                separate = False
            if groups[-1] and _size(groups[-1] + elements) > MAX_CARD_BYTES:
                groups.append([])
                mentions.append({})
            groups[-1].extend(elements)
            mentions[-1].update(found)
        return [card(body, list(found.values())) for body, found in zip(groups, mentions, strict=True)]

    # -- forms ---------------------------------------------------------------------------------

    def form(self, form: m.Form, intro: m.Message | None = None) -> dict[str, Any]:
        """A form as a card: its inputs, and a submit that hands back kind, payload and values."""
        mentions: dict[str, dict[str, Any]] = {}
        body: list[dict[str, Any]] = [_text(escape(form.title), size="Medium", weight="Bolder")]
        for block in intro.blocks if intro else ():
            body.extend(self.elements(block, mentions))
        body.extend(_input(f) for f in form.fields)
        submit = {
            "type": "Action.Execute",
            "title": form.submit,
            "verb": FORM_ACTION,
            "data": {"action": FORM_ACTION, "form": form.kind.value, "payload": form.payload},
            "style": "positive",
        }
        return card([*body, {"type": "ActionSet", "actions": [submit]}], list(mentions.values()))


def execute(button: m.Button) -> dict[str, Any]:
    action: dict[str, Any] = {
        "type": "Action.Execute",
        "title": button.label,
        "verb": button.action.value,
        "data": {"action": button.action.value, "value": button.value},
    }
    if button.style is m.Style.PRIMARY:
        action["style"] = "positive"
    elif button.style is m.Style.DANGER:
        action["style"] = "destructive"
    return action


def card(body: list[dict[str, Any]], mentions: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    out["msteams"] = {"width": "Full", "entities": mentions} if mentions else {"width": "Full"}
    return out


def attachment(content: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": CARD_TYPE, "content": content}


def submitted(data: Mapping[str, Any]) -> dict[str, str]:
    """The values typed in a form card, by field key (inputs come back merged into ``data``)."""
    return {k[len(FIELD_PREFIX) :]: str(v) for k, v in data.items() if k.startswith(FIELD_PREFIX) and v is not None}


def _text(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def _input(f: m.FormField) -> dict[str, Any]:
    base: dict[str, Any] = {"id": FIELD_PREFIX + f.key, "label": f.label, "isRequired": f.required}
    if f.required:
        base["errorMessage"] = f"{f.label} is required."
    if f.kind is m.FieldKind.CHOICE:
        choices = [{"title": c.label, "value": c.value} for c in f.choices]
        out = {"type": "Input.ChoiceSet", "choices": choices, "style": "compact", **base}
    else:
        out = {"type": "Input.Text", **base}
        if f.kind is m.FieldKind.LONG_TEXT:
            out["isMultiline"] = True
        if f.kind is m.FieldKind.URL:
            out["style"] = "Url"
        if f.max_length:
            out["maxLength"] = f.max_length
        if f.hint:
            out["placeholder"] = f.hint
    if f.initial is not None:
        out["value"] = f.initial
    return out


def _size(elements: list[dict[str, Any]]) -> int:
    return len(json.dumps(elements, ensure_ascii=False).encode())
