"""``kill -9`` of a replica in the middle of a declaration, on PostgreSQL: the other replica
finishes it, exactly once, and a page whose climb the dead replica was sending climbs once.

Real ``python -m bot serve`` processes on one database (after ``python -m bot migrate``),
against the fake Slack Web API slowed to 300 ms per call. Each process has its own replica id and
its own Slack token. The moment of each kill is a call of the declaration, caught by a hook of
the fake on that very call (``FakeSlack.on_call``): "before" drops the call, so Slack never saw it;
"after" lets Slack handle it and kills the process before it hears the answer. Never a sleep.

The lease a dead process leaves is waited out for real (``bot.core.crisis.declare.LEASE``, 15 s;
``PAGE_LEASE``, 60 s, for a page): shortening it would prove nothing about the lease. To keep the
ten points of the matrix within CI's patience, the ten lease waits overlap: each point's
declaration runs on its own victim replica, all at once, beside one surviving replica that takes
every one of them over. ``pytest -k`` on the point ids runs only the points selected.

Set ``CRISISBOT_FIGURES=<file>`` to append each point's figures (seconds from the kill to the
final answer on the other replica, duplicates, missing) to that file as JSON lines.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.adapters.slack.server import EVENTS_PATH
from bot.container import Storage
from bot.core.model.crisis import Crisis, StepStatus
from bot.core.model.pages import Page
from bot.core.plan.model import LoadedPlan
from bot.storage.engine import create_async_db_engine
from tests.adapters.slack.harness import SlackClientSim, seed_workspace
from tests.fakes import Call, FakeSlack, ThreadedFakeSlack
from tests.fakes.slack_state import JSON
from tests.production.effects import (
    SlackState,
    expected_effects,
    post_key,
    response_url_of,
    seen_effects,
    surplus_and_shortfall,
)
from tests.production.processes import WAIT, BotProcess, migrate, serve_env
from tests.storage.fixtures import PgServer

pytestmark = pytest.mark.postgres

LATENCY = 0.3  # seconds per chat API call
SURVIVOR = "replica-b"
FIGURES_ENV = "CRISISBOT_FIGURES"


@dataclass(frozen=True)
class KillPoint:
    """A chat call of a ``complaint sev3`` declaration (it pages two roles) at which its replica
    dies: before Slack handles the call (dropped) or after (Slack did it; the process never heard)."""

    name: str
    method: str
    after: bool
    suffix: str | None = None  # chat.postMessage: the end of the step's key (":kickoff", ":card"...)

    @property
    def id(self) -> str:
        return self.name.replace(" ", "-")


POINTS = (
    KillPoint("create room before", "conversations.create", after=False),
    KillPoint("create room after", "conversations.create", after=True),
    KillPoint("invite after", "conversations.invite", after=True),
    KillPoint("kickoff before", "chat.postMessage", after=False, suffix=":kickoff"),
    KillPoint("kickoff after", "chat.postMessage", after=True, suffix=":kickoff"),
    KillPoint("pin after", "pins.add", after=True),
    KillPoint("first page card before", "chat.postMessage", after=False, suffix=":card"),
    KillPoint("first page DM after", "chat.postMessage", after=True, suffix=":dm"),
    KillPoint("announcement before", "chat.postMessage", after=False, suffix=":announce"),
    KillPoint("final answer before", "response_url", after=False),
)


def title_of(index: int) -> str:
    """Each point's crisis has its own title, so its room's name and its posts tell it apart."""
    return f"Replica kill point {index:02d}"


def slug_of(index: int) -> str:
    return title_of(index).lower().replace(" ", "-")


def rooms_named(fake: FakeSlack, slug: str) -> set[str]:
    """The ids of the channels whose name has ``slug``: the war room of one point's crisis."""
    return {cid for cid, c in list(fake.channels.items()) if not c["is_im"] and slug in str(c["name"])}


def of_crisis(fake: FakeSlack, index: int) -> Callable[[JSON], bool]:
    """Whether a call belongs to one point's crisis: its room is named after the title, posts in
    the room name the room's channel, a page card or DM and the announcement carry the title,
    and the final answer links the room."""
    title, slug = title_of(index), slug_of(index)

    def match(args: JSON) -> bool:
        if slug in str(args.get("name", "")):
            return True
        if str(args.get("channel", "")) in rooms_named(fake, slug):
            return True
        text = json.dumps(args, ensure_ascii=False)
        return title in text or any(cid in text for cid in rooms_named(fake, slug))

    return match


