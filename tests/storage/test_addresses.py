"""What a platform told one replica is there for all of them (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.addresses import SqlAddressBook


async def test_the_latest_value_is_kept_per_platform_kind_and_key(engine: AsyncEngine) -> None:
    teams, other = SqlAddressBook(engine, "teams"), SqlAddressBook(engine, "other")
    assert await teams.recall() == {}
    await teams.remember("conversation", "19:abc", "https://smba.example/amer/")
    await teams.remember("conversation", "19:abc", "https://smba.example/emea/")
    await teams.remember("installed", "", "team-1")
    await other.remember("conversation", "19:abc", "https://elsewhere.example/")
    assert await teams.recall() == {
        "conversation": {"19:abc": "https://smba.example/emea/"},
        "installed": {"": "team-1"},
    }


async def test_two_replicas_learning_the_same_address_at_once_both_succeed(engine: AsyncEngine) -> None:
    books = [SqlAddressBook(engine, "teams") for _ in range(8)]
    await asyncio.gather(*(b.remember("personal", "entra-1", f"a:conv-{i}") for i, b in enumerate(books)))
    known = await books[0].recall()
    assert set(known) == {"personal"}
    assert known["personal"]["entra-1"].startswith("a:conv-")
