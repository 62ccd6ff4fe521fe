"""Every form the core asks for, and reading what was typed back.

Each platform shows a form its own way (a Slack modal, a Teams card, one console prompt per
field); what a form asks, what it checks and what submitting it does are decided here, once.
Field keys double as Slack block ids, so forms opened before an upgrade still submit after it.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.commands import MAX_TITLE, StartCommand
from bot.core.drafts.frameworks import Framework
from bot.core.messaging.message import Choice, FieldKind, Form, FormField
from bot.core.model.actions import (
    AlertRef,
    CrisisRef,
    DeclareContext,
    DraftRef,
    DraftReview,
    FormKind,
    NewDraftContext,
    NoPayload,
    encode,
)
from bot.core.model.drafts import Draft
from bot.core.model.events import REVIEW_QUESTIONS
from bot.core.plan.drills import DrillScript
from bot.core.plan.model import Plan

USUAL_SEVERITY = "default"
MAX_DETAILS = 2000
MAX_REPLY = 3000
MAX_VALUE = 500
MAX_UPDATE = 3000
MAX_SUMMARY = 1000
VARIABLE_PREFIX = "var_"


def declare(
    plan: Plan,
    scenario_id: str | None = None,
    severity_id: str | None = None,
    *,
    title: str | None = None,
    details: str | None = None,
    source: str | None = None,
    alert: int | None = None,
    evidence: DeclareContext | None = None,
) -> Form:
    """The declare form, pre-filled with what was typed (``/crisis start complaint sev2``), or
    with what a possible-crisis card knew (``alert``: its evidence goes with the crisis)."""
    scenarios = tuple(Choice(sid, sc.name) for sid, sc in plan.scenarios.items())
    severities = (
        Choice(USUAL_SEVERITY, "The scenario's usual severity"),
        *(Choice(sid, f"{sid.upper()} · {plan.severities[sid].name}") for sid in plan.severity_ids()),
    )
    return Form(
        kind=FormKind.DECLARE,
        title="Declare a crisis",
        submit="Declare",
        payload=encode(evidence or DeclareContext(alert=alert)),
        fields=(
            FormField("scenario", "What kind of crisis?", FieldKind.CHOICE, True, scenario_id, choices=scenarios),
            FormField(
                "severity", "How bad is it?", FieldKind.CHOICE, True, severity_id or USUAL_SEVERITY, choices=severities
            ),
            FormField(
                "title",
                "Title",
                required=True,
                initial=title,
                hint="Short and factual: it names the war room.",
                max_length=MAX_TITLE,
            ),
            FormField(
                "details", "What happened?", FieldKind.LONG_TEXT, initial=details, max_length=MAX_DETAILS, primary=False
            ),
            FormField("source", "Link to the post that started it", FieldKind.URL, initial=source, primary=False),
        ),
    )


def read_declare(plan: Plan, values: Mapping[str, str]) -> tuple[StartCommand | None, dict[str, str]]:
    """The command the form describes, or the errors to show next to each field."""

    def value(key: str) -> str | None:
        raw = values.get(key)
        return raw.strip() if isinstance(raw, str) and raw.strip() else None

    errors: dict[str, str] = {}
    scenario_id = value("scenario")
    if scenario_id not in plan.scenarios:
        errors["scenario"] = "Pick one of the plan's scenarios."
    severity = value("severity")
    if severity not in (None, USUAL_SEVERITY) and severity not in plan.severities:
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
    severity_id = None if severity in (None, USUAL_SEVERITY) else severity
    return StartCommand(scenario_id, severity_id, title, details, source), {}


def _variables(
    framework: Framework, lang: str, values: Mapping[str, str], used: frozenset[str], primary: bool
) -> tuple[FormField, ...]:
    """The facts the stage's template reads, and only those: a form that asked for the fix
    before the acknowledgement would push the writer to promise one."""
    fields = []
    for name, variable in [(n, v) for n, v in framework.variables.items() if n in used][:40]:
        fields.append(
            FormField(
                f"{VARIABLE_PREFIX}{name}",
                variable.label.get(lang) or variable.label.get("en") or name,
                required=variable.required,
                initial=values.get(name) or None,
                hint=f"e.g. {variable.example}" if variable.example else None,
                max_length=MAX_VALUE,
                primary=primary,
            )
        )
    return tuple(fields)


def variable_values(values: Mapping[str, str]) -> dict[str, str]:
    """The framework facts of a draft form (fields named ``var_<name>``), empty ones left out."""
    return {
        k.removeprefix(VARIABLE_PREFIX): v.strip()
        for k, v in values.items()
        if k.startswith(VARIABLE_PREFIX) and v.strip()
    }


def new_draft(framework: Framework, context: NewDraftContext, values: Mapping[str, str], used: frozenset[str]) -> Form:
    return Form(
        kind=FormKind.DRAFT_NEW,
        title="Facts for the draft",
        submit="Draft it",
        payload=encode(context),
        fields=_variables(framework, context.lang, values, used, primary=True),
    )


def edit_draft(draft: Draft, framework: Framework, used: frozenset[str]) -> Form:
    text = FormField(
        "text",
        "Your reply",
        FieldKind.LONG_TEXT,
        required=True,
        initial=draft.text,
        hint="Adapt it to this person: their words, their order, this moment.",
        max_length=MAX_REPLY,
    )
    return Form(
        kind=FormKind.DRAFT_EDIT,
        title=f"Edit draft #{draft.id}",
        submit="Save",
        payload=encode(DraftRef(draft=draft.id)),
        fields=(text, *_variables(framework, draft.lang, draft.values, used, primary=False)),
    )


def publish(draft_id: int) -> Form:
    link = FormField("url", "Link to the published post", FieldKind.URL)
    return Form(FormKind.DRAFT_PUBLISH, f"Published #{draft_id}", "Record", (link,), encode(DraftRef(draft=draft_id)))


def request_changes(review: DraftReview) -> Form:
    note = FormField("note", "What should change?", FieldKind.LONG_TEXT, max_length=1000)
    return Form(FormKind.DRAFT_CHANGES, f"Changes to #{review.draft}", "Send", (note,), encode(review))


def review(number: int, *, offered: bool = False) -> Form:
    fields = tuple(
        FormField(key, question, FieldKind.LONG_TEXT, max_length=2000) for key, question in REVIEW_QUESTIONS.items()
    )
    return Form(
        FormKind.REVIEW, "Post-incident review", "Save", fields, encode(CrisisRef(crisis=number)), offered=offered
    )


def status_update(number: int, severity: str, summary_required: bool, detail: str = "") -> Form:
    """Two audiences, two fields: the team's detail, and what executives and the company read."""
    when = f" (required at {severity.upper()})" if summary_required else " (leave empty to keep it in the war room)"
    fields = (
        FormField(
            "detail",
            "Internal detail, for the war room",
            FieldKind.LONG_TEXT,
            True,
            detail or None,
            hint="What the team needs: what changed, what is being done, what is still unknown.",
            max_length=MAX_UPDATE,
        ),
        FormField(
            "summary",
            "Stakeholder summary" + when,
            FieldKind.LONG_TEXT,
            summary_required,
            hint="Two or three plain sentences for executives and the wider company.",
            max_length=MAX_SUMMARY,
        ),
    )
    return Form(FormKind.UPDATE, "Status update", "Post", fields, encode(CrisisRef(crisis=number)))