def at_point(fake: FakeSlack, index: int, point: KillPoint) -> Callable[[JSON], bool]:
    mine = of_crisis(fake, index)
    if point.method == "response_url":
        return lambda args: "declared." in json.dumps(args) and mine(args)
    if point.suffix is not None:
        suffix = point.suffix
        return lambda args: (post_key(args) or "").endswith(suffix) and mine(args)
    return mine


@dataclass
class PointResult:
    point: KillPoint
    victim: BotProcess
    response_url: str = ""
    ack: str = ""
    killed: threading.Event = field(default_factory=threading.Event)
    answered: threading.Event = field(default_factory=threading.Event)
    answered_at: float | None = None
    crisis: Crisis | None = None
    pages: list[Page] = field(default_factory=list)
    duplicates: Counter[str] = field(default_factory=Counter)
    missing: Counter[str] = field(default_factory=Counter)
    resumed_by: list[str] = field(default_factory=list)
    lease_owner: str | None = None

    @property
    def kill_to_answer(self) -> float | None:
        killed_at = self.victim.killed_at
        return self.answered_at - killed_at if self.answered_at and killed_at else None

    def figures(self) -> dict[str, object]:
        return {
            "point": self.point.name,
            "kill_to_answer_s": round(self.kill_to_answer, 2) if self.kill_to_answer else None,
            "duplicates": self.duplicates.total(),
            "missing": self.missing.total(),
            "resumed_by": self.resumed_by,
        }


@dataclass
class Matrix:
    results: dict[str, PointResult]
    survivor: BotProcess
    survivor_status: int
    wall: float


def selected_points(request: pytest.FixtureRequest) -> list[KillPoint]:
    """The points of the tests this session runs (``-k`` may have deselected some)."""
    chosen = set()
    for item in request.session.items:
        params = getattr(item, "callspec", None)
        if getattr(item, "module", None) is request.module and params is not None and "point" in params.params:
            chosen.add(params.params["point"])
    return [p for p in POINTS if p in chosen]


@pytest.fixture(scope="module")
def matrix(request: pytest.FixtureRequest, pg_server: PgServer, loaded_plan: LoadedPlan) -> Matrix:
    """Every selected point at once: one victim replica per point, one survivor for them all."""
    return asyncio.run(run_matrix(selected_points(request), pg_server, loaded_plan))


async def run_matrix(points: list[KillPoint], pg_server: PgServer, loaded: LoadedPlan) -> Matrix:
    began = time.monotonic()
    database_url = await asyncio.to_thread(pg_server.create_database)
    await asyncio.to_thread(migrate, database_url)
    victims = [f"replica-a{i:02d}" for i in range(len(points))]
    tokens = {name: f"xoxb-{name}" for name in [*victims, SURVIVOR]}
    fake = FakeSlack(valid_tokens=tuple(tokens.values()), latency=LATENCY)
    seed_workspace(fake, loaded)
    with ThreadedFakeSlack(fake) as threaded:
        bots = {
            name: BotProcess(serve_env(threaded.fake.base_url, name, token=token, database_url=database_url))
            for name, token in tokens.items()
        }
        results = {p.name: PointResult(p, bots[victim]) for p, victim in zip(points, victims, strict=True)}
        for index, result in enumerate(results.values()):
            arm(fake, index, result)
        try:
            for bot in bots.values():
                bot.start()
            for bot in bots.values():
                await asyncio.to_thread(bot.wait_ready)
            async with aiohttp.ClientSession() as session:
                await asyncio.gather(*(declare(session, fake, i, r) for i, r in enumerate(results.values())))
            for result in results.values():
                assert await asyncio.to_thread(result.killed.wait, WAIT), f"{result.point.name}: never reached"
            for result in results.values():
                assert await asyncio.to_thread(result.answered.wait, WAIT), f"{result.point.name}: never answered"
        finally:
            status = await asyncio.to_thread(bots[SURVIVOR].stop)  # drains the work under way
            for bot in bots.values():
                if bot.alive():
                    await asyncio.to_thread(bot.stop)
    await count(database_url, fake, loaded, results)
    for result in results.values():
        key = result.crisis.key if result.crisis else "?"
        result.resumed_by = [b.name for b in bots.values() if b.logged(f"resuming the declaration of {key}")]
    matrix = Matrix(results, bots[SURVIVOR], status, time.monotonic() - began)
    record_figures([{**r.figures(), "matrix_wall_s": round(matrix.wall, 1)} for r in results.values()])
    return matrix


