"""The shared HTTP server: health routes, platforms' routes side by side, and how a route fails."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.http import server
from bot.adapters.http.server import Endpoint, Readiness, ReadinessCheck
from bot.storage.engine import create_async_db_engine
from bot.storage.health import database_readiness

Answer = tuple[int, dict[str, Any]]


@dataclass
class Verdict:
    """A readiness a test flips at will."""

    ready: bool = True
    why: str = ""
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Client:
    base: str
    session: aiohttp.ClientSession

    async def get(self, path: str) -> Answer:
        async with self.session.get(self.base + path) as resp:
            return resp.status, await resp.json()

    async def post(self, path: str) -> Answer:
        async with self.session.post(self.base + path, data=b"{}") as resp:
            return resp.status, await resp.json(content_type=None)


@asynccontextmanager
async def serving(endpoints: Iterable[Endpoint] = (), **options: Any) -> AsyncIterator[Client]:
    runner = await server.start(server.build(endpoints, **options), "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as session:
            yield Client(f"http://127.0.0.1:{server.bound_port(runner)}", session)
    finally:
        await runner.cleanup()


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info]


def counting(verdict: Readiness, calls: list[int]) -> ReadinessCheck:
    async def check() -> Readiness:
        calls.append(1)
        return verdict

    return check


def answering(body: dict[str, str]) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({**body, **request.match_info})

    return handler


async def test_liveness_never_asks_the_readiness_check() -> None:
    calls: list[int] = []
    async with serving(ready=counting(Verdict(ready=False, why="db down"), calls)) as client:
        assert await client.get("/healthz") == (200, {"status": "ok"})
    assert calls == [], "/healthz must stay cheap: no database, nothing that can hang"


async def test_readiness_follows_the_check_and_logs_only_changes(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=server.__name__)
    verdict = Verdict(details={"schema": "0005"})
    async with serving(ready=counting(verdict, [])) as client:
        assert await client.get("/readyz") == (200, {"status": "ready", "details": {"schema": "0005"}})
        verdict.ready, verdict.why = False, "the database did not answer within 2 s"
        for _ in range(3):
            status, body = await client.get("/readyz")
            assert (status, body["status"], body["why"]) == (503, "not ready", verdict.why)
        verdict.ready = True
        assert (await client.get("/readyz"))[0] == 200
    said = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert said == [("WARNING", f"not ready: {verdict.why}"), ("INFO", "ready again")], "one line per change"


async def test_readyz_is_only_served_with_a_check() -> None:
    async with serving() as client, client.session.get(client.base + "/readyz") as resp:
        assert resp.status == 404


async def test_a_readiness_check_that_raises_is_not_ready_with_one_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken() -> Readiness:
        raise RuntimeError("bug in the check")

    async with serving(ready=broken) as client:
        for _ in range(2):
            assert await client.get("/readyz") == (
                503,
                {"status": "not ready", "why": "the readiness check failed (RuntimeError)"},
            )
    assert len(tracebacks(caplog)) == 1, "logged when it started failing, not at every probe"


async def test_a_readiness_check_that_hangs_is_not_ready_at_its_bound() -> None:
    async def stuck() -> Readiness:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async with serving(ready=stuck, ready_timeout=0.05) as client:
        assert await client.get("/readyz") == (
            503,
            {"status": "not ready", "why": "the readiness check did not finish within 0.05 s"},
        )


@pytest.mark.parametrize("migrated", [True, False])
async def test_readyz_reflects_the_database(migrated: bool, sqlite_url: str, tmp_path: Path) -> None:
    engine: AsyncEngine = create_async_db_engine(sqlite_url if migrated else f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        async with serving(ready=database_readiness(engine)) as client:
            status, body = await client.get("/readyz")
    finally:
        await engine.dispose()
    if migrated:
        assert (status, body["status"], body["details"]["database"]) == (200, "ready", "sqlite")
    else:
        assert (status, body["status"]) == (503, "not ready")
        assert "crisisbot migrate" in body["why"]


async def test_platforms_serve_their_routes_side_by_side(caplog: pytest.LogCaptureFixture) -> None:
    endpoints = [
        Endpoint("POST", "/slack/events", answering({"platform": "slack"})),
        Endpoint("POST", "/api/messages", answering({"platform": "teams"}), deadline=15),
        Endpoint("POST", "/intake/{source}", answering({"platform": "intake"})),
    ]
    async with serving(endpoints) as client:
        assert await client.post("/slack/events") == (200, {"platform": "slack"})
        assert await client.post("/api/messages") == (200, {"platform": "teams"})
        assert await client.post("/intake/mentions") == (200, {"platform": "intake", "source": "mentions"})
        async with client.session.get(client.base + "/api/messages") as resp:
            assert resp.status == 405
        async with client.session.post(client.base + "/nowhere") as resp:
            assert resp.status == 404
    assert tracebacks(caplog) == []


async def test_a_bug_in_a_route_answers_500_and_logs_one_traceback(caplog: pytest.LogCaptureFixture) -> None:
    async def buggy(_: web.Request) -> web.Response:
        raise KeyError("user")

    async def times_out_by_itself(_: web.Request) -> web.Response:
        raise TimeoutError("the handler's own timeout, not the route's deadline")

    endpoints = [Endpoint("POST", "/bug", buggy), Endpoint("POST", "/own-timeout", times_out_by_itself, deadline=5)]
    async with serving(endpoints) as client:
        assert await client.post("/bug") == (500, {"error": "internal error"})
        assert await client.post("/own-timeout") == (500, {"error": "internal error"})
    logged = tracebacks(caplog)
    assert [r.getMessage() for r in logged] == [
        "POST /bug failed; answered 500",
        "POST /own-timeout failed; answered 500",
    ], "one traceback each: ours, and none from aiohttp"


async def test_a_route_stuck_past_its_deadline_answers_503_and_logs_where(caplog: pytest.LogCaptureFixture) -> None:
    cancelled = asyncio.Event()

    async def stuck_on_the_database(_: web.Request) -> web.Response:
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        raise AssertionError("unreachable")

    async with serving([Endpoint("POST", "/slow", stuck_on_the_database, deadline=0.05)]) as client:
        assert await client.post("/slow") == (503, {"error": "timed out", "deadline_s": 0.05})
    assert cancelled.is_set(), "the stuck handler is cancelled, not left running"
    (record,) = tracebacks(caplog)
    assert record.getMessage() == "POST /slow: no answer within 0.05 s; cancelled, answered 503"
    assert "stuck_on_the_database" in caplog.text, "the traceback shows where it was stuck"
