"""Which schema revision this code needs, and which one a database is at, without Alembic.

Alembic (and Mako, and its script loader) costs a noticeable part of a start-up that a person may
be waiting on: a replica restarted during a crisis is out of rotation until it answers. Only a
database behind the code needs Alembic, to migrate; finding out is one query. Revision ids are the
four-digit prefix of the migration file names, a convention ``tests/storage`` checks against
Alembic's own reading of the scripts.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

VERSIONS_DIR = Path(__file__).resolve().parent / "migrations" / "versions"
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


@dataclass(frozen=True)
class Revisions:
    """The schema this code needs (``head``) and every revision it ships."""

    head: str
    known: frozenset[str]


@functools.cache
def shipped_revisions() -> Revisions:
    """Read from the packaged migration file names once, not at every probe."""
    known = frozenset(m.group(1) for p in VERSIONS_DIR.iterdir() if (m := _REVISION_FILE.match(p.name)))
    if not known:
        raise RuntimeError(f"no migrations shipped in {VERSIONS_DIR}")
    return Revisions(max(known), known)


def schema_heads(connection: Connection) -> tuple[str, ...]:
    """What Alembic's version table says (an absent table: an empty tuple), sorted."""
    if not inspect(connection).has_table("alembic_version"):
        return ()
    rows = connection.execute(text("SELECT version_num FROM alembic_version"))
    return tuple(sorted(str(row[0]) for row in rows))


def oldest_code(connection: Connection) -> str | None:
    """The oldest code revision that can run on this schema (None before migration 0012)."""
    if not inspect(connection).has_table("schema_compat"):
        return None
    row = connection.execute(text("SELECT oldest_code FROM schema_compat")).first()
    return str(row[0]) if row else None


def runs_on(heads: tuple[str, ...], oldest: str | None, wanted: Revisions) -> bool:
    """Whether this code can run on a schema at ``heads``: its own, or a newer one (a rolling
    upgrade migrated first) whose migrations keep this code working (``oldest`` is not newer)."""
    if heads == (wanted.head,):
        return True
    newer = bool(heads) and all(h not in wanted.known and h > wanted.head for h in heads)
    return newer and oldest is not None and oldest <= wanted.head


def schema_state(connection: Connection) -> tuple[tuple[str, ...], str | None]:
    """The schema's heads and the oldest code it accepts, in one visit."""
    return schema_heads(connection), oldest_code(connection)
