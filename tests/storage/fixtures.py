"""Database fixtures (``sqlite_url``, ``pg_url``, ``db_url``, ``engine``, ``repo``) as a pytest plugin.

A migrated SQLite file per test, and on PostgreSQL a throwaway database per test session (tables
emptied between tests). ``tests/storage/conftest.py`` re-exports them; other test packages (the
service tests want ``repo``) get them with ``pytest_plugins = ["tests.storage.fixtures"]`` in the
root ``tests/conftest.py``.

PostgreSQL comes from ``CRISISBOT_TEST_PG_URL`` (default: the local server, user postgres, trust
auth). When it cannot be reached the PostgreSQL tests are skipped, unless ``CRISISBOT_REQUIRE_PG=1``
(CI), where a missing server must fail loudly rather than turn the run green by skipping.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.engine import create_async_db_engine
from bot.storage.migrate import upgrade
from bot.storage.repository import SqlCrisisRepository

PG_URL_ENV = "CRISISBOT_TEST_PG_URL"
REQUIRE_PG_ENV = "CRISISBOT_REQUIRE_PG"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


class PgServer:
    """Creates uniquely named databases on a server and drops them all at the end."""

    def __init__(self, base: URL) -> None:
        self.base = base.set(drivername="postgresql")
        self.admin_dsn = self.base.set(database=self.base.database or "postgres").render_as_string(hide_password=False)
        self.created: list[str] = []

    def create_database(self) -> str:
        name = f"crisisbot_test_{secrets.token_hex(6)}"
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.base.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = PgServer(make_url(os.environ.get(PG_URL_ENV, DEFAULT_PG_URL)))
    try:
        psycopg.connect(server.admin_dsn, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL unreachable at {server.base.render_as_string()} ({PG_URL_ENV}): {exc}"
        if os.environ.get(REQUIRE_PG_ENV) == "1":
            pytest.fail(f"{message}; {REQUIRE_PG_ENV}=1 forbids skipping")
        pytest.skip(message)
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def pg_session_url(pg_server: PgServer) -> str:
    """One migrated database for the whole session: migrating per test would dominate the run."""
    url = pg_server.create_database()
    upgrade(url)
    return url


@pytest.fixture
def pg_url(pg_session_url: str) -> str:
    """The session's database, emptied, with numbering restarted so each test starts alike."""
    dsn = make_url(pg_session_url).render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        # Every table but Alembic's, so tables other packages add later are emptied too.
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'alembic_version'"
            )
        ]
        if tables:
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    return pg_session_url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated for the session; each test gets a copy, which is ten times faster
    than running the migrations again (``tests/storage/test_migrations.py`` still runs them)."""
    path = tmp_path_factory.mktemp("template") / "data" / "crisisbot.db"  # 'data' is made by upgrade
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "data" / "crisisbot.db"
    path.parent.mkdir()
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    return url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_db_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def repo(engine: AsyncEngine) -> SqlCrisisRepository:
    return SqlCrisisRepository(engine)
