"""The SQL implementation of :class:`bot.core.ports.PageRepository`: pages as durable timers.

Claiming due pages must hand each page to exactly one process, even with several replicas on one
PostgreSQL. There we lock candidate rows with ``FOR UPDATE SKIP LOCKED`` and set the lease in the
same transaction. SQLAlchemy silently drops that clause on SQLite, so there each candidate is
claimed by a conditional UPDATE (lease free or expired) whose row count says who won.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.core.models import Actor, Page, PageStatus, PageTarget
from bot.storage.sessions import changed_rows, sessions
from bot.storage.tables import PageRow


class SqlPageRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = sessions(engine)
        self._postgres = engine.dialect.name == "postgresql"

    async def create_page(self, page: Page) -> Page:
        row = PageRow(crisis_id=page.crisis_number, **_values(page))
        async with self._sessions() as session:
            session.add(row)
            await session.commit()
        return page.model_copy(update={"id": row.id})

    async def get_page(self, page_id: int) -> Page | None:
        async with self._sessions() as session:
            row = await session.get(PageRow, page_id)
        return _to_page(row) if row is not None else None

    async def pages_of(self, crisis_number: int, status: PageStatus | None = None) -> list[Page]:
        query = select(PageRow).where(PageRow.crisis_id == crisis_number).order_by(col(PageRow.id))
        if status is not None:
            query = query.where(PageRow.status == status.value)
        async with self._sessions() as session:
            return [_to_page(row) for row in (await session.exec(query)).all()]

    async def claim_due(self, owner: str, now: datetime, until: datetime, limit: int = 20) -> list[Page]:
        free = or_(col(PageRow.lease_until).is_(None), col(PageRow.lease_until) < now)
        due = (
            select(PageRow)
            .where(col(PageRow.status) == PageStatus.OPEN.value, col(PageRow.due_at) <= now, free)
            .order_by(col(PageRow.due_at))
            .limit(limit)
        )
        claimed: list[Page] = []
        async with self._sessions() as session:
            if self._postgres:
                rows = (await session.exec(due.with_for_update(skip_locked=True))).all()
                for row in rows:
                    row.lease_owner, row.lease_until = owner, until
                    claimed.append(_to_page(row))
                await session.commit()
                return claimed
            for row in (await session.exec(due)).all():
                # the row as read must still be the row: not fired (position) nor re-timed meanwhile
                take = (
                    update(PageRow)
                    .where(
                        col(PageRow.id) == row.id,
                        col(PageRow.status) == PageStatus.OPEN.value,
                        col(PageRow.position) == row.position,
                        col(PageRow.due_at) <= now,
                        free,
                    )
                    .values(lease_owner=owner, lease_until=until)
                )
                if (await session.exec(take)).rowcount:
                    claimed.append(_to_page(row))
            await session.commit()
        return claimed

    async def advance(self, page: Page, owner: str) -> bool:
        query = (
            update(PageRow)
            .where(
                col(PageRow.id) == page.id,
                col(PageRow.lease_owner) == owner,
                col(PageRow.status) == PageStatus.OPEN.value,
            )
            .values(
                position=page.position,
                due_at=page.due_at,
                status=page.status.value,
                lease_owner=None,
                lease_until=None,
            )
        )
        return bool(await changed_rows(self._sessions, query))

    async def close_page(self, page_id: int, status: PageStatus, by: Actor | None, at: datetime) -> bool:
        query = (
            update(PageRow)
            .where(
                col(PageRow.id) == page_id,
                col(PageRow.status).in_([PageStatus.OPEN.value, PageStatus.EXHAUSTED.value]),
            )
            .values(
                status=status.value,
                acknowledged_by=by.model_dump(mode="json") if by else None,
                acknowledged_at=at,
                lease_owner=None,
                lease_until=None,
            )
        )
        return bool(await changed_rows(self._sessions, query))


def _values(page: Page) -> dict[str, Any]:
    return {
        "role_id": page.role_id,
        "reason": page.reason,
        "chain": [t.model_dump() for t in page.chain],
        "position": page.position,
        "timeout_minutes": page.timeout_minutes,
        "status": page.status.value,
        "created_at": page.created_at,
        "due_at": page.due_at,
        "acknowledged_by": page.acknowledged_by.model_dump(mode="json") if page.acknowledged_by else None,
        "acknowledged_at": page.acknowledged_at,
    }


def _to_page(row: PageRow) -> Page:
    return Page(
        id=row.id,
        crisis_number=row.crisis_id,
        role_id=row.role_id,
        reason=row.reason,
        chain=[PageTarget.model_validate(t) for t in row.chain],
        position=row.position,
        timeout_minutes=row.timeout_minutes,
        status=PageStatus(row.status),
        created_at=row.created_at,
        due_at=row.due_at,
        acknowledged_by=Actor.model_validate(row.acknowledged_by) if row.acknowledged_by else None,
        acknowledged_at=row.acknowledged_at,
    )
