"""Playbooks: what to check, who owns it and what to do first, for one kind of crisis.

A playbook is read on a bad day, so the model keeps it short and concrete: a summary, how to find
the source, a checklist of first actions each with an owning role, and what "resolved" means.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.core.datafiles import (
    DataFileError,
    DataIssue,
    YamlDocument,
    did_you_mean,
    load_yaml,
    validation_issues,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Action(_Strict):
    """One checklist item. ``within_minutes`` is the plan's target, shown next to the item."""

    do: str = Field(min_length=1, max_length=300)
    owner: str
    within_minutes: int | None = Field(default=None, ge=1)


class Playbook(_Strict):
    """One scenario's plan. Lists rather than prose, because it is skimmed under pressure."""

    title: str = Field(min_length=1, max_length=150)
    summary: str = Field(min_length=1, max_length=1000)
    identify_source: list[str] = Field(min_length=1)
    first_actions: list[Action] = Field(min_length=1)
    owners: dict[str, str] = Field(min_length=1)
    dont: list[str] = Field(default_factory=list)
    escalate_when: list[str] = Field(default_factory=list)
    resolved_when: list[str] = Field(min_length=1)


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
