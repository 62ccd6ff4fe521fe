"""The company's crisis plan as the core uses it: people, roles, severities, scenarios, playbooks,
the chain of command they imply, and who may do what."""

from bot.core.plan.model import LoadedPlan, Person, Plan, severity_rank
from bot.core.plan.playbook import Playbook

__all__ = ["LoadedPlan", "Person", "Plan", "Playbook", "severity_rank"]
