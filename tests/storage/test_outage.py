"""A database server that is not there: the core's polite error, told apart from a bug, and a
COMMIT cut off told apart from a write refused (the first may have been carried out)."""

from __future__ import annotations

import logging

import psycopg
import pytest
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.core.model.errors import DatabaseUnavailableError
from bot.storage.engine import create_async_db_engine
from bot.storage.outage import Outage, quiet_driver_noise
from bot.storage.repository import SqlCrisisRepository
from bot.storage.sessions import Sessions
from tests.fakes.own_postgres import free_port


def operational(message: str) -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception(message))


def test_a_server_error_is_an_outage_but_not_on_sqlite_nor_a_broken_rule() -> None:
    server, sqlite = Outage("postgresql", server=True), Outage("sqlite", server=False)
    assert server.unavailable(operational("connection refused"))
    assert not sqlite.unavailable(operational("no such table: crisis"))  # a bug there, to see
    assert not server.unavailable(IntegrityError("INSERT", {}, Exception("duplicate key")))


def test_one_warning_per_outage_and_a_line_when_it_is_back(caplog: pytest.LogCaptureFixture) -> None:
    clock = [0.0]
    outage = Outage("postgresql", server=True, now=lambda: clock[0], quiet_for=60)
    with caplog.at_level(logging.INFO, logger="bot.storage.outage"):
        errors = [outage.failed(operational("connection refused")) for _ in range(3)]
        outage.worked()
        outage.worked()
        clock[0] = 1.0  # it fails again at once (a restart's stop then start): the same outage
        outage.failed(operational("the database system is shutting down"))
        outage.worked()
        clock[0] = 100.0  # a new outage, long after
        outage.failed(operational("connection refused"))
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO", "INFO", "INFO", "WARNING"]
    assert "3 call(s) failed meanwhile" in caplog.records[1].getMessage()
    assert {e.reason for e in errors} == {"connection refused"}
    assert not any(e.in_doubt for e in errors)


def test_psycopg_is_not_let_repeat_a_lost_connection(caplog: pytest.LogCaptureFixture) -> None:
    quiet_driver_noise()
    driver = logging.getLogger("psycopg")
    with caplog.at_level(logging.WARNING, logger="psycopg"):
        driver.warning("error ignored terminating %r: %s", "<AsyncPipeline [BAD]>", "the connection is lost")
        driver.warning("error ignored terminating %r: %s", "<AsyncPipeline>", "division by zero")
    assert [r.getMessage() for r in caplog.records] == ["error ignored terminating '<AsyncPipeline>': division by zero"]


async def test_a_server_that_refuses_connections_is_unavailable_not_a_bug() -> None:
    engine = create_async_db_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres")
    try:
        with pytest.raises(DatabaseUnavailableError) as caught:
            await SqlCrisisRepository(engine).list_crises()
    finally:
        await engine.dispose()
    assert not caught.value.in_doubt  # it never connected: nothing can have been stored
    assert "Try again in a minute" in str(caught.value)


@pytest.mark.postgres
async def test_a_commit_cut_off_by_the_server_is_in_doubt(pg_url: str) -> None:
    """The server ends the connection while it commits (a deferred trigger terminates its own
    backend): the write may or may not be stored, and the error says so."""
    dsn = make_url(pg_url).render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE cut_commit (id int)")
        conn.execute(
            "CREATE FUNCTION cut_commit_kill() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$"
        )
        conn.execute(
            "CREATE CONSTRAINT TRIGGER cut_commit_at_commit AFTER INSERT ON cut_commit "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cut_commit_kill()"
        )
    engine = create_async_db_engine(pg_url)

    def insert(db: Connection) -> None:
        db.execute(text("INSERT INTO cut_commit VALUES (1)"))

    async def in_a_session() -> None:
        async with Sessions(engine)() as session:
            await (await session.connection()).execute(text("INSERT INTO cut_commit VALUES (2)"))
            await session.commit()

    try:
        with pytest.raises(DatabaseUnavailableError) as caught:
            await Sessions(engine).run(insert)
        with pytest.raises(DatabaseUnavailableError) as in_session:
            await in_a_session()
    finally:
        await engine.dispose()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP TABLE cut_commit")
            conn.execute("DROP FUNCTION cut_commit_kill()")
    assert caught.value.in_doubt
    assert in_session.value.in_doubt
    assert "It may have been done" in str(in_session.value)
