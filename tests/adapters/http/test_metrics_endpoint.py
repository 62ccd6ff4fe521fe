"""``/metrics`` over real HTTP, the requests it measures, and the request id on every answer."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.adapters.http import server
from bot.adapters.http.metrics import METRICS_PATH
from bot.adapters.http.server import Endpoint
from bot.observability.logs import ContextFilter, current_context
from bot.observability.metrics import Metrics
from tests.observability.test_metrics import FAMILIES

log = logging.getLogger(__name__)


async def _intake(request: web.Request) -> web.Response:
    log.warning("intake from %s", request.match_info["source"])
    return web.json_response({"context": dict(current_context())})


async def _broken(_: web.Request) -> web.Response:
    raise RuntimeError("a bug")


ENDPOINTS = [Endpoint("POST", "/intake/{source}", _intake), Endpoint("GET", "/broken", _broken)]


@asynccontextmanager
async def serving(metrics: Metrics | None) -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    runner = await server.start(server.build(ENDPOINTS, metrics=metrics), "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as session:
            yield f"http://127.0.0.1:{server.bound_port(runner)}", session
    finally:
        await runner.cleanup()


async def scrape(base: str, session: aiohttp.ClientSession, accept: str = "") -> tuple[str, str]:
    async with session.get(base + METRICS_PATH, headers={"Accept": accept} if accept else {}) as resp:
        assert resp.status == 200
        return resp.headers["Content-Type"], await resp.text()


async def test_metrics_answers_prometheus_text_with_every_family() -> None:
    metrics = Metrics()
    metrics.command("slack", "start", "ok")
    async with serving(metrics) as (base, session):
        content_type, text = await scrape(base, session)
    assert content_type.startswith("text/plain; version=")
    families = {f.name for f in text_string_to_metric_families(text)}
    assert families >= FAMILIES
    assert 'crisisbot_commands_total{command="start",outcome="ok",platform="slack"} 1.0' in text
    assert "process_resident_memory_bytes" in text


async def test_openmetrics_when_the_scraper_asks() -> None:
    async with serving(Metrics(process=False)) as (base, session):
        content_type, text = await scrape(base, session, accept="application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert text.rstrip().endswith("# EOF")


async def test_no_metrics_route_without_metrics() -> None:
    async with serving(None) as (base, session), session.get(base + METRICS_PATH) as resp:
        assert resp.status == 404


async def test_requests_are_measured_by_route_template_and_status_class() -> None:
    metrics = Metrics(process=False)
    async with serving(metrics) as (base, session):
        for source in ("brandwatch", "talkwalker", "a-source-nobody-configured"):
            async with session.post(f"{base}/intake/{source}", data=b"{}") as resp:
                assert resp.status == 200
        async with session.get(base + "/broken") as resp:
            assert resp.status == 500
        for path in ("/wp-admin", "/.env", "/x" * 30):
            async with session.get(base + path) as resp:
                assert resp.status == 404
        _, text = await scrape(base, session)
    counts = {
        (s.labels["route"], s.labels["status"]): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "crisisbot_http_request_seconds_count"
    }
    assert counts == {("/intake/{source}", "2xx"): 3.0, ("/broken", "5xx"): 1.0, ("unmatched", "4xx"): 3.0}


class Collect(logging.Handler):
    """Keeps the records, stamped with their log context as the bot's own handler stamps them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(ContextFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_every_answer_carries_a_request_id_and_the_lines_about_it_too() -> None:
    collect = Collect()
    logging.getLogger().addHandler(collect)
    try:
        async with serving(None) as (base, session):
            async with session.post(f"{base}/intake/x", data=b"{}", headers={"X-Request-Id": "lb-7f3a"}) as resp:
                assert resp.headers["X-Request-Id"] == "lb-7f3a"
                assert (await resp.json())["context"] == {"request_id": "lb-7f3a"}
            # an id that could smuggle text into the logs is replaced by a fresh one
            async with session.post(f"{base}/intake/x", data=b"{}", headers={"X-Request-Id": "a b\tc" * 30}) as resp:
                fresh = resp.headers["X-Request-Id"]
                assert len(fresh) == 32
                assert fresh.isalnum()
            async with session.get(base + "/nowhere") as resp:
                assert resp.status == 404
                assert len(resp.headers["X-Request-Id"]) == 32
            async with session.get(base + "/broken") as resp:
                assert resp.status == 500
                failed = resp.headers["X-Request-Id"]
    finally:
        logging.getLogger().removeHandler(collect)
    assert current_context() == {}
    intake = [r.context for r in collect.records if r.getMessage() == "intake from x"]  # type: ignore[attr-defined]
    assert intake == [{"request_id": "lb-7f3a"}, {"request_id": fresh}]
    [bug] = [r for r in collect.records if r.exc_info]
    assert bug.context == {"request_id": failed}  # type: ignore[attr-defined]
    assert failed != fresh
