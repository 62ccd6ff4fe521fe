"""``POST /intake/{source}`` end to end: real HTTP requests to the running route, the database
checked afterwards (SQLite, and PostgreSQL when it answers)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.console.workspace import ConsoleChat, ConsoleWorkspace
from bot.adapters.http.intake import MAX_BODY, sign
from tests.adapters.http.intake_support import IntakeClient, mention, running_intake
from tests.conftest import CoreFactory


@pytest.fixture
async def intake(make_core: CoreFactory, ws: ConsoleWorkspace) -> AsyncIterator[IntakeClient]:
    async with running_intake(make_core(ConsoleChat(ws)).service) as client:
        yield client


async def rows(engine: AsyncEngine, query: str) -> list[Any]:
    async with engine.connect() as db:
        return list((await db.execute(text(query))).all())


async def counts(engine: AsyncEngine) -> tuple[int, int]:
    [(mentions,)] = await rows(engine, "SELECT count(*) FROM mention")
    [(versions,)] = await rows(engine, "SELECT count(*) FROM mention_version")
    return mentions, versions


async def test_a_signed_batch_is_stored_with_its_first_version(intake: IntakeClient, engine: AsyncEngine) -> None:
    status, answer = await intake.send({"mentions": [mention("1"), mention("2", text="Still waiting")]})
    assert (status, answer) == (200, {"accepted": 2, "duplicates": 0, "rejected": []})
    stored = await rows(
        engine, "SELECT network, post_id, author_handle, followers, reach, text FROM mention ORDER BY post_id"
    )
    assert [tuple(r) for r in stored] == [
        ("x", "1", "@jane", 1200, 5400, "My parcel is three weeks late and nobody answers"),
        ("x", "2", "@jane", 1200, 5400, "Still waiting"),
    ]
    assert await counts(engine) == (2, 2)


async def test_one_mention_as_the_whole_body(intake: IntakeClient, engine: AsyncEngine) -> None:
    assert await intake.send(mention("7")) == (200, {"accepted": 1, "duplicates": 0, "rejected": []})
    assert await counts(engine) == (1, 1)


async def test_a_resent_mention_refreshes_its_counts_and_never_duplicates(
    intake: IntakeClient, engine: AsyncEngine
) -> None:
    await intake.send({"mentions": [mention("1")]})
    again = mention("1", metrics={"reach": 90000, "likes": 400, "reposts": 80, "replies": 30})
    status, answer = await intake.send({"mentions": [again]})
    assert (status, answer) == (200, {"accepted": 0, "duplicates": 1, "rejected": []})
    assert await counts(engine) == (1, 1)
    [(reach, likes, versions)] = await rows(engine, "SELECT reach, likes, versions FROM mention")
    assert (reach, likes, versions) == (90000, 400, 1)


async def test_an_edit_and_a_deletion_are_new_versions_and_the_first_text_stays(
    intake: IntakeClient, engine: AsyncEngine
) -> None:
    await intake.send({"mentions": [mention("1", text="Your CEO lied to us")]})
    assert (await intake.send({"mentions": [mention("1", text="Your CEO misled us")]}))[1]["accepted"] == 1
    assert (await intake.send({"mentions": [mention("1", text="", deleted=True)]}))[1]["accepted"] == 1
    versions = await rows(engine, "SELECT number, text, deleted, content_hash FROM mention_version ORDER BY number")
    assert [(n, t, bool(d)) for n, t, d, _ in versions] == [
        (1, "Your CEO lied to us", False),
        (2, "Your CEO misled us", False),
        (3, "", True),
    ]
    assert len({h for *_, h in versions}) == 3
    assert all(len(h) == 64 for *_, h in versions)
    [(current, deleted, count)] = await rows(engine, "SELECT content_hash, deleted, versions FROM mention")
    assert (current, bool(deleted), count) == (versions[-1][3], True, 3)


async def test_the_same_post_twice_in_one_batch_is_one_post(intake: IntakeClient, engine: AsyncEngine) -> None:
    status, answer = await intake.send({"mentions": [mention("1"), mention("1"), mention("1", text="edited")]})
    assert (status, answer) == (200, {"accepted": 2, "duplicates": 1, "rejected": []})
    assert await counts(engine) == (1, 2)


async def test_a_bad_item_is_named_and_the_good_ones_are_stored(intake: IntakeClient, engine: AsyncEngine) -> None:
    bad_followers = mention("2", author={"handle": "@bob", "followers": "many"})
    no_text = {k: v for k, v in mention("3").items() if k != "text"}
    status, answer = await intake.send({"mentions": [mention("1"), bad_followers, no_text, "oops"]})
    assert status == 200
    assert answer["accepted"] == 1
    assert [(r["index"], r["field"]) for r in answer["rejected"]] == [(1, "author.followers"), (2, "text"), (3, "")]
    assert "integer" in answer["rejected"][0]["message"]
    assert answer["rejected"][1]["message"] == "this field is required"
    assert await counts(engine) == (1, 1)


@pytest.mark.parametrize(
    ("secret", "age", "field"),
    [
        (None, 0, "X-Crisisbot-Request-Timestamp"),
        ("not-the-secret", 0, "X-Crisisbot-Signature"),
        ("s3cret-for-tests", 301, "X-Crisisbot-Request-Timestamp"),
        # 302: the stamp is whole seconds (rounded down), so 301 ahead can arrive as 300.x ahead
        ("s3cret-for-tests", -302, "X-Crisisbot-Request-Timestamp"),
    ],
    ids=["unsigned", "wrong-secret", "stale", "from-the-future"],
)
async def test_an_unsigned_or_stale_request_is_401_and_stores_nothing(
    intake: IntakeClient, engine: AsyncEngine, secret: str | None, age: int, field: str
) -> None:
    status, answer = await intake.send({"mentions": [mention()]}, secret=secret, at=time.time() - age)
    assert status == 401
    assert answer["field"] == field
    assert await counts(engine) == (0, 0)


async def test_a_signature_over_another_body_is_refused(intake: IntakeClient, engine: AsyncEngine) -> None:
    stamp = str(int(time.time()))
    forged = sign("s3cret-for-tests", stamp, b'{"mentions": []}')
    headers = {"X-Crisisbot-Request-Timestamp": stamp, "X-Crisisbot-Signature": forged}
    status, _ = await intake.send({"mentions": [mention()]}, secret=None, headers=headers)
    assert status == 401
    assert await counts(engine) == (0, 0)


async def test_a_source_without_a_secret_refuses_everything(
    make_core: CoreFactory, ws: ConsoleWorkspace, engine: AsyncEngine
) -> None:
    async with running_intake(make_core(ConsoleChat(ws)).service, secrets={}) as client:
        status, answer = await client.send({"mentions": [mention()]})
    assert status == 401
    assert "not set up" in answer["error"]
    assert await counts(engine) == (0, 0)


async def test_an_unknown_source_is_404(intake: IntakeClient, engine: AsyncEngine) -> None:
    status, answer = await intake.send({"mentions": [mention()]}, source="nosuchtool")
    assert (status, answer["field"]) == (404, "source")
    assert await counts(engine) == (0, 0)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "the body is not valid JSON"),
        (b"[1, 2]", "the body is JSON but not an object"),
        (b"\xff\xfe", "the body is not UTF-8"),
    ],
)
async def test_a_malformed_body_is_400_naming_the_body(
    intake: IntakeClient, engine: AsyncEngine, raw: bytes, message: str
) -> None:
    status, answer = await intake.send(None, raw=raw)
    assert (status, answer) == (400, {"error": message, "field": "body"})
    assert await counts(engine) == (0, 0)


async def test_mentions_that_are_not_a_list_are_400(intake: IntakeClient, engine: AsyncEngine) -> None:
    status, answer = await intake.send({"mentions": {"id": "1"}})
    assert (status, answer["field"]) == (400, "mentions")


async def test_a_batch_over_the_count_limit_is_refused_whole(intake: IntakeClient, engine: AsyncEngine) -> None:
    status, answer = await intake.send({"mentions": [mention(str(i)) for i in range(501)]})
    assert (status, answer["field"]) == (400, "mentions")
    assert "at most 500" in answer["error"]
    assert await counts(engine) == (0, 0)


async def test_an_oversized_body_is_413_and_stores_nothing(intake: IntakeClient, engine: AsyncEngine) -> None:
    huge = json.dumps({"mentions": [mention("1", text="x" * MAX_BODY)]}).encode()
    status, answer = await intake.send(None, raw=huge)
    assert (status, answer["field"]) == (413, "body")
    assert await counts(engine) == (0, 0)


async def test_a_mapped_source_takes_its_own_shape(intake: IntakeClient, engine: AsyncEngine) -> None:
    item = {
        "source": {"network": "Instagram", "post_id": 98765, "url": "https://instagram.com/p/98765"},
        "user": {"screen_name": "@lea", "display_name": "Léa", "followers_count": 180000, "is_verified": True},
        "content": {"body": "Le produit m'a brûlé la main", "language": "fr"},
        "published": "2026-12-03T09:58:00+01:00",
        "stats": {"impressions": 250000, "engagement": {"likes": 900, "shares": 120, "comments": 45}},
    }
    bad = {**item, "user": {"screen_name": "@x", "followers_count": -3}, "source": {"network": "x", "post_id": 1}}
    status, answer = await intake.send({"data": {"results": [item, bad]}}, source="webhook")
    assert status == 200
    assert answer["accepted"] == 1
    assert [(r["index"], r["field"]) for r in answer["rejected"]] == [(1, "user.followers_count")]
    [row] = await rows(engine, "SELECT network, post_id, author_name, verified, reach, lang, created_at FROM mention")
    assert tuple(row)[:6] == ("instagram", "98765", "Léa", True, 250000, "fr")
