"""The SQL implementation of :class:`bot.core.ports.PageRepository`: pages as durable timers.

Claiming due pages must hand each page to exactly one process, even with several replicas on one
PostgreSQL. There we lock candidate rows with ``FOR UPDATE SKIP LOCKED`` and set the lease in the
same transaction. SQLAlchemy silently drops that clause on SQLite, so there each candidate is
claimed by a conditional UPDATE (lease free or expired) whose row count says who won.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import exists, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.core.model.chat import PostedMessage
from bot.core.model.crisis import Actor
from bot.core.model.pages import NewPage, Page, PageStatus
from bot.storage.mapping import page_to_row, row_to_page
from bot.storage.sessions import changed_rows, lease_free, sessions, violates
from bot.storage.tables import PAGE_KEY_CONSTRAINT, CrisisRow, PageRow, of_platform


class SqlPageRepository:
    """``platform``: claim only the pages of that platform's crises (see ``SqlCrisisRepository``)."""

    def __init__(self, engine: AsyncEngine, platform: str | None = None) -> None:
        self._sessions = sessions(engine)
        self._postgres = engine.dialect.name == "postgresql"
        self._mine = of_platform(PageRow.crisis_id, platform)

    async def create_page(self, page: NewPage, holder: str, until: datetime) -> Page:
        """Insert the page under ``holder``'s lease (it delivers the page), or return the page
        already saved under its key: a declaration resumed after a crash pages each role once,
        never starting a second timer beside the first."""
        row = page_to_row(page)
        row.lease_owner, row.lease_until = holder, until
        async with self._sessions() as session:
            session.add(row)
            try:
                await session.commit()
            except IntegrityError as exc:
                await session.rollback()
                if page.key is None or not violates(exc, PAGE_KEY_CONSTRAINT, "page.key"):
                    raise
                query = select(PageRow).where(
                    col(PageRow.crisis_id) == page.crisis_number, col(PageRow.key) == page.key
                )
                return row_to_page((await session.exec(query)).one())
        return Page.model_validate({**page.model_dump(), "id": row.id})

    async def claim(self, page_id: int, holder: str, until: datetime, now: datetime) -> bool:
        """Take (or keep) the lease of one open page, to deliver it; False while another live
        process has it. Unlike ``claim_due``, a lease ``holder`` has already is its own to keep:
        the page was just created by it. And a page of a declaration ``holder`` now runs is its
        own to take: the process that leased it lost the declaration (its heartbeat stopped),
        and its page leases, longer so as to cover a slow delivery, must not hold the pages back."""
        declaring = exists().where(col(CrisisRow.id) == col(PageRow.crisis_id), col(CrisisRow.lease_owner) == holder)
        mine_or_free = or_(col(PageRow.lease_owner) == holder, lease_free(PageRow, now, holder), declaring)
        query = (
            update(PageRow)
            .where(col(PageRow.id) == page_id, col(PageRow.status) == PageStatus.OPEN.value, mine_or_free)
            .values(lease_owner=holder, lease_until=until)
        )
        return bool(await changed_rows(self._sessions, query))

    async def get_page(self, page_id: int) -> Page | None:
        async with self._sessions() as session:
            row = await session.get(PageRow, page_id)
        return row_to_page(row) if row is not None else None

    async def pages_of(self, crisis_number: int, status: PageStatus | None = None) -> list[Page]:
        query = select(PageRow).where(PageRow.crisis_id == crisis_number).order_by(col(PageRow.id))
        if status is not None:
            query = query.where(PageRow.status == status.value)
        async with self._sessions() as session:
            return [row_to_page(row) for row in (await session.exec(query)).all()]

    async def claim_due(self, holder: str, now: datetime, until: datetime, limit: int = 20) -> list[Page]:
        """Open pages that are due to climb, or whose current card never went out (its sender
        died); each handed to one process."""
        free = lease_free(PageRow, now, holder)
        waiting = or_(col(PageRow.due_at) <= now, col(PageRow.delivered) < col(PageRow.position))
        due = (
            select(PageRow)
            .where(col(PageRow.status) == PageStatus.OPEN.value, waiting, free, self._mine)
            .order_by(col(PageRow.due_at))
            .limit(limit)
        )
        claimed: list[Page] = []
        async with self._sessions() as session:
            if self._postgres:
                rows = (await session.exec(due.with_for_update(skip_locked=True))).all()
                for row in rows:
                    row.lease_owner, row.lease_until = holder, until
                    claimed.append(row_to_page(row))
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
                        col(PageRow.due_at) == row.due_at,
                        free,
                    )
                    .values(lease_owner=holder, lease_until=until)
                )
                if (await session.exec(take)).rowcount:
                    claimed.append(row_to_page(row))
            await session.commit()
        return claimed

    async def advance(self, page: Page, holder: str) -> bool:
        """Save the climb if ``holder`` still has the lease; an open page keeps it until its new
        card went out (``mark_delivered``), a closed one lets it go."""
        still_open = page.status is PageStatus.OPEN
        query = (
            update(PageRow)
            .where(
                col(PageRow.id) == page.id,
                col(PageRow.lease_owner) == holder,
                col(PageRow.status) == PageStatus.OPEN.value,
            )
            .values(
                position=page.position,
                due_at=page.due_at,
                status=page.status.value,
                lease_owner=holder if still_open else None,
                lease_until=PageRow.lease_until if still_open else None,
            )
        )
        return bool(await changed_rows(self._sessions, query))

    async def mark_delivered(
        self, page_id: int, position: int, holder: str, posted: Mapping[str, PostedMessage]
    ) -> None:
        """The card and direct message of ``position`` went out (``posted``: where): record it
        and let the lease go."""
        where = {name: p.model_dump(mode="json") for name, p in posted.items()}
        query = (
            update(PageRow)
            .where(col(PageRow.id) == page_id, col(PageRow.lease_owner) == holder)
            .values(delivered=position, posted=where, lease_owner=None, lease_until=None)
        )
        await changed_rows(self._sessions, query)

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