def drill(scripts: Mapping[str, DrillScript]) -> Form:
    """Which scripted drill to run, and how fast."""
    choices = tuple(
        Choice(sid, f"{s.title} ({s.scenario}, {s.severity.upper()}, {s.duration:g} min)"[:75])
        for sid, s in sorted(scripts.items())
    )
    fields = (
        FormField(
            "script", "Which drill?", FieldKind.CHOICE, True, choices[0].value if choices else None, choices=choices
        ),
        FormField(
            "speed",
            "Speed",
            FieldKind.TEXT,
            False,
            "1",
            hint="1 runs in real time; 6 runs a 60-minute drill in 10 minutes (timeouts and injects alike).",
            max_length=10,
        ),
    )
    return Form(FormKind.DRILL, "Start a drill", "Start", fields, encode(NoPayload()))


def dismiss_alert(alert_id: int) -> Form:
    """Dismissing asks why: the record of alerts nobody acted on is only useful with its reasons."""
    reason = FormField("reason", "Why is this not a crisis?", FieldKind.LONG_TEXT, True, max_length=MAX_SUMMARY)
    return Form(
        kind=FormKind.ALERT_DISMISS,
        title="Dismiss the alert",
        submit="Dismiss",
        payload=encode(AlertRef(alert=alert_id)),
        fields=(reason,),
    )
