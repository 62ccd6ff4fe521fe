"""Opening the database at start-up: the embedded SQLite default migrates itself (zero set-up); a
server database behind the code is refused with the command that fixes it, never half-used."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot import container
from bot.config import Settings
from bot.container import StartupError
from bot.storage.engine import create_sync_db_engine
from bot.storage.migrate import current, head, upgrade
from tests.storage.fixtures import PgServer


async def test_the_sqlite_default_is_created_and_migrated(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "new.db")
    async with container.storage(settings) as store:
        assert await store.crises.get(1) is None
    assert current(settings.db_url()) == head()


async def test_an_old_sqlite_default_is_brought_to_head(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "old.db")
    upgrade(settings.db_url(), "0003")
    async with container.storage(settings) as store:
        assert await store.pages.pages_of(1) == [], "tables of later migrations exist"
    assert current(settings.db_url()) == head()


async def test_a_server_database_behind_the_code_is_refused(pg_server: PgServer) -> None:
    url = pg_server.create_database()
    upgrade(url, "0002")
    with pytest.raises(StartupError) as refused:
        async with container.storage(Settings(database_url=url)):
            pytest.fail("served on an old schema")
    assert str(refused.value) == (
        f"The database schema is at 0002, this version needs {head()}. Run `crisisbot migrate` first."
    )
    assert current(url) == "0002", "replicas never migrate a shared database as a side effect"


async def test_a_replica_restarted_during_a_rolling_upgrade_starts_on_the_newer_schema(pg_server: PgServer) -> None:
    """Migrated first by the new version, which only added: an old replica that restarts (a crash,
    a node drained) before it is replaced still starts, instead of leaving the rotation short."""
    url = pg_server.create_database()
    upgrade(url)
    engine = create_sync_db_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    async with container.storage(Settings(database_url=url)) as store:
        assert await store.crises.get(1) is None
    assert current(url) == "9999", "and it never touches the newer schema"
