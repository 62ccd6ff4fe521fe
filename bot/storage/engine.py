"""From the ``DATABASE_URL`` a person writes to the engines the bot and the migrations use.

People write the plain forms (``sqlite:///crisisbot.db``, ``postgresql://user@host/db``); the bot
needs an async driver for itself and a sync one for Alembic. Keeping that translation here means
the settings, the CLI and the tests all accept the same URLs and fail with the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.storage.outage import quiet_driver_noise

SETTING = "DATABASE_URL"
ACCEPTED_FORMS = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, "
    "postgresql://user:password@host:5432/dbname (postgres:// and postgresql+psycopg:// work too)"
)
# How long a SQLite writer waits for another writer before giving up. Writes are short (one crisis,
# one step), so a few seconds of queueing is normal under load and an error would not be.
SQLITE_BUSY_TIMEOUT_MS = 30_000

_SQLITE_DRIVERS = {"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"}
_POSTGRES_DRIVERS = {"postgres", "postgresql", "postgresql+psycopg"}


class DatabaseUrlError(ValueError):
    """The configured database URL is not one the bot can use; the message says what would be."""


@dataclass(frozen=True)
class DatabaseUrls:
    """The same database seen through the async driver (the bot) and the sync one (Alembic)."""

    async_url: URL
    sync_url: URL

    @property
    def is_sqlite(self) -> bool:
        return self.sync_url.get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        return Path(self.sync_url.database).expanduser() if self.is_sqlite and self.sync_url.database else None


def resolve_urls(url: str | URL) -> DatabaseUrls:
    """Translate a user URL into driver URLs, or explain which forms are accepted."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError as exc:
        # The text is not echoed: it may hold a password that did not parse as one.
        raise DatabaseUrlError(_unsupported(None, "it is not a URL")) from exc
    driver = parsed.drivername
    if driver in _SQLITE_DRIVERS:
        if parsed.database in (None, "", ":memory:") or (parsed.database or "").startswith("file:"):
            raise DatabaseUrlError(
                _unsupported(
                    parsed.render_as_string(),
                    "in-memory SQLite gives every connection its own empty database; name a file",
                )
            )
        return DatabaseUrls(parsed.set(drivername="sqlite+aiosqlite"), parsed.set(drivername="sqlite"))
    if driver in _POSTGRES_DRIVERS:
        # psycopg 3 is both the sync and the async driver; SQLAlchemy picks the mode per engine.
        pg = parsed.set(drivername="postgresql+psycopg")
        return DatabaseUrls(pg, pg)
    raise DatabaseUrlError(_unsupported(parsed.render_as_string(), f"the scheme {driver!r} is not supported"))


def _unsupported(url: str | None, why: str) -> str:
    """``url`` comes from ``render_as_string()``, which masks the password."""
    shown = SETTING if url is None else f"{SETTING}={url!r}"
    return f"{shown} cannot be used: {why}. Accepted forms: {ACCEPTED_FORMS}."


def create_async_db_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    """The bot's engine: pooled, async, with SQLite tuned so concurrent writers queue up.

    ``kwargs`` go to :func:`sqlalchemy.ext.asyncio.create_async_engine` (e.g. ``pool_size``).
    """
    urls = resolve_urls(url)
    _prepare(urls)
    # pool_pre_ping: a connection a server restart terminated is replaced as it is checked out,
    # so the first command after the restart works instead of failing on a dead connection
    engine = create_async_engine(urls.async_url, pool_pre_ping=not urls.is_sqlite, **kwargs)
    if urls.is_sqlite:
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
    else:
        quiet_driver_noise()
    return engine


def create_sync_db_engine(url: str | URL, **kwargs: Any) -> Engine:
    """The migrations' engine: same database, same SQLite settings, sync driver."""
    urls = resolve_urls(url)
    _prepare(urls)
    engine = create_engine(urls.sync_url, **kwargs)
    if urls.is_sqlite:
        event.listen(engine, "connect", _configure_sqlite)
    return engine


def _prepare(urls: DatabaseUrls) -> None:
    """SQLite creates the file but not its folder; a fresh checkout should still just start."""
    if urls.sqlite_path is not None:
        urls.sqlite_path.parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside a writer; busy_timeout makes a second writer wait, not fail.

    Foreign keys are off by default in SQLite; turning them on makes it refuse what PostgreSQL
    refuses, so a bug cannot pass the SQLite tests and fail in production.
    """
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # WAL + NORMAL: durable across application crashes, one fsync per checkpoint instead of
        # per commit; a declared crisis writes a dozen small rows on the path a person waits on
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()
