"""Between the tables and the core's models: pydantic reads a row back into the very model that
was saved, so the mapping is the few places where the two differ (the crisis number is the row
id; a draft's and a page's crisis is ``crisis_id``; steps live in their own table)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

from bot.core.model.crisis import Crisis, NewCrisis, Step
from bot.core.model.drafts import Draft, NewDraft
from bot.core.model.events import TimelineEvent
from bot.core.model.pages import NewPage, Page
from bot.storage.tables import CrisisRow, CrisisStepRow, DraftRow, PageRow, TimelineEventRow

# what a declaration fixes for good; everything else may change, through ``update``
FIXED = frozenset({"title", "details", "source_url", "request_key", "scenario_id", "declared_by", "declared_at"})
UPDATABLE = frozenset(NewCrisis.model_fields) - FIXED - {"steps"}


def values(model: BaseModel, *, exclude: Collection[str] = ()) -> dict[str, Any]:
    """Column values: nested models as JSON-ready dicts, enums as their values."""
    dumped = model.model_dump(exclude=set(exclude))
    return {k: v.value if isinstance(v, Enum) else v for k, v in dumped.items()}


def crisis_values(crisis: NewCrisis, fields: Collection[str] | None = None) -> dict[str, Any]:
    chosen = values(crisis, exclude={"steps", "number"})
    if fields is not None:
        chosen = {k: v for k, v in chosen.items() if k in fields}
    if fields is None or "room" in fields:
        chosen["room_id"] = crisis.room.id if crisis.room else None
    if "drill" in chosen:  # times inside a JSON column: ISO text, read back as datetimes
        chosen["drill"] = crisis.drill.model_dump(mode="json") if crisis.drill else None
    return chosen


def crisis_to_row(crisis: NewCrisis) -> CrisisRow:
    return CrisisRow(**crisis_values(crisis))


def crisis_record(crisis: NewCrisis, holder: str | None, until: datetime | None) -> dict[str, Any]:
    """The crisis row's values as a dict, without building the row (a group insert's hot path)."""
    return {**crisis_values(crisis), "update_reminded_for": None, "lease_owner": holder, "lease_until": until}


def event_record(number: int, event: TimelineEvent) -> dict[str, Any]:
    return {
        "crisis_id": number,
        "at": event.at,
        "kind": event.kind.value,
        "text": event.text,
        "actor": event.actor.model_dump(mode="json"),
        "data": event.data.dump(),
        "key": event.key,
    }


def row_to_crisis(row: CrisisRow, steps: list[Step]) -> Crisis:
    return Crisis.model_validate({**row.model_dump(), "number": row.id, "steps": steps, "review": row.review or {}})


def step_to_row(number: int, position: int, step: Step) -> CrisisStepRow:
    return CrisisStepRow(crisis_id=number, position=position, **values(step))


def row_to_step(row: CrisisStepRow) -> Step:
    return Step.model_validate(row.model_dump())


def event_to_row(number: int, event: TimelineEvent) -> TimelineEventRow:
    return TimelineEventRow(**event_record(number, event))


def row_to_event(row: TimelineEventRow) -> TimelineEvent:
    return TimelineEvent.model_validate(row.model_dump())


def draft_to_row(draft: NewDraft) -> DraftRow:
    return DraftRow(crisis_id=draft.crisis_number, **draft_values(draft))


def draft_values(draft: NewDraft) -> dict[str, Any]:
    return values(draft, exclude={"id", "crisis_number"})


def row_to_draft(row: DraftRow) -> Draft:
    return Draft.model_validate({**row.model_dump(), "crisis_number": row.crisis_id})


def page_to_row(page: NewPage) -> PageRow:
    return PageRow(crisis_id=page.crisis_number, **page_values(page))


def page_values(page: NewPage) -> dict[str, Any]:
    return values(page, exclude={"id", "crisis_number"})


def row_to_page(row: PageRow) -> Page:
    return Page.model_validate({**row.model_dump(), "crisis_number": row.crisis_id})