def record_figures(rows: list[dict[str, object]]) -> None:
    """Append figures to ``$CRISISBOT_FIGURES``, if set (JSON lines: repeated runs add up)."""
    if figures := os.environ.get(FIGURES_ENV):
        with open(figures, "a", encoding="utf-8") as out:
            out.writelines(json.dumps(row) + "\n" for row in rows)


def arm(fake: FakeSlack, index: int, result: PointResult) -> None:
    """The point's kill, on its very call, and the watch for its final answer (from anyone)."""

    def kill(call: Call) -> bool:  # in the fake's thread, at the call
        result.victim.kill()
        result.killed.set()
        return not result.point.after  # before: the call never reached Slack

    def answered(call: Call) -> None:
        result.answered_at = call.at
        result.answered.set()

    point = result.point
    fake.on_call(point.method, kill, after=point.after, match=at_point(fake, index, point))
    answer = KillPoint("answer", "response_url", after=True)
    fake.on_call("response_url", answered, after=True, match=at_point(fake, index, answer))


async def declare(session: aiohttp.ClientSession, fake: FakeSlack, index: int, result: PointResult) -> None:
    sim = SlackClientSim(f"{result.victim.url}{EVENTS_PATH}", fake, session)
    status, result.ack, result.response_url = await sim.command(f"start complaint sev3 {title_of(index)}")
    assert (status, "Declaring CRISIS-" in result.ack) == (200, True), result.ack


async def count(database_url: str, fake: FakeSlack, loaded: LoadedPlan, results: dict[str, PointResult]) -> None:
    engine = create_async_db_engine(database_url)
    try:
        store = Storage.on(engine)
        crises = {response_url_of(c): c for c in await store.crises.list_crises(limit=100)}
        async with engine.connect() as conn:
            owners = {number: owner for number, owner in await conn.execute(text("SELECT id, lease_owner FROM crisis"))}
        assert len(crises) == len(results), "one crisis per declaration, none more"
        state = SlackState.of(fake, crises)
        for result in results.values():
            crisis = result.crisis = crises.get(result.response_url)
            if crisis is None:
                result.missing["crises"] += 1
                continue
            result.lease_owner = owners[crisis.number]
            result.pages = await store.pages.pages_of(crisis.number)
            seen = seen_effects(state, loaded.plan, crisis, result.pages)
            result.duplicates, result.missing = surplus_and_shortfall(expected_effects(loaded.plan, crisis), seen)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("point", POINTS, ids=[p.id for p in POINTS])
def test_a_declaration_killed_mid_way_completes_once_on_the_other_replica(point: KillPoint, matrix: Matrix) -> None:
    result = matrix.results[point.name]
    assert result.victim.proc is not None
    assert result.victim.proc.returncode == -9, "killed at its point, with SIGKILL"
    assert result.crisis is not None
    assert (result.duplicates, result.missing) == (Counter(), Counter())
    assert [s.key.value for s in result.crisis.steps if s.status is not StepStatus.DONE] == []
    assert result.lease_owner is None, "released when its steps ran to their end"
    # finished after the kill, by a replica other than the dead one
    assert result.kill_to_answer is not None
    assert result.kill_to_answer > 0
    assert result.resumed_by, "another replica resumed it"
    assert result.victim.name not in result.resumed_by
    assert matrix.survivor_status == 0
    assert [line for line in matrix.survivor.problems() if " ERROR " in line or "Traceback" in line] == []


