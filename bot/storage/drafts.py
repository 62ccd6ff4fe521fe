"""The SQL implementation of :class:`bot.core.ports.DraftRepository`.

Saving is conditional on the status the caller read: two reviewers clicking Approve at once both
send an UPDATE, and only the one that still finds ``in_review`` changes a row.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.core.model.drafts import Draft, DraftStatus, NewDraft
from bot.storage.mapping import draft_to_row, draft_values, row_to_draft
from bot.storage.sessions import changed_rows, sessions
from bot.storage.tables import DraftRow


class SqlDraftRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = sessions(engine)

    async def create_draft(self, draft: NewDraft) -> Draft:
        row = draft_to_row(draft)
        async with self._sessions() as session:
            session.add(row)
            await session.commit()
        return Draft.model_validate({**draft.model_dump(), "id": row.id})

    async def get_draft(self, draft_id: int) -> Draft | None:
        async with self._sessions() as session:
            row = await session.get(DraftRow, draft_id)
        return row_to_draft(row) if row is not None else None

    async def drafts_of(self, crisis_number: int) -> list[Draft]:
        query = select(DraftRow).where(DraftRow.crisis_id == crisis_number).order_by(col(DraftRow.id))
        async with self._sessions() as session:
            return [row_to_draft(row) for row in (await session.exec(query)).all()]

    async def save_draft(self, draft: Draft, expected: Collection[DraftStatus]) -> bool:
        query = (
            update(DraftRow)
            .where(col(DraftRow.id) == draft.id, col(DraftRow.status).in_([s.value for s in expected]))
            .values(**draft_values(draft))
        )
        return bool(await changed_rows(self._sessions, query))
