"""Who may do what to a crisis, decided in one place from the plan.

Every refusal says who may, so the person refused knows whom to ask instead of retrying.
"""

from __future__ import annotations

from bot.core.model.crisis import Actor, Crisis, CrisisStatus
from bot.core.model.drafts import Draft
from bot.core.model.errors import ConflictError, PermissionDeniedError
from bot.core.model.permissions import Permission, Rule
from bot.core.plan.chain import role_people
from bot.core.plan.model import Plan, severity_rank

ACTIONS = {
    Permission.DECLARE: "declare a crisis",
    Permission.ESCALATE: "escalate {key}",
    Permission.DEESCALATE: "deescalate {key}",
    Permission.RESOLVE: "resolve {key}",
    Permission.UPDATE: "post an update for {key}",
    Permission.NOTE: "add to the timeline of {key}",
    Permission.VIEW: "see {key}",
    Permission.EXPORT: "export {key}",
    Permission.DRAFT: "draft a reply for {key}",
    Permission.EDIT_DRAFT: "change someone else's draft for {key}",
    Permission.PUBLISH: "record a reply of {key} as published",
}


class Access:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    # -- who is who ------------------------------------------------------------------------------

    def leads(self) -> list[str]:
        return role_people(self.plan, self.plan.lead_role)

    def is_lead(self, crisis: Crisis, actor: Actor) -> bool:
        """The crisis's lead, or anyone holding the plan's lead role (the backups)."""
        if actor.person_id is None:
            return False
        return actor.person_id == crisis.lead_person_id or actor.person_id in self.leads()

    def communicators(self) -> set[str]:
        return {pid for rid in self.plan.communication_roles for pid in role_people(self.plan, rid)}

    def allows(self, rule: Rule, crisis: Crisis | None, actor: Actor) -> bool:
        pid = actor.person_id
        match rule:
            case Rule.ANYONE:
                return True
            case Rule.PLAN:
                return pid is not None and pid in self.plan.people
            case Rule.MEMBERS:
                return pid is not None and (crisis is None or pid in crisis.people or self._leads(crisis, actor))
            case Rule.COMMUNICATIONS:
                return pid is not None and (pid in self.communicators() or self._leads(crisis, actor))
            case Rule.LEAD:
                return self._leads(crisis, actor)
        return False

    def _leads(self, crisis: Crisis | None, actor: Actor) -> bool:
        if crisis is None:
            return actor.person_id is not None and actor.person_id in self.leads()
        return self.is_lead(crisis, actor)

    # -- checks ---------------------------------------------------------------------------------

    def require(self, permission: Permission, crisis: Crisis, actor: Actor) -> None:
        """Raise unless the plan lets ``actor`` do ``permission`` to ``crisis`` (an active one,
        for everything that changes it)."""
        changes = permission not in (Permission.VIEW, Permission.EXPORT)
        if changes and crisis.status is CrisisStatus.RESOLVED:
            raise ConflictError(f"{crisis.key} is resolved.", hint="Declare a new crisis if it flares up again.")
        rule = self.plan.rule(permission)
        if not self.allows(rule, crisis, actor):
            raise self.refusal(permission, rule, crisis, actor)

    def refusal(self, permission: Permission, rule: Rule, crisis: Crisis | None, actor: Actor) -> PermissionDeniedError:
        """Who may, so the person refused knows whom to ask."""
        action = ACTIONS[permission].format(key=crisis.key if crisis else "it")
        if actor.person_id is None and rule is not Rule.ANYONE:
            return PermissionDeniedError(
                f"You are not in {self.plan.company}'s crisis plan, so you cannot {action}.", hint=self._ask(Rule.PLAN)
            )
        match rule:
            case Rule.LEAD:
                names = ", ".join(self.plan.person_name(p) for p in self.leads())
                text = f"Only the crisis lead can {action} ({names})."
            case Rule.COMMUNICATIONS:
                roles = ", ".join(self.plan.role_name(r) for r in self.plan.communication_roles)
                text = f"Only {roles + ' or ' if roles else ''}the crisis lead can {action}."
            case Rule.MEMBERS:
                text = f"Only the people of {crisis.key if crisis else 'the crisis'} can {action}."
            case _:
                text = f"Only the people of {self.plan.company}'s crisis plan can {action}."
        return PermissionDeniedError(text, hint=self._ask(rule))

    @staticmethod
    def _ask(rule: Rule) -> str:
        if rule is Rule.PLAN:
            return "Ask the crisis lead to add you to the plan, or to do it."
        return "Ask the lead in the war room, or /crisis escalate if it is getting worse."

    def require_lead(self, crisis: Crisis, actor: Actor, what: str, hint: str) -> None:
        if not self.is_lead(crisis, actor):
            raise PermissionDeniedError(f"Only the crisis lead {what}.", hint=hint)

    def restricted(self, crisis: Crisis) -> bool:
        scenario = self.plan.scenarios.get(crisis.scenario_id)
        return scenario is not None and scenario.restricted

    def may_see(self, crisis: Crisis, actor: Actor) -> bool:
        """A public war room's crisis is everyone's to see; a private one's follows the plan; a
        restricted one is its own people's, its lead's and the roles' the scenario names, whatever
        the plan's general rule says."""
        if self.restricted(crisis):
            return self._restricted_viewer(crisis, actor)
        return not self.plan.war_room.private or self.allows(self.plan.rule(Permission.VIEW), crisis, actor)

    def _restricted_viewer(self, crisis: Crisis, actor: Actor) -> bool:
        pid = actor.person_id
        if pid is None:
            return False
        if pid in crisis.people or self.is_lead(crisis, actor):
            return True
        roles = self.plan.scenarios[crisis.scenario_id].visible_to
        return any(pid in role_people(self.plan, rid) for rid in roles)

    def full_export(self, crisis: Crisis, actor: Actor) -> bool:
        """A restricted crisis's export keeps people's contact details for its lead only."""
        return not self.restricted(crisis) or self.is_lead(crisis, actor)

    def require_view(self, crisis: Crisis, actor: Actor) -> None:
        if not self.may_see(crisis, actor):
            rule = Rule.MEMBERS if self.restricted(crisis) else self.plan.rule(Permission.VIEW)
            raise self.refusal(Permission.VIEW, rule, crisis, actor)

    def declarable(self, actor: Actor, asked: str, usual: str) -> str:
        """The severity ``actor`` may declare at, asking ``asked`` (the scenario's ``usual`` when
        they named none): the worst level they may, never worse than they asked."""
        for severity in sorted(self.plan.severities, key=severity_rank):
            if severity_rank(severity) < severity_rank(asked):
                continue
            rule = self.plan.declare_rule(severity)
            if rule is None and severity_rank(severity) < severity_rank(usual):
                rule = Rule.PLAN  # worse than usual: not for strangers, unless the plan says so
            if self.allows(rule or self.plan.rule(Permission.DECLARE), None, actor):
                return severity
        raise self.refusal(Permission.DECLARE, self.plan.rule(Permission.DECLARE), None, actor)

    def require_draft_change(self, permission: Permission, crisis: Crisis, draft: Draft, actor: Actor) -> None:
        """Authors change their own drafts; an approver records the reply they approved as
        published; otherwise the plan's rule (the communication roles, by default)."""
        mine = actor.person_id is not None and actor.person_id == draft.author.person_id
        if actor.platform_id == draft.author.platform_id or mine:
            return
        approved = draft.approved_by is not None and draft.approved_by.platform_id == actor.platform_id
        if permission is Permission.PUBLISH and approved:
            return
        self.require(permission, crisis, actor)
