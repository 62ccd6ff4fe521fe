"""Benchmark the listening intake: sustained signed batches, and the same with a million mentions stored.

Two processes: a child serves the real ``POST /intake/{source}`` route (composed as ``crisisbot
serve`` composes it, on a temporary SQLite file or a throwaway PostgreSQL database), this one
sends batches of 100 signed mentions with a few requests in flight and times each request. Then
(``--million``) the store is filled to 1,000,000 mentions and the same run is made again: the
intake rate must stay within 20%, the war-room digest query (mentions of the last minute, top
three by reach) must answer under 50 ms, and the serving process's memory must stay flat.

    python -m bench.intake [--batches 300] [--concurrency 4] [--million] [--pg-url URL]

Prints figures and ratios with PASS or MISS; always exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import math
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

if not __package__:  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from rich.console import Console
from sqlalchemy import insert, text

from bench.children import stop
from bench.slack_start import database, pct, verdict
from bot import container
from bot.adapters.console.workspace import ConsoleChat, ConsoleWorkspace
from bot.adapters.http import server
from bot.adapters.http.intake import SIGNATURE_HEADER, TIMESTAMP_HEADER, intake_endpoint, sign
from bot.adapters.slack.server import freeze_startup_objects
from bot.config import Settings
from bot.datafiles.plan import load_plan
from bot.storage import migrate
from bot.storage.engine import create_sync_db_engine
from bot.storage.mentions import MENTION

ROOT = Path(__file__).resolve().parent.parent
PLAN_PATH = ROOT / "playbooks" / "plan.yaml"
LATE, BROKEN = "my parcel never arrived, still waiting #fail", "my order from your shop arrived broken, again #fail"
SECRET = "bench-secret"
BATCH = 100
RATE_TARGET = 1000.0  # mentions per second
DIGEST_TARGET_MS = 50.0
SPIKE_TARGET_S = 5.0
MILLION = 1_000_000


# -- the serving process -------------------------------------------------------------------------


async def serve(db_url: str, tick: float) -> None:
    """The intake route on a free port, composed as ``crisisbot serve`` does (the scheduler ticking
    every ``tick`` seconds beside it); prints the port and serves until stdin closes."""
    settings = Settings.model_validate({"database_url": db_url, "plan_path": PLAN_PATH})
    loaded = load_plan(PLAN_PATH)
    renderer, _ = container.frameworks_from(settings)
    async with container.storage(settings) as store:
        chat = ConsoleChat(ConsoleWorkspace(loaded.plan, Console(file=io.StringIO(), quiet=True)))
        core = container.build_core(loaded, store, chat, renderer)
        app = server.build([intake_endpoint(core.service, {"generic": SECRET})])
        runner = await server.start(app, "127.0.0.1", 0)
        freeze_startup_objects()
        try:
            async with container.background(core, tick):
                print(server.bound_port(runner), flush=True)
                await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        finally:
            await runner.cleanup()


@asynccontextmanager
async def serving(db_url: str, tick: float) -> AsyncIterator[tuple[str, int]]:
    """(intake URL, pid) of a fresh serving process."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.intake", "--serve", db_url, "--tick", str(tick),
        cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        port = int((await asyncio.wait_for(proc.stdout.readline(), 60)).strip())
        yield f"http://127.0.0.1:{port}/intake/generic", proc.pid
    finally:
        await stop(proc)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


# -- the sender ------------------------------------------------------------------------------------


def bodies(run: str, count: int) -> list[bytes]:
    """``count`` batches of 100 distinct mentions, in the generic shape."""
    out = []
    for b in range(count):
        mentions = [
            {
                "network": "x",
                "id": f"{run}-{b}-{i}",
                "url": f"https://x.com/someone/status/{run}{b}{i}",
                "author": {"handle": f"@user{i}", "name": "Some One", "followers": 100 * i, "verified": i == 7},
                # one in ten is about a topic of the plan (deliveries), as a crisis's share of the traffic
                "text": f"Batch {b} mention {i}: " + (LATE if i % 10 == 0 else BROKEN),
                "lang": "en",
                "created_at": "2026-12-03T10:00:00Z",
                "metrics": {"reach": (b * 7919 + i * 104729) % 500_000, "likes": i, "reposts": 1, "replies": 0},
            }
            for i in range(BATCH)
        ]
        out.append(json.dumps({"mentions": mentions}).encode())
    return out


