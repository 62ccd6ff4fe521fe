"""The SQL implementation of :class:`bot.core.ports.CrisisRepository` (SQLite and PostgreSQL).

Every call opens its own short session and commits before returning, so the service may run calls
concurrently (``asyncio.gather``) and several bot replicas may share one database. Uniqueness
(crisis numbers, war-room names) is decided by the database's constraints, because only the
database sees every replica's writes; any look before a write is an optimisation, never the guard.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.model.crisis import Actor, Crisis, CrisisStatus, NewCrisis, RetryPolicy, Step, StepKey, StepStatus
from bot.core.model.errors import RoomNameTakenError
from bot.core.model.events import TimelineEvent
from bot.storage.crisis_inserts import EVENT, CrisisInserts, NewRow
from bot.storage.mapping import (
    UPDATABLE,
    crisis_values,
    event_record,
    row_to_crisis,
    row_to_event,
    row_to_step,
)
from bot.storage.sessions import changed_rows, lease_free, sessions, violates
from bot.storage.tables import (
    EVENT_KEY_CONSTRAINT,
    ROOM_NAME_CONSTRAINT,
    CrisisRow,
    CrisisStepRow,
    TimelineEventRow,
    of_platform,
)


class SqlCrisisRepository:
    """Crises, their steps and timelines in SQL; the crisis number is the row id.

    ``platform`` scopes the repository to the crises one chat platform runs: it tags those it
    creates, and finds, lists and hands to the scheduler only those. Numbers stay unique across
    platforms, so CRISIS-0012 names one crisis in every report. Unscoped (``None``), it sees all:
    what the command line's reports and exports want."""

    def __init__(self, engine: AsyncEngine, platform: str | None = None) -> None:
        self._sessions = sessions(engine)
        self._inserts = CrisisInserts(self._sessions)
        self.platform = platform
        self._mine = of_platform(CrisisRow.id, platform)

    async def create(
        self,
        crisis: NewCrisis,
        holder: str | None = None,
        until: datetime | None = None,
        *,
        other_keys: Sequence[str] = (),
        first_event: Callable[[Crisis], TimelineEvent] | None = None,
    ) -> Crisis:
        """Insert the crisis, its steps and its first event, all or nothing, in a transaction it
        may share with the declarations made at the same moment (see ``crisis_inserts``). The
        declaring process (``holder``) holds the lease on its steps ``until`` then."""
        keys = [k for k in (crisis.request_key, *other_keys) if k is not None]
        return await self._inserts.insert(NewRow(crisis, holder, until, keys, first_event, self.platform))

    async def get(self, number: int) -> Crisis | None:
        return await self._first(and_(col(CrisisRow.id) == number, self._mine))

    async def get_by_request_key(self, request_key: str) -> Crisis | None:
        """Unscoped: a request key is unique across platforms (they name their own requests)."""
        return await self._first(col(CrisisRow.request_key) == request_key)

    async def get_by_room(self, room_id: str) -> Crisis | None:
        return await self._first(and_(col(CrisisRow.room_id) == room_id, self._mine))

    async def list_crises(self, status: CrisisStatus | None = None, limit: int = 50) -> list[Crisis]:
        """Newest first, by number: numbers follow the order crises were declared in."""
        query = select(CrisisRow).where(self._mine).order_by(col(CrisisRow.id).desc()).limit(limit)
        if status is not None:
            query = query.where(CrisisRow.status == status.value)
        async with self._sessions() as session:
            rows = (await session.exec(query)).all()
            steps = await _steps_of(session, [_saved_id(r) for r in rows])
        return [row_to_crisis(row, steps.get(_saved_id(row), [])) for row in rows]

    async def update(self, crisis: Crisis, fields: Collection[str]) -> None:
        """Write only ``fields``: two use cases saving different fields never undo each other."""
        unknown = set(fields) - UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        await self._update(crisis.number, crisis_values(crisis, fields), crisis.room_name)

    async def rename_room(self, number: int, name: str) -> None:
        await self._update(number, {"room_name": name}, name)

    async def _update(self, number: int, values: dict[str, Any], room_name: str) -> None:
        async with self._sessions() as session:
            try:
                result = await session.exec(update(CrisisRow).where(col(CrisisRow.id) == number).values(**values))
                await session.commit()
            except IntegrityError as exc:
                await session.rollback()
                _raise_if_room_name_taken(exc, room_name)
                raise
        _check_found(result.rowcount, f"crisis {number}")

    async def mark_resolved(self, number: int, at: datetime, by: Actor, summary: str | None) -> bool:
        """Resolve only an active crisis, in one statement: of two people resolving, one wins."""
        query = (
            update(CrisisRow)
            .where(col(CrisisRow.id) == number, col(CrisisRow.status) == CrisisStatus.ACTIVE.value)
            .values(
                status=CrisisStatus.RESOLVED.value,
                resolved_at=at,
                resolved_by=by.model_dump(mode="json"),
                resolution_summary=summary,
            )
        )
        return bool(await changed_rows(self._sessions, query))

    async def change_severity(self, number: int, before: str, after: str) -> bool:
        """Move an active crisis from ``before`` to ``after``; False if it moved or closed meanwhile."""
        query = (
            update(CrisisRow)
            .where(
                col(CrisisRow.id) == number,
                col(CrisisRow.status) == CrisisStatus.ACTIVE.value,
                col(CrisisRow.severity_id) == before,
            )
            .values(severity_id=after)
        )
        return bool(await changed_rows(self._sessions, query))

    async def claim(self, number: int, holder: str, until: datetime, now: datetime) -> bool:
        """Take the lease on a crisis's unfinished steps unless a live process holds it.

        ``holder`` is ``replica#incarnation``. A lease is free once expired, or when it was taken
        by an earlier incarnation of the same replica: that process is dead (this one replaced
        it), so its work is taken over at once instead of after the lease runs out. A lease this
        very process holds is not free: it is declaring that crisis right now.

        A conditional UPDATE and its row count work the same on SQLite and PostgreSQL, which a
        ``SELECT ... FOR UPDATE SKIP LOCKED`` would not (SQLite silently drops it).
        """
        free = lease_free(CrisisRow, now, holder)
        query = update(CrisisRow).where(col(CrisisRow.id) == number, free).values(lease_owner=holder, lease_until=until)
        return bool(await changed_rows(self._sessions, query))

    async def renew(self, number: int, holder: str, until: datetime) -> bool:
        """Extend a lease this holder still has; False if it lost it (taken over as expired)."""
        query = (
            update(CrisisRow)
            .where(col(CrisisRow.id) == number, col(CrisisRow.lease_owner) == holder)
            .values(lease_until=until)
        )
        return bool(await changed_rows(self._sessions, query))

    async def release(self, number: int, holder: str) -> None:
        """The steps are done (or failed): nobody needs to wait for this lease any more."""
        query = (
            update(CrisisRow)
            .where(col(CrisisRow.id) == number, col(CrisisRow.lease_owner) == holder)
            .values(lease_owner=None, lease_until=None)
        )
        await changed_rows(self._sessions, query)

    async def due_update_reminders(self, now: datetime, limit: int = 50) -> list[Crisis]:
        """Active crises whose status update is overdue and not yet reminded, each claimed once:
        the conditional UPDATE records the due time reminded, so only one replica reminds."""
        overdue = (
            select(CrisisRow)
            .where(
                self._mine,
                col(CrisisRow.status) == CrisisStatus.ACTIVE.value,
                col(CrisisRow.next_update_due) <= now,
                or_(
                    col(CrisisRow.update_reminded_for).is_(None),
                    col(CrisisRow.update_reminded_for) < col(CrisisRow.next_update_due),
                ),
            )
            .limit(limit)
        )
        claimed = []
        async with self._sessions() as session:
            for row in (await session.exec(overdue)).all():
                take = (
                    update(CrisisRow)
                    .where(col(CrisisRow.id) == row.id, col(CrisisRow.next_update_due) == row.next_update_due)
                    .where(
                        or_(
                            col(CrisisRow.update_reminded_for).is_(None),
                            col(CrisisRow.update_reminded_for) < row.next_update_due,
                        )
                    )
                    .values(update_reminded_for=row.next_update_due)
                )
                if (await session.exec(take)).rowcount:
                    claimed.append(row)
            await session.commit()
            steps = await _steps_of(session, [_saved_id(r) for r in claimed])
        return [row_to_crisis(row, steps.get(_saved_id(row), [])) for row in claimed]

    async def unfinished(self, now: datetime, retry: RetryPolicy, holder: str, limit: int = 100) -> list[Crisis]:
        """Active crises with a step still pending (the work a crash left behind), or failed
        but due for another try, oldest first. A failed step is tried ``retry.attempts`` times
        at most, ``retry.after`` apart: Slack down for a minute must not leave a war room empty,
        and a step that keeps failing must not fill the timeline with the same failure.

        Only those ``holder`` could claim: during a burst every declaration under way holds a
        live lease, and reading them all, steps included, at every tick of the scheduler took
        the event loop from the acknowledgements."""
        retry_failed = and_(
            col(CrisisStepRow.status) == StepStatus.FAILED.value,
            col(CrisisStepRow.attempts) < retry.attempts,
            col(CrisisStepRow.updated_at) <= now - retry.after,
        )
        pending = select(CrisisStepRow.crisis_id).where(
            or_(col(CrisisStepRow.status) == StepStatus.PENDING.value, retry_failed)
        )
        query = (
            select(CrisisRow)
            .where(
                self._mine,
                col(CrisisRow.status) == CrisisStatus.ACTIVE.value,
                col(CrisisRow.id).in_(pending),
                lease_free(CrisisRow, now, holder),
            )
            .order_by(col(CrisisRow.id))
            .limit(limit)
        )
        async with self._sessions() as session:
            rows = (await session.exec(query)).all()
            steps = await _steps_of(session, [_saved_id(r) for r in rows])
        return [row_to_crisis(row, steps.get(_saved_id(row), [])) for row in rows]

    async def set_step(
        self, number: int, key: StepKey, status: StepStatus, detail: str, at: datetime, attempts: int = 0
    ) -> None:
        query = (
            update(CrisisStepRow)
            .where(col(CrisisStepRow.crisis_id) == number, col(CrisisStepRow.key) == key.value)
            .values(status=status.value, detail=detail, updated_at=at, attempts=attempts)
        )
        _check_found(await changed_rows(self._sessions, query), f"step {key!r} of crisis {number}")

    async def add_event(self, number: int, event: TimelineEvent) -> bool:
        """Record the event; False when an event with its key was recorded already."""
        async with self._sessions() as session:
            try:
                await (await session.connection()).execute(insert(EVENT), event_record(number, event))
                await session.commit()
            except IntegrityError as exc:
                await session.rollback()
                if event.key is not None and violates(exc, EVENT_KEY_CONSTRAINT, "timeline_event.key"):
                    return False
                raise LookupError(f"no crisis {number} to add an event to") from exc
        return True

    async def timeline(self, number: int) -> list[TimelineEvent]:
        query = (
            select(TimelineEventRow)
            .where(TimelineEventRow.crisis_id == number)
            .order_by(col(TimelineEventRow.at), col(TimelineEventRow.id))
        )
        async with self._sessions() as session:
            return [row_to_event(row) for row in (await session.exec(query)).all()]

    async def _first(self, where: ColumnElement[bool] | bool) -> Crisis | None:
        query = select(CrisisRow).where(where).order_by(col(CrisisRow.id).desc()).limit(1)
        async with self._sessions() as session:
            row = (await session.exec(query)).first()
            if row is None:
                return None
            steps = await _steps_of(session, [_saved_id(row)])
        return row_to_crisis(row, steps.get(_saved_id(row), []))


async def _steps_of(session: AsyncSession, numbers: Sequence[int]) -> dict[int, list[Step]]:
    if not numbers:
        return {}
    query = (
        select(CrisisStepRow)
        .where(col(CrisisStepRow.crisis_id).in_(numbers))
        .order_by(col(CrisisStepRow.crisis_id), col(CrisisStepRow.position))
    )
    steps: dict[int, list[Step]] = {}
    for row in (await session.exec(query)).all():
        steps.setdefault(row.crisis_id, []).append(row_to_step(row))
    return steps


def _raise_if_room_name_taken(exc: IntegrityError, name: str) -> None:
    """Turn a clash on the room-name constraint into the domain error; leave any other alone."""
    if violates(exc, ROOM_NAME_CONSTRAINT, "crisis.room_name"):
        raise RoomNameTakenError(name) from exc


def _check_found(rowcount: int, what: str) -> None:
    if rowcount == 0:
        raise LookupError(f"no {what} in the database")


def _saved_id(row: CrisisRow) -> int:
    if row.id is None:
        raise RuntimeError("crisis row has no id after flush")
    return row.id
