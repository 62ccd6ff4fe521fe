"""Benchmark a rolling restart: two `serve` replicas on one PostgreSQL, restarted one after the other
(SIGTERM, a new one started, ready, then the other) again and again under steady commands.

What an operator must be able to count on during an upgrade, counted: every command acknowledged
(0 failed acks), every declaration finished exactly once (no room, kickoff, page card or
announcement twice), and no timer lost (every page due climbed, on whichever replica was up).

The load balancer here does what a production one does: it sends each request to the next replica
in rotation, takes a replica out once its `/readyz` fails (probed every second), and sends a
request that a stopping replica refused with 503 to the other one (safe: the refusal comes before
any work; with nginx, `proxy_next_upstream http_503 non_idempotent`). The plan is the shipped one
with every acknowledgement timeout at its 1-minute minimum, so pages climb during the run.

    python -m bench.rolling_restart [--minutes 5] [--rate 2] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if not __package__:  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import psycopg
import yaml
from aiohttp import web
from sqlalchemy.engine import make_url

from bot.datafiles.plan import load_plan
from tests.adapters.slack.harness import BOT_TOKEN, SlackClientSim, seed_workspace
from tests.adapters.slack.test_serve_process import ROOT, free_port
from tests.adapters.test_shutdown import slack_env
from tests.fakes import FakeSlack
from tests.production.effects import post_key
from tests.storage.fixtures import PgServer

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
PROBE_EVERY = 1.0  # how often the balancer asks each replica's /readyz
ANSWER_WITHIN = 120.0  # after the load stops: how long declarations may take to finish (a hang detector)


@dataclass
class Replica:
    name: str
    port: int
    proc: asyncio.subprocess.Process
    logged: list[str] = field(default_factory=list)
    in_rotation: bool = False
    reader: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def read_log(self) -> None:
        assert self.proc.stderr is not None
        async for row in self.proc.stderr:
            self.logged.append(row.decode().rstrip())

    def problems(self) -> list[str]:
        return [r for r in self.logged if " WARNING " in r or " ERROR " in r or "Traceback" in r]


@dataclass
class Tally:
    acks: list[float] = field(default_factory=list)  # seconds, per acknowledged command
    failed: list[str] = field(default_factory=list)  # commands no replica acknowledged
    retried: int = 0  # refused by a stopping replica, acknowledged by the other
    declared: list[str] = field(default_factory=list)  # response_urls of acknowledged declarations
    restarts: int = 0
    stops: list[float] = field(default_factory=list)  # SIGTERM -> exit, seconds


class Balancer:
    """Round-robin over the replicas in rotation; a refusal or a closed port goes to the next."""

    def __init__(self, replicas: list[Replica], session: aiohttp.ClientSession, tally: Tally) -> None:
        self.replicas, self.session, self.tally = replicas, session, tally
        self._turn = itertools.count()

    async def probe_forever(self) -> None:
        while True:
            for replica in list(self.replicas):
                try:
                    async with self.session.get(f"{replica.url}/readyz") as response:
                        replica.in_rotation = response.status == 200
                except aiohttp.ClientError:
                    replica.in_rotation = False
            await asyncio.sleep(PROBE_EVERY)

    async def post(self, body: str, headers: dict[str, str]) -> tuple[int, str]:
        live = [r for r in self.replicas if r.in_rotation] or list(self.replicas)
        first = next(self._turn) % len(live)
        for attempt, replica in enumerate(live[first:] + live[:first]):
            try:
                async with self.session.post(f"{replica.url}/slack/events", data=body, headers=headers) as response:
                    text = await response.text()
                    if response.status == 503 and "shutting down" in text:
                        replica.in_rotation = False
                        continue
                    self.tally.retried += attempt > 0
                    return response.status, text
            except aiohttp.ClientConnectionError:
                replica.in_rotation = False
        return 503, "no replica took it"


class BalancedSlack(SlackClientSim):
    """Slack's side, sending through the balancer instead of to one app."""

    balancer: Balancer | None = None

    async def post(self, body: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        from tests.adapters.slack.harness import sign

        assert self.balancer is not None
        return await self.balancer.post(body, headers or sign(body))


class WatchedSlack(FakeSlack):
    """The fake, telling when answers reach response_urls: the final answer of a declaration
    that another process finishes is the one thing this process can wait on."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._answer = asyncio.Condition()

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        response = await super()._handle_response_url(request)
        async with self._answer:
            self._answer.notify_all()
        return response

    async def answered(self, urls: list[str]) -> None:
        async with self._answer:
            await self._answer.wait_for(lambda: all(self.responses(u) for u in urls))


def fast_plan(folder: Path) -> Path:
    """The shipped plan and playbooks, every acknowledgement timeout at its 1-minute minimum."""
    shutil.copytree(ROOT / "playbooks", folder)
    data = yaml.safe_load((folder / "plan.yaml").read_text())
    for severity in data["severities"].values():
        severity["ack_timeout_minutes"] = 1
    (folder / "plan.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return folder / "plan.yaml"


async def start_replica(name: str, env: dict[str, str]) -> Replica:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port),
        cwd=ROOT, env=env | {"CRISISBOT_REPLICA_ID": name}, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    replica = Replica(name, port, proc)
    replica.reader = asyncio.ensure_future(replica.read_log())
    return replica


async def until_ready(replica: Replica, session: aiohttp.ClientSession) -> None:
    while True:  # the orchestrator's readiness probe: polling is what it does
        try:
            async with session.get(f"{replica.url}/readyz") as response:
                if response.status == 200:
                    replica.in_rotation = True
                    return
        except aiohttp.ClientError:
            pass
        if replica.proc.returncode is not None:
            raise RuntimeError(f"{replica.name} exited: {replica.logged[-5:]}")
        await asyncio.sleep(0.1)


async def roll(replicas: list[Replica], env: dict[str, str], session: aiohttp.ClientSession, tally: Tally) -> None:
    """One rolling restart: each replica in turn stopped, replaced, and the new one ready."""
    for i, old in enumerate(list(replicas)):
        stopping = time.monotonic()
        old.proc.send_signal(signal.SIGTERM)
        code = await old.proc.wait()
        tally.stops.append(time.monotonic() - stopping)
        if code != 0:
            tally.failed.append(f"{old.name} exited with {code}")
        new = await start_replica(f"{old.name.split('-')[0]}-{tally.restarts + 1}", env)
        replicas[i] = new
        await until_ready(new, session)
        tally.restarts += 1
        tally.failed.extend(f"{old.name}: {p}" for p in old.problems())


async def load(slack: BalancedSlack, tally: Tally, until: float, rate: float) -> None:
    """Steady commands: a declaration in four, the others list and status."""
    sent = 0
    while time.monotonic() < until:
        kind = sent % 4
        text = f"start complaint sev3 Parcel storm {sent}" if kind == 0 else ("list" if kind % 2 else "status")
        started = time.monotonic()
        status, ack, response_url = await slack.command(text)
        if status == 200:
            tally.acks.append(time.monotonic() - started)
            if kind == 0:
                tally.declared.append(response_url)
        else:
            tally.failed.append(f"{text!r}: {status} {ack[:80]}")
        sent += 1
        await asyncio.sleep(max(0.0, started + 1 / rate - time.monotonic()))


def check_database(url: str) -> dict[str, int]:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:

        def one(sql: str) -> int:
            row = conn.execute(sql).fetchone()
            return int(row[0]) if row else 0

        return {
            "crises": one("SELECT count(*) FROM crisis"),
            "steps not done": one("SELECT count(*) FROM crisis_step WHERE status <> 'done'"),
            "page climbs": one("SELECT coalesce(sum(position), 0) FROM page"),
            # a page due more than two scheduler ticks ago that nobody fired: a lost timer
            "timers lost": one(
                "SELECT count(*) FROM page WHERE status = 'open' AND due_at < now() - interval '15 seconds'"
            ),
            "leases left": one("SELECT count(*) FROM crisis WHERE lease_owner IS NOT NULL"),
        }


def duplicates(fake: FakeSlack) -> Counter[str]:
    keys = Counter(key for messages in fake.messages.values() for m in messages if (key := post_key(m)))
    rooms = Counter(c["name"] for c in fake.channels.values() if not c["is_im"])
    return Counter({k: n - 1 for k, n in (keys + rooms).items() if n > 1})


@dataclass(frozen=True)
class Outcome:
    tally: Tally
    found: dict[str, int]
    duplicated: Counter[str]
    unanswered: int


async def run(minutes: float, rate: float, pg_url: str) -> Outcome:
    server = PgServer(make_url(pg_url))
    url = server.create_database()
    tally = Tally()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            plan = fast_plan(Path(tmp) / "playbooks")
            fake = WatchedSlack(valid_tokens=(BOT_TOKEN,), latency=0.02)
            async with fake:
                seed_workspace(fake, load_plan(plan))
                env = slack_env(
                    fake.base_url, Path(tmp) / "unused.db", "unset", DATABASE_URL=url, CRISISBOT_PLAN=str(plan)
                )
                migrate = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot", "migrate", cwd=ROOT, env=env,
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
                )  # fmt: skip
                assert await migrate.wait() == 0
                replicas = [await start_replica(name, env) for name in ("a-0", "b-0")]
                async with aiohttp.ClientSession() as session:
                    for replica in replicas:
                        await until_ready(replica, session)
                    balancer = Balancer(replicas, session, tally)
                    probing = asyncio.ensure_future(balancer.probe_forever())
                    slack = BalancedSlack(f"{replicas[0].url}/slack/events", fake, session)
                    slack.balancer = balancer
                    until = time.monotonic() + minutes * 60
                    loading = asyncio.ensure_future(load(slack, tally, until, rate))
                    await asyncio.sleep(min(20.0, minutes * 60 / 4))
                    while time.monotonic() < until - 30:
                        await roll(replicas, env, session, tally)
                        await asyncio.sleep(10)
                    await loading
                    with contextlib.suppress(TimeoutError):  # then counted as unanswered
                        await asyncio.wait_for(fake.answered(tally.declared), ANSWER_WITHIN)
                    await asyncio.sleep(12)  # two scheduler ticks: a page due just now has its chance
                    probing.cancel()
                    for replica in replicas:
                        replica.proc.send_signal(signal.SIGTERM)
                        await replica.proc.wait()
                        tally.failed.extend(f"{replica.name}: {p}" for p in replica.problems())
                unanswered = sum(1 for u in tally.declared if not fake.responses(u))
                found = check_database(url)
                dup = duplicates(fake)
    finally:
        server.drop_all()
    return Outcome(tally, found, dup, unanswered)


def report(outcome: Outcome, minutes: float) -> None:
    tally, found, dup, unanswered = outcome.tally, outcome.found, outcome.duplicated, outcome.unanswered
    acks = sorted(tally.acks)
    p99 = acks[min(len(acks) - 1, int(len(acks) * 0.99))] if acks else float("nan")
    print(f"{minutes:g} min of steady commands, {tally.restarts} replica restarts (rolling, SIGTERM)")
    print(f"  commands acknowledged: {len(acks)}, failed: {len(tally.failed)}")
    print(f"  refused by a stopping replica, then acknowledged by the other: {tally.retried}")
    print(f"  ack p50 {statistics.median(acks) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms" if acks else "  no acks")
    print(
        f"  SIGTERM to exit: p50 {statistics.median(tally.stops):.2f} s, max {max(tally.stops):.2f} s"
        if tally.stops
        else ""
    )
    print(f"  declarations: {len(tally.declared)} acknowledged, {unanswered} without a final answer")
    for name, count in found.items():
        print(f"  {name}: {count}")
    print(f"  duplicated side effects: {sum(dup.values())}")
    for line in tally.failed[:10]:
        print(f"    {line}")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=2.0, help="commands per second")
    parser.add_argument("--pg-url", default=os.environ.get("CRISISBOT_TEST_PG_URL", DEFAULT_PG))
    args = parser.parse_args()
    report(asyncio.run(run(args.minutes, args.rate, args.pg_url)), args.minutes)


if __name__ == "__main__":
    cli()
