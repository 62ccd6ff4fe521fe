"""The crisis plan: people, chain of command, severities and scenarios, as validated data.

The plan is the company's written crisis plan turned into a file that the bot can act on. Every
reference inside it (a role naming a person, a severity naming a role, a scenario naming a
playbook) is checked at start-up, so a typo shows up on a calm day rather than mid-crisis.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.core.datafiles import (
    DataFileError,
    DataIssue,
    YamlDocument,
    did_you_mean,
    load_yaml,
    validation_issues,
)
from bot.core.playbooks import Playbook, load_playbook

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
SEVERITY_ID = re.compile(r"^sev[1-9]$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(_Strict):
    """Someone the plan can call on. At least one contact is required to reach them."""

    name: str = Field(min_length=1)
    title: str = ""
    email: str | None = None
    slack_id: str | None = Field(default=None, pattern=r"^[UW][A-Z0-9]{2,}$")
    teams_id: str | None = None


class Group(_Strict):
    """A team of people that roles can name as a whole (a Slack user group, say)."""

    name: str = Field(min_length=1)
    members: list[Id] = Field(default_factory=list)
    slack_usergroup: str | None = Field(default=None, pattern=r"^S[A-Z0-9]{2,}$")


class Role(_Strict):
    """A seat in the chain of command; ``people`` are in order: primary first, then backups."""

    name: str = Field(min_length=1)
    description: str = ""
    people: list[Id] = Field(default_factory=list)
    groups: list[Id] = Field(default_factory=list)
    # whose page an unacknowledged page climbs to once this role's people are exhausted
    escalates_to: Id | None = None


class SeverityLevel(_Strict):
    """How bad it is, and who that brings into the war room (``invite``) and pages (``page``)."""

    name: str = Field(min_length=1)
    description: str = ""
    invite: list[Id] = Field(min_length=1)
    page: list[Id] = Field(min_length=1)
    # who approves public replies at this level; none: the social team's own call
    approver: Id | None = None
    # a page nobody acknowledges within this many minutes goes to the next person up
    ack_timeout_minutes: int = Field(default=15, ge=1, le=1440)
    # stakeholders expect a status update this often; none: no cadence at this level
    update_every_minutes: int | None = Field(default=None, ge=5, le=10080)


class Scenario(_Strict):
    """A common problem the team has planned for, with its playbook and usual severity."""

    name: str = Field(min_length=1)
    description: str = ""
    aliases: list[Id] = Field(default_factory=list)
    playbook: str = Field(min_length=1)
    default_severity: str
    extra_roles: list[Id] = Field(default_factory=list)


class WarRoomSettings(_Strict):
    prefix: str = Field(default="crisis", pattern=r"^[a-z0-9_-]{0,20}$")
    private: bool = True


class Permissions(_Strict):
    """Who may change a crisis's course: ``anyone`` or ``lead`` (holders of the lead role)."""

    escalate: Literal["anyone", "lead"] = "anyone"
    deescalate: Literal["anyone", "lead"] = "lead"
    resolve: Literal["anyone", "lead"] = "lead"


class Plan(_Strict):
    """A whole crisis plan. Use :func:`load_plan`; it also checks every cross-reference."""

    company: str = Field(min_length=1)
    language: str = Field(default="en", pattern=r"^[a-z]{2}$")
    lead_role: Id
    announcements_channel: str = Field(default="crisis-announcements", pattern=r"^[a-z0-9_-]{1,80}$")
    war_room: WarRoomSettings = WarRoomSettings()
    people: dict[Id, Person] = Field(min_length=1)
    groups: dict[Id, Group] = Field(default_factory=dict)
    roles: dict[Id, Role] = Field(min_length=1)
    severities: dict[str, SeverityLevel] = Field(min_length=1)
    scenarios: dict[Id, Scenario] = Field(min_length=1)
    permissions: Permissions = Permissions()

    def severity_ids(self) -> list[str]:
        """Severity ids from the most severe (sev1) to the least."""
        return sorted(self.severities, key=severity_rank)

    def scenario_for(self, word: str) -> str | None:
        """The scenario id that ``word`` names, by id or alias, case-insensitively."""
        word = word.lower()
        for sid, scenario in self.scenarios.items():
            if word == sid or word in scenario.aliases:
                return sid
        return None


def severity_rank(severity_id: str) -> int:
    """1 for sev1 (the most severe); lower is worse."""
    return int(severity_id[3:])


class LoadedPlan(BaseModel):
    """The plan and its playbooks, ready for use, and where they came from."""

    model_config = ConfigDict(frozen=True)

    plan: Plan
    playbooks: dict[str, Playbook]
    path: Path


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
        for key in ("email", "slack_id", "teams_id"):
            value = getattr(person, key)
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
        for key in ("invite", "page"):
            for i, rid in enumerate(getattr(level, key)):
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
