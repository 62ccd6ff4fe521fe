"""A drill's injects as durable timers: claimed by one replica with a conditional UPDATE (lease
free or expired), like pages, so an inject fires once however many replicas tick."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import insert, or_, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, col, select

from bot.core.model.injects import InjectStatus, ScheduledInject
from bot.storage.sessions import changed_rows, sessions
from bot.storage.tables import DrillInjectRow, of_platform

INJECT = SQLModel.metadata.tables["drill_inject"]


def _inject(row: DrillInjectRow) -> ScheduledInject:
    return ScheduledInject.model_validate({**row.model_dump(), "crisis_number": row.crisis_id})


class SqlDrillRepository:
    """``platform``: fire only the injects of that platform's drills (see ``SqlCrisisRepository``)."""

    def __init__(self, engine: AsyncEngine, platform: str | None = None) -> None:
        self._sessions = sessions(engine)
        self._mine = of_platform(DrillInjectRow.crisis_id, platform)

    async def schedule(self, crisis_number: int, due: Sequence[datetime]) -> None:
        """One timer per inject of the script, in its order; scheduling again changes nothing."""
        if not due:
            return
        async with self._sessions() as session:
            db = await session.connection()
            known = await db.execute(
                select(DrillInjectRow.position).where(col(DrillInjectRow.crisis_id) == crisis_number)
            )
            have = {int(p) for (p,) in known}
            rows = [
                {"crisis_id": crisis_number, "position": i, "due_at": at, "status": InjectStatus.PENDING.value}
                for i, at in enumerate(due)
                if i not in have
            ]
            if rows:
                await db.execute(insert(INJECT), rows)
            await session.commit()

    async def injects_of(self, crisis_number: int) -> list[ScheduledInject]:
        query = (
            select(DrillInjectRow)
            .where(col(DrillInjectRow.crisis_id) == crisis_number)
            .order_by(col(DrillInjectRow.position))
        )
        async with self._sessions() as session:
            return [_inject(r) for r in (await session.exec(query)).all()]

    async def claim_due(self, now: datetime, holder: str, lease: timedelta, limit: int = 20) -> list[ScheduledInject]:
        """Pending injects due by ``now`` whose lease is free, each taken by one conditional
        UPDATE: of two replicas, the one whose UPDATE changed the row fires it."""
        free = or_(col(DrillInjectRow.lease_until).is_(None), col(DrillInjectRow.lease_until) < now)
        due = (
            select(DrillInjectRow)
            .where(col(DrillInjectRow.status) == InjectStatus.PENDING.value, col(DrillInjectRow.due_at) <= now, free)
            .where(self._mine)
            .order_by(col(DrillInjectRow.due_at), col(DrillInjectRow.position))
            .limit(limit)
        )
        async with self._sessions() as session:
            candidates = [_inject(r) for r in (await session.exec(due)).all()]
        claimed = []
        for inject in candidates:
            take = (
                update(DrillInjectRow)
                .where(col(DrillInjectRow.id) == inject.id, col(DrillInjectRow.status) == InjectStatus.PENDING.value)
                .where(or_(col(DrillInjectRow.lease_until).is_(None), col(DrillInjectRow.lease_until) < now))
                .values(lease_owner=holder, lease_until=now + lease)
            )
            if await changed_rows(self._sessions, take):
                claimed.append(inject)
        return claimed

    async def finish(self, inject_id: int, status: InjectStatus, at: datetime, holder: str) -> bool:
        query = (
            update(DrillInjectRow)
            .where(col(DrillInjectRow.id) == inject_id, col(DrillInjectRow.lease_owner) == holder)
            .values(status=status.value, fired_at=at, lease_owner=None, lease_until=None)
        )
        return bool(await changed_rows(self._sessions, query))

    async def release(self, inject_id: int, holder: str) -> None:
        """Give a claimed inject back, still pending (its drill is paused)."""
        query = (
            update(DrillInjectRow)
            .where(col(DrillInjectRow.id) == inject_id, col(DrillInjectRow.lease_owner) == holder)
            .values(lease_owner=None, lease_until=None)
        )
        await changed_rows(self._sessions, query)

    async def delay_pending(self, crisis_number: int, by: timedelta) -> None:
        """A resumed drill: its pending injects come as much later as it was paused."""
        for inject in await self.injects_of(crisis_number):
            if inject.status is InjectStatus.PENDING:
                query = (
                    update(DrillInjectRow)
                    .where(
                        col(DrillInjectRow.id) == inject.id, col(DrillInjectRow.status) == InjectStatus.PENDING.value
                    )
                    .values(due_at=inject.due_at + by)
                )
                await changed_rows(self._sessions, query)

    async def cancel_pending(self, crisis_number: int) -> int:
        query = (
            update(DrillInjectRow)
            .where(
                col(DrillInjectRow.crisis_id) == crisis_number,
                col(DrillInjectRow.status) == InjectStatus.PENDING.value,
            )
            .values(status=InjectStatus.CANCELLED.value, lease_owner=None, lease_until=None)
        )
        return await changed_rows(self._sessions, query)
