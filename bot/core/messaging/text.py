"""The small pieces every message is built from: people, rooms, severities, durations, notices.

One way to write each, so the same person, room or duration reads the same in every message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core.messaging.message import Context, Form, Line, Mention, Message, Paragraph, RoomLink, Strong, line
from bot.core.model.crisis import Crisis
from bot.core.model.errors import CrisisError
from bot.core.plan.model import Plan


def mention(plan: Plan, person_id: str) -> Mention:
    return Mention(person_id, plan.person_name(person_id))


def people_line(plan: Plan, person_ids: Sequence[str]) -> Line:
    spans: list[Mention | str] = []
    for i, pid in enumerate(person_ids):
        if i:
            spans.append(", ")
        spans.append(mention(plan, pid))
    return line(*spans) if spans else line("nobody")


def lead_line(plan: Plan, crisis: Crisis) -> Line:
    return people_line(plan, [crisis.lead_person_id]) if crisis.lead_person_id else line("unassigned")


def room_span(crisis: Crisis) -> RoomLink | Strong:
    if crisis.room is None:
        return Strong(f"#{crisis.room_name} (not created yet)")
    return RoomLink(crisis.room.id, crisis.room.name, crisis.room.url)


def severity_label(plan: Plan, severity_id: str) -> str:
    level = plan.severities.get(severity_id)
    return f"{severity_id.upper()} · {level.name}" if level else severity_id.upper()


def duration(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    days, rem = divmod(seconds, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def clock_time(at: datetime | None, otherwise: str) -> str:
    return f"{at:%H:%M} UTC" if at is not None else otherwise


def cut(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters: chat summaries keep every entry to a glance."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def notice(text: str) -> Message:
    """A one-line reply."""
    return Message(summary=text, blocks=(Paragraph((line(text),)),))


def say(text: str, mention: Mention | None = None) -> Message:
    """A one-line post in a war room, optionally naming (and so notifying) one person."""
    spans = line(text, mention) if mention is not None else line(text)
    return Message(summary=text, blocks=(Paragraph((spans,)),))


def progress(text: str) -> Message:
    return Message(summary=text, blocks=(Context(line(text)),))


def error(exc: CrisisError) -> Message:
    lines = [line(exc.user_message)]
    if exc.hint:
        lines.extend(line(h) for h in exc.hint.splitlines())
    return Message(summary=exc.user_message, blocks=(Paragraph(tuple(lines)),))


SOMETHING_WENT_WRONG = CrisisError(
    "Something went wrong on my side and I could not finish that.",
    hint="Check with /crisis status; what was already done is kept.",
)


NOT_STORED = CrisisError(
    "The crisis could not be stored: my database is not answering right now, so nothing was declared.",
    hint="Try again in a minute. If it cannot wait, open a war room by hand and page the owners; "
    "declare it here once I answer again.",
)
NOT_CONFIRMED = CrisisError(
    "I could not confirm that the crisis was stored: my database stopped answering while I stored it.",
    hint="If it was stored after all, its war room follows here within a minute; if nothing follows, "
    "try again in a minute.",
)


def with_form(message: Message, form: Form) -> Message:
    return Message(summary=message.summary, blocks=message.blocks, mentions=message.mentions, form=form)


def asking(form: Form, why: str | None = None) -> Message:
    """The answer that asks first: the form, and a line for where none can open."""
    return with_form(notice(why or f"{form.title}: fill in the form that opened."), form)
