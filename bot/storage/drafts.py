"""The SQL implementation of :class:`bot.core.ports.DraftRepository`.

Saving is conditional on the status the caller read: two reviewers clicking Approve at once both
send an UPDATE, and only the one that still finds ``in_review`` changes a row.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.core.models import Actor, Draft, DraftStatus
from bot.storage.sessions import changed_rows, sessions
from bot.storage.tables import DraftRow


class SqlDraftRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = sessions(engine)

    async def create_draft(self, draft: Draft) -> Draft:
        row = DraftRow(crisis_id=draft.crisis_number, **_values(draft))
        async with self._sessions() as session:
            session.add(row)
            await session.commit()
        return draft.model_copy(update={"id": row.id})

    async def get_draft(self, draft_id: int) -> Draft | None:
        async with self._sessions() as session:
            row = await session.get(DraftRow, draft_id)
        return _to_draft(row) if row is not None else None

    async def drafts_of(self, crisis_number: int) -> list[Draft]:
        query = select(DraftRow).where(DraftRow.crisis_id == crisis_number).order_by(col(DraftRow.id))
        async with self._sessions() as session:
            return [_to_draft(row) for row in (await session.exec(query)).all()]

    async def save_draft(self, draft: Draft, expected: Collection[DraftStatus]) -> bool:
        query = (
            update(DraftRow)
            .where(col(DraftRow.id) == draft.id, col(DraftRow.status).in_([s.value for s in expected]))
            .values(**_values(draft))
        )
        return bool(await changed_rows(self._sessions, query))


def _actor(actor: Actor | None) -> dict[str, Any] | None:
    return actor.model_dump(mode="json") if actor is not None else None


def _values(draft: Draft) -> dict[str, Any]:
    return {
        "scenario": draft.scenario,
        "stage": draft.stage,
        "lang": draft.lang,
        "text": draft.text,
        "values": dict(draft.values),
        "author": _actor(draft.author),
        "status": draft.status.value,
        "edited": draft.edited,
        "reviewer_role": draft.reviewer_role,
        "created_at": draft.created_at,
        "updated_at": draft.updated_at,
        "approved_by": _actor(draft.approved_by),
        "approved_at": draft.approved_at,
        "approved_hash": draft.approved_hash,
        "published_by": _actor(draft.published_by),
        "published_at": draft.published_at,
        "published_url": draft.published_url,
    }


def _to_draft(row: DraftRow) -> Draft:
    return Draft(
        id=row.id,
        crisis_number=row.crisis_id,
        scenario=row.scenario,
        stage=row.stage,
        lang=row.lang,
        text=row.text,
        values=dict(row.values),
        author=Actor.model_validate(row.author),
        status=DraftStatus(row.status),
        edited=row.edited,
        reviewer_role=row.reviewer_role,
        created_at=row.created_at,
        updated_at=row.updated_at,
        approved_by=Actor.model_validate(row.approved_by) if row.approved_by else None,
        approved_at=row.approved_at,
        approved_hash=row.approved_hash,
        published_by=Actor.model_validate(row.published_by) if row.published_by else None,
        published_at=row.published_at,
        published_url=row.published_url,
    )
