"""The "declare a crisis" modal: built from the plan, read back into a ``StartCommand``.

The form offers exactly the plan's scenarios and severities, so a person in a hurry picks rather
than types; what they do type is checked here and returned as inline field errors, which Slack
shows under the field without closing the form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
    UrlInputElement,
)
from slack_sdk.models.views import View

from bot.adapters.slack import metadata
from bot.adapters.slack.blocks import cut
from bot.core.commands import MAX_TITLE, StartCommand
from bot.core.plan import Plan

START_CALLBACK = "crisis_start"
DEFAULT_SEVERITY = "default"
MAX_DETAILS = 2000


@dataclass(frozen=True)
class ModalContext:
    """Where the form was opened from, carried in ``private_metadata`` to the submission."""

    channel_id: str | None = None
    response_url: str | None = None

    def dump(self) -> str:
        return metadata.dump(self)

    @classmethod
    def load(cls, raw: str | None) -> ModalContext:
        return metadata.load(cls, raw)


def start_modal(
    plan: Plan, context: ModalContext, scenario_id: str | None = None, severity_id: str | None = None
) -> View:
    """The form, pre-filled with what was typed (``/crisis start complaint sev2``)."""
    scenarios = [Option(value=sid, text=cut(sc.name, 75)) for sid, sc in plan.scenarios.items()]
    severities = [Option(value=DEFAULT_SEVERITY, text="The scenario's usual severity")]
    severities += [
        Option(value=sid, text=cut(f"{sid.upper()} · {plan.severities[sid].name}", 75)) for sid in plan.severity_ids()
    ]
    initial = next((o for o in scenarios if o.value == scenario_id), None)
    initial_severity = next((o for o in severities if o.value == severity_id), severities[0])
    return View(
        type="modal",
        callback_id=START_CALLBACK,
        title=PlainTextObject(text="Declare a crisis"),
        submit=PlainTextObject(text="Declare"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=context.dump(),
        blocks=[
            InputBlock(
                block_id="scenario",
                label="What kind of crisis?",
                element=StaticSelectElement(action_id="value", options=scenarios[:100], initial_option=initial),
            ),
            InputBlock(
                block_id="severity",
                label="How bad is it?",
                element=StaticSelectElement(action_id="value", options=severities, initial_option=initial_severity),
            ),
            InputBlock(
                block_id="title",
                label="Title",
                hint="Short and factual: it names the war room.",
                element=PlainTextInputElement(action_id="value", max_length=MAX_TITLE),
            ),
            InputBlock(
                block_id="details",
                label="What happened?",
                optional=True,
                element=PlainTextInputElement(action_id="value", multiline=True, max_length=MAX_DETAILS),
            ),
            InputBlock(
                block_id="source",
                label="Link to the post that started it",
                optional=True,
                element=UrlInputElement(action_id="value"),
            ),
        ],
    )


def read_submission(plan: Plan, view: dict[str, Any]) -> tuple[StartCommand | None, dict[str, str]]:
    """The command the form describes, or the field errors to show (block id -> message)."""
    values = (view.get("state") or {}).get("values") or {}

    def value(block: str) -> str | None:
        field = (values.get(block) or {}).get("value") or {}
        selected = field.get("selected_option")
        raw = selected.get("value") if isinstance(selected, dict) else field.get("value")
        return raw.strip() if isinstance(raw, str) and raw.strip() else None

    errors: dict[str, str] = {}
    scenario_id = value("scenario")
    if scenario_id not in plan.scenarios:
        errors["scenario"] = "Pick one of the plan's scenarios."
    severity = value("severity")
    if severity not in (None, DEFAULT_SEVERITY) and severity not in plan.severities:
        errors["severity"] = "Pick a severity from the list."
    title = value("title")
    if title is None:
        errors["title"] = "Give the crisis a short title."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Keep the title under {MAX_TITLE} characters."
    details = value("details")
    if details is not None and len(details) > MAX_DETAILS:
        errors["details"] = f"Keep this under {MAX_DETAILS} characters; add more in the war room."
    source = value("source")
    if source is not None and not source.startswith(("https://", "http://")):
        errors["source"] = "Paste a full link starting with https://"
    if errors or scenario_id is None:
        return None, errors
    command = StartCommand(
        scenario_id=scenario_id,
        severity_id=None if severity in (None, DEFAULT_SEVERITY) else severity,
        title=title,
        details=details,
        source_url=source,
    )
    return command, {}
