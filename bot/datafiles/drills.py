"""Read the drill scripts beside the plan (``drills/*.yaml``) and check them against it.

A drill is prepared before the session; a typo found in front of the team wastes the session.
So every problem is reported at once with its file, line, key and fix, as for the plan: an
unknown scenario, a severity the plan does not have, an inject after the drill's end, a
condition on an action the bot does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.core.listening.intake import MAX_BATCH
from bot.core.listening.mapping import parse_all
from bot.core.model.drill import CONDITION, minutes
from bot.core.model.mentions import Mention
from bot.core.plan.drills import Author, DrillScript, Inject, InjectKind, MentionReplay
from bot.core.plan.sources import GENERIC, SourceMapping, generic
from bot.datafiles.references import entries, section
from bot.datafiles.validation import validation_issues
from bot.datafiles.yaml import DataFileError, DataIssue, YamlDocument, did_you_mean, load_yaml
from bot.intake_files import batches

DRILLS_DIR = "drills"


def load_drills(
    plan_path: Path, plan_data: Mapping[Any, Any], sources: Mapping[str, SourceMapping], issues: list[DataIssue]
) -> dict[str, DrillScript]:
    """Every script in the plan's ``drills/`` folder by id (its file name); problems go to ``issues``."""
    folder = plan_path.parent / DRILLS_DIR
    scripts: dict[str, DrillScript] = {}
    if not folder.is_dir():
        return scripts
    scenarios = {sid for sid, _ in entries(section(plan_data, "scenarios"))}
    severities = set(section(plan_data, "severities") or {})
    for path in sorted(folder.glob("*.yaml")):
        try:
            scripts[path.stem] = load_drill(path, scenarios, severities, sources)
        except DataFileError as exc:
            issues.extend(exc.issues)
    return scripts


def load_drill(
    path: Path, scenarios: set[str], severities: set[str], sources: Mapping[str, SourceMapping] | None = None
) -> DrillScript:
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise DataFileError(
            [doc.issue((), "a drill script must be a mapping of keys", "start from drills/complaint.yaml")]
        )
    issues: list[DataIssue] = []
    script: DrillScript | None = None
    try:
        script = DrillScript.model_validate(doc.data)
    except ValidationError as exc:
        issues = validation_issues(doc, exc, model=DrillScript)
    issues += _references(doc, scenarios, severities)
    if script is not None and script.mentions is not None:
        script = _with_replayed_posts(doc, script, script.mentions, {GENERIC: generic(), **(sources or {})}, issues)
    if issues or script is None:
        raise DataFileError(issues)
    return script


def _with_replayed_posts(
    doc: YamlDocument,
    script: DrillScript,
    replay: MentionReplay,
    sources: Mapping[str, SourceMapping],
    issues: list[DataIssue],
) -> DrillScript:
    """The script with one post inject per mention of ``replay.file``, timed from the first one."""
    source = sources.get(replay.source)
    if source is None:
        fix = did_you_mean(replay.source, set(sources)) or f"one of: {', '.join(sorted(sources))}"
        issues.append(doc.issue(("mentions", "source"), f"unknown source '{replay.source}'", fix))
        return script
    path = doc.path.parent / replay.file
    if not path.is_file():
        issues.append(doc.issue(("mentions", "file"), f"there is no {replay.file} beside this script", _REPLAY_FIX))
        return script
    mentions: list[Mention] = []
    for batch in batches(path, MAX_BATCH):
        for line in batch.not_json:
            issues.append(DataIssue(path, (), "this line is not JSON", "one mention object per line", line))
        found, rejected = parse_all(batch.items, source, strict=not batch.from_text)
        mentions += found
        for refused in rejected:
            line = batch.lines[refused.index]
            issues.append(DataIssue(path, (refused.field,), refused.message, _REPLAY_FIX, line))
    if not mentions:
        return script
    start = min(m.created_at for m in mentions)
    posts = [_post(m, (m.created_at - start).total_seconds() / 60) for m in mentions]
    late = [p for p in posts if p.at > script.duration]
    if late:
        issues.append(
            doc.issue(
                ("mentions", "file"),
                f"{len(late)} mention(s) come after the drill's end ({script.duration:g} min from the first one)",
                "lengthen the drill's duration, or keep the rows of its first minutes",
            )
        )
    return script.model_copy(update={"injects": sorted([*script.injects, *posts], key=lambda i: i.at)})


_REPLAY_FIX = "the rows are mentions in the listening format of the script's source (see README, Listening)"


def _post(mention: Mention, at: float) -> Inject:
    author = Author(
        handle=mention.author_handle or "@someone",
        name=mention.author_name or "",
        followers=mention.followers or 0,
        verified=mention.verified,
    )
    return Inject(
        at=at, kind=InjectKind.POST, text=mention.text, network=mention.network, author=author, reach=mention.reach or 0
    )


def _references(doc: YamlDocument, scenarios: set[str], severities: set[str]) -> list[DataIssue]:
    """Checked on the data as written, so they show up beside any schema problem."""
    data, issues = doc.data, []
    scenario = data.get("scenario")
    if isinstance(scenario, str) and scenario not in scenarios:
        issues.append(doc.issue(("scenario",), f"unknown scenario '{scenario}'", did_you_mean(scenario, scenarios)))
    for loc, value in _severities(data):
        if isinstance(value, str) and value.startswith("sev") and value not in severities:
            issues.append(doc.issue(loc, f"the plan has no severity '{value}'", did_you_mean(value, severities)))
    end = minutes(data.get("duration"))
    injects = data.get("injects")
    for i, inject in enumerate(injects if isinstance(injects, list) else []):
        if not isinstance(inject, dict):
            continue
        at = minutes(inject.get("at"))
        if isinstance(at, float) and isinstance(end, float) and at > end:
            issues.append(
                doc.issue(
                    ("injects", i, "at"),
                    f"this inject comes at {at:g} min, after the drill's end ({end:g} min)",
                    "bring it forward, or lengthen the drill's duration",
                )
            )
    return issues


def _severities(data: Mapping[Any, Any]) -> list[tuple[tuple[Any, ...], Any]]:
    """Where a script names a severity: its start, its expected escalation, its conditions."""
    found: list[tuple[tuple[Any, ...], Any]] = [(("severity",), data.get("severity"))]
    expected = data.get("expected_escalation")
    if isinstance(expected, dict):
        found.append((("expected_escalation", "to"), expected.get("to")))
    injects = data.get("injects")
    for i, inject in enumerate(injects if isinstance(injects, list) else []):
        for key in ("when", "unless"):
            conditions = inject.get(key) if isinstance(inject, dict) else None
            for j, condition in enumerate(conditions if isinstance(conditions, list) else []):
                match = CONDITION.match(condition) if isinstance(condition, str) else None
                if match and match["severity"]:
                    found.append((("injects", i, key, j), match["severity"]))
    return found
