"""Render neutral messages as Block Kit, with slack_sdk's models doing the length checks.

Two rules matter most here:
- user text is escaped for mrkdwn (``&``, ``<``, ``>``), so ``<!channel>`` in a title is shown, not
  obeyed; only ``Mention`` spans, produced by the core, become real ``<@U...>`` pings;
- Slack refuses a message of more than 50 blocks or a section over 3000 characters, which
  slack_sdk's models do not fully check: long content is split into more sections and into
  follow-up messages (posted in the thread), never rejected or cut silently.
"""

from __future__ import annotations

from collections.abc import Mapping

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    RichTextBlock,
    RichTextElementParts,
    RichTextPreformattedElement,
    SectionBlock,
)

import bot.core.messaging.message as m

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTONS = 25


def escape(text: str) -> str:
    """Slack's escaping of the three characters that make pings and links (``*`` or ``_`` in user
    text may still render as emphasis, which is harmless, so they are left as typed)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class BlockRenderer:
    """``user_ids`` maps plan person ids to Slack user ids; unknown people are shown by name."""

    def __init__(self, user_ids: Mapping[str, str] | None = None) -> None:
        # the chat's own mapping, not a copy: people found by e-mail later become mentions too
        self.user_ids: Mapping[str, str] = user_ids if user_ids is not None else {}

    def spans(self, line: m.Line) -> str:
        out = []
        for span in line:
            match span:
                case m.Text(text=t):
                    out.append(escape(t))
                case m.Strong(text=t):
                    out.append(emphasis(escape(t), "*"))
                case m.Mention(person_id=pid, name=name):
                    uid = self.user_ids.get(pid)
                    out.append(f"<@{uid}>" if uid else f"*{escape(name)}*")
                case m.RoomLink(room_id=rid):
                    out.append(f"<#{rid}>")
                case m.Link(url=url, label=label):
                    out.append(f"<{escape(url).replace('|', '%7C')}|{escape(label).replace('|', '¦')}>")
        return "".join(out)

    def blocks(self, message: m.Message) -> list[Block]:
        out: list[Block] = []
        for block in message.blocks:
            out.extend(self._block(block))
        return out

    def messages(self, message: m.Message) -> list[list[Block]]:
        """The blocks of ``message`` in chunks of at most 50: the first is the message, the rest replies."""
        blocks = self.blocks(message)
        return [blocks[i : i + MAX_BLOCKS] for i in range(0, len(blocks), MAX_BLOCKS)] or [[]]

    def fallback(self, message: m.Message) -> str:
        """The notification text; mentions are kept so that the people named are notified."""
        names = " ".join(self.spans((mention,)) for mention in message.mentions)
        text = escape(message.summary)
        return f"{text} {names}".strip()[:MAX_SECTION]

    def _block(self, block: m.Block) -> list[Block]:
        match block:
            case m.Header(text=text):
                return [HeaderBlock(text=PlainTextObject(text=cut(text, MAX_HEADER), emoji=True))]
            case m.Paragraph(lines=lines):
                return self._sections([self.spans(ln) for ln in lines])
            case m.Fields(items=items):
                fields = [
                    MarkdownTextObject(text=cut(f"{emphasis(escape(label), '*')}\n{self.spans(value)}", MAX_FIELD))
                    for label, value in items
                ]
                return [SectionBlock(fields=fields[i : i + 10]) for i in range(0, len(fields), 10)]
            case m.Checklist(title=title, items=items):
                rows = [emphasis(escape(title), "*")]
                for item in items:
                    owner = f" — {emphasis(self.spans(item.owner), '_')}" if item.owner else ""
                    note = f" ({escape(item.note)})" if item.note else ""
                    rows.append(f"☐ {escape(item.text)}{owner}{note}")
                return self._sections(rows)
            case m.Context(line=ln):
                return [ContextBlock(elements=[MarkdownTextObject(text=cut(self.spans(ln), MAX_SECTION))])]
            case m.Divider():
                return [DividerBlock()]
            case m.Preformatted(text=text):
                # rich text is taken literally: no mrkdwn, and <!channel> is shown, never obeyed
                return [
                    RichTextBlock(
                        elements=[RichTextPreformattedElement(elements=[RichTextElementParts.Text(text=chunk)])]
                    )
                    for chunk in _chunks(text.splitlines(), MAX_SECTION)
                ]
            case m.Actions(buttons=buttons):
                elements = [
                    ButtonElement(text=cut(b.label, 75), action_id=b.action.value, value=b.value[:2000], style=b.style)
                    for b in buttons
                ]
                return [
                    ActionsBlock(elements=elements[i : i + MAX_BUTTONS]) for i in range(0, len(elements), MAX_BUTTONS)
                ]
        raise TypeError(f"unknown block {block!r}")

    @staticmethod
    def _sections(rows: list[str]) -> list[Block]:
        return [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in _chunks(rows, MAX_SECTION)]


def _chunks(rows: list[str], limit: int) -> list[str]:
    """Pack lines into chunks of at most ``limit`` characters, splitting a giant line if needed."""
    chunks: list[str] = []
    current = ""
    for row in rows:
        while len(row) > limit:
            if current:
                chunks.append(current)
                current = ""
            at = row.rfind(" ", 0, limit)
            at = _safe_cut(row, at if at > limit // 2 else limit)
            chunks.append(row[:at])
            row = row[at:].lstrip()
        candidate = f"{current}\n{row}" if current else row
        if len(candidate) > limit:
            chunks.append(current)
            current = row
        else:
            current = candidate
    if current:
        chunks.append(current)
    return [chunk for chunk in chunks if chunk.strip()]


def emphasis(text: str, mark: str) -> str:
    """Bold (``*``) or italic (``_``) that Slack renders: mrkdwn only opens and closes a span
    next to a non-space character, so the spaces around the text go outside the marks."""
    core = text.strip()
    if not core:
        return text
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    return f"{lead}{mark}{core}{mark}{trail}"


def cut(text: str, limit: int) -> str:
    """Shorten to ``limit`` with an ellipsis, never splitting an escape or a ``<...>`` token."""
    if len(text) <= limit:
        return text
    return text[: _safe_cut(text, limit - 1)] + "…"


def _safe_cut(text: str, at: int) -> int:
    """Move ``at`` back so it does not split an escape (``&amp;``) or a ``<...>`` token."""
    amp = text.rfind("&", max(0, at - 5), at)
    if amp != -1 and ";" not in text[amp:at]:
        at = amp
    lt = text.rfind("<", max(0, at - 120), at)
    if lt != -1 and ">" not in text[lt:at]:
        at = lt
    return at or len(text)
