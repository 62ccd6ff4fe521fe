"""Parse the text after ``/crisis`` into a typed command: one parser for every adapter.

Parsing never raises anything but :class:`UsageError`, whose message shows the right syntax and
the plan's scenarios, because a person typing under pressure needs the fix, not a traceback.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import NoReturn

from bot.core.drafts.frameworks import GENERIC, LANGUAGES, STAGES
from bot.core.drills.commands import USAGE as DRILL_USAGE
from bot.core.drills.commands import DrillCommand, DrillControlCommand, parse_drill
from bot.core.model.errors import UsageError
from bot.core.plan.model import Plan

MAX_TITLE = 150
MAX_SUMMARY = 2000
MAX_VALUE = 500
_CRISIS_REF = re.compile(r"^(?:crisis-?)?#?0*(\d{1,9})$", re.IGNORECASE)
_SEVERITY = re.compile(r"^sev[-_]?(\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class StartCommand:
    """``title`` is None when the user typed only ``start``: adapters may open a form."""

    scenario_id: str
    severity_id: str | None
    title: str | None
    details: str | None = None
    source_url: str | None = None


@dataclass(frozen=True)
class StatusCommand:
    number: int | None = None


@dataclass(frozen=True)
class ListCommand:
    which: str = "active"


@dataclass(frozen=True)
class ResolveCommand:
    number: int | None = None
    summary: str = ""


@dataclass(frozen=True)
class HelpCommand:
    topic: str | None = None


@dataclass(frozen=True)
class DraftCommand:
    """``scenario_id`` None means the crisis's own scenario; ``lang`` None the plan's language."""

    scenario_id: str | None = None
    stage: str = "acknowledge"
    lang: str | None = None
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SeverityChangeCommand:
    """``escalate`` (up) or ``deescalate`` (down); ``severity_id`` None means one level."""

    up: bool
    number: int | None = None
    severity_id: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class AckCommand:
    """``everything``: ``/crisis ack all``, a lead covering every page at once."""

    number: int | None = None
    everything: bool = False


@dataclass(frozen=True)
class LeadCommand:
    """``who`` is ``me`` or a plan person id (adapters turn platform mentions into ``@id``)."""

    who: str
    number: int | None = None


@dataclass(frozen=True)
class NoteCommand:
    """``update`` True: a status update for stakeholders; False: a note on the timeline."""

    text: str
    update: bool = False


@dataclass(frozen=True)
class ExportCommand:
    number: int | None = None


@dataclass(frozen=True)
class ReviewCommand:
    number: int | None = None


Command = (
    StartCommand
    | StatusCommand
    | ListCommand
    | ResolveCommand
    | HelpCommand
    | DraftCommand
    | SeverityChangeCommand
    | AckCommand
    | LeadCommand
    | NoteCommand
    | ExportCommand
    | ReviewCommand
    | DrillCommand
    | DrillControlCommand
)

USAGE = {
    "start": "/crisis start [scenario] [sev1..sev4] <title>",
    "status": "/crisis status [CRISIS-0007]",
    "list": "/crisis list [active|resolved|all]",
    "resolve": "/crisis resolve [CRISIS-0007] [summary]",
    "draft": "/crisis draft [scenario] [acknowledge|apologize|resolve] [--lang fr] [name=value ...]",
    "escalate": "/crisis escalate [sev1..sev4] [reason]",
    "deescalate": "/crisis deescalate [sev1..sev4] [reason]",
    "ack": "/crisis ack [all]",
    "lead": "/crisis lead me | @person",
    "note": "/crisis note <text>",
    "update": "/crisis update <what changed>",
    "export": "/crisis export [CRISIS-0007]",
    "review": "/crisis review [CRISIS-0007]",
    "drill": DRILL_USAGE,
    "help": "/crisis help [command]",
}
LIST_FILTERS = ("active", "resolved", "all")


def parse(text: str, plan: Plan) -> Command:
    words = text.split()
    if not words:
        return HelpCommand()
    verb, args = words[0].lower(), words[1:]
    rest = text.strip()[len(words[0]) :].strip()
    if verb == "start":
        return _parse_start(args, plan)
    if verb == "drill":
        return parse_drill(args, rest, plan, lambda word: _severity(word, plan, "drill"))
    if verb == "status":
        return StatusCommand(_crisis_ref(args[0], verb) if args else None) if len(args) <= 1 else _too_many(verb)
    if verb == "list":
        which = args[0].lower() if args else "active"
        if len(args) > 1 or which not in LIST_FILTERS:
            raise UsageError(f"`list` takes one of: {', '.join(LIST_FILTERS)}.", hint=f"Usage: {USAGE['list']}")
        return ListCommand(which)
    if verb == "resolve":
        number = None
        if args and _CRISIS_REF.match(args[0]) and not args[0].isdigit():  # CRISIS-7, crisis-7, #7
            number = _crisis_ref(args[0], verb)
            rest = rest[len(args[0]) :].strip()
        if rest.isdigit():
            raise UsageError(
                f"Did you mean crisis number {rest}? Write it `CRISIS-{int(rest):04d}` or `#{rest}`.",
                hint=f"Usage: {USAGE['resolve']}",
            )
        return ResolveCommand(number, _limited(rest, MAX_SUMMARY, "summary"))
    if verb == "draft":
        return _parse_draft(rest, plan)
    if verb == "update":  # with no text, the update form opens (detail and stakeholder summary)
        return NoteCommand(_limited(rest, 3000, verb), update=True)
    if verb == "note":
        if not rest:
            raise UsageError("Say what to note.", hint=f"Usage: {USAGE[verb]}")
        return NoteCommand(_limited(rest, 3000, verb))
    if verb in ("export", "review"):
        if len(args) > 1:
            _too_many(verb)
        number = _crisis_ref(args[0], verb) if args else None
        return ExportCommand(number) if verb == "export" else ReviewCommand(number)
    if verb in ("escalate", "deescalate", "de-escalate"):
        return _parse_severity_change(verb != "escalate", args, rest, plan)
    if verb in ("ack", "acknowledge"):
        everything = bool(args) and args[0].lower() == "all"
        refs = args[1:] if everything else args
        if len(refs) > 1:
            _too_many("ack")
        return AckCommand(_crisis_ref(refs[0], "ack") if refs else None, everything)
    if verb == "lead":
        if not args or len(args) > 2:
            raise UsageError(
                "Say who leads: `/crisis lead me` or `/crisis lead @name`.", hint=f"Usage: {USAGE['lead']}"
            )
        who = args[0].lstrip("@").lower()
        if who != "me" and who not in plan.people:
            raise UsageError(f"`{args[0][:40]}` is not a person of the plan.", hint=f"People: {', '.join(plan.people)}")
        return LeadCommand(who, _crisis_ref(args[1], "lead") if len(args) == 2 else None)
    if verb in ("help", "-h", "--help", "?"):
        topic = args[0].lower() if args else None
        return HelpCommand(topic if topic in USAGE else None)
    raise UsageError(f"I don't know the command `{words[0][:40]}`.", hint=help_text(plan))


def _parse_start(args: list[str], plan: Plan) -> StartCommand:
    scenario_id: str | None = None
    severity_id: str | None = None
    rest = list(args)
    # scenario and severity are optional and may come in either order before the title
    for _ in range(2):
        if not rest:
            break
        word = rest[0]
        if word.lower() == "sev" and len(rest) > 1 and rest[1].isdigit():  # "sev 2"
            word, rest = f"sev{rest[1]}", [f"sev{rest[1]}", *rest[2:]]
        if scenario_id is None and (found := plan.scenario_for(word)) is not None:
            scenario_id, rest = found, rest[1:]
        elif severity_id is None and (severity_id := _severity(word, plan, "start")) is not None:
            rest = rest[1:]
    scenario_id = scenario_id or ("other" if "other" in plan.scenarios else next(iter(plan.scenarios)))
    title = " ".join(rest).strip()
    # no title: a platform with forms asks for the rest, pre-filled with what was typed
    return StartCommand(scenario_id, severity_id, _limited(title, MAX_TITLE, "title") if title else None)


STAGE_WORDS = {
    **{stage: stage for stage in STAGES},
    "ack": "acknowledge",
    "apologise": "apologize",
    "apology": "apologize",
    "sorry": "apologize",
    "fix": "resolve",
}
_VALUE = re.compile(r"^([a-z][a-z0-9_]*)=(.*)$", re.DOTALL)


def _parse_draft(rest: str, plan: Plan) -> DraftCommand:
    try:
        words = shlex.split(rest)
    except ValueError:
        raise UsageError(
            "A quote is not closed in that draft command.",
            hint='Quote values with spaces like this: what_went_wrong="parcel lost twice"',
        ) from None
    scenario_id: str | None = None
    stage: str | None = None
    lang: str | None = None
    values: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("--lang", "-l") and i + 1 < len(words):
            lang, i = words[i + 1].lower(), i + 2
            continue
        if (m := _VALUE.match(word)) is not None:
            name, value = m.group(1), m.group(2)
            if len(value) > MAX_VALUE:
                raise UsageError(f"The value of {name} is {len(value)} characters; keep it under {MAX_VALUE}.")
            if name == "lang":
                lang = value.lower()
            else:
                values[name] = value
        elif stage is None and word.lower() in STAGE_WORDS:
            stage = STAGE_WORDS[word.lower()]
        elif scenario_id is None and (found := plan.scenario_for(word) or (word if word == GENERIC else None)):
            scenario_id = found
        else:
            raise UsageError(
                f"I don't know `{word[:40]}` in a draft command.",
                hint=f"Usage: {USAGE['draft']}\nStages: {', '.join(STAGES)}. {scenario_list(plan)}",
            )
        i += 1
    if lang is not None and lang not in LANGUAGES:
        raise UsageError(f"Drafts are written in {', '.join(LANGUAGES)}.", hint="Example: --lang fr")
    return DraftCommand(scenario_id, stage or "acknowledge", lang, tuple(values.items()))


def _parse_severity_change(down: bool, args: list[str], rest: str, plan: Plan) -> SeverityChangeCommand:
    verb = "deescalate" if down else "escalate"
    number = None
    if args and _CRISIS_REF.match(args[0]) and not args[0].isdigit():
        number = _crisis_ref(args[0], verb)
        args, rest = args[1:], rest[len(args[0]) :].strip()
    severity_id = _severity(args[0], plan, verb) if args else None
    if severity_id is not None:
        rest = rest[len(args[0]) :].strip()
    return SeverityChangeCommand(not down, number, severity_id, _limited(rest, MAX_SUMMARY, "reason"))


def _severity(word: str, plan: Plan, verb: str) -> str | None:
    """``sev2``, ``SEV-2``, ``sev_2`` -> ``sev2``; None if the word is not a severity at all."""
    m = _SEVERITY.match(word)
    if m is None:
        return None
    severity_id = f"sev{int(m.group(1))}"
    if severity_id not in plan.severities:
        raise UsageError(
            f"This plan has no severity `{word[:10]}`.",
            hint=f"Use one of: {', '.join(plan.severity_ids())}. Usage: {USAGE[verb]}",
        )
    return severity_id


def parse_crisis_ref(word: str) -> int:
    """``CRISIS-0007``, ``crisis-7``, ``#7`` or ``7`` -> 7 (for the command line)."""
    return _crisis_ref(word, "export")


