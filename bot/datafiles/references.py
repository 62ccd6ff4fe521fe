"""Check the references inside a plan: every id it mentions is defined, every severity reaches someone.

The checks read the data as written rather than a validated :class:`~bot.core.plan.model.Plan`,
so an unknown id is reported in the same run as a schema error elsewhere in the file. Anything
the schema refuses (a list that is not a list, an id that is not text) is left to the schema's
issue rather than guessed at, and a section that cannot be read is not checked against at all.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from bot.core.plan.model import SEVERITY_ID
from bot.datafiles.yaml import DataIssue, Loc, YamlDocument, did_you_mean


def check_references(doc: YamlDocument) -> list[DataIssue]:
    """Every id the plan mentions must be defined; every severity must reach someone."""
    refs = _References(doc)
    refs.check_people()
    refs.check_groups()
    refs.check_roles()
    refs.check_severities()
    refs.check_scenarios()
    refs.check_updates()
    refs.check_rights()
    refs.check_monitoring()
    return refs.issues


class _References:
    """The plan's sections as written, and the issues found between them."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.data: Mapping[Any, Any] = doc.data if isinstance(doc.data, dict) else {}
        self.people = section(self.data, "people")
        self.groups = section(self.data, "groups", optional=True)
        self.roles = section(self.data, "roles")
        self.severities = section(self.data, "severities")
        self.scenarios = section(self.data, "scenarios")
        self.issues: list[DataIssue] = []

    def add(self, loc: Loc, message: str, fix: str) -> None:
        self.issues.append(self.doc.issue(loc, message, fix))

    def need(self, kind: str, known: Collection[str] | None, ref: object, loc: Loc) -> None:
        # only text can name an id; any other value already has its schema issue
        if known is not None and isinstance(ref, str) and ref not in known:
            self.add(loc, f"unknown {kind} '{ref}'", did_you_mean(ref, known))

    def check_monitoring(self) -> None:
        _check_monitoring(self)

    def check_people(self) -> None:
        contacts: dict[tuple[str, str], str] = {}
        for pid, person in entries(self.people):
            if all(_blank(person.get(key)) for key in _CONTACTS):
                name = person.get("name")
                who = name if isinstance(name, str) and name else pid
                self.add(("people", pid), f"{who} has no way to be reached", "add email, slack_id or teams_id")
            # Two people sharing a contact is a copy-paste slip; the bot would page the wrong one.
            for key in _CONTACTS:
                value = person.get(key)
                if not isinstance(value, str) or not value:
                    continue
                other = contacts.setdefault((key, value.lower()), pid)
                if other != pid:
                    self.add(("people", pid, key), f"{key} '{value}' is also {other}'s", f"give {pid} their own {key}")

    def check_groups(self) -> None:
        for gid, group in entries(self.groups):
            members = _ids(group, "members")
            for i, member in enumerate(members or []):
                self.need("person", self.people, member, ("groups", gid, "members", i))
            if members == [] and _blank(group.get("slack_usergroup")):
                message = f"group '{gid}' has nobody in it"
                self.add(("groups", gid), message, "list members: (person ids) or set slack_usergroup")

    def check_roles(self) -> None:
        self.need("role", self.roles, self.data.get("lead_role"), ("lead_role",))
        for rid, role in entries(self.roles):
            if role.get("escalates_to") is not None:
                self.need("role", self.roles, role["escalates_to"], ("roles", rid, "escalates_to"))
                if _climbs_back(self.roles or {}, rid):
                    self.add(
                        ("roles", rid, "escalates_to"),
                        f"escalating from '{rid}' comes back to '{rid}': an unanswered page would loop",
                        "end the ladder at a role with no escalates_to (usually the crisis lead)",
                    )
            people, groups = _ids(role, "people"), _ids(role, "groups")
            for i, pid in enumerate(people or []):
                self.need("person", self.people, pid, ("roles", rid, "people", i))
            for i, gid in enumerate(groups or []):
                self.need("group", self.groups, gid, ("roles", rid, "groups", i))
            if people == [] and groups == []:
                self.add(("roles", rid), f"role '{rid}' has nobody", "list people: or groups: for it")
            seen: set[str] = set()
            for i, pid in enumerate(people or []):
                if not isinstance(pid, str):
                    continue
                if pid in seen:
                    self.add(("roles", rid, "people", i), f"'{pid}' is listed twice", "list each person once")
                seen.add(pid)

    def check_severities(self) -> None:
        for sev_id in self.severities or {}:
            if not SEVERITY_ID.match(sev_id):
                self.add(("severities", sev_id), "severity ids are sev1 (worst) to sev9", "rename it sevN")
        for sev_id, level in entries(self.severities):
            if level.get("approver") is not None:
                self.need("role", self.roles, level["approver"], ("severities", sev_id, "approver"))
            for key in ("invite", "page"):
                for i, rid in enumerate(_ids(level, key) or []):
                    self.need("role", self.roles, rid, ("severities", sev_id, key, i))
        lead = self.data.get("lead_role")
        if self.roles is None or not isinstance(lead, str) or lead not in self.roles:
            return
        for sev_id, level in entries(self.severities):
            invite, page = _ids(level, "invite"), _ids(level, "page")
            if invite is not None and page is not None and lead not in invite and lead not in page:
                message = f"nobody leads a {sev_id} crisis: the lead role '{lead}' is not invited"
                self.add(("severities", sev_id, "invite"), message, f"add {lead} to invite")

    def check_updates(self) -> None:
        updates = self.data.get("updates") if isinstance(self.data, dict) else None
        if not isinstance(updates, dict):
            return
        for i, sid in enumerate(_ids(updates, "summary_required_at") or []):
            self.need("severity", self.severities, sid, ("updates", "summary_required_at", i))

    def check_scenarios(self) -> None:
        names = {sid: sid for sid in self.scenarios or {}}
        for sid, scenario in entries(self.scenarios):
            default = scenario.get("default_severity")
            self.need("severity", self.severities, default, ("scenarios", sid, "default_severity"))
            for i, rid in enumerate(_ids(scenario, "extra_roles") or []):
                self.need("role", self.roles, rid, ("scenarios", sid, "extra_roles", i))
            for i, rid in enumerate(_ids(scenario, "visible_to") or []):
                self.need("role", self.roles, rid, ("scenarios", sid, "visible_to", i))
            for i, alias in enumerate(_ids(scenario, "aliases") or []):
                owner = names.setdefault(alias, sid) if isinstance(alias, str) else sid
                if owner != sid:
                    message = f"'{alias}' already names scenario '{owner}'"
                    self.add(("scenarios", sid, "aliases", i), message, "give each scenario its own aliases")

    def check_rights(self) -> None:
        """The levels ``declare_at`` guards and the roles that speak for the company exist."""
        declare_at = self.data.get("declare_at")
        for sev_id in declare_at if isinstance(declare_at, dict) else {}:
            self.need("severity", self.severities, sev_id, ("declare_at", sev_id))
        for i, rid in enumerate(_ids(self.data, "communication_roles") or []):
            self.need("role", self.roles, rid, ("communication_roles", i))


