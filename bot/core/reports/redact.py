"""Contact details blanked out of a restricted crisis's record, for exports not asked by its lead.

An HR or legal crisis's notes and drafts may hold an employee's private e-mail address or phone
number. The people handling it need them in the war room; a report that travels further (a
thread, a file, an archive) must not carry them. Names stay: a review needs to know who did what.
What counts as a detail is deliberately broad; a blanked date is a smaller harm than a leaked
number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.core.model.crisis import Crisis
from bot.core.model.drafts import Draft
from bot.core.model.events import TimelineEvent

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# a run of digits with the separators phone numbers are written with; kept when it has fewer
# than 9 digits (a time, an amount) or reads as an ISO date
PHONE = re.compile(r"\+?\(?\d[\d\s().-]{6,}\d")
ISO_DATE = re.compile(r"^(19|20)\d\d-\d\d-\d\d")
# Slack user ids (alone or as a mention) and Entra object ids (Teams users)
CHAT_ID = re.compile(
    r"<@[UW][A-Z0-9]{2,}(?:\|[^>]*)?>|\b[UW][A-Z0-9]{8,}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
    re.IGNORECASE,
)
BLANK_EMAIL, BLANK_PHONE, BLANK_ID = "[e-mail removed]", "[phone removed]", "[chat id removed]"


def redact(text: str) -> str:
    text = EMAIL.sub(BLANK_EMAIL, text)
    text = CHAT_ID.sub(BLANK_ID, text)
    return PHONE.sub(_phone, text)


def _phone(found: re.Match[str]) -> str:
    digits = sum(c.isdigit() for c in found.group())
    return BLANK_PHONE if digits >= 9 and not ISO_DATE.match(found.group()) else found.group()


def _maybe(text: str | None) -> str | None:
    return redact(text) if text is not None else None


def redacted(
    crisis: Crisis, events: Sequence[TimelineEvent], drafts: Sequence[Draft], review: Mapping[str, str]
) -> tuple[Crisis, list[TimelineEvent], list[Draft], dict[str, str]]:
    """Copies of the record with every free text passed through :func:`redact`."""
    crisis = crisis.model_copy(
        update={
            "title": redact(crisis.title),
            "details": _maybe(crisis.details),
            "resolution_summary": _maybe(crisis.resolution_summary),
        }
    )
    events = [e.model_copy(update={"text": redact(e.text)}) for e in events]
    drafts = [
        d.model_copy(update={"text": redact(d.text), "values": {k: redact(v) for k, v in d.values.items()}})
        for d in drafts
    ]
    return crisis, events, drafts, {k: redact(v) for k, v in review.items()}
