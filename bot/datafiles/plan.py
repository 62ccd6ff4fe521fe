"""Read the plan and its playbooks from YAML, and check every reference between them.

The shapes are the core's (:mod:`bot.core.plan`); this is the I/O around them: file, line and
key for every problem, each with its fix, all of them collected before giving up, because each
fix-and-rerun round trip costs minutes that a team preparing for (or in) a crisis does not have.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.core.plan.model import SEVERITY_ID, LoadedPlan, Plan
from bot.core.plan.playbook import Playbook
from bot.datafiles.yaml import DataFileError, DataIssue, YamlDocument, did_you_mean, load_yaml, validation_issues


def load_plan(path: Path) -> LoadedPlan:
    """Read and check the plan at ``path`` and every playbook it names.

    All problems are collected before raising, so one run of ``check-plan`` lists them all. That
    includes the playbooks when the plan itself has schema errors: each fix-and-rerun round trip
    costs minutes that a team preparing for (or in) a crisis does not have.
    """
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        issue = doc.issue((), "the plan must be a mapping of keys", "start from playbooks/plan.yaml")
        raise DataFileError([issue])
    try:
        plan = Plan.model_validate(doc.data)
    except ValidationError as exc:
        issues = validation_issues(doc, exc, model=Plan)
        # The references cannot be checked without a valid plan, but the playbooks can: use
        # the role ids and playbook names as written. Without any roles, owners cannot be
        # checked, so only look for the files rather than flag every owner as unknown.
        raw_roles = doc.data.get("roles")
        role_ids = {str(r) for r in raw_roles} if isinstance(raw_roles, dict) else set()
        _load_playbooks(path, doc, _raw_playbook_names(doc.data), role_ids or None, issues)
        raise DataFileError(issues) from None
    issues = check_references(plan, doc)
    names = {sid: scenario.playbook for sid, scenario in plan.scenarios.items()}
    playbooks = _load_playbooks(path, doc, names, set(plan.roles), issues)
    if issues:
        raise DataFileError(issues)
    return LoadedPlan(plan=plan, playbooks=playbooks, path=path)


def _raw_playbook_names(data: dict[Any, Any]) -> dict[str, str]:
    """Scenario id -> playbook file name, from plan data that failed validation."""
    scenarios = data.get("scenarios")
    if not isinstance(scenarios, dict):
        return {}
    return {
        str(sid): scenario["playbook"]
        for sid, scenario in scenarios.items()
        if isinstance(scenario, dict) and isinstance(scenario.get("playbook"), str) and scenario["playbook"]
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


def check_references(plan: Plan, doc: YamlDocument) -> list[DataIssue]:
    """Every id the plan mentions must be defined; every severity must reach someone."""
    issues: list[DataIssue] = []

    def need(kind: str, known: Collection[str], ref: str, loc: tuple[str | int, ...]) -> None:
        if ref not in known:
            issues.append(doc.issue(loc, f"unknown {kind} '{ref}'", did_you_mean(ref, known)))

    contacts: dict[tuple[str, str], str] = {}
    for pid, person in plan.people.items():
        if not (person.email or person.slack_id or person.teams_id):
            issues.append(
                doc.issue(
                    ("people", pid),
                    f"{person.name} has no way to be reached",
                    "add email, slack_id or teams_id",
                )
            )
        # Two people sharing a contact is a copy-paste slip; the bot would page the wrong one.
        for key, value in (("email", person.email), ("slack_id", person.slack_id), ("teams_id", person.teams_id)):
            if not value:
                continue
            other = contacts.setdefault((key, value.lower()), pid)
            if other != pid:
                issues.append(
                    doc.issue(
                        ("people", pid, key),
                        f"{key} '{value}' is also {other}'s",
                        f"give {pid} their own {key}",
                    )
                )
    for gid, group in plan.groups.items():
        for i, member in enumerate(group.members):
            need("person", plan.people, member, ("groups", gid, "members", i))
        if not group.members and not group.slack_usergroup:
            issues.append(
                doc.issue(
                    ("groups", gid),
                    f"group '{gid}' has nobody in it",
                    "list members: (person ids) or set slack_usergroup",
                )
            )
    need("role", plan.roles, plan.lead_role, ("lead_role",))
    for rid, role in plan.roles.items():
        if role.escalates_to is not None:
            need("role", plan.roles, role.escalates_to, ("roles", rid, "escalates_to"))
            if _climbs_back(plan, rid):
                issues.append(
                    doc.issue(
                        ("roles", rid, "escalates_to"),
                        f"escalating from '{rid}' comes back to '{rid}': an unanswered page would loop",
                        "end the ladder at a role with no escalates_to (usually the crisis lead)",
                    )
                )
        for i, pid in enumerate(role.people):
            need("person", plan.people, pid, ("roles", rid, "people", i))
        for i, gid in enumerate(role.groups):
            need("group", plan.groups, gid, ("roles", rid, "groups", i))
        if not role.people and not role.groups:
            issues.append(doc.issue(("roles", rid), f"role '{rid}' has nobody", "list people: or groups: for it"))
        _duplicates(doc, issues, role.people, ("roles", rid, "people"))
    for sev_id, level in plan.severities.items():
        if level.approver is not None:
            need("role", plan.roles, level.approver, ("severities", sev_id, "approver"))
        if not SEVERITY_ID.match(sev_id):
            issues.append(
                doc.issue(
                    ("severities", sev_id),
                    "severity ids are sev1 (worst) to sev9",
                    "rename it sevN",
                )
            )
        for key, role_ids in (("invite", level.invite), ("page", level.page)):
            for i, rid in enumerate(role_ids):
                need("role", plan.roles, rid, ("severities", sev_id, key, i))
    if plan.lead_role in plan.roles:
        for sev_id, level in plan.severities.items():
            if plan.lead_role not in level.invite and plan.lead_role not in level.page:
                lead = plan.lead_role
                message = f"nobody leads a {sev_id} crisis: the lead role '{lead}' is not invited"
                issues.append(doc.issue(("severities", sev_id, "invite"), message, f"add {lead} to invite"))
    names = {sid: sid for sid in plan.scenarios}
    for sid, scenario in plan.scenarios.items():
        need(
            "severity",
            plan.severities,
            scenario.default_severity,
            ("scenarios", sid, "default_severity"),
        )
        for i, rid in enumerate(scenario.extra_roles):
            need("role", plan.roles, rid, ("scenarios", sid, "extra_roles", i))
        for i, alias in enumerate(scenario.aliases):
            owner = names.setdefault(alias, sid)
            if owner != sid:
                issues.append(
                    doc.issue(
                        ("scenarios", sid, "aliases", i),
                        f"'{alias}' already names scenario '{owner}'",
                        "give each scenario its own aliases",
                    )
                )
    return issues


def _duplicates(doc: YamlDocument, issues: list[DataIssue], ids: list[str], loc: tuple[str | int, ...]) -> None:
    seen: set[str] = set()
    for i, item in enumerate(ids):
        if item in seen:
            issues.append(doc.issue((*loc, i), f"'{item}' is listed twice", "list each person once"))
        seen.add(item)


def _climbs_back(plan: Plan, start: str) -> bool:
    seen = {start}
    current = plan.roles[start].escalates_to
    while current is not None and current in plan.roles:
        if current in seen:
            return True
        seen.add(current)
        current = plan.roles[current].escalates_to
    return False


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
