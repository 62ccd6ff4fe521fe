"""Mapping between the crisis tables and the core models, kept apart from the queries.

Values with a shape (actors, rooms, assignments) are stored as JSON dumps of the core models, so
a row always reads back into the very model that was saved.
"""

from __future__ import annotations

from typing import Any

from bot.core.models import (
    Actor,
    Assignment,
    Crisis,
    CrisisStatus,
    Room,
    Step,
    StepStatus,
    TimelineEvent,
)
from bot.storage.tables import CrisisRow, CrisisStepRow, TimelineEventRow


def dump_model(model: Actor | Room | Assignment) -> dict[str, Any]:
    return model.model_dump(mode="json")


UPDATABLE = frozenset(
    {
        "status",
        "severity_id",
        "room_name",
        "room",
        "lead_person_id",
        "assignments",
        "unreachable",
        "kickoff_message_id",
        "resolved_at",
        "resolved_by",
        "resolution_summary",
        "next_update_due",
        "review",
    }
)


def mutable_values(crisis: Crisis) -> dict[str, Any]:
    """The columns :meth:`SqlCrisisRepository.update` may change; the rest is fixed at declaration."""
    return {
        "status": crisis.status.value,
        "severity_id": crisis.severity_id,
        "room_name": crisis.room_name,
        "room_id": crisis.room.id if crisis.room else None,
        "room": dump_model(crisis.room) if crisis.room else None,
        "lead_person_id": crisis.lead_person_id,
        "assignments": [dump_model(a) for a in crisis.assignments],
        "unreachable": dict(crisis.unreachable),
        "kickoff_message_id": crisis.kickoff_message_id,
        "resolved_at": crisis.resolved_at,
        "resolved_by": dump_model(crisis.resolved_by) if crisis.resolved_by else None,
        "resolution_summary": crisis.resolution_summary,
        "next_update_due": crisis.next_update_due,
        "review": dict(crisis.review),
    }


def crisis_to_row(crisis: Crisis) -> CrisisRow:
    return CrisisRow(
        title=crisis.title,
        details=crisis.details,
        source_url=crisis.source_url,
        request_key=crisis.request_key,
        scenario_id=crisis.scenario_id,
        declared_by=dump_model(crisis.declared_by),
        declared_at=crisis.declared_at,
        **mutable_values(crisis),
    )


def row_to_crisis(row: CrisisRow, steps: list[Step]) -> Crisis:
    return Crisis(
        id=row.id,
        number=row.id,
        title=row.title,
        details=row.details,
        source_url=row.source_url,
        request_key=row.request_key,
        scenario_id=row.scenario_id,
        severity_id=row.severity_id,
        status=CrisisStatus(row.status),
        declared_by=Actor.model_validate(row.declared_by),
        declared_at=row.declared_at,
        room_name=row.room_name,
        room=Room.model_validate(row.room) if row.room is not None else None,
        lead_person_id=row.lead_person_id,
        assignments=[Assignment.model_validate(a) for a in row.assignments],
        unreachable=dict(row.unreachable),
        kickoff_message_id=row.kickoff_message_id,
        resolved_at=row.resolved_at,
        resolved_by=Actor.model_validate(row.resolved_by) if row.resolved_by is not None else None,
        resolution_summary=row.resolution_summary,
        next_update_due=row.next_update_due,
        review=dict(row.review or {}),
        steps=steps,
    )


def step_to_row(number: int, position: int, step: Step) -> CrisisStepRow:
    return CrisisStepRow(
        crisis_id=number,
        position=position,
        key=step.key,
        label=step.label,
        status=step.status.value,
        detail=step.detail,
        updated_at=step.updated_at,
    )


def row_to_step(row: CrisisStepRow) -> Step:
    return Step(
        key=row.key, label=row.label, status=StepStatus(row.status), detail=row.detail, updated_at=row.updated_at
    )


def event_to_row(number: int, event: TimelineEvent) -> TimelineEventRow:
    # mode="json" turns whatever the service put in ``data`` (datetimes, enums) into JSON values.
    dumped = event.model_dump(mode="json", include={"actor", "data"})
    return TimelineEventRow(
        crisis_id=number, at=event.at, kind=event.kind, text=event.text, actor=dumped["actor"], data=dumped["data"]
    )


def row_to_event(row: TimelineEventRow) -> TimelineEvent:
    return TimelineEvent(
        at=row.at, kind=row.kind, text=row.text, actor=Actor.model_validate(row.actor), data=dict(row.data)
    )
