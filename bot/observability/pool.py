"""Read a SQLAlchemy engine's connection pool for :meth:`Metrics.watch_pool`.

A pool that is always in use is the first sign of a database that slows every command down: the
requests queue for a connection before they queue in PostgreSQL. The bot's engines (PostgreSQL and
SQLite alike) use a :class:`QueuePool`; a pool without a size (``NullPool``, ``StaticPool``, as a
test may configure) is reported as absent rather than as an empty pool that would read "all fine".
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from bot.observability.metrics import PoolReader, PoolUsage


def pool_reader(engine: AsyncEngine) -> PoolReader:
    """A reader of ``engine``'s pool, cheap enough to call at every scrape (no I/O, no lock)."""

    def read() -> PoolUsage | None:
        pool = engine.sync_engine.pool
        if not isinstance(pool, QueuePool):
            return None
        return PoolUsage(size=pool.size(), in_use=pool.checkedout(), idle=pool.checkedin(), overflow=pool.overflow())

    return read
