"""Buttons and forms: what a person can press or fill in, and the typed payload each carries.

A button's payload travels through the chat platform and comes back when it is pressed, so it is
encoded here once (compact JSON of a small model) and decoded here once: adapters pass it along
untouched and never parse it. A payload that does not decode (forged, or damaged on the way) is
refused politely, like any other bad input.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from pydantic import Field, ValidationError

from bot.core.model.base import Strict
from bot.core.model.errors import UsageError


class Action(StrEnum):
    """Every button the core puts on a message."""

    PAGE_ACK = "page_ack"
    DRAFT_EDIT = "draft_edit"
    DRAFT_SUBMIT = "draft_submit"
    DRAFT_STAGE = "draft_stage"
    DRAFT_APPROVE = "draft_approve"
    DRAFT_CHANGES = "draft_changes"
    DRAFT_PUBLISH = "draft_publish"
    REVIEW_OPEN = "review_open"
    ALERT_DECLARE = "alert_declare"
    ALERT_WATCH = "alert_watch"
    ALERT_DISMISS = "alert_dismiss"
    ALERT_ESCALATE = "alert_escalate"


class FormKind(StrEnum):
    """Every form the core asks for; submitting one runs the use case it names."""

    DECLARE = "crisis_start"
    DRAFT_NEW = "draft_new_form"
    DRAFT_EDIT = "draft_edit_form"
    DRAFT_PUBLISH = "draft_publish_form"
    DRAFT_CHANGES = "draft_changes_form"
    REVIEW = "crisis_review_form"
    UPDATE = "crisis_update_form"
    DRILL = "crisis_drill_form"
    ALERT_DISMISS = "alert_dismiss_form"


MAX_ID = 2**63 - 1  # ids fit a 64-bit column: a 40-digit id is refused here, not by the database


class Payload(Strict):
    """What a button or form carries back; each action and form has its own shape."""


class NoPayload(Payload):
    pass


class PageRef(Payload):
    page: int = Field(ge=1, le=MAX_ID)


class DraftRef(Payload):
    draft: int = Field(ge=1, le=MAX_ID)


class DraftReview(DraftRef):
    """``seen``: the start of the hash of the text the reviewer was shown."""

    seen: str = Field(default="", pattern=r"^[0-9a-f]{0,64}$")


class DraftStage(DraftRef):
    stage: str = Field(pattern=r"^[a-z]{1,20}$")


class CrisisRef(Payload):
    crisis: int = Field(ge=1, le=MAX_ID)


class AlertRef(Payload):
    alert: int = Field(ge=1, le=MAX_ID)


class ProposedEscalation(AlertRef):
    crisis: int = Field(ge=1, le=MAX_ID)
    severity: str = Field(pattern=r"^sev[1-9]$")


class DeclareContext(Payload):
    """The declare form; ``alert``: opened from a possible-crisis card, whose evidence it attaches;
    ``url``, ``author``, ``content_hash``: opened from a chat message, kept as the first evidence."""

    alert: int | None = Field(default=None, ge=1, le=MAX_ID)
    url: str | None = Field(default=None, max_length=1000)
    author: str | None = Field(default=None, max_length=200)
    content_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class NewDraftContext(CrisisRef):
    """The facts form of a new draft: for which crisis, framework, stage and language."""

    scenario: str = Field(max_length=64)
    stage: str = Field(max_length=20)
    lang: str = Field(max_length=5)


BUTTON_PAYLOADS: dict[Action, type[Payload]] = {
    Action.PAGE_ACK: PageRef,
    Action.DRAFT_EDIT: DraftRef,
    Action.DRAFT_SUBMIT: DraftRef,
    Action.DRAFT_STAGE: DraftStage,
    Action.DRAFT_APPROVE: DraftReview,
    Action.DRAFT_CHANGES: DraftReview,
    Action.DRAFT_PUBLISH: DraftRef,
    Action.REVIEW_OPEN: CrisisRef,
    Action.ALERT_DECLARE: AlertRef,
    Action.ALERT_WATCH: AlertRef,
    Action.ALERT_DISMISS: AlertRef,
    Action.ALERT_ESCALATE: ProposedEscalation,
}

FORM_PAYLOADS: dict[FormKind, type[Payload]] = {
    FormKind.DECLARE: DeclareContext,
    FormKind.DRAFT_NEW: NewDraftContext,
    FormKind.DRAFT_EDIT: DraftRef,
    FormKind.DRAFT_PUBLISH: DraftRef,
    FormKind.DRAFT_CHANGES: DraftReview,
    FormKind.REVIEW: CrisisRef,
    FormKind.UPDATE: CrisisRef,
    FormKind.DRILL: NoPayload,
    FormKind.ALERT_DISMISS: AlertRef,
}

P = TypeVar("P", bound=Payload)


def encode(payload: Payload) -> str:
    return payload.model_dump_json()


def decode(expected: type[P], raw: str) -> P:
    """The payload, or a polite refusal; never an exception a person would see as a crash."""
    raw = raw.strip()
    try:
        if raw.startswith("{"):
            return expected.model_validate_json(raw)
        return expected.model_validate(_legacy(expected, raw))
    except ValidationError:
        raise UsageError(
            "That button or form is out of date, so I could not tell what it was for.",
            hint="Run the command again (for example /crisis status) to get fresh buttons.",
        ) from None


def _legacy(expected: type[Payload], raw: str) -> dict[str, str]:
    """Buttons posted before payloads were JSON (``"12"``, ``"12:3fa9c2"``) still work after an
    upgrade: a page card from the day before must still acknowledge."""
    first, _, rest = raw.partition(":")
    fields = list(expected.model_fields)
    values = {fields[0]: first} if fields else {}
    if rest and len(fields) > 1:
        values[fields[1]] = rest
    return values


def pressed(action_id: str, raw: str) -> tuple[Action, Payload]:
    """The button pressed and its payload, or a polite refusal for one this version does not know."""
    return _known(Action, action_id, "button"), decode(BUTTON_PAYLOADS[Action(action_id)], raw)


def submitted(kind: str, raw: str) -> tuple[FormKind, Payload]:
    """The form submitted and its payload, or a polite refusal for one this version does not know."""
    return _known(FormKind, kind, "form"), decode(FORM_PAYLOADS[FormKind(kind)], raw)


E = TypeVar("E", Action, FormKind)


def _known(enum: type[E], value: str, what: str) -> E:
    try:
        return enum(value)
    except ValueError:
        raise UsageError(f"That {what} is not known here.", hint="Type /crisis help.") from None
