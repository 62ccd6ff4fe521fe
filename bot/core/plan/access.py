"""Who may do what to a crisis, decided in one place from the plan.

Every refusal says who may, so the person refused knows whom to ask instead of retrying.
"""

from __future__ import annotations

from bot.core.model.crisis import Actor, Crisis, CrisisStatus
from bot.core.model.errors import ConflictError, PermissionDeniedError
from bot.core.model.permissions import Permission, Rule
from bot.core.plan.chain import role_people
from bot.core.plan.model import Plan


class Access:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def is_lead(self, crisis: Crisis, actor: Actor) -> bool:
        """The crisis's lead, or anyone holding the plan's lead role (the backups)."""
        if actor.person_id is None:
            return False
        return actor.person_id == crisis.lead_person_id or actor.person_id in self.leads()

    def leads(self) -> list[str]:
        return role_people(self.plan, self.plan.lead_role)

    def require(self, permission: Permission, crisis: Crisis, actor: Actor) -> None:
        """Raise unless the plan lets ``actor`` do ``permission`` to an active ``crisis``."""
        if crisis.status is CrisisStatus.RESOLVED:
            raise ConflictError(f"{crisis.key} is resolved.", hint="Declare a new crisis if it flares up again.")
        if actor.person_id is None:
            raise PermissionDeniedError(
                f"You are not in {self.plan.company}'s crisis plan, so you cannot {permission} {crisis.key}.",
                hint="Ask the crisis lead to add you to the plan, or to do it.",
            )
        if self.plan.rule(permission) is Rule.LEAD and not self.is_lead(crisis, actor):
            names = ", ".join(self.plan.person_name(p) for p in self.leads())
            raise PermissionDeniedError(
                f"Only the crisis lead can {permission} {crisis.key} ({names}).",
                hint="Ask the lead in the war room, or /crisis escalate if it is getting worse.",
            )

    def require_lead(self, crisis: Crisis, actor: Actor, what: str, hint: str) -> None:
        if not self.is_lead(crisis, actor):
            raise PermissionDeniedError(f"Only the crisis lead {what}.", hint=hint)
