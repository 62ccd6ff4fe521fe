"""Bring a database to the schema this version of crisisbot expects.

The Alembic configuration is built here rather than read from an ``alembic.ini`` at the repository
root, so an installed crisisbot (a wheel, a container) migrates its database with no file beside it:
``crisisbot migrate`` and the tests call :func:`upgrade`.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import URL, Connection

from bot.storage.engine import create_sync_db_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any fixed number will do, as long as nothing else in the database takes this advisory lock.
_PG_MIGRATION_LOCK = 0x43524953  # "CRIS"
# Alembic runs env.py through module-level globals (``alembic.context``), so two threads of one
# process must not migrate at the same time, even two different databases.
_ALEMBIC_IN_USE = threading.Lock()


def alembic_config() -> Config:
    """Alembic settings pointing at the packaged migrations; no database is named here."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Apply every migration up to ``revision``; a database already there is left untouched."""
    config = alembic_config()
    engine = create_sync_db_engine(url)
    try:
        with _ALEMBIC_IN_USE, engine.begin() as connection:
            _lock_for_migration(connection)
            # Handing over the connection (not the URL) keeps passwords out of configparser,
            # where a '%' in them would be read as interpolation.
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def _lock_for_migration(connection: Connection) -> None:
    """Replicas starting together must take turns: the second then finds the schema at head.

    Without this, both see an empty database and both try to create the tables. PostgreSQL
    has advisory locks (released at commit); SQLite takes its write lock up front, and the
    busy timeout makes the other process wait for it.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def current(url: str | URL) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    engine = create_sync_db_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head() -> str:
    """The newest revision shipped with this code: what :func:`upgrade` brings a database to."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return revision
