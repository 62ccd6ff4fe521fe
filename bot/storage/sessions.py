"""Sessions for the repositories: one short session per call, and the conditional-update idiom.

Every guard in the storage layer (resolve once, one approval, one claim of a timer) is an UPDATE
with a condition whose row count says whether this caller won; this is that idiom, once.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import ColumnElement, Connection, Engine, and_, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.model.errors import DatabaseUnavailableError
from bot.storage.engine import create_sync_db_engine
from bot.storage.gate import Gate
from bot.storage.outage import Outage

T = TypeVar("T")
UNBOUNDED = 1000


@dataclass(frozen=True)
class Database:
    """What every repository of one engine shares: the gate and, on SQLite, a thread of its own
    with a plain ``sqlite3`` connection, where a whole transaction runs in one hop."""

    gate: Gate
    outage: Outage
    sqlite: Engine | None = None
    worker: ThreadPoolExecutor | None = None


_DATABASES: WeakKeyDictionary[Engine, Database] = WeakKeyDictionary()


def database_of(engine: AsyncEngine) -> Database:
    """SQLite: one transaction at a time (its writers take turns anyway, and this way without
    the busy handler's sleeps of up to 100 ms); a server: as many as the pool holds."""
    key = engine.sync_engine
    if key not in _DATABASES:
        if engine.dialect.name == "sqlite":
            sqlite = create_sync_db_engine(engine.url.set(drivername="sqlite"), pool_size=1, max_overflow=0)
            worker = ThreadPoolExecutor(1, thread_name_prefix="crisisbot-sqlite")
            _DATABASES[key] = Database(Gate(1), Outage("sqlite", server=False), sqlite, worker)
            weakref.finalize(key, _close, sqlite, worker)
        else:
            pool = engine.pool
            size = pool.size() if hasattr(pool, "size") else UNBOUNDED
            overflow = getattr(pool, "_max_overflow", 0)
            gate = Gate(UNBOUNDED if overflow < 0 else max(1, size + overflow))
            _DATABASES[key] = Database(gate, Outage(engine.dialect.name, server=True))
    return _DATABASES[key]


def _close(sqlite: Engine, worker: ThreadPoolExecutor) -> None:
    worker.shutdown(wait=False)
    sqlite.dispose(close=False)


class Sessions:
    """Sessions (and whole transactions) for the repositories of one engine, through its gate."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._make = async_sessionmaker(engine, class_=_Session, expire_on_commit=False)
        self._db = database_of(engine)

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[AsyncSession]:
        """A session that may write: it takes its turn at the gate. A database that is not there
        raises :class:`DatabaseUnavailableError` (see :mod:`bot.storage.outage`)."""
        async with self._db.gate.slot(), self._watched(), self._make() as session:
            session.outage = self._db.outage
            yield session

    async def run(self, work: Callable[[Connection], T]) -> T:
        """``work`` in one transaction, committed when it returns. On SQLite it runs in the
        database's thread: the event loop is not needed again until it is done, however busy
        the loop is with the declarations under way (a session needs it at every statement)."""
        db = self._db
        async with db.gate.slot(), self._watched():
            if db.worker is not None and db.sqlite is not None:
                sqlite = db.sqlite
                return await asyncio.get_running_loop().run_in_executor(db.worker, _in_transaction, sqlite, work)
            async with self._engine.connect() as connection:
                done = await connection.run_sync(work)  # a failure here: rolled back on closing
                await self._commit(connection)
                return done

    async def _commit(self, connection: AsyncConnection) -> None:
        async with _committing(self._db.outage):
            await connection.commit()

    @asynccontextmanager
    async def _watched(self) -> AsyncIterator[None]:
        outage = self._db.outage
        try:
            yield
        except DatabaseUnavailableError:
            raise  # already told apart (an unknown COMMIT)
        except Exception as exc:
            if outage.unavailable(exc):
                raise outage.failed(exc) from exc
            raise
        outage.worked()


@asynccontextmanager
async def _committing(outage: Outage) -> AsyncIterator[None]:
    """A connection lost during COMMIT leaves its outcome unknown (the server may have committed
    just before it went away): say so, so nobody is told that nothing was stored or changed."""
    try:
        yield
    except Exception as exc:
        if outage.unavailable(exc):
            raise outage.failed(exc, in_doubt=True) from exc
        raise


class _Session(AsyncSession):
    """The repositories' session: its COMMIT cut off is told apart from a write refused."""

    outage: Outage | None = None

    async def commit(self) -> None:
        if self.outage is None:
            await super().commit()
            return
        async with _committing(self.outage):
            await super().commit()


def _in_transaction(engine: Engine, work: Callable[[Connection], T]) -> T:
    with engine.begin() as connection:
        return work(connection)


class Leased(Protocol):
    """A table whose rows a process leases (crises while declared, pages while fired)."""

    lease_owner: str | None
    lease_until: datetime | None


def lease_free(table: type[Leased], now: datetime, holder: str) -> ColumnElement[bool]:
    """A lease is free once expired, or when an earlier incarnation of the same replica
    (``replica#incarnation``) held it: that process is dead, this one replaced it."""
    replica = holder.partition("#")[0]
    owner, until = col(table.lease_owner), col(table.lease_until)
    predecessor = and_(owner.startswith(f"{replica}#", autoescape=True), owner != holder)
    return or_(until.is_(None), until < now, predecessor)


def sessions(engine: AsyncEngine) -> Sessions:
    return Sessions(engine)


def violates(exc: IntegrityError, constraint: str, sqlite_column: str) -> bool:
    """Whether an integrity error is a clash on this unique constraint (and not another one).

    PostgreSQL names the violated constraint (psycopg's ``diag.constraint_name``); SQLite only
    says ``UNIQUE constraint failed: crisis.room_name`` in its message.
    """
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None) == constraint or sqlite_column in str(exc.orig)


async def changed_rows(make: Sessions, statement: Any) -> int:
    """Run one UPDATE in its own transaction; how many rows it changed.

    On a connection, not through the ORM session: no loaded object needs synchronizing, and
    the ORM's bulk-update bookkeeping was most of the cost of every step a declaration records.
    """
    async with make() as session:
        result = await (await session.connection()).execute(statement)
        await session.commit()
    return int(result.rowcount)
