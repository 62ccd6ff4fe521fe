"""Benchmark the Slack adapter: how fast ``/crisis`` is acknowledged, and how fast a war room is ready.

Three processes, so that no timing waits on another role's work (the machine has few cores, and
an event loop is one): this one plays Slack's Web API (the fake from ``tests.fakes``, with
``--latency`` added to every call) and times the sequential declares; a child runs the bot, i.e.
the real crisisbot Bolt app and a bare Bolt app that only acks, both served with aiohttp on
127.0.0.1 over a temporary, migrated SQLite file; another child sends and times the concurrent
signed slash commands of the ack benchmark.

    python -m bench.slack_start [--latency 0.1] [--commands 200] [--concurrency 20] [--declares 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

if not __package__:  # run as a script (python bench/slack_start.py): make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import make_url

from bench.children import stop
from bot import container
from bot.adapters.slack.app import COMMAND
from bot.adapters.slack.server import EVENTS_PATH, bound_port, freeze_startup_objects, start_http
from bot.config import Settings
from bot.datafiles.plan import load_plan
from bot.storage import migrate
from tests.adapters.slack.harness import BOT_TOKEN, SIGNING_SECRET, SlackClientSim, seed_workspace, sign
from tests.fakes import Call, FakeSlack
from tests.storage.fixtures import PgServer

ROOT = Path(__file__).resolve().parent.parent
PLAN_PATH = ROOT / "playbooks" / "plan.yaml"
ACK_TARGET, READY_TARGET = 1.5, 1.3
# The start steps (bot/core/declare.py): create_room, with prepare() (auth.test, e-mail lookups)
# beside it; then invite -> kickoff post -> pin, one after the other, with announce beside them.
# Topic and purpose are background calls; paging needs only the room and the kickoff.
CHAIN = ("conversations.create", "conversations.invite", "chat.postMessage", "pins.add")


async def child(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.slack_start", *args,
        cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip


# -- the bot process -----------------------------------------------------------------------------


async def ack_only(ack: AsyncAck) -> None:
    await ack()


async def serve(base_url: str, pg_url: str | None) -> None:
    """Both apps on free ports, composed as ``crisisbot serve`` does; prints the ports, serves until stdin closes."""
    with tempfile.TemporaryDirectory(prefix="crisisbot-bench-") as tmp, database(tmp, pg_url) as db_url:
        migrate.upgrade(db_url)
        settings = Settings.model_validate(  # these values only: no environment, no .env
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": base_url}
            | {"database_url": db_url, "plan_path": PLAN_PATH}
        )
        renderer, _ = container.frameworks_from(settings)
        async with container.storage(settings) as store:
            crisisbot, core, chat, handlers = container.slack_bot(settings, load_plan(PLAN_PATH), store, renderer)
            # a bare Bolt app as Bolt ships it (default settings), with a listener that only acks
            bare = AsyncApp(
                client=AsyncWebClient(token=BOT_TOKEN, base_url=crisisbot.client.base_url),
                signing_secret=SIGNING_SECRET,
            )
            bare.command(COMMAND)(ack_only)
            freeze_startup_objects()  # as crisisbot serve does
            async with container.background(core):
                runners = [await start_http(app, "127.0.0.1", 0) for app in (crisisbot, bare)]
                print(*(bound_port(r) for r in runners), flush=True)
                await asyncio.to_thread(sys.stdin.read)
                for runner in runners:
                    await runner.cleanup()
                await handlers.drain()
                await chat.aclose()


@contextmanager
def database(tmp: str, pg_url: str | None) -> Iterator[str]:
    """A temporary SQLite file, or a throwaway database on the PostgreSQL server at ``pg_url``."""
    if pg_url is None:
        yield f"sqlite:///{tmp}/bench.db"
        return
    server = PgServer(make_url(pg_url))
    try:
        yield server.create_database()
    finally:
        server.drop_all()


@asynccontextmanager
async def bot_process(base_url: str, pg_url: str | None) -> AsyncIterator[tuple[str, str]]:
    """The bot process; yields the events URLs of (crisisbot, bare Bolt)."""
    proc = await child("--serve", base_url, *(("--pg-url", pg_url) if pg_url else ()))
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        ports = (await asyncio.wait_for(proc.stdout.readline(), 60)).split()
        if len(ports) != 2:
            raise RuntimeError("the bot process did not start")
        yield f"http://127.0.0.1:{int(ports[0])}{EVENTS_PATH}", f"http://127.0.0.1:{int(ports[1])}{EVENTS_PATH}"
    finally:
        await stop(proc)


# -- the sender process ----------------------------------------------------------------------------


async def send(url: str, job: dict[str, list[str]], concurrency: int) -> None:
    """Post the warm-up bodies, then time the others; ``concurrency`` in flight. Prints JSON."""
    latencies: list[float] = []
    errors = 0
    async with aiohttp.ClientSession() as session:

        async def worker(todo: Iterator[str]) -> None:
            nonlocal errors
            for body in todo:
                headers = sign(body)  # signed when sent, as Slack does
                sent = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                latencies.append(time.perf_counter() - sent)
                errors += resp.status != 200

        for bodies in (job["warmup"], job["bodies"]):  # warm-up: connections, code paths
            latencies.clear()
            errors = 0
            todo = iter(bodies)
            await asyncio.gather(*(worker(todo) for _ in range(concurrency)))
    print(json.dumps({"latencies": latencies, "errors": errors}))


class Recorder(SlackClientSim):
    """Builds the very command bodies the test harness sends, without sending them."""

    async def post(self, body: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        return 200, ""


async def timed_acks(
    url: str, fake: FakeSlack, texts: Sequence[str], args: argparse.Namespace
) -> tuple[list[float], int, list[str]]:
    """(ack latencies, non-200 count, response_urls) of ``texts``, sent by the sender process."""
    warmup = ["help"] * args.concurrency
    async with aiohttp.ClientSession() as unused:
        recorder = Recorder(url, fake, unused)
        urls = [(await recorder.command(text))[2] for text in [*warmup, *texts]]
    proc = await child("--send", url, "--concurrency", str(args.concurrency))
    job = {"warmup": recorder.sent[: len(warmup)], "bodies": recorder.sent[len(warmup) :]}
    try:
        out, _ = await asyncio.wait_for(proc.communicate(json.dumps(job).encode()), 300)
    finally:
        if proc.returncode is None:  # timed out
            proc.kill()
            await proc.wait()
    result = json.loads(out)
    return result["latencies"], result["errors"], urls[len(warmup) :]


# -- Slack's side ------------------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def row(name: str, values: Sequence[float], high: float, extra: str = "") -> str:
    """p50, p<high> and max in ms."""
    cells = (pct(values, 0.5), pct(values, high), max(values))
    return f"   {name:<34}" + "".join(f"{v * 1000:9.1f}" for v in cells) + extra


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def answered(fake: FakeSlack, url: str, final: str | None) -> bool:
    """A reply came at ``url`` (containing ``final``, when given: a start's "declared.")."""
    replies = fake.responses(url)
    return bool(replies) if final is None else any(final in json.dumps(r) for r in replies)


async def replied(
    fake: FakeSlack, urls: Sequence[str], within: float, poll: float = 0.05, final: str | None = "declared."
) -> int:
    """Wait until each command's final reply came (a start's is sent once its steps are done;
    "Declaring" was the acknowledgement itself); how many did."""
    deadline = time.monotonic() + within
    while True:  # the fake records replies but has no hook to wait on: poll it
        done = sum(answered(fake, u, final) for u in urls)
        if done == len(urls) or time.monotonic() > deadline:
            return done
        await asyncio.sleep(poll)


async def bench_acks(fake: FakeSlack, bot: SlackClientSim, bare_url: str, args: argparse.Namespace) -> None:
    # warm-up (each sender also warms up with --concurrency "help" commands): auth.test, SQL caches
    urls = [(await bot.command(text))[2] for text in ("help", "status", "start troll Bench warm-up")]
    await replied(fake, urls[:2], 30, final=None)
    await replied(fake, urls[2:], 30)
    bare_lat, bare_err, _ = await timed_acks(bare_url, fake, ["start troll Bench crisis"] * args.commands, args)
    texts = [f"start troll Bench crisis {n}" for n in range(args.commands)]
    began = time.monotonic()
    bot_lat, bot_err, urls = await timed_acks(bot.app_url, fake, texts, args)
    done = await replied(fake, urls, 60 + args.commands * args.latency * 10)
    took = time.monotonic() - began
    print(f"\n1. Ack latency: {args.commands} signed /crisis requests, {args.concurrency} in flight (ms)")
    print(f"   {'app':<34}{'p50':>9}{'p99':>9}{'max':>9}  non-200")
    print(row("bare Bolt (ack only)", bare_lat, 0.99, f"  {bare_err}"))
    print(row("crisisbot (start: full declare)", bot_lat, 0.99, f"  {bot_err}"))
    ratio = pct(bot_lat, 0.99) / pct(bare_lat, 0.99)
    print(f"   crisisbot p99 / bare p99 = {ratio:.2f}x (target <= {ACK_TARGET}x): {verdict(ratio <= ACK_TARGET)}")
    print(f"   declares finished in the background: {done}/{len(urls)} in {took:.1f}s")


def dependent_chain(calls: Sequence[Call], latency: float) -> list[Call]:
    """The longest run of calls each sent once the previous one was answered (the latest such one)."""
    chains: list[list[Call]] = []
    for call in calls:  # in the order they were made
        before = [c for c in chains if c[-1].at + latency * 0.9 <= call.at]
        chains.append([*max(before, key=lambda c: (len(c), c[-1].at), default=[]), call])
    return max(chains, key=len, default=[])


def where(call: Call) -> str:
    """Which kind of conversation a chat.postMessage went to."""
    if call.method != "chat.postMessage":
        return ""
    channel = str(call.args.get("channel"))
    return "(DM)" if channel[:1] in "UW" else f"({channel})" if channel.startswith("#") else "(room)"


async def bench_declares(fake: FakeSlack, bot: SlackClientSim, args: argparse.Namespace) -> None:
    latency = args.latency
    ready: list[float] = []
    last_answer: list[float] = []
    off_slack: list[float] = []
    chain: list[Call] = []
    for n in range(-1, args.declares):  # the first one warms up
        sent = time.monotonic()
        _, _, url = await bot.command(f"start complaint sev3 Bench declare {n}")
        if await replied(fake, [url], 30, poll=0.002) < 1 or n < 0:
            continue
        ready.append(time.monotonic() - sent)
        calls = [c for c in fake.calls() if c.at >= sent]
        last_answer.append(max(c.at for c in calls) + latency - sent)
        chain = dependent_chain(calls, latency)
        off_slack.append(ready[-1] - len(chain) * latency)
    if not ready:
        return
    critical = len(CHAIN) * latency
    print(f"\n2. Declare to war room ready: {len(ready)} sequential /crisis start complaint sev3 (ms)")
    trips = f"{len(CHAIN)} dependent Slack round trips x {latency * 1000:.0f} ms"
    print(f"   critical path: {trips} = {critical * 1000:.0f} ms")
    print(f"     {' -> '.join(CHAIN)}, each needing the one before; announce, topic,")
    print("     purpose, auth.test, e-mail lookups, page cards and DMs can all run beside it")
    print(f"   observed: {len(chain)} round trips one after another (last declare):")
    print("     " + " -> ".join(f"{c.method}{where(c)}" for c in chain))
    print(f"   {'':<34}{'p50':>9}{'p90':>9}{'max':>9}")
    print(row("send -> final reply (ready)", ready, 0.9))
    print(row("send -> last Slack call answered", last_answer, 0.9))
    print(row("ready minus observed round trips", off_slack, 0.9))
    ratio = pct(ready, 0.5) / critical
    print(f"   ready p50 / critical path = {ratio:.2f}x (target <= {READY_TARGET}x): {verdict(ratio <= READY_TARGET)}")


async def main(args: argparse.Namespace) -> None:
    async with FakeSlack(valid_tokens=(BOT_TOKEN,), latency=args.latency) as fake, aiohttp.ClientSession() as session:
        seed_workspace(fake, load_plan(PLAN_PATH))
        where = f"PostgreSQL ({args.pg_url})" if args.pg_url else "SQLite"
        print(f"crisisbot Slack benchmark: Web API latency {args.latency * 1000:.0f} ms per call, {where}")
        async with bot_process(fake.base_url, args.pg_url) as (bot_url, bare_url):
            await bench_acks(fake, SlackClientSim(bot_url, fake, session), bare_url, args)
        async with bot_process(fake.base_url, args.pg_url) as (bot_url, _):  # fresh: nothing left of the burst
            await bench_declares(fake, SlackClientSim(bot_url, fake, session), args)


def cli(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to every Web API call")
    parser.add_argument("--commands", type=int, default=200, help="slash commands for the ack benchmark")
    parser.add_argument("--concurrency", type=int, default=20, help="requests in flight in the ack benchmark")
    parser.add_argument("--declares", type=int, default=20, help="sequential declares to time")
    parser.add_argument(
        "--pg-url", help="run the bot on a throwaway database of this PostgreSQL server (default: a SQLite file)"
    )
    parser.add_argument("--serve", metavar="BASE_URL", help=argparse.SUPPRESS)  # the bot process
    parser.add_argument("--send", metavar="URL", help=argparse.SUPPRESS)  # the sender process
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(serve(args.serve, args.pg_url))
    elif args.send:
        asyncio.run(send(args.send, json.loads(sys.stdin.read()), args.concurrency))
    else:
        asyncio.run(main(args))


if __name__ == "__main__":
    cli()
