"""The post-incident report of one crisis, as Markdown for people and as JSON for tools.

The report is what the team reviews a few days later and files away, so it holds everything: the
key times, every severity change, who was involved, every draft with its final words, the whole
timeline and the review questions. Output is deterministic (fixed order and formats, UTC times to
the second) so it can be diffed, checked against a golden file, and archived.

User text (titles, notes, drafts, answers) is escaped for Markdown wherever it could change the
structure: a ``|`` would split a table cell, a leading ``#`` would open a section, ``<!channel>``
would vanish as an HTML tag. Timeline expectations are those of :mod:`bot.core.reports.figures`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from bot.core.listening.report import MentionsReport
from bot.core.messaging.text import duration
from bot.core.model.crisis import Crisis
from bot.core.model.drafts import Draft
from bot.core.model.events import REVIEW_QUESTIONS, TimelineEvent
from bot.core.plan.model import Plan
from bot.core.reports.figures import Figures, draft_counts, event_link, event_who, figures, path_label, utc
from bot.core.reports.mentions import mentions_json, mentions_markdown

NOT_ANSWERED = "not answered yet"
_INLINE = re.compile(r"([\\`*_\[\]<>|~#])")
_LEADING = re.compile(r"^([-+=])|^(\d+)([.)])")


def iso(at: datetime) -> str:
    return f"{utc(at):%Y-%m-%dT%H:%M:%SZ}"


def _iso(at: datetime | None) -> str | None:
    return iso(at) if at is not None else None


def seconds(delta: timedelta | None) -> int | None:
    """Whole seconds, like the durations shown to people (which never round up)."""
    return int(delta.total_seconds()) if delta is not None else None


def md_text(text: str) -> str:
    """Escape user text for one line of Markdown: a list item, a heading, a table cell."""
    return _INLINE.sub(r"\\\1", " ".join(text.split()))


def md_cell(text: str) -> str:
    """Like ``md_text`` but keeps line breaks, as ``<br>`` (the only break a table cell allows)."""
    return "<br>".join(md_text(row) for row in text.splitlines() if row.strip()) or " "


def md_lines(text: str) -> list[str]:
    """Escape multi-line user text, keeping its line breaks (as hard breaks) and paragraphs.

    Beyond ``md_text``, what a line starts with must not open a list, a heading or a rule.
    """
    rows = [_block_safe(md_text(row)) for row in text.strip().splitlines()]
    return [f"{row}\\" if row and i + 1 < len(rows) and rows[i + 1] else row for i, row in enumerate(rows)]


def _block_safe(row: str) -> str:
    found = _LEADING.match(row)
    if found is None:
        return row
    if found.group(1):
        return "\\" + row
    digits = found.group(2)
    return f"{digits}\\{row[len(digits) :]}"


def md_link(url: str, label: str) -> str:
    safe = url.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"[{md_text(label)}](<{safe}>)"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out.extend("| " + " | ".join(row) + " |" for row in rows)
    return out


def _after(delta: timedelta | None) -> str:
    return f"+{duration(delta)}" if delta is not None else "—"


def to_markdown(
    plan: Plan,
    crisis: Crisis,
    events: Sequence[TimelineEvent],
    drafts: Sequence[Draft],
    review: Mapping[str, str] | None = None,
    mentions: MentionsReport | None = None,
) -> str:
    """The whole report as GitHub-flavoured Markdown, ending with a newline."""
    fig = figures(crisis, events, drafts)
    t = fig.times
    lead = plan.person_name(crisis.lead_person_id) if crisis.lead_person_id else "unassigned"
    facts = [
        ("Status", crisis.status.value),
        ("Scenario", plan.scenario_name(crisis.scenario_id)),
        ("Severity", path_label(fig.severity_path)),
        ("Lead", lead),
        ("War room", f"#{crisis.room.name if crisis.room else crisis.room_name}"),
        ("Declared", f"{iso(t.declared_at)} by {crisis.declared_by.name}"),
        ("Resolved", f"{iso(t.resolved_at)} by {crisis.resolved_by.name if crisis.resolved_by else '?'}")
        if t.resolved_at
        else ("Resolved", "not yet"),
        ("Took", duration(t.to_resolved) if t.to_resolved is not None else "—"),
    ]
    out = [
        f"# {crisis.key}: {md_text(crisis.title)}",
        "",
        f"Post-incident report for {md_text(plan.company)}. Times are UTC.",
        "",
    ]
    out += _table(("Crisis", crisis.key), ((label, md_cell(value)) for label, value in facts))
    for label, text in (("What happened", crisis.details), ("Resolution", crisis.resolution_summary)):
        if text:
            out += ["", f"**{label}:**", "", *md_lines(text)]
    if crisis.source_url:
        out += ["", f"Started here: {md_link(crisis.source_url, crisis.source_url)}"]
    out += ["", "## Key times", ""]
    rows = [("Declared", iso(t.declared_at), "start")]
    rows += [(m.label, iso(m.at) if m.at else "—", _after(m.after)) for m in t.milestones()]
    out += _table(("Milestone", "Time (UTC)", "Since declaration"), rows)
    out += ["", "## Severity", "", md_text(path_label(fig.severity_path)), ""]
    if fig.escalations:
        changes = (
            (
                iso(c.at),
                md_cell(f"{c.kind} {c.from_severity.upper()} → {c.to_severity.upper()}"),
                md_cell(c.actor),
                md_cell(c.reason),
            )
            for c in fig.escalations
        )
        out += _table(("Time (UTC)", "Change", "By", "Reason"), changes)
    else:
        out.append("No severity change.")
    out += ["", "## People", "", *_people(plan, fig), "", "## Drafts", "", draft_counts(fig.drafts_by_status)]
    for d in sorted(drafts, key=lambda d: (utc(d.created_at), d.id or 0)):
        out += ["", *_draft(d)]
    if mentions is not None:
        out += ["", *mentions_markdown(mentions)]
    out += ["", "## Timeline", ""]
    timeline = (
        (iso(e.at), md_cell(event_who(e)), md_cell(e.kind.replace("_", " ")), _what(e))
        for e in sorted(events, key=lambda e: utc(e.at))
    )
    out += _table(("Time (UTC)", "Who", "Event", "What"), timeline) if events else ["No events recorded."]
    out += ["", "## Review"]
    for _, question, answer in _review(review):
        out += ["", f"### {md_text(question)}", "", *(md_lines(answer) if answer else [f"_{NOT_ANSWERED}_"])]
    return "\n".join(out) + "\n"


def _what(event: TimelineEvent) -> str:
    link = event_link(event)
    return md_cell(event.text) + (f" ({md_link(link, 'link')})" if link else "")


def _people(plan: Plan, fig: Figures) -> list[str]:
    rows = (
        (md_cell(role), md_cell(", ".join(plan.person_name(p) for p in ids) or "nobody"))
        for role, ids in fig.people_by_role.items()
    )
    out = _table(("Role", "People"), rows) if fig.people_by_role else ["No role was assigned."]
    if others := fig.others():
        out += ["", "Also took part: " + md_text(", ".join(a.name for a in others))]
    return out


def _draft(d: Draft) -> list[str]:
    out = [f"### Draft #{d.id} · {md_text(d.stage)} · {md_text(d.lang.upper())}", ""]
    out.append(f"- Status: {d.status.value.replace('_', ' ')}")
    out.append(f"- Author: {md_text(d.author.name)}, {iso(d.created_at)}")
    if d.approved_at is not None:
        who = md_text(d.approved_by.name) if d.approved_by else "no approval needed"
        out.append(f"- Approved: {who}, {iso(d.approved_at)}")
    if d.published_at is not None:
        who = md_text(d.published_by.name) if d.published_by else "someone"
        link = f", {md_link(d.published_url, d.published_url)}" if d.published_url else ""
        out.append(f"- Published: {who}, {iso(d.published_at)}{link}")
    return [*out, "", *(f"> {row}" if row else ">" for row in md_lines(d.text))]


def _review(review: Mapping[str, str] | None) -> list[tuple[str, str, str]]:
    """The three questions, then any other answer given (sorted), so that none is lost."""
    answers = {k: v.strip() for k, v in (review or {}).items()}
    known = [(key, question, answers.pop(key, "")) for key, question in REVIEW_QUESTIONS.items()]
    return known + [(key, key.replace("_", " "), answers[key]) for key in sorted(answers)]


def to_json(
    plan: Plan,
    crisis: Crisis,
    events: Sequence[TimelineEvent],
    drafts: Sequence[Draft],
    review: Mapping[str, str] | None = None,
    mentions: MentionsReport | None = None,
) -> dict[str, Any]:
    """The report's content as JSON-ready data: ISO UTC strings, durations in whole seconds."""
    fig = figures(crisis, events, drafts)
    t = fig.times
    lead = crisis.lead_person_id
    return {
        "key": crisis.key,
        "number": crisis.number,
        "title": crisis.title,
        "status": crisis.status.value,
        "scenario": {"id": crisis.scenario_id, "name": plan.scenario_name(crisis.scenario_id)},
        "severity": crisis.severity_id,
        "severity_path": list(fig.severity_path),
        "lead": {"person_id": lead, "name": plan.person_name(lead)} if lead else None,
        "room": crisis.room.name if crisis.room else crisis.room_name,
        "declared_by": crisis.declared_by.name,
        "declared_at": iso(t.declared_at),
        "resolved_by": crisis.resolved_by.name if crisis.resolved_by else None,
        "resolved_at": _iso(t.resolved_at),
        "took_seconds": seconds(t.to_resolved),
        "details": crisis.details,
        "source_url": crisis.source_url,
        "resolution_summary": crisis.resolution_summary,
        "key_times": {m.key: {"at": _iso(m.at), "seconds": seconds(m.after)} for m in t.milestones()},
        "escalations": [
            {
                "at": iso(c.at),
                "kind": c.kind,
                "from": c.from_severity,
                "to": c.to_severity,
                "by": c.actor,
                "reason": c.reason,
            }
            for c in fig.escalations
        ],
        "roles": [
            {"role": role, "people": [{"person_id": p, "name": plan.person_name(p)} for p in ids]}
            for role, ids in fig.people_by_role.items()
        ],
        "also_took_part": [{"name": a.name, "person_id": a.person_id} for a in fig.others()],
        "drafts_by_status": {s.value: n for s, n in fig.drafts_by_status.items()},
        "drafts": [_draft_json(d) for d in sorted(drafts, key=lambda d: (utc(d.created_at), d.id or 0))],
        "timeline": [
            {"at": iso(e.at), "kind": e.kind, "who": event_who(e), "text": e.text, "data": plain(e.data.dump())}
            for e in sorted(events, key=lambda e: utc(e.at))
        ],
        "review": [{"key": k, "question": q, "answer": a or None} for k, q, a in _review(review)],
        "mentions": mentions_json(mentions) if mentions is not None else None,
    }


def _draft_json(d: Draft) -> dict[str, Any]:
    return {
        "id": d.id,
        "stage": d.stage,
        "lang": d.lang,
        "status": d.status.value,
        "author": d.author.name,
        "created_at": iso(d.created_at),
        "approved_by": d.approved_by.name if d.approved_by else None,
        "approved_at": _iso(d.approved_at),
        "published_by": d.published_by.name if d.published_by else None,
        "published_at": _iso(d.published_at),
        "published_url": d.published_url,
        "text": d.text,
    }


def plain(value: Any) -> Any:
    """Event data as JSON: keys sorted, times as ISO strings, anything unknown as its text."""
    if isinstance(value, Mapping):
        return {str(k): plain(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, timedelta):
        return seconds(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def render(
    plan: Plan,
    crisis: Crisis,
    events: Sequence[TimelineEvent],
    drafts: Sequence[Draft],
    fmt: str,
    review: Mapping[str, str] | None = None,
    mentions: MentionsReport | None = None,
) -> str:
    """The report as text, ``md`` or ``json``: what every export (command line, chat) writes."""
    if fmt == "json":
        data = to_json(plan, crisis, events, drafts, review, mentions)
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return to_markdown(plan, crisis, events, drafts, review, mentions)
