"""The crisis's own messages: kickoff, announcement, status, list, what the declarer sees,
the overview (App Home), the review prompt and help.

Kept apart from the use cases so that wording can change without touching behaviour, and so that
every adapter shows the same content.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.commands import help_text
from bot.core.messaging.message import (
    Actions,
    Block,
    Button,
    Checklist,
    ChecklistItem,
    Context,
    Divider,
    Fields,
    Header,
    Line,
    Link,
    Message,
    Paragraph,
    Strong,
    Style,
    line,
)
from bot.core.messaging.text import (
    duration,
    lead_line,
    mention,
    people_line,
    room_span,
    severity_label,
    when,
)
from bot.core.model.actions import Action, CrisisRef
from bot.core.model.crisis import Crisis, CrisisStatus, StepKey, StepStatus
from bot.core.model.events import TimelineEvent
from bot.core.plan import chain
from bot.core.plan.model import Plan
from bot.core.plan.playbook import Playbook


def kickoff(plan: Plan, crisis: Crisis, playbook: Playbook) -> Message:
    """The first message in the war room: what, how bad, who leads, who does what, what first."""
    scenario = plan.scenarios[crisis.scenario_id]
    lead = lead_line(plan, crisis)
    blocks: list[Block] = [
        Header(f"{crisis.key}: {crisis.title}"),
        Fields(
            (
                ("Severity", line(severity_label(plan, crisis.severity_id))),
                ("Scenario", line(scenario.name)),
                ("Lead", lead),
                ("Declared by", line(crisis.declared_by.name)),
            )
        ),
        *_details(crisis),
        Paragraph((line(Strong(playbook.title)), line(playbook.summary))),
        Divider(),
        Paragraph(tuple(_role_line(plan, a.role_name, a.person_ids, a.paged) for a in crisis.assignments)),
    ]
    paged = chain.paged(crisis.assignments)
    if crisis.unreachable:
        blocks.append(
            Paragraph(
                (
                    line(Strong("Could not invite:")),
                    *(line(mention(plan, pid), f": {why}") for pid, why in crisis.unreachable.items()),
                )
            )
        )
    blocks.append(
        Checklist(
            "First actions",
            tuple(
                ChecklistItem(
                    a.do,
                    owner=line(plan.roles[a.owner].name) if a.owner in plan.roles else line(a.owner),
                    note=f"within {a.within_minutes} min" if a.within_minutes else "",
                )
                for a in playbook.first_actions
            ),
        )
    )
    if playbook.dont:
        blocks.append(Paragraph((line(Strong("Don't")), *(line(f"• {d}") for d in playbook.dont))))
    blocks.append(Paragraph((line(Strong("Resolved when")), *(line(f"• {r}") for r in playbook.resolved_when))))
    blocks.append(Context(line("Paged: ", *people_line(plan, paged))))
    return Message(
        summary=f"{crisis.key} declared: {crisis.title} ({crisis.severity_id.upper()})",
        blocks=tuple(blocks),
        mentions=tuple(mention(plan, pid) for pid in paged),
    )


def _details(crisis: Crisis) -> list[Block]:
    lines: list[Line] = []
    if crisis.details:
        lines.extend(line(text) for text in crisis.details.splitlines() if text.strip())
    if crisis.source_url:
        lines.append(line("Started here: ", Link(crisis.source_url, crisis.source_url)))
    return [Paragraph((line(Strong("What happened")), *lines))] if lines else []


def _role_line(plan: Plan, role_name: str, person_ids: Sequence[str], paged: bool) -> Line:
    mark = " (paged)" if paged else ""
    return line(Strong(f"{role_name}{mark}: "), *people_line(plan, person_ids))


def announcement(plan: Plan, crisis: Crisis) -> Message:
    lead = lead_line(plan, crisis)
    return Message(
        summary=f"{crisis.key} declared: {crisis.title}",
        blocks=(
            Paragraph(
                (
                    line(Strong(f"{crisis.key} declared"), f" · {severity_label(plan, crisis.severity_id)}"),
                    line(crisis.title),
                    line("War room: ", room_span(crisis), " · Lead: ", *lead),
                )
            ),
        ),
    )


def restricted_announcement(plan: Plan, crisis: Crisis) -> Message:
    """All the company learns of a restricted crisis: that it exists, and whom to ask."""
    lead = lead_line(plan, crisis)
    return Message(
        summary=f"A restricted crisis was opened: {crisis.key}",
        blocks=(
            Paragraph(
                (
                    line(Strong(f"A restricted crisis was opened: {crisis.key}.")),
                    line("Its details stay with the people handling it. Lead: ", *lead),
                )
            ),
        ),
    )


def status(plan: Plan, crisis: Crisis, events: Sequence[TimelineEvent], now: datetime) -> Message:
    state = "Resolved" if crisis.status is CrisisStatus.RESOLVED else "Active"
    lead = lead_line(plan, crisis)
    age_end = crisis.resolved_at or now
    blocks: list[Block] = [
        Header(f"{crisis.key}: {crisis.title}"),
        Fields(
            (
                ("Status", line(state)),
                ("Severity", line(severity_label(plan, crisis.severity_id))),
                ("Lead", lead),
                ("War room", line(room_span(crisis))),
                ("Declared", line(when(crisis.declared_at))),
                ("Open for" if crisis.resolved_at is None else "Took", line(duration(age_end - crisis.declared_at))),
            )
        ),
    ]
    unfinished = crisis.unfinished_steps
    if unfinished:
        blocks.append(
            Paragraph(
                (
                    line(Strong("Steps not done:")),
                    *(line(f"• {s.label}: {s.status.value}", f" ({s.detail})" if s.detail else "") for s in unfinished),
                )
            )
        )
    if crisis.resolution_summary:
        blocks.append(Paragraph((line(Strong("Resolution: "), crisis.resolution_summary),)))
    if events:
        recent = events[-8:]
        blocks.append(Paragraph((line(Strong("Latest")), *(line(f"{when(e.at)} ", e.text) for e in recent))))
    return Message(summary=f"{crisis.key} {state.lower()}: {crisis.title}", blocks=tuple(blocks))


def crisis_list(crises: Sequence[Crisis], which: str, now: datetime) -> Message:
    if not crises:
        empty = {"active": "No active crisis. Calm seas.", "resolved": "No resolved crisis yet."}
        return Message(summary="No crisis", blocks=(Paragraph((line(empty.get(which, "No crisis yet.")),)),))
    rows = []
    for c in crises:
        age = duration((c.resolved_at or now) - c.declared_at)
        state = "resolved" if c.status is CrisisStatus.RESOLVED else f"open {age}"
        rows.append(line(Strong(c.key), f" {c.severity_id.upper()} · {c.title} · ", room_span(c), f" · {state}"))
    return Message(summary=f"{len(crises)} {which} crises", blocks=(Paragraph(tuple(rows)),))


def started_reply(plan: Plan, crisis: Crisis) -> Message:
    """What the declarer sees: the room, who got in, and every step that is not done."""
    lines = [line(Strong(f"{crisis.key} declared."), " War room: ", room_span(crisis))]
    if crisis.asked_severity:
        lines.append(
            line(
                f"Declared at {crisis.severity_id.upper()}: the plan keeps {crisis.asked_severity.upper()} for "
                "others to declare. The crisis lead can escalate it."
            )
        )
    invite = crisis.step(StepKey.INVITE)
    if invite is not None and invite.status is StepStatus.DONE:
        total = len(chain.invitees(crisis.assignments))
        lines.append(line(f"{total - len(crisis.unreachable)} of {total} people invited."))
    for step in crisis.steps:
        if step.key is StepKey.ANSWER:
            continue  # this answer is that step
        if step.status is StepStatus.FAILED:
            lines.extend(line(text) for text in f"⚠ {step.label} failed: {step.detail}".splitlines())
        elif step.status is StepStatus.PENDING:
            lines.append(line(f"… {step.label}: not done yet"))
    return Message(summary=f"{crisis.key} declared", blocks=(Paragraph(tuple(lines)),))


def home(plan: Plan, active: Sequence[Crisis], resolved: Sequence[Crisis], now: datetime) -> Message:
    """The App Home: what is burning now, and what was resolved lately."""
    blocks: list[Block] = [Header("Active crises")]
    if not active:
        blocks.append(Paragraph((line("No active crisis. Calm seas."),)))
    for c in active:
        age = duration(now - c.declared_at)
        blocks.append(
            Paragraph(
                (
                    line(Strong(f"{c.key} · {severity_label(plan, c.severity_id)}"), " · ", c.title),
                    line("Lead: ", *lead_line(plan, c), f" · open {age} · ", room_span(c)),
                )
            )
        )
    blocks.append(Divider())
    blocks.append(Header("Recently resolved"))
    if not resolved:
        blocks.append(Paragraph((line("None yet."),)))
    for c in resolved:
        took = duration((c.resolved_at or now) - c.declared_at)
        blocks.append(Paragraph((line(Strong(c.key), f" · {c.severity_id.upper()} · ", c.title, f" · took {took}"),)))
    blocks.append(Context(line("Declare with /crisis start · all commands: /crisis help")))
    return Message(summary="crisisbot home", blocks=tuple(blocks))


def review_prompt(crisis: Crisis, intro: str = "") -> Message:
    """Asks for the three review questions; adapters open a form or ask them one by one."""
    rows = [line(intro)] if intro else []
    rows.append(line(Strong("Post-incident review: "), "what went well, what did not, what to change in the plan?"))
    return Message(
        summary=f"Review of {crisis.key}",
        blocks=(
            Paragraph(tuple(rows)),
            Actions((Button("Answer the review", Action.REVIEW_OPEN, CrisisRef(crisis=crisis.number), Style.PRIMARY),)),
        ),
    )


def help_message(plan: Plan, topic: str | None = None) -> Message:
    text = help_text(plan, topic)
    return Message(summary="crisisbot help", blocks=(Paragraph(tuple(line(t) for t in text.splitlines())),))