_CONTACTS = ("email", "slack_id", "teams_id")


def section(data: Mapping[Any, Any], key: str, *, optional: bool = False) -> dict[str, Any] | None:
    """The entries of a top-level section by id, or None when it cannot be read.

    None means: check no reference against it. A required section that is missing, not a
    mapping or empty already has its schema issue; calling every id that points into it
    unknown would bury that one real problem. A left-out optional section is just empty.
    """
    if optional and key not in data:
        return {}
    value = data.get(key)
    if not isinstance(value, dict):
        return None
    # an id that is not text (`1:`, `yes:`) is the schema's to report; no reference can name it
    by_id = {k: v for k, v in value.items() if isinstance(k, str)}
    return by_id if by_id or optional else None


def entries(found: Mapping[str, Any] | None) -> list[tuple[str, dict[Any, Any]]]:
    """The entries of a section that are mappings: any other entry has a schema issue and nothing to check."""
    return [(eid, entry) for eid, entry in (found or {}).items() if isinstance(entry, dict)]


def _ids(entry: Mapping[Any, Any], key: str) -> list[Any] | None:
    """The list at ``key`` as written; [] when left out, None when it is not a list at all."""
    value = entry.get(key, [])
    return value if isinstance(value, list) else None


def _blank(value: object) -> bool:
    return value is None or value == ""


def _climbs_back(roles: Mapping[str, Any], start: str) -> bool:
    seen = {start}
    current = _escalation(roles, start)
    while current is not None and current in roles:
        if current in seen:
            return True
        seen.add(current)
        current = _escalation(roles, current)
    return False


def _escalation(roles: Mapping[str, Any], rid: str) -> str | None:
    role = roles.get(rid)
    target = role.get("escalates_to") if isinstance(role, dict) else None
    return target if isinstance(target, str) else None


def _check_monitoring(refs: _References) -> None:
    """Topics name scenarios and severities of the plan, and must match something."""
    monitoring = refs.data.get("monitoring")
    topics = monitoring.get("topics") if isinstance(monitoring, dict) else None
    for tid, topic in entries(topics if isinstance(topics, dict) else None):
        loc = ("monitoring", "topics", tid)
        refs.need("scenario", refs.scenarios, topic.get("scenario"), (*loc, "scenario"))
        for key in ("severity", "viral_severity"):
            refs.need("severity", refs.severities, topic.get(key), (*loc, key))
        if not any(topic.get(k) for k in ("keywords", "phrases", "handles")):
            refs.add(loc, "this topic matches nothing", "add keywords, phrases or handles to listen for")