async def send_all(url: str, batches: Sequence[bytes], concurrency: int) -> tuple[float, list[float], int]:
    """(seconds, request latencies, failures) for sending every batch, ``concurrency`` in flight."""
    latencies: list[float] = []
    failures = 0
    todo = iter(batches)
    async with aiohttp.ClientSession() as session:

        async def worker() -> None:
            nonlocal failures
            for body in todo:
                stamp = str(int(time.time()))
                headers = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(SECRET, stamp, body)}
                sent = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as resp:
                    answer = await resp.json(content_type=None)
                latencies.append(time.perf_counter() - sent)
                failures += resp.status != 200 or answer.get("accepted") != BATCH

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - began, latencies, failures


async def run_once(url: str, pid: int, run: str, args: argparse.Namespace) -> tuple[float, float, float]:
    """(mentions/s, p99 ms, RSS growth MB) of one sustained run after a warm-up."""
    await send_all(url, bodies(f"{run}w", 10), args.concurrency)
    batches = bodies(run, args.batches)
    rss_before = rss_mb(pid)
    seconds, latencies, failures = await send_all(url, batches, args.concurrency)
    rss_after = rss_mb(pid)
    rate = len(batches) * BATCH / seconds
    p50, p99 = pct(latencies, 0.5) * 1000, pct(latencies, 0.99) * 1000
    print(
        f"   {len(batches) * BATCH} mentions in {seconds:.1f} s: {rate:,.0f} mentions/s; request p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms, max {max(latencies) * 1000:.1f} ms; failures {failures}; "
        f"RSS {rss_before:.0f} -> {rss_after:.0f} MB"
    )
    return rate, p99, rss_after - rss_before


async def spike_latency(url: str, db_url: str) -> float | None:
    """Seconds from the request that crosses the delivery topic's spike threshold (30 mentions) to
    its "Possible crisis" card being posted, polled in the database every 20 ms."""
    burst = [
        json.dumps(
            {
                "mentions": [
                    {
                        "network": "x",
                        "id": f"spike-{b}-{i}",
                        "text": "where is my parcel?",
                        "created_at": "2026-12-03T10:00:00Z",
                    }
                    for i in range(10)
                ]
            }
        ).encode()
        for b in range(3)
    ]
    await send_all(url, burst, 1)
    crossed = time.perf_counter()
    engine = create_sync_db_engine(db_url)
    try:
        while time.perf_counter() - crossed < 30:
            with engine.connect() as db:
                if db.execute(text("SELECT count(*) FROM listening_alert WHERE status = 'posted'")).scalar_one():
                    return time.perf_counter() - crossed
            await asyncio.sleep(0.02)
    finally:
        engine.dispose()
    return None


# -- the store ---------------------------------------------------------------------------------------


def preload(db_url: str, count: int) -> float:
    """Fill the store with ``count`` mentions seen a day ago (outside every digest window), each
    with its first version; returns seconds."""
    began = time.perf_counter()
    engine = create_sync_db_engine(db_url)
    seen = datetime.now(UTC) - timedelta(days=1)
    try:
        with engine.begin() as db:
            for start in range(0, count, 50_000):
                rows = [
                    {
                        "network": "x", "post_id": f"pre-{i}", "source": "generic", "url": None,
                        "author_handle": f"@user{i % 5000}", "author_name": None, "followers": i % 100_000,
                        "verified": False, "lang": "en", "created_at": seen, "first_seen_at": seen,
                        "last_seen_at": seen, "reach": (i * 7919) % 1_000_000, "likes": None, "reposts": None,
                        "replies": None, "in_reply_to": None, "text": f"preloaded mention {i}", "deleted": False,
                        "content_hash": f"{i:064x}", "versions": 1,
                    }
                    for i in range(start, min(count, start + 50_000))
                ]  # fmt: skip
                db.execute(insert(MENTION), rows)
            db.execute(
                text(
                    "INSERT INTO mention_version (mention_id, number, seen_at, source, content_hash, text, deleted) "
                    "SELECT id, 1, first_seen_at, source, content_hash, text, deleted FROM mention "
                    "WHERE post_id LIKE 'pre-%'"
                )
            )
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
                db.execute(text("ANALYZE mention"))
    finally:
        engine.dispose()
    return time.perf_counter() - began


