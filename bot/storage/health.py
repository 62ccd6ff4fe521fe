"""Is the database ready for this version of crisisbot? What ``/readyz`` asks.

Liveness only says the process answers. A replica whose database is down, or whose schema is older
than its code, still answers, yet every declaration it accepts would fail after Slack was told
"Declaring...": the orchestrator should send that replica no traffic, and a person should read
why. The check goes through the bot's own async engine (the pool and driver the requests use, not
a second sync connection), and is bounded, because a probe that hangs is no answer at all.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.schema import Revisions, runs_on, schema_state, shipped_revisions

# Well under the few seconds an orchestrator's probe waits: a database slower than this to answer
# SELECT 1 is not one to send people's commands to.
DEFAULT_TIMEOUT = 2.0
MIGRATE_HINT = "run `crisisbot migrate`"


@dataclass(frozen=True)
class DatabaseHealth:
    ready: bool
    why: str = ""  # for a person: what is wrong and what to do
    details: Mapping[str, str] = field(default_factory=dict)


async def check_database(
    engine: AsyncEngine, *, within: float = DEFAULT_TIMEOUT, revisions: Revisions | None = None
) -> DatabaseHealth:
    """Ready when the database answers ``within`` seconds and its schema is at ``revisions.head``."""
    wanted = revisions or shipped_revisions()
    backend = engine.dialect.name
    try:
        async with asyncio.timeout(within), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            heads, oldest = await connection.run_sync(schema_state)
    except TimeoutError:
        return DatabaseHealth(False, f"the {backend} database did not answer within {within:g} s")
    except (SQLAlchemyError, OSError) as exc:
        return DatabaseHealth(False, f"the {backend} database cannot be used: {_reason(exc)}")
    details = {"database": backend, "schema": ",".join(heads) or "none", "needs": wanted.head}
    return DatabaseHealth(*verdict(heads, wanted, oldest), details=details)


def database_readiness(
    engine: AsyncEngine, *, within: float = DEFAULT_TIMEOUT
) -> Callable[[], Awaitable[DatabaseHealth]]:
    """The readiness check to serve at ``/readyz`` for this engine."""
    return functools.partial(check_database, engine, within=within, revisions=shipped_revisions())


def verdict(heads: tuple[str, ...], wanted: Revisions, oldest: str | None = None) -> tuple[bool, str]:
    """Ready on this version's schema, or on a newer one it still runs on (a rolling upgrade
    migrated first: the old replicas keep serving until the new ones are up)."""
    if runs_on(heads, oldest, wanted):
        return True, ""
    if not heads:
        return False, f"the database has no crisisbot schema yet: {MIGRATE_HINT}"
    unknown = [h for h in heads if h not in wanted.known]
    if unknown:
        return False, (
            f"the schema is at {', '.join(unknown)}, which this version does not know "
            f"(a newer crisisbot migrated it?) and that no longer runs this version "
            f"(it needs crisisbot at {oldest or 'an unknown revision'} or newer); finish the upgrade"
        )
    return False, f"the schema is at {', '.join(heads)}, this version needs {wanted.head}: {MIGRATE_HINT}"


def _reason(exc: BaseException) -> str:
    """The driver's first line (SQLAlchemy's own text adds the statement and a link)."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    return (lines[0] if lines else type(cause).__name__)[:200]
