"""Migrations are the only way the schema is made: they must reach head and match the models."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import bot.storage.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.storage.engine import create_sync_db_engine
from bot.storage.migrate import alembic_config, current, head, upgrade
from tests.storage.fixtures import PgServer

TABLES = {"crisis", "crisis_step", "timeline_event"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest) -> str:
    """A database nobody migrated yet (a fresh one on PostgreSQL, not the shared test one)."""
    if request.param == "sqlite":
        return f"sqlite:///{request.getfixturevalue('tmp_path') / 'fresh' / 'bot.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create_database()


def _tables(url: str) -> set[str]:
    engine = create_sync_db_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _diff(url: str) -> list[Any]:
    engine = create_sync_db_engine(url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))
    finally:
        engine.dispose()


def test_upgrade_from_empty_reaches_head(empty_url: str) -> None:
    assert current(empty_url) is None
    upgrade(empty_url)
    assert current(empty_url) == head() == "0012"
    assert _tables(empty_url) >= TABLES
    upgrade(empty_url)  # a second run (another replica starting) changes nothing
    assert current(empty_url) == head()


def test_replicas_upgrading_together_take_turns(empty_url: str) -> None:
    with ProcessPoolExecutor(max_workers=3, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(upgrade, [empty_url] * 3))  # re-raises the first failure, if any
    assert current(empty_url) == head()


def test_threads_of_one_process_can_upgrade_together(tmp_path: Path) -> None:
    urls = [f"sqlite:///{tmp_path / str(i) / 'bot.db'}" for i in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(upgrade, urls))
    assert {current(url) for url in urls} == {head()}


def test_migrated_schema_matches_the_models(empty_url: str) -> None:
    upgrade(empty_url)
    assert _diff(empty_url) == []


def test_downgrade_to_base_and_back(empty_url: str) -> None:
    upgrade(empty_url)
    engine = create_sync_db_engine(empty_url)
    try:
        with engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
    finally:
        engine.dispose()
    assert current(empty_url) is None
    assert not TABLES & _tables(empty_url)
    upgrade(empty_url)
    assert current(empty_url) == head()


def test_crises_stored_before_0011_keep_the_platform_that_ran_them(empty_url: str) -> None:
    """One process may now serve Slack and Teams: each crisis must be claimed by the right one."""
    upgrade(empty_url, "0010")
    engine = create_sync_db_engine(empty_url)
    rows = [
        ("slack-room", "crisis-slack", "C0123", '{"response_url": "https://hooks.slack.com/x", "user": "U1"}'),
        ("teams-room", "crisis-teams", "19:abc@thread.tacv2", None),
        ("teams-reply", "crisis-teams-pending", None, '{"service_url": "https://smba/amer/", "conversation": "a"}'),
    ]
    try:
        with engine.begin() as conn:
            for title, room_name, room_id, reply_to in rows:
                conn.execute(
                    text(
                        "INSERT INTO crisis (title, scenario_id, severity_id, status, declared_by, declared_at,"
                        " room_name, room_id, reply_to, assignments, unreachable, review)"
                        " VALUES (:title, 'troll', 'sev3', 'active', '{}', :at, :room_name, :room_id, :reply_to,"
                        " '[]', '{}', '{}')"
                    ),
                    {"title": title, "at": datetime(2026, 12, 3, tzinfo=UTC), "room_name": room_name,
                     "room_id": room_id, "reply_to": reply_to},
                )  # fmt: skip
        upgrade(empty_url)
        with engine.connect() as conn:
            found: dict[str, str] = {
                str(t): str(p) for t, p in conn.execute(text("SELECT title, platform FROM crisis"))
            }
    finally:
        engine.dispose()
    assert found == {"slack-room": "slack", "teams-room": "teams", "teams-reply": "teams"}
