"""The SQL implementation of :class:`bot.core.ports.AddressBook`: what a platform told one replica."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.sessions import sessions
from bot.storage.tables import PlatformAddressRow

ADDRESS = PlatformAddressRow.__table__  # type: ignore[attr-defined]


class SqlAddressBook:
    def __init__(self, engine: AsyncEngine, platform: str) -> None:
        self._sessions = sessions(engine)
        self._platform = platform

    async def remember(self, kind: str, key: str, value: str) -> None:
        """Keep the latest ``value`` for ``key``; two replicas learning it at once both succeed."""
        row = {"platform": self._platform, "kind": kind, "key": key}
        now = datetime.now(UTC)

        def write(db: Connection) -> int:
            changed = db.execute(update(ADDRESS).filter_by(**row).values(value=value, updated_at=now)).rowcount
            if not changed:
                db.execute(insert(ADDRESS).values(**row, value=value, updated_at=now))
            return int(changed)

        try:
            await self._sessions.run(write)
        except IntegrityError:  # another replica inserted it between the two statements
            await self._sessions.run(write)

    async def recall(self) -> dict[str, dict[str, str]]:
        """Everything remembered for this platform: kind -> key -> value."""
        query = select(ADDRESS.c.kind, ADDRESS.c.key, ADDRESS.c.value).where(ADDRESS.c.platform == self._platform)
        async with self._sessions() as session:
            rows = (await (await session.connection()).execute(query)).all()
        found: dict[str, dict[str, str]] = {}
        for kind, key, value in rows:
            found.setdefault(kind, {})[key] = value
        return found
