"""Who may do what to a crisis, as the plan says: the vocabulary of permissions.

Every command that changes or reveals a crisis has a permission; the plan gives each a rule, and
what the plan leaves out keeps a default that protects the worst day: people of the plan may act,
a crisis's own people may speak for it, and only its lead may close it.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    DECLARE = "declare"  # at the scenario's usual severity, or one the plan lets them (declare_at)
    ESCALATE = "escalate"
    DEESCALATE = "deescalate"
    RESOLVE = "resolve"
    UPDATE = "update"  # a status update: war room and announcements
    NOTE = "note"  # an entry on the timeline
    VIEW = "view"  # status, list, export and the overview of a private crisis
    EXPORT = "export"
    DRAFT = "draft"  # start a reply draft
    EDIT_DRAFT = "edit_draft"  # edit or submit someone else's draft (authors always may their own)
    PUBLISH = "publish"  # record a draft as published (its author and approver always may)


class Rule(StrEnum):
    """``anyone`` in the chat workspace; ``plan``: its people; ``members``: the crisis's own people
    (its roles); ``communications``: the plan's communication roles; ``lead``: the crisis's lead
    or a holder of the plan's lead role."""

    ANYONE = "anyone"
    PLAN = "plan"
    MEMBERS = "members"
    COMMUNICATIONS = "communications"
    LEAD = "lead"


DEFAULT_RULES: dict[Permission, Rule] = {
    Permission.DECLARE: Rule.ANYONE,  # anyone raises the alarm; declare_at guards the worst levels
    Permission.ESCALATE: Rule.PLAN,
    Permission.DEESCALATE: Rule.LEAD,
    Permission.RESOLVE: Rule.LEAD,
    Permission.UPDATE: Rule.MEMBERS,
    Permission.NOTE: Rule.MEMBERS,
    Permission.VIEW: Rule.MEMBERS,
    Permission.EXPORT: Rule.MEMBERS,
    Permission.DRAFT: Rule.MEMBERS,
    Permission.EDIT_DRAFT: Rule.COMMUNICATIONS,
    Permission.PUBLISH: Rule.COMMUNICATIONS,
}
