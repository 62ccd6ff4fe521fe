"""Alembic environment for crisisbot, run by :mod:`bot.storage.migrate` (no alembic.ini needed).

The connection normally comes from ``config.attributes["connection"]``, opened by
:func:`bot.storage.migrate.upgrade` with the same SQLite settings the bot uses. For ad-hoc use of
the ``alembic`` command, ``sqlalchemy.url`` or the ``DATABASE_URL`` environment variable is read.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import bot.storage.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.storage.engine import SETTING, create_sync_db_engine

target_metadata = SQLModel.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite can barely ALTER a table; batch mode rebuilds it instead, so later revisions work.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if isinstance(connection, Connection):
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get(SETTING)
    if not url:
        raise RuntimeError(f"No database to migrate: set {SETTING} or the sqlalchemy.url option")
    engine = create_sync_db_engine(url)
    try:
        with engine.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("Offline (--sql) migrations are not supported; run them against a database")
run_migrations_online()