def _crisis_ref(word: str, verb: str) -> int:
    m = _CRISIS_REF.match(word)
    if not m:
        raise UsageError(
            f"`{word[:40]}` is not a crisis number.", hint=f"Write it like CRISIS-0007. Usage: {USAGE[verb]}"
        )
    return int(m.group(1))


def _too_many(verb: str) -> NoReturn:
    raise UsageError(f"`{verb}` takes at most one crisis number.", hint=f"Usage: {USAGE[verb]}")


def _limited(text: str, limit: int, what: str) -> str:
    if len(text) > limit:
        raise UsageError(f"That {what} is {len(text)} characters long; keep it under {limit}.")
    return text


def scenario_list(plan: Plan) -> str:
    items = []
    for sid, sc in plan.scenarios.items():
        aka = f" (also: {', '.join(sc.aliases)})" if sc.aliases else ""
        items.append(f"{sid}{aka}: {sc.name}, usually {sc.default_severity}")
    return "Scenarios: " + "; ".join(items)


def help_text(plan: Plan, topic: str | None = None) -> str:
    if topic:
        return f"Usage: {USAGE[topic]}"
    lines = ["Commands:", *(f"  {usage}" for usage in USAGE.values()), scenario_list(plan)]
    levels = ", ".join(f"{sid} {plan.severities[sid].name}" for sid in plan.severity_ids())
    lines.append(f"Severities (worst first): {levels}")
    return "\n".join(lines)
