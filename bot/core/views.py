"""Build the neutral messages the service sends: kickoff, status, list, resolution, errors.

Kept apart from the use cases so that wording can change without touching behaviour, and so that
every adapter shows the same content.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core import chain_of_command
from bot.core.commands import help_text
from bot.core.errors import CrisisError
from bot.core.messages import (
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
    Mention,
    Message,
    Paragraph,
    RoomLink,
    Strong,
    line,
)
from bot.core.models import Crisis, CrisisStatus, StepStatus, TimelineEvent
from bot.core.plan import Plan
from bot.core.playbooks import Playbook


def mention(plan: Plan, person_id: str) -> Mention:
    person = plan.people.get(person_id)
    return Mention(person_id, person.name if person else person_id)


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
    paged = chain_of_command.paged(crisis.assignments)
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
                ("Declared", line(_when(crisis.declared_at))),
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
        blocks.append(Paragraph((line(Strong("Latest")), *(line(f"{_when(e.at)} ", e.text) for e in recent))))
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
    invite = next((s for s in crisis.steps if s.key == "invite"), None)
    if invite is not None and invite.status is StepStatus.DONE:
        total = len(chain_of_command.invitees(crisis.assignments))
        lines.append(line(f"{total - len(crisis.unreachable)} of {total} people invited."))
    for step in crisis.steps:
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
            Actions((Button("Answer the review", "review_open", str(crisis.number or ""), style="primary"),)),
        ),
    )


def export_message(markdown: str) -> Message:
    """The report as text; long reports are split by the adapters (threads in Slack)."""
    return Message(
        summary="Post-incident report", blocks=(Paragraph(tuple(line(row) for row in markdown.splitlines())),)
    )


def notice(text: str) -> Message:
    """A one-line reply."""
    return Message(summary=text, blocks=(Paragraph((line(text),)),))


def progress(text: str) -> Message:
    return Message(summary=text, blocks=(Context(line(text)),))


def error(exc: CrisisError) -> Message:
    lines = [line(exc.user_message)]
    if exc.hint:
        lines.extend(line(h) for h in exc.hint.splitlines())
    return Message(summary=exc.user_message, blocks=(Paragraph(tuple(lines)),))


def help_message(plan: Plan, topic: str | None = None) -> Message:
    text = help_text(plan, topic)
    return Message(summary="crisisbot help", blocks=(Paragraph(tuple(line(t) for t in text.splitlines())),))


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


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")
