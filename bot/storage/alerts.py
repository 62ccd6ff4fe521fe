"""Possible-crisis alerts in the database: raised once by a unique key, claimed with leases.

Two replicas that notice the same spike both try to insert its alert; the unique index on the key
in force lets one insert win, so one card is posted. Posting is claimed like a timer (a lease, by
conditional UPDATE), so a replica that died between raising and posting is relieved by another.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from bot.core.model.alerts import OPEN, Alert, AlertKind, AlertStatus, NewAlert
from bot.core.model.crisis import Actor
from bot.storage.sessions import changed_rows, sessions, violates
from bot.storage.tables import ALERT_KEY_CONSTRAINT

ALERT, DIGEST = (SQLModel.metadata.tables[t] for t in ("listening_alert", "listening_digest"))


def _alert(row: Any) -> Alert:
    return Alert.model_validate(dict(row._mapping))


class SqlAlertRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = sessions(engine)

    async def _rows(self, query: Any) -> list[Alert]:
        async with self._sessions() as session:
            return [_alert(r) for r in (await (await session.connection()).execute(query)).all()]

    async def raise_alert(self, alert: NewAlert) -> Alert | None:
        values = {**alert.model_dump(), "active_key": alert.key, "status": AlertStatus.PENDING.value}
        try:
            async with self._sessions() as session:
                db = await session.connection()
                new_id = (await db.execute(insert(ALERT).values(values).returning(ALERT.c.id))).scalar_one()
                await session.commit()
        except IntegrityError as exc:
            if violates(exc, ALERT_KEY_CONSTRAINT, "listening_alert.active_key"):
                return None  # another replica (or an earlier tick) raised it
            raise
        return await self.get(int(new_id))

    async def in_force(self, kind: AlertKind) -> list[Alert]:
        return await self._rows(select(ALERT).where(ALERT.c.kind == kind.value, ALERT.c.active_key.is_not(None)))

    async def end(self, alert_id: int) -> None:
        await changed_rows(self._sessions, update(ALERT).where(ALERT.c.id == alert_id).values(active_key=None))

    async def claim_unposted(self, now: datetime, holder: str, lease: timedelta) -> list[Alert]:
        free = or_(ALERT.c.lease_until.is_(None), ALERT.c.lease_until < now)
        pending = ALERT.c.status == AlertStatus.PENDING.value
        claimed = []
        for alert in await self._rows(select(ALERT).where(pending, free).order_by(ALERT.c.id).limit(20)):
            take = update(ALERT).where(ALERT.c.id == alert.id, pending, free)
            if await changed_rows(self._sessions, take.values(lease_owner=holder, lease_until=now + lease)):
                claimed.append(alert)
        return claimed

    async def posted(self, alert_id: int, holder: str, card: dict[str, str]) -> bool:
        query = (
            update(ALERT)
            .where(ALERT.c.id == alert_id, ALERT.c.lease_owner == holder, ALERT.c.status == AlertStatus.PENDING.value)
            .values(status=AlertStatus.POSTED.value, card=card, lease_owner=None, lease_until=None)
        )
        return bool(await changed_rows(self._sessions, query))

    async def claim_reminders(self, now: datetime) -> list[Alert]:
        watching = (ALERT.c.status == AlertStatus.WATCHING.value) & (ALERT.c.remind_at <= now)
        claimed = []
        for alert in await self._rows(select(ALERT).where(watching).order_by(ALERT.c.remind_at).limit(20)):
            take = update(ALERT).where(ALERT.c.id == alert.id, watching).values(remind_at=None)
            if await changed_rows(self._sessions, take):
                claimed.append(alert)
        return claimed

    async def get(self, alert_id: int) -> Alert | None:
        found = await self._rows(select(ALERT).where(ALERT.c.id == alert_id))
        return found[0] if found else None

    async def topics_declared_into(self, crisis_number: int) -> set[str]:
        query = select(ALERT.c.topic).where(ALERT.c.crisis_number == crisis_number).distinct()
        async with self._sessions() as session:
            return {str(t) for (t,) in (await (await session.connection()).execute(query)).all()}

    async def last_digest(self, crisis_number: int) -> datetime | None:
        async with self._sessions() as session:
            db = await session.connection()
            last = (await db.execute(select(DIGEST.c.last_at).where(DIGEST.c.crisis_id == crisis_number))).scalar()
            await session.commit()
        return last

    async def claim_digest(self, crisis_number: int, previous: datetime | None, until: datetime) -> bool:
        if previous is None:
            try:
                async with self._sessions() as session:
                    await (await session.connection()).execute(
                        insert(DIGEST).values(crisis_id=crisis_number, last_at=until)
                    )
                    await session.commit()
            except IntegrityError:
                return False  # another replica posts this one
            return True
        take = update(DIGEST).where(DIGEST.c.crisis_id == crisis_number, DIGEST.c.last_at == previous)
        return bool(await changed_rows(self._sessions, take.values(last_at=until)))

    async def decide(
        self,
        alert_id: int,
        status: AlertStatus,
        by: Actor,
        at: datetime,
        *,
        reason: str | None = None,
        remind_at: datetime | None = None,
        crisis_number: int | None = None,
    ) -> Alert | None:
        query = (
            update(ALERT)
            .where(ALERT.c.id == alert_id, ALERT.c.status.in_([s.value for s in OPEN]))
            .values(
                status=status.value,
                decided_by=by.model_dump(mode="json"),
                decided_at=at,
                dismiss_reason=reason,
                remind_at=remind_at,
                crisis_number=crisis_number,
            )
        )
        if not await changed_rows(self._sessions, query):
            return None
        return await self.get(alert_id)
