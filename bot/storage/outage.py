"""A database server that went away: the driver's errors turned into the core's, logged once.

While PostgreSQL restarts, every call fails the same way. Each failure surfacing as the driver's
exception made the core log a traceback per command, per step and per scheduler chore, and
answer people with "something went wrong", as if it were a bug. Here, at the one place every
session goes through, such a failure becomes :class:`DatabaseUnavailableError`, which the core
answers politely (try again in a minute) without a traceback; the operator gets one warning when
the outage starts and one line when the database answers again, with how many calls failed.

Only a server's errors are taken for an outage: on SQLite an ``OperationalError`` is a missing
table or a full disk, a problem to see with its traceback, not one that passes in a minute.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from bot.core.model.errors import DatabaseUnavailableError

log = logging.getLogger(__name__)
# A database that answers again and fails again within this long is one outage to the operator:
# a restart (stop, then start), or calls that still went through on connections opened before
# it stopped, would otherwise warn at every flap.
QUIET_FOR = 60.0


class _LostConnectionNoise(logging.Filter):
    """psycopg warns, as it cleans up a pipeline whose connection the server closed, that it
    ignored that error: once more per call of the outage already reported here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.msg == "error ignored terminating %r: %s" and "connection" in record.getMessage())


_NOISE = _LostConnectionNoise()


def quiet_driver_noise() -> None:
    logging.getLogger("psycopg").addFilter(_NOISE)  # adding it twice keeps one


class Outage:
    """Whether one engine's database was last seen down, since when and how many calls failed."""

    def __init__(
        self, backend: str, *, server: bool, now: Callable[[], float] = time.monotonic, quiet_for: float = QUIET_FOR
    ) -> None:
        self.backend = backend
        self.server = server
        self.now = now
        self.quiet_for = quiet_for
        self.since: float | None = None
        self.failures = 0
        self.recovered: float | None = None  # when it last answered again after failing

    def unavailable(self, exc: BaseException) -> bool:
        """Whether ``exc`` says the database is not there (rather than that a statement is wrong)."""
        if isinstance(exc, PoolTimeoutError):  # every connection busy or hung: nothing answers in time
            return True
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:  # terminated under way
            return True
        return self.server and isinstance(exc, (OperationalError, InterfaceError, OSError))

    def failed(self, exc: BaseException, *, in_doubt: bool = False) -> DatabaseUnavailableError:
        """The error to raise in place of ``exc``; warns at the first failure of an outage.
        ``in_doubt``: it broke the COMMIT, which the server may have carried out."""
        reason = first_line(exc)
        if self.since is None:
            self.since, self.failures = self.now(), 0
            flapping = self.recovered is not None and self.since - self.recovered < self.quiet_for
            log.log(
                logging.INFO if flapping else logging.WARNING,
                "the %s database cannot be reached (%s): commands are refused politely until it answers again",
                self.backend,
                reason,
            )
        self.failures += 1
        return DatabaseUnavailableError(reason, in_doubt=in_doubt)

    def worked(self) -> None:
        if self.since is not None:
            log.info(
                "the %s database answers again after %.1f s; %d call(s) failed meanwhile",
                self.backend,
                self.now() - self.since,
                self.failures,
            )
            self.since, self.recovered = None, self.now()


def first_line(exc: BaseException) -> str:
    """The driver's first line (SQLAlchemy's own text adds the statement and a link)."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    return (lines[0] if lines else type(cause).__name__)[:200]
