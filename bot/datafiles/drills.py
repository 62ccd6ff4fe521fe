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

from bot.core.model.drill import CONDITION, minutes
from bot.core.plan.drills import DrillScript
from bot.datafiles.references import entries, section
from bot.datafiles.validation import validation_issues
from bot.datafiles.yaml import DataFileError, DataIssue, YamlDocument, did_you_mean, load_yaml

DRILLS_DIR = "drills"


def load_drills(plan_path: Path, plan_data: Mapping[Any, Any], issues: list[DataIssue]) -> dict[str, DrillScript]:
    """Every script in the plan's ``drills/`` folder by id (its file name); problems go to ``issues``."""
    folder = plan_path.parent / DRILLS_DIR
    scripts: dict[str, DrillScript] = {}
    if not folder.is_dir():
        return scripts
    scenarios = {sid for sid, _ in entries(section(plan_data, "scenarios"))}
    severities = set(section(plan_data, "severities") or {})
    for path in sorted(folder.glob("*.yaml")):
        try:
            scripts[path.stem] = load_drill(path, scenarios, severities)
        except DataFileError as exc:
            issues.extend(exc.issues)
    return scripts


def load_drill(path: Path, scenarios: set[str], severities: set[str]) -> DrillScript:
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
    if issues or script is None:
        raise DataFileError(issues)
    return script


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
