"""Handing work over on a graceful shutdown: every lease this process holds, released at once.

A lease (on a declaration's steps, a page, a drill inject, a listening alert) keeps the other
replicas off work one process is doing, and lets them take it over when it expires, since a
process killed outright cannot say it stopped. A process stopping on SIGTERM can: once its work
is finished or cancelled it releases its leases, and another replica resumes what is left at its
next tick, instead of waiting for them to expire (15 s to minutes) in the middle of a crisis.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from bot.storage.sessions import changed_rows, sessions

LEASED = ("crisis", "page", "drill_inject", "listening_alert")


async def release_all(engine: AsyncEngine, holder: str) -> int:
    """Release every lease ``holder`` (``replica#incarnation``) holds; how many were released."""
    make = sessions(engine)
    released = 0
    for name in LEASED:
        table = SQLModel.metadata.tables[name]
        query = update(table).where(table.c.lease_owner == holder).values(lease_owner=None, lease_until=None)
        released += await changed_rows(make, query)
    return released
