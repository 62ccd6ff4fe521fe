"""Who is brought into a crisis, and who is paged, for a scenario at a severity.

The policy, in order:
1. the lead role comes first, so the war room always says who is in charge;
2. then the roles the severity invites, in the plan's order (low severities stay with the social
   team; only the top severity names executives);
3. then the roles the scenario pulls in (HR for an employee issue, legal and PR for a scandal).
A role is paged when the severity pages it or the scenario pulls it in. In a role, people are in
order, primary first; group members follow the named people. Everyone is invited once.

A page that nobody acknowledges climbs its role's ladder (:func:`page_ladder`): the role's people
in order, then each role it ``escalates_to``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.model.crisis import Assignment
from bot.core.model.pages import PageTarget
from bot.core.plan.model import Plan


def role_people(plan: Plan, role_id: str) -> list[str]:
    """The people of a role in order: named people, then members of its groups."""
    role = plan.roles[role_id]
    ordered = list(role.people)
    for group_id in role.groups:
        ordered.extend(plan.groups[group_id].members)
    return list(dict.fromkeys(ordered))


@dataclass(frozen=True)
class Roster:
    assignments: list[Assignment]
    lead_person_id: str | None

    def invitees(self) -> list[str]:
        return invitees(self.assignments)

    def paged(self) -> list[str]:
        return paged(self.assignments)


def invitees(assignments: Sequence[Assignment]) -> list[str]:
    """Everyone holding a role in the crisis, once, in chain-of-command order."""
    return list(dict.fromkeys(pid for a in assignments for pid in a.person_ids))


def paged(assignments: Sequence[Assignment]) -> list[str]:
    """Only the primary of a paged role is paged; backups are there to be escalated to."""
    return list(dict.fromkeys(a.person_ids[0] for a in assignments if a.paged and a.person_ids))


def resolve(plan: Plan, scenario_id: str, severity_id: str) -> Roster:
    severity = plan.severities[severity_id]
    scenario = plan.scenarios[scenario_id]
    role_ids = [plan.lead_role, *severity.invite, *severity.page, *scenario.extra_roles]
    paged = set(severity.page) | set(scenario.extra_roles)
    assignments = [
        Assignment(
            role_id=rid,
            role_name=plan.roles[rid].name,
            person_ids=role_people(plan, rid),
            paged=rid in paged,
        )
        for rid in dict.fromkeys(role_ids)
    ]
    lead_people = role_people(plan, plan.lead_role)
    return Roster(assignments=assignments, lead_person_id=lead_people[0] if lead_people else None)


def page_ladder(plan: Plan, role_id: str) -> list[PageTarget]:
    """The role's people in order, then each role it escalates to, each person once."""
    targets: list[PageTarget] = []
    seen_roles: set[str] = set()
    role: str | None = role_id
    while role is not None and role in plan.roles and role not in seen_roles:
        seen_roles.add(role)
        for pid in role_people(plan, role):
            if all(t.person_id != pid for t in targets):
                targets.append(PageTarget(person_id=pid, role_id=role))
        role = plan.roles[role].escalates_to
    return targets
