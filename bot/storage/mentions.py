"""The evidence store of mentions: one transaction per batch, append-only versions.

A batch of a hundred is one look-up of the posts already known, one insert of the new ones and
their first versions, one insert of the new versions (edits, deletions) and one executemany of
the refreshed counts: the work grows with batches, not with mentions, which is what lets intake
keep up with a listening tool in a storm. Nothing of a mention is kept in memory between batches.

Two replicas taking the same new post at the same moment clash on the unique (network, post id)
index: the loser's transaction rolls back whole and is run again, and then sees the winner's row.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from bot.core.model.alerts import AlertKind, AlertStatus
from bot.core.model.mentions import Matched, Mention, MentionDigest, Stored
from bot.storage.sessions import sessions
from bot.storage.tables import MENTION_KEY_CONSTRAINT, MENTION_VERSION_CONSTRAINT

MENTION, VERSION, TOPIC, ALERT = (
    SQLModel.metadata.tables[t] for t in ("mention", "mention_version", "mention_topic", "listening_alert")
)
ATTEMPTS = 3
COUNTS = ("followers", "reach", "likes", "reposts", "replies")
CONTENT = ("text", "deleted", "url", "author_handle", "lang", "in_reply_to")
MENTION_FIELDS = tuple(Mention.model_fields)
INSERT_MENTIONS = insert(MENTION).returning(MENTION.c.id, sort_by_parameter_order=True)
REFRESH = (
    update(MENTION)
    .where(MENTION.c.id == bindparam("b_id"))
    .values({**{c: bindparam(f"b_{c}") for c in COUNTS}, "last_seen_at": bindparam("b_seen")})
)
REVISE = (
    update(MENTION)
    .where(MENTION.c.id == bindparam("b_id"))
    .values(
        {
            **{c: bindparam(f"b_{c}") for c in (*COUNTS, *CONTENT)},
            "last_seen_at": bindparam("b_seen"),
            "content_hash": bindparam("b_hash"),
            "versions": bindparam("b_versions"),
        }
    )
)


class SqlMentionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = sessions(engine)

    async def store(self, source: str, batch: Sequence[Matched], at: datetime) -> Stored:
        for attempt in range(ATTEMPTS):
            try:
                return await self._sessions.run(functools.partial(write_batch, source=source, batch=batch, at=at))
            except IntegrityError as exc:
                clash = MENTION_KEY_CONSTRAINT in str(exc.orig) or MENTION_VERSION_CONSTRAINT in str(exc.orig)
                sqlite_clash = "UNIQUE constraint failed: mention" in str(exc.orig)
                if attempt == ATTEMPTS - 1 or not (clash or sqlite_clash):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def digest(
        self, since: datetime, top: int, topic: str | Sequence[str] | None = None, until: datetime | None = None
    ) -> MentionDigest:
        fields = [MENTION.c[name] for name in MENTION_FIELDS]
        if topic is None:
            window = MENTION.c.first_seen_at > since
            if until is not None:
                window &= MENTION.c.first_seen_at <= until
            counted = select(func.count()).select_from(MENTION).where(window)
            best = select(*fields).where(window)
        else:
            topics = [topic] if isinstance(topic, str) else list(topic)
            window = TOPIC.c.topic.in_(topics) & (TOPIC.c.seen_at > since)
            if until is not None:
                window &= TOPIC.c.seen_at <= until
            counted = select(func.count(TOPIC.c.mention_id.distinct())).where(window)
            ids = select(TOPIC.c.mention_id).where(window).distinct().scalar_subquery()
            best = select(*fields).where(MENTION.c.id.in_(ids))
        best = best.order_by(MENTION.c.reach.desc().nulls_last(), MENTION.c.id).limit(top)
        async with self._sessions() as session:
            db = await session.connection()
            count = (await db.execute(counted)).scalar_one()
            rows = (await db.execute(best)).mappings().all()
        return MentionDigest(int(count), [Mention.model_validate(dict(row)) for row in rows])

    async def get(self, network: str, post_id: str) -> Mention | None:
        fields = [MENTION.c[name] for name in MENTION_FIELDS]
        query = select(*fields).where(MENTION.c.network == network, MENTION.c.post_id == post_id)
        async with self._sessions() as session:
            row = (await (await session.connection()).execute(query)).mappings().first()
        return Mention.model_validate(dict(row)) if row else None

    async def counts(self, topic: str | Sequence[str], spans: Sequence[tuple[datetime, datetime]]) -> list[int]:
        """Mentions of ``topic`` first seen in each span, in one range scan of the topic's index (a
        mention of two of the topics counted once)."""
        if not spans:
            return []
        topics = [topic] if isinstance(topic, str) else list(topic)
        seen = TOPIC.c.seen_at
        sums = [
            func.count(func.distinct(case(((seen >= a) & (seen < b), TOPIC.c.mention_id), else_=None)))
            for a, b in spans
        ]
        lowest, highest = min(a for a, _ in spans), max(b for _, b in spans)
        query = select(*sums).where(TOPIC.c.topic.in_(topics), seen >= lowest, seen < highest)
        async with self._sessions() as session:
            row = (await (await session.connection()).execute(query)).one()
        return [int(v) for v in row]

    async def first_seen(self, topics: Sequence[str], since: datetime, until: datetime) -> datetime | None:
        query = select(func.min(TOPIC.c.seen_at)).where(
            TOPIC.c.topic.in_(list(topics)), TOPIC.c.seen_at >= since, TOPIC.c.seen_at <= until
        )
        async with self._sessions() as session:
            found = (await (await session.connection()).execute(query)).scalar()
        return found  # type: ignore[no-any-return]  # min() keeps the column's type: an aware datetime


def write_batch(db: Connection, source: str, batch: Sequence[Matched], at: datetime) -> Stored:
    """The whole batch in the caller's transaction. Within a batch the same post may come twice
    (a tool resending): each is compared with what the batch itself already stored. A post's
    topics are written with its first version only: a re-sent post is not a new mention."""
    stored = _write_mentions(db, source, [m.mention for m in batch], at)
    topics = {(m.mention.network, m.mention.post_id): m.topics for m in batch}
    rows = [{"mention_id": i, "topic": t, "seen_at": at} for key, i in stored.new.items() for t in topics[key]]
    if rows:
        db.execute(insert(TOPIC), rows)
    _raise_viral(db, [m for m in batch if m.viral and m.topics], at)
    return Stored(stored.accepted, stored.duplicates)


def _raise_viral(db: Connection, viral: Sequence[Matched], at: datetime) -> None:
    """One alert per viral post, ever: a clash on the key means another batch raised it first."""
    if not viral:
        return
    rows = {
        f"viral:{m.mention.network}:{m.mention.post_id}": {
            "kind": AlertKind.VIRAL.value,
            "topic": m.topics[0],
            "key": f"viral:{m.mention.network}:{m.mention.post_id}",
            "status": AlertStatus.PENDING.value,
            "raised_at": at,
            "window_start": at,
            "window_count": 1,
            "baseline_count": 0,
            "reason": m.viral,
            "network": m.mention.network,
            "post_id": m.mention.post_id,
        }
        for m in viral
    }
    statement = (pg_insert if db.dialect.name == "postgresql" else sqlite_insert)(ALERT)
    values = [{**row, "active_key": key} for key, row in rows.items()]
    db.execute(statement.on_conflict_do_nothing(index_elements=["active_key"]), values)


@dataclass
class _Written:
    accepted: int
    duplicates: int
    new: dict[tuple[str, str], int]  # posts first seen in this batch, and their ids


def _write_mentions(db: Connection, source: str, batch: Sequence[Mention], at: datetime) -> _Written:
    by_network: dict[str, set[str]] = {}
    for m in batch:
        by_network.setdefault(m.network, set()).add(m.post_id)
    known: dict[tuple[str, str], list[Any]] = {}
    # one equality and one IN per network: both backends use the (network, post_id) index for
    # that, where a row-value IN made SQLite scan the whole table (a second per batch at 1M)
    columns = (MENTION.c.network, MENTION.c.post_id, MENTION.c.id, MENTION.c.content_hash, MENTION.c.versions)
    for network, post_ids in by_network.items():
        ordered = sorted(post_ids)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            rows = db.execute(select(*columns).where(MENTION.c.network == network, MENTION.c.post_id.in_(chunk)))
            known.update({(r.network, r.post_id): [r.id, r.content_hash, r.versions] for r in rows.all()})
    new: dict[tuple[str, str], Mention] = {}
    later: list[Mention] = []  # known posts, and new ones sent again within the batch
    for mention in batch:
        key = (mention.network, mention.post_id)
        if key in known or key in new:
            later.append(mention)
        else:
            new[key] = mention
    if new:
        records = [_record(m, source, at) for m in new.values()]
        ids = [int(i) for i in db.execute(INSERT_MENTIONS, records).scalars()]
        for key, mention_id, record in zip(new, ids, records, strict=True):
            known[key] = [mention_id, record["content_hash"], 1]
        db.execute(insert(VERSION), [_version(m, known[k][0], 1, source, at) for k, m in new.items()])
    accepted, duplicates = len(new), 0
    refreshed: dict[int, dict[str, Any]] = {}
    revised: dict[int, dict[str, Any]] = {}
    versions: list[dict[str, Any]] = []
    for mention in later:
        state = known[(mention.network, mention.post_id)]
        mention_id, digest = state[0], mention.content_hash
        counts = {f"b_{c}": getattr(mention, c) for c in COUNTS}
        if digest == state[1]:
            duplicates += 1
            if mention_id in revised:
                revised[mention_id].update(counts)
            else:
                refreshed[mention_id] = {"b_id": mention_id, "b_seen": at, **counts}
            continue
        accepted += 1
        state[1], state[2] = digest, state[2] + 1
        versions.append(_version(mention, mention_id, state[2], source, at))
        refreshed.pop(mention_id, None)
        content = {f"b_{c}": getattr(mention, c) for c in CONTENT}
        revised[mention_id] = {"b_id": mention_id, "b_seen": at, "b_hash": digest, "b_versions": state[2]}
        revised[mention_id].update({**counts, **content})
    if versions:
        db.execute(insert(VERSION), versions)
    if refreshed:
        db.execute(REFRESH, list(refreshed.values()))
    if revised:
        db.execute(REVISE, list(revised.values()))
    return _Written(accepted, duplicates, {key: known[key][0] for key in new})


def _record(mention: Mention, source: str, at: datetime) -> dict[str, Any]:
    return {
        **mention.model_dump(),
        "source": source,
        "first_seen_at": at,
        "last_seen_at": at,
        "content_hash": mention.content_hash,
        "versions": 1,
    }


def _version(mention: Mention, mention_id: int, number: int, source: str, at: datetime) -> dict[str, Any]:
    return {
        "mention_id": mention_id,
        "number": number,
        "seen_at": at,
        "source": source,
        "content_hash": mention.content_hash,
        **{c: getattr(mention, c) for c in CONTENT},
    }
