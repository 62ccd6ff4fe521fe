"""Sessions for the repositories: one short session per call, and the conditional-update idiom.

Every guard in the storage layer (resolve once, one approval, one claim of a timer) is an UPDATE
with a condition whose row count says whether this caller won; this is that idiom, once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

Sessions = async_sessionmaker[AsyncSession]


def sessions(engine: AsyncEngine) -> Sessions:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def violates(exc: IntegrityError, constraint: str, sqlite_column: str) -> bool:
    """Whether an integrity error is a clash on this unique constraint (and not another one).

    PostgreSQL names the violated constraint (psycopg's ``diag.constraint_name``); SQLite only
    says ``UNIQUE constraint failed: crisis.room_name`` in its message.
    """
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None) == constraint or sqlite_column in str(exc.orig)


async def changed_rows(make: Sessions, statement: Any) -> int:
    """Run one UPDATE in its own transaction; how many rows it changed."""
    async with make() as session:
        result = await session.exec(statement)
        await session.commit()
    return int(result.rowcount)