async def digest_ms(db_url: str, topics: Sequence[str] | None = None, repeats: int = 20) -> float:
    """p50 of the digest query: mentions first seen in the last minute, top three by reach; with
    ``topics``, as the war room asks it (its crisis's topics), else over every mention."""
    async with container.storage(Settings.model_validate({"database_url": db_url})) as store:
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            found = await store.mentions.digest(datetime.now(UTC) - timedelta(minutes=1), 3, topics)
            times.append(time.perf_counter() - began)
        about = f"about {', '.join(topics)}" if topics else "in all"
        top = found.top[0].reach if found.top else 0
        print(f"   digest: {found.count} mentions {about} in the last minute, top reach {top}")
    return pct(times, 0.5) * 1000


async def main(args: argparse.Namespace) -> None:
    where = "PostgreSQL" if args.pg_url else "SQLite"
    print(f"crisisbot intake benchmark on {where}: batches of {BATCH}, signed, {args.concurrency} requests in flight")
    with tempfile.TemporaryDirectory(prefix="crisisbot-bench-") as tmp, database(tmp, args.pg_url) as db_url:
        migrate.upgrade(db_url)
        print(" empty store")
        async with serving(db_url, args.tick) as (url, pid):
            rate, p99, _ = await run_once(url, pid, "a", args)
            alerted = await spike_latency(url, db_url)
        verdict_alert = verdict(alerted is not None and alerted <= SPIKE_TARGET_S)
        shown = f"{alerted:.2f} s" if alerted is not None else "no alert within 30 s"
        print(f"   spike alert posted {shown} after the threshold was crossed (target <= 5 s): {verdict_alert}")
        print(
            f"   rate {rate:,.0f}/s (target >= {RATE_TARGET:,.0f}/s): {verdict(rate >= RATE_TARGET)}; p99 {p99:.1f} ms"
        )
        if not args.million:
            return
        print(f" {MILLION:,} mentions stored (preloaded in {preload(db_url, MILLION):.0f} s)")
        async with serving(db_url, args.tick) as (url, pid):
            big_rate, big_p99, _ = await run_once(url, pid, "b", args)
            growth = [(await run_once(url, pid, f"c{i}", args))[2] for i in range(args.rounds)]
        ratio = big_rate / rate
        print(f"   rate {big_rate:,.0f}/s = {ratio:.2f}x the empty store's (target >= 0.80): {verdict(ratio >= 0.8)}")
        grew = ", ".join(f"{g:+.1f} MB" for g in growth)
        print(f"   p99 {big_p99:.1f} ms; RSS growth per round of {args.batches * BATCH:,} mentions: {grew}")
        flat = all(g < 5 for g in growth[1:]) if len(growth) > 1 else growth[0] < 5
        print(f"   memory flat (later rounds grow < 5 MB): {verdict(flat)}")
        topics = sorted(load_plan(PLAN_PATH).plan.monitoring.topics)
        for label, chosen in (("war room (its crisis's topics)", topics), ("every mention", None)):
            digest = await digest_ms(db_url, chosen)
            fast = verdict(digest < DIGEST_TARGET_MS)
            print(f"   digest query, {label}: p50 {digest:.1f} ms (target < {DIGEST_TARGET_MS:.0f} ms): {fast}")


def cli(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--batches", type=int, default=300, help="batches of 100 per timed run")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    parser.add_argument("--million", action="store_true", help="also run with 1,000,000 mentions stored")
    parser.add_argument("--rounds", type=int, default=3, help="runs after the first at a million, for memory")
    parser.add_argument("--pg-url", help="a throwaway database on this PostgreSQL server (default: a SQLite file)")
    parser.add_argument("--tick", type=float, default=5.0, help="the scheduler's interval (serve's: 5 s)")
    parser.add_argument("--serve", metavar="DB_URL", help=argparse.SUPPRESS)  # the serving process
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(serve(args.serve, args.tick))
    else:
        asyncio.run(main(args))


if __name__ == "__main__":
    cli()
