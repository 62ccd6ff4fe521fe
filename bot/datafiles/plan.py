"""Read the plan and its playbooks from YAML, and check every reference between them.

The shapes are the core's (:mod:`bot.core.plan`); this is the I/O around them: file, line and
key for every problem, each with its fix, all of them collected before giving up, because each
fix-and-rerun round trip costs minutes that a team preparing for (or in) a crisis does not have.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.core.plan.model import LoadedPlan, Plan
from bot.core.plan.playbook import Playbook
from bot.datafiles.drills import load_drills
from bot.datafiles.references import check_references, entries, section
from bot.datafiles.sources import load_sources
from bot.datafiles.validation import validation_issues
from bot.datafiles.yaml import DataFileError, DataIssue, YamlDocument, did_you_mean, load_yaml


def load_plan(path: Path) -> LoadedPlan:
    """Read and check the plan at ``path`` and every playbook it names.

    All problems are collected before raising, so one run of ``check-plan`` lists them all: the
    schema's, the cross-references' and the playbooks'. References are checked on the data as
    written, not on a validated plan, so a bad value in one place cannot hide an unknown id in
    another until the next run.
    """
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        issue = doc.issue((), "the plan must be a mapping of keys", "start from playbooks/plan.yaml")
        raise DataFileError([issue])
    plan: Plan | None = None
    issues: list[DataIssue] = []
    try:
        plan = Plan.model_validate(doc.data)
    except ValidationError as exc:
        issues = validation_issues(doc, exc, model=Plan)
    issues += check_references(doc)
    # Without any roles, owners cannot be checked, so only look for the files rather than flag
    # every owner as unknown.
    roles = section(doc.data, "roles")
    role_ids = set(roles) if roles is not None else None
    playbooks = _load_playbooks(path, doc, _playbook_names(doc.data), role_ids, issues)
    sources = load_sources(path, issues)
    drills = load_drills(path, doc.data, sources, issues)
    if issues or plan is None:
        raise DataFileError(issues)
    return LoadedPlan(plan=plan, playbooks=playbooks, drills=drills, sources=sources, path=path)


def _playbook_names(data: Mapping[Any, Any]) -> dict[str, str]:
    """Scenario id -> playbook file name, for every scenario that names one."""
    return {
        sid: scenario["playbook"]
        for sid, scenario in entries(section(data, "scenarios"))
        if isinstance(scenario.get("playbook"), str) and scenario["playbook"]
    }


def _load_playbooks(
    path: Path,
    doc: YamlDocument,
    names: Mapping[str, str],
    role_ids: set[str] | None,
    issues: list[DataIssue],
) -> dict[str, Playbook]:
    """Load each scenario's playbook, adding its problems to ``issues``.

    Scenarios may share a playbook file; it is read once so its problems are listed once.
    With ``role_ids`` None, only check that each file exists.
    """
    playbooks: dict[str, Playbook] = {}
    loaded: dict[Path, Playbook | None] = {}
    for sid, name in names.items():
        pb_path = path.parent / name
        if pb_path not in loaded:
            loaded[pb_path] = None
            if not pb_path.is_file():
                issues.append(
                    doc.issue(
                        ("scenarios", sid, "playbook"),
                        f"playbook file '{name}' not found next to the plan",
                        f"create {pb_path} or correct the file name",
                    )
                )
                continue
            if role_ids is None:
                continue
            try:
                loaded[pb_path] = load_playbook(pb_path, role_ids=role_ids)
            except DataFileError as exc:
                issues.extend(exc.issues)
        playbook = loaded[pb_path]
        if playbook is not None:
            playbooks[sid] = playbook
    return playbooks


def load_playbook(path: Path, role_ids: set[str]) -> Playbook:
    """Read one playbook and check that every owner is a role of the plan.

    Owners are checked on the data as written, even when the schema check fails, so a typo in
    a role id and a bad value elsewhere in the same file are reported in the same run.
    """
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        issue = doc.issue((), "a playbook must be a mapping of keys", "start from playbooks/complaint.yaml")
        raise DataFileError([issue])
    issues: list[DataIssue] = []
    try:
        playbook = Playbook.model_validate(doc.data)
    except ValidationError as exc:
        issues = validation_issues(doc, exc, model=Playbook)
        playbook = None
    issues += _unknown_owners(doc, role_ids)
    if issues or playbook is None:
        raise DataFileError(issues)
    return playbook


def _unknown_owners(doc: YamlDocument, role_ids: set[str]) -> list[DataIssue]:
    """Owners (of actions, and in ``owners:``) that are not roles of the plan."""
    issues: list[DataIssue] = []
    actions = doc.data.get("first_actions")
    for i, action in enumerate(actions if isinstance(actions, list) else []):
        owner = action.get("owner") if isinstance(action, dict) else None
        if isinstance(owner, str) and owner not in role_ids:
            issues.append(
                doc.issue(
                    ("first_actions", i, "owner"),
                    f"unknown role '{owner}'",
                    did_you_mean(owner, role_ids),
                )
            )
    owners = doc.data.get("owners")
    for rid in owners if isinstance(owners, dict) else {}:
        if isinstance(rid, str) and rid not in role_ids:
            issues.append(doc.issue(("owners", rid), f"unknown role '{rid}'", did_you_mean(rid, role_ids)))
    return issues
