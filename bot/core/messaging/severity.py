"""What the war room and the announcements channel are told when a crisis changes course."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.messaging.message import Message, Paragraph, Strong, line
from bot.core.messaging.text import notice, people_line
from bot.core.plan.model import Plan


def severity_changed(plan: Plan, text: str, invited: Sequence[str], cancelled: Sequence[str], target: str) -> Message:
    lines = [line(Strong(text))]
    if invited:
        lines.append(line("Invited: ", *people_line(plan, invited)))
    if cancelled:
        lines.append(line(f"Pages no longer needed at {target.upper()}: {', '.join(cancelled)}"))
    return Message(summary=text, blocks=(Paragraph(tuple(lines)),))


def lead_changed(name: str, key: str, text: str) -> Message:
    return Message(summary=text, blocks=(Paragraph((line(Strong(f"{name} now leads {key}.")),)),))


def already_leads(name: str, key: str) -> Message:
    return notice(f"{name} already leads {key}.")
