"""PostgreSQL restarted under load: requests fail politely while it is down, everything resumes
when it is back, and nothing is half-written.

The real ``crisisbot serve`` on a PostgreSQL server of the test's own (``own_postgres``: never
the machine's shared one, which other tests use), against the fake Slack Web API, under a steady
load of signed ``/crisis start``, ``list`` and ``status``. The database is restarted once
(``pg_ctl restart -m fast``), then stopped, sent commands while down, and started again. The
points in time are forced by events: pg_ctl returns once the server is down or accepting
connections, a declaration is held at its war room (the fake's ``conversations.create``) across
each restart, and every check waits for the bot's answers, never for a sleep.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
import psycopg

from bot.adapters.slack.chat import SlackChat
from bot.core.crisis import rooms
from bot.core.crisis.declare import ANSWER_STEP, START_STEPS
from bot.core.model.crisis import Crisis
from bot.core.plan.model import LoadedPlan
from bot.storage.engine import create_async_db_engine
from bot.storage.repository import SqlCrisisRepository
from tests.adapters.slack.harness import SlackClientSim, seed_workspace
from tests.adapters.slack.test_serve_process import ROOT, free_port, start_serve, stop_serve
from tests.adapters.steady_load import (
    SLACK_ACK_WINDOW,
    WAIT,
    Sent,
    SteadyLoad,
    between,
    send,
    tally,
)
from tests.adapters.test_shutdown import slack_env
from tests.fakes import Call, FakeSlack, ThreadedFakeSlack
from tests.fakes.own_postgres import OwnPostgres
from tests.production.effects import SlackState, response_url_of

EXPECTED_WARNINGS = ("database cannot be reached", "not ready: the postgresql database cannot be used")
STEPS = len((*START_STEPS, ANSWER_STEP))  # a declaration from Slack also tells its declarer


async def migrate(url: str) -> None:
    """``crisisbot migrate``, as an operator runs it before starting the replicas."""
    env = {**os.environ, "DATABASE_URL": url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "migrate", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(proc.communicate(), WAIT)
    assert proc.returncode == 0, output.decode()


class Hold:
    """Hold the bot's ``conversations.create`` for one title, once the fake made the room: the
    declaration is under way, its war room made, its next step not recorded yet."""

    def __init__(self, fake: FakeSlack, slug: str) -> None:
        self.reached, self.go_on = threading.Event(), threading.Event()
        fake.on_call("conversations.create", self._hold, after=True, match=lambda args: slug in str(args.get("name")))

    def _hold(self, call: Call) -> None:
        self.reached.set()
        self.go_on.wait(WAIT)

    async def wait(self) -> None:
        assert await asyncio.to_thread(self.reached.wait, WAIT), "the held declaration reached its war room"


async def probe(session: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, object]]:
    async with session.get(url) as response:
        return response.status, await response.json()


async def test_postgres_restarted_under_load(
    loaded_plan: LoadedPlan, own_postgres: OwnPostgres, tmp_path: Path
) -> None:
    pg = own_postgres
    # waits for the fake's answers and pg_ctl run in threads: more than the default few, so a
    # wait for an answer held up with the fake can never keep pg_ctl from running
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(16, thread_name_prefix="pg-restart-test"))
    await migrate(pg.url)
    with ThreadedFakeSlack() as threaded:
        fake = threaded.fake
        seed_workspace(fake, loaded_plan)
        port = free_port()
        env = slack_env(fake.base_url, tmp_path / "unused.db", "replica-a", DATABASE_URL=pg.url)
        proc, logged = await start_serve(env, port)
        base = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession() as session:
                sim = SlackClientSim(f"{base}/slack/events", fake, session)
                load = SteadyLoad(sim)
                load.start()
                held = await restart_with_one_held(sim, pg, Hold(fake, "held-across-restart"))
                stopped = await stop_with_one_held(sim, pg, Hold(fake, "held-across-stop"))
                outage_start = time.monotonic()
                during = await commands_while_down(sim)
                assert await probe(session, f"{base}/healthz") == (200, {"status": "ok"})
                status, ready = await probe(session, f"{base}/readyz")
                assert (status, "database" in str(ready["why"])) == (503, True), ready

                starting = time.monotonic()  # down until here for sure; maybe a little after
                await asyncio.to_thread(pg.start)
                back = time.monotonic()
                first = await send(sim, "start complaint sev3 First after the outage")
                assert first.kind() == "declared", first.answer
                status, ready = await probe(session, f"{base}/readyz")
                assert status == 200, ready
                sent = await load.stop()
                accepted = [s for s in [*sent, held, stopped, first] if s.kind() == "declared"]
                accepted += stored_after_all(pg.url, [*sent, *during])
                await asyncio.to_thread(wait_for_outcomes, fake, accepted)
        finally:
            problems = await stop_serve(proc, logged)
        crises = await stored_crises(pg.url)
        check_nothing_half_written(pg.url, crises, accepted)
        check_exactly_once(fake, loaded_plan.plan.war_room.prefix, crises, exactly=[held, stopped, first])

    downtime = back - outage_start
    in_outage = [*during, *between(sent, outage_start, starting)]
    # the server was down all along: nothing was stored, and the person is told so
    refused = [s for s in in_outage if not (s.polite() and s.kind() in ("not stored", "unavailable"))]
    assert refused == [], [s.answer for s in refused]
    everything = [*sent, *during, held, stopped, first]
    assert max(s.ack_seconds for s in everything) < SLACK_ACK_WINDOW
    # as it went down, a COMMIT cut off may have been carried out: "not confirmed", then its answer
    kinds = {"declared", "not stored", "unavailable", "not confirmed", "answered"}
    assert set(tally(everything)) <= kinds, tally(everything)
    assert all(s.polite() for s in everything if s.kind() == "not confirmed")
    assert [p for p in problems if not any(w in p for w in EXPECTED_WARNINGS)] == [], problems
    outages = [p for p in problems if "database cannot be reached" in p]
    assert len(outages) <= 2, f"a warning once per outage: {outages}"
    print(
        f"\nfigures: outage {downtime:.2f} s; {len(in_outage)} command(s) during it, answered {dict(tally(in_outage))};"
        f" first declaration {first.acked_at - back:.3f} s after PostgreSQL was back;"
        f" {len(everything)} commands in all, {dict(tally(everything))};"
        f" slowest ack {max(s.ack_seconds for s in everything):.3f} s"
    )


async def restart_with_one_held(sim: SlackClientSim, pg: OwnPostgres, hold: Hold) -> Sent:
    """A declaration under way across ``pg_ctl restart -m fast``: it goes on once the server is
    back, on connections the pool must replace."""
    declared = await send(sim, "start complaint sev3 Held across restart")
    assert declared.kind() == "declared", declared.answer
    await hold.wait()
    try:
        await asyncio.to_thread(pg.restart)
    finally:
        hold.go_on.set()
    return declared


async def stop_with_one_held(sim: SlackClientSim, pg: OwnPostgres, hold: Hold) -> Sent:
    """A declaration under way when the server stops: its war room is made, its steps cannot be
    recorded; they are resumed once the server is back."""
    declared = await send(sim, "start complaint sev3 Held across stop")
    assert declared.kind() == "declared", declared.answer
    await hold.wait()
    try:
        await asyncio.to_thread(pg.stop)
    finally:
        hold.go_on.set()
    assert not pg.accepts()
    return declared


async def commands_while_down(sim: SlackClientSim) -> list[Sent]:
    """Declarations, a list and a status while the server is down, all answered (a reply at the
    response_url included) before it starts again."""
    texts = [f"start complaint sev3 While down {n}" for n in range(3)] + ["list", "status"]
    during = list(await asyncio.gather(*(send(sim, text) for text in texts)))
    for sent in during:
        assert (sent.status, sent.polite()) == (200, True), sent.answer
    return during


def stored_after_all(url: str, sent: list[Sent]) -> list[Sent]:
    """The declarations whose storing could not be confirmed and that were stored after all: the
    bot owes them the same outcome as the others."""
    with psycopg.connect(url) as conn:
        titles = {title for (title,) in conn.execute("SELECT title FROM crisis")}
    return [s for s in sent if s.kind() == "not confirmed" and s.title in titles]


def wait_for_outcomes(fake: FakeSlack, accepted: list[Sent]) -> None:
    """Every acknowledged declaration finished: its declarer heard the outcome."""
    for sent in accepted:
        fake.wait_responses(sent.response_url, 1, WAIT)


async def stored_crises(url: str) -> list[Crisis]:
    engine = create_async_db_engine(url)
    try:
        return await SqlCrisisRepository(engine).list_crises(limit=10_000)
    finally:
        await engine.dispose()


def check_nothing_half_written(url: str, crises: list[Crisis], accepted: list[Sent]) -> None:
    """One crisis per "Declaring..." the bot sent (and per declaration not confirmed but stored
    after all), none for a refusal, each with all its steps
    done, its lease released and its "declared" event."""
    stored, told = sorted(c.title for c in crises), sorted(s.title for s in accepted)
    assert stored == told, (set(stored) - set(told), set(told) - set(stored))
    for crisis in crises:
        assert len(crisis.steps) == STEPS, crisis.key
        assert {s.status.value for s in crisis.steps} == {"done"}, (crisis.key, crisis.steps)
    with psycopg.connect(url) as conn:
        leased = conn.execute("SELECT count(*) FROM crisis WHERE lease_owner IS NOT NULL").fetchone()
        declared = {n for (n,) in conn.execute("SELECT crisis_id FROM timeline_event WHERE key = 'declared'")}
    assert leased == (0,)
    assert declared == {c.number for c in crises}


def check_exactly_once(fake: FakeSlack, prefix: str, crises: list[Crisis], exactly: list[Sent]) -> None:
    """One war room, kickoff, pin and announcement per crisis. The declarer's answer may come
    twice for one whose answer was sent as the database went away (the platform keeps no copy
    to look for, and twice the good news beats none), but exactly once for the held ones."""
    state = SlackState.of(fake, [response_url_of(c) for c in crises])
    limit = SlackChat.limits.room_name
    once = {s.response_url for s in exactly}
    for crisis in crises:
        base = rooms.base_name(prefix, crisis.declared_at, crisis.title, limit)
        kickoffs = state.posts.get(f"{crisis.key}:kickoff", [])
        seen = {
            "war rooms": sum(state.rooms[name] for name in rooms.candidates(base, limit)),
            "kickoffs": len(kickoffs),
            "pins": sum(posted in state.pinned for posted in kickoffs),
            "announcements": len(state.posts.get(f"{crisis.key}:announce", [])),
        }
        assert seen == dict.fromkeys(seen, 1), (crisis.key, seen)
        url = response_url_of(crisis)
        answers = sum(f"{crisis.key} declared." in body for body in state.answers[url])
        assert answers == 1 if url in once else 1 <= answers <= 2, (crisis.key, answers, json.dumps(crisis.reply_to))
