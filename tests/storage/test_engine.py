"""DATABASE_URL handling: the forms people write, the error they get otherwise, SQLite settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage.engine import (
    DatabaseUrlError,
    create_async_db_engine,
    create_sync_db_engine,
    resolve_urls,
)


@pytest.mark.parametrize(
    ("given", "async_url", "sync_url"),
    [
        ("sqlite:///data/bot.db", "sqlite+aiosqlite:///data/bot.db", "sqlite:///data/bot.db"),
        ("sqlite:////var/lib/bot.db", "sqlite+aiosqlite:////var/lib/bot.db", "sqlite:////var/lib/bot.db"),
        ("sqlite+aiosqlite:///bot.db", "sqlite+aiosqlite:///bot.db", "sqlite:///bot.db"),
        (
            "postgresql://u@db:5432/crisis",
            "postgresql+psycopg://u@db:5432/crisis",
            "postgresql+psycopg://u@db:5432/crisis",
        ),
        ("postgres://u@db/crisis", "postgresql+psycopg://u@db/crisis", "postgresql+psycopg://u@db/crisis"),
        ("postgresql+psycopg://u@db/crisis", "postgresql+psycopg://u@db/crisis", "postgresql+psycopg://u@db/crisis"),
    ],
)
def test_user_urls_become_driver_urls(given: str, async_url: str, sync_url: str) -> None:
    urls = resolve_urls(given)
    assert urls.async_url.render_as_string() == async_url
    assert urls.sync_url.render_as_string() == sync_url


@pytest.mark.parametrize(
    "given",
    ["mysql://u:hunter2@db/crisis", "postgresql+asyncpg://u:hunter2@db/crisis", "sqlite://", "sqlite:///:memory:"],
)
def test_unusable_urls_name_the_setting_and_the_accepted_forms(given: str) -> None:
    with pytest.raises(DatabaseUrlError) as info:
        resolve_urls(given)
    message = str(info.value)
    assert "DATABASE_URL" in message
    assert "sqlite:///" in message
    assert "postgresql://" in message
    assert "hunter2" not in message


def test_garbage_is_refused_without_echoing_it() -> None:
    with pytest.raises(DatabaseUrlError, match="DATABASE_URL cannot be used: it is not a URL") as info:
        resolve_urls("s3cret-not-a-url")
    assert "s3cret" not in str(info.value)


async def test_sqlite_engine_makes_the_folder_and_queues_writers(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deeper" / "bot.db"
    engine = create_async_db_engine(f"sqlite:///{path}")
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 30_000
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await engine.dispose()
    assert path.exists()


def test_sync_engine_gets_the_same_sqlite_settings(tmp_path: Path) -> None:
    engine = create_sync_db_engine(f"sqlite:///{tmp_path / 'a' / 'bot.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()
