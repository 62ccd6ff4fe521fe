"""Who may change a crisis's course, as the plan says: the vocabulary of permissions."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    ESCALATE = "escalate"
    DEESCALATE = "deescalate"
    RESOLVE = "resolve"


class Rule(StrEnum):
    """``anyone`` of the plan, or ``lead``: the crisis's lead or a holder of the plan's lead role."""

    ANYONE = "anyone"
    LEAD = "lead"


DEFAULT_RULES: dict[Permission, Rule] = {
    Permission.ESCALATE: Rule.ANYONE,
    Permission.DEESCALATE: Rule.LEAD,
    Permission.RESOLVE: Rule.LEAD,
}