async def test_a_page_climb_cut_by_a_kill_fires_once_on_the_other_replica(
    pg_server: PgServer, loaded_plan: LoadedPlan
) -> None:
    """A page is due; whichever replica claims it is killed as it sends the climb's card (Slack
    never gets it), holding the page's lease. The other replica waits the lease out (60 s,
    ``PAGE_LEASE``: no shortcut) and climbs it: one card and one DM for the backup, never two.

    The page is made due by moving its ``due_at`` to its ``created_at`` in the database, as if the
    acknowledgement timeout (30 min at SEV3, 1 min at the least the plan allows) had passed: the
    scheduler finds due pages only by comparing ``due_at`` with its clock (``claim_due``), so for
    it this is the same as time having passed, and no code path is skipped."""
    database_url = await asyncio.to_thread(pg_server.create_database)
    await asyncio.to_thread(migrate, database_url)
    tokens = {"replica-a": "xoxb-replica-a", SURVIVOR: f"xoxb-{SURVIVOR}"}
    fake = FakeSlack(valid_tokens=tuple(tokens.values()), latency=LATENCY)
    seed_workspace(fake, loaded_plan)
    answered, killed, climbed = threading.Event(), threading.Event(), threading.Event()
    fake.on_call("response_url", lambda call: answered.set(), after=True, match=lambda a: "declared." in str(a))
    with ThreadedFakeSlack(fake) as threaded:
        bots = {
            t: BotProcess(serve_env(threaded.fake.base_url, name, token=t, database_url=database_url))
            for name, t in tokens.items()
        }
        victim: list[BotProcess] = []
        climb: list[Call] = []
        try:
            for bot in bots.values():
                bot.start()
            for bot in bots.values():
                await asyncio.to_thread(bot.wait_ready)
            first = next(iter(bots.values()))
            async with aiohttp.ClientSession() as session:
                sim = SlackClientSim(f"{first.url}{EVENTS_PATH}", fake, session)
                status, ack, _ = await sim.command("start complaint sev3 Page climb under a kill")
            assert status == 200, ack
            assert await asyncio.to_thread(answered.wait, WAIT), "declared"
            dsn = make_url(database_url).render_as_string(hide_password=False)
            with psycopg.connect(dsn, autocommit=True) as conn:
                [(page_id,), (other_id,)] = conn.execute("SELECT id FROM page ORDER BY id").fetchall()
            card = f"page:{page_id}:1:card"

            def kill_sender(call: Call) -> bool:  # whichever replica claimed the page sends this
                victim.append(bots[call.token])
                victim[0].kill()
                killed.set()
                return True  # dropped: Slack never got the backup's card

            def climbed_on(call: Call) -> None:
                climb.append(call)
                climbed.set()

            fake.on_call("chat.postMessage", kill_sender, match=lambda args: post_key(args) == card)
            fake.on_call("chat.postMessage", climbed_on, after=True, match=lambda args: post_key(args) == card)
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("UPDATE page SET due_at = created_at WHERE id = %s", (page_id,))
            assert await asyncio.to_thread(killed.wait, WAIT), "a replica claimed the due page and sent its climb"
            assert await asyncio.to_thread(climbed.wait, WAIT), "the other replica climbed it"
        finally:
            statuses = {bot.name: await asyncio.to_thread(bot.stop) for bot in bots.values()}
    [dead] = victim
    [survivor] = [bot for bot in bots.values() if bot is not dead]
    assert statuses == {dead.name: -9, survivor.name: 0}
    assert climb[0].token == survivor.token, "the climb went out from the surviving replica"
    assert dead.killed_at is not None
    kill_to_climb = climb[0].at - dead.killed_at
    state = SlackState.of(fake, [])
    assert [len(state.posts.get(f"page:{page_id}:1:{what}", [])) for what in ("card", "dm")] == [1, 1]
    assert [k for k in state.posts if k.startswith(f"page:{page_id}:2:")] == [], "it climbed once, not twice"
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT id, status, position, delivered, lease_owner FROM page ORDER BY id").fetchall()
    assert rows == [(page_id, "open", 1, 1, None), (other_id, "open", 0, 0, None)]
    assert [line for line in survivor.problems() if " ERROR " in line or "Traceback" in line] == []
    record_figures([{"point": "page climb", "kill_to_climb_s": round(kill_to_climb, 2), "killed": dead.name}])
