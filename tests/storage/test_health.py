"""The readiness check: ready only when the database answers with the schema this code needs."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.engine import create_async_db_engine
from bot.storage.health import DatabaseHealth, check_database, database_readiness
from bot.storage.migrate import alembic_config, head, upgrade
from bot.storage.schema import shipped_revisions


@pytest.fixture
async def fresh_sqlite(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An SQLite file nobody migrated (SQLite creates it on the first connection)."""
    engine = create_async_db_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    yield engine
    await engine.dispose()


def closed_port() -> int:
    """A port nothing listens on: bound once by us, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_migrated_database_is_ready(engine: AsyncEngine) -> None:
    health = await database_readiness(engine)()
    assert health.ready, health.why
    assert health.details["schema"] == head() == health.details["needs"]
    assert health.details["database"] in {"sqlite", "postgresql"}


async def test_a_database_never_migrated_is_not_ready(fresh_sqlite: AsyncEngine) -> None:
    health = await check_database(fresh_sqlite)
    assert not health.ready
    assert "no crisisbot schema" in health.why
    assert "crisisbot migrate" in health.why
    assert health.details["schema"] == "none"


async def test_a_schema_behind_the_code_is_not_ready(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    engine = create_async_db_engine(url)
    try:
        health = await check_database(engine)
    finally:
        await engine.dispose()
    assert not health.ready
    assert health.why == f"the schema is at 0001, this version needs {head()}: run `crisisbot migrate`"


async def newer_schema(sqlite_url: str, oldest_code: str) -> DatabaseHealth:
    """The database as a newer crisisbot migrated it, keeping code from ``oldest_code`` working."""
    engine = create_async_db_engine(sqlite_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
            await connection.execute(text("UPDATE schema_compat SET oldest_code = :v"), {"v": oldest_code})
        return await check_database(engine)
    finally:
        await engine.dispose()


async def test_a_schema_from_a_newer_version_that_no_longer_runs_this_one_is_not_ready(sqlite_url: str) -> None:
    health = await newer_schema(sqlite_url, "9999_from_the_future")  # it removed what this version reads
    assert not health.ready
    assert "9999_from_the_future, which this version does not know" in health.why
    assert "finish the upgrade" in health.why


async def test_a_newer_schema_this_version_still_runs_on_is_ready(sqlite_url: str) -> None:
    """Migrate first, then roll: the old replicas stay in rotation until the new ones are up."""
    health = await newer_schema(sqlite_url, head())  # the newer migrations only added
    assert health.ready
    assert health.details["schema"] == "9999_from_the_future"


async def test_an_unreachable_database_is_not_ready() -> None:
    engine = create_async_db_engine(f"postgresql://crisisbot@127.0.0.1:{closed_port()}/crisisbot")
    try:
        health = await check_database(engine)
    finally:
        await engine.dispose()
    assert not health.ready
    assert health.why.startswith("the postgresql database cannot be used: ")
    assert "refused" in health.why.lower() or "failed" in health.why.lower()


@pytest.mark.postgres
async def test_a_database_that_does_not_answer_in_time_is_not_ready(pg_url: str) -> None:
    """A lock held elsewhere makes the version read wait; the check gives up at its bound."""
    engine = create_async_db_engine(pg_url)
    dsn = make_url(pg_url).render_as_string(hide_password=False)
    try:
        with psycopg.connect(dsn) as blocker:
            blocker.execute("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE")
            health = await check_database(engine, within=0.3)
            blocker.rollback()
        assert not health.ready
        assert health.why == "the postgresql database did not answer within 0.3 s"
        assert (await check_database(engine)).ready, "the same engine recovers once the lock is gone"
    finally:
        await engine.dispose()


def test_the_revisions_read_from_file_names_are_alembics() -> None:
    """Start-up and /readyz read revisions from the file names, to spare serve Alembic's import:
    a migration whose revision id is not its file's prefix would make them disagree."""
    scripts = ScriptDirectory.from_config(alembic_config())
    revisions = shipped_revisions()
    assert revisions.head == head()
    assert revisions.known == {s.revision for s in scripts.walk_revisions()}


def test_serving_does_not_import_alembic() -> None:
    code = (
        "import sys, bot.cli, bot.container, bot.storage.health, bot.adapters.slack.server; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "[]"
