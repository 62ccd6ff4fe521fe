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
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from bot.core.model.mentions import Mention, MentionDigest, Stored
from bot.storage.sessions import sessions
from bot.storage.tables import MENTION_KEY_CONSTRAINT, MENTION_VERSION_CONSTRAINT

MENTION, VERSION = (SQLModel.metadata.tables[t] for t in ("mention", "mention_version"))
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

    async def store(self, source: str, mentions: Sequence[Mention], at: datetime) -> Stored:
        for attempt in range(ATTEMPTS):
            try:
                return await self._sessions.run(functools.partial(write_batch, source=source, batch=mentions, at=at))
            except IntegrityError as exc:
                clash = MENTION_KEY_CONSTRAINT in str(exc.orig) or MENTION_VERSION_CONSTRAINT in str(exc.orig)
                sqlite_clash = "UNIQUE constraint failed: mention" in str(exc.orig)
                if attempt == ATTEMPTS - 1 or not (clash or sqlite_clash):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def digest(self, since: datetime, top: int) -> MentionDigest:
        window = MENTION.c.first_seen_at >= since
        fields = [MENTION.c[name] for name in MENTION_FIELDS]
        best = select(*fields).where(window).order_by(MENTION.c.reach.desc().nulls_last(), MENTION.c.id).limit(top)
        async with self._sessions() as session:
            db = await session.connection()
            count = (await db.execute(select(func.count()).select_from(MENTION).where(window))).scalar_one()
            rows = (await db.execute(best)).mappings().all()
        return MentionDigest(int(count), [Mention.model_validate(dict(row)) for row in rows])


def write_batch(db: Connection, source: str, batch: Sequence[Mention], at: datetime) -> Stored:
    """The whole batch in the caller's transaction. Within a batch the same post may come twice
    (a tool resending): each is compared with what the batch itself already stored."""
    keys = list({(m.network, m.post_id) for m in batch})
    known: dict[tuple[str, str], list[Any]] = {}
    for start in range(0, len(keys), 500):
        rows = db.execute(
            select(
                MENTION.c.network, MENTION.c.post_id, MENTION.c.id, MENTION.c.content_hash, MENTION.c.versions
            ).where(tuple_(MENTION.c.network, MENTION.c.post_id).in_(keys[start : start + 500]))
        ).all()
        known.update({(r.network, r.post_id): [r.id, r.content_hash, r.versions] for r in rows})
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
    return Stored(accepted, duplicates)


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
