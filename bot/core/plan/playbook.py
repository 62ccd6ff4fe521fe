"""Playbooks: what to check, who owns it and what to do first, for one kind of crisis.

A playbook is read on a bad day, so the model keeps it short and concrete: a summary, how to find
the source, a checklist of first actions each with an owning role, and what "resolved" means.
"""

from __future__ import annotations

from pydantic import Field

from bot.core.model.base import Strict


class FirstAction(Strict):
    """One checklist item. ``within_minutes`` is the plan's target, shown next to the item."""

    do: str = Field(min_length=1, max_length=300)
    owner: str
    within_minutes: int | None = Field(default=None, ge=1)


class Playbook(Strict):
    """One scenario's plan. Lists rather than prose, because it is skimmed under pressure."""

    title: str = Field(min_length=1, max_length=150)
    summary: str = Field(min_length=1, max_length=1000)
    identify_source: list[str] = Field(min_length=1)
    first_actions: list[FirstAction] = Field(min_length=1)
    owners: dict[str, str] = Field(min_length=1)
    dont: list[str] = Field(default_factory=list)
    escalate_when: list[str] = Field(default_factory=list)
    resolved_when: list[str] = Field(min_length=1)
