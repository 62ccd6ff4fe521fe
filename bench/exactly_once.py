"""Benchmark "Trust under pressure": every side effect of a declaration happens exactly once.

Three parts, each counting, per crisis, what Slack (the fake of ``tests.fakes``) ended up with:
war rooms, kickoff posts, pins, page rows, page cards in the war room, page DMs, announcements
and final answers at the request's response_url; anything above one of each is a duplicate,
anything below is missing.

1. One process (SQLite): rounds of concurrent signed ``/crisis start`` requests through the real
   Bolt app over HTTP, the Web API slowed down so that steps overlap, the scheduler ticking beside
   them all the time.
2. Two replicas (two engines, two apps, two schedulers) on one PostgreSQL database, half of each
   round's requests to each.
3. A real ``kill -9`` of ``python -m bot serve`` at each chat call of a declaration, before Slack
   handled it or after (before the bot heard the answer), then a restart under the same replica
   id (it takes the dead process's lease over at once) or another one (it waits for the lease to
   expire), timed from the restart to the declarer's final answer.

The counting (``tests.production.effects``) and the ``serve`` processes
(``tests.production.processes``) are shared with the production tests, which prove the same on
PostgreSQL with two real replicas (tests/production/).

    python -m bench.exactly_once [--rounds 20] [--commands 60] [--latency 0.02] [--parts 1,2,3]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

if not __package__:  # run as a script (python bench/exactly_once.py): make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import psycopg
from sqlalchemy.engine import make_url

from bot.adapters.slack.app import SlackHandlers, build_app
from bot.adapters.slack.chat import SlackChat, make_client, make_session
from bot.adapters.slack.server import EVENTS_PATH, bound_port, start_http
from bot.container import Core, Storage, build_core
from bot.core.crisis.declare import LEASE
from bot.core.escalation.paging import PAGE_LEASE
from bot.core.model.crisis import Crisis, StepStatus
from bot.core.plan.model import LoadedPlan, Plan
from bot.core.ports import DraftRenderer
from bot.datafiles.plan import load_plan
from bot.frameworks import load_library
from bot.storage import migrate
from bot.storage.engine import create_async_db_engine
from tests.adapters.slack.harness import BOT_TOKEN, SIGNING_SECRET, SlackClientSim, seed_workspace
from tests.fakes import Call, FakeSlack, ThreadedFakeSlack
from tests.fakes.slack_state import JSON
from tests.production.effects import (
    EFFECTS,
    SlackState,
    declared_in,
    expected_effects,
    post_key,
    response_url_of,
    seen_effects,
    surplus_and_shortfall,
)
from tests.production.processes import BotProcess, serve_env
from tests.storage.fixtures import DEFAULT_PG_URL, PgServer

ROOT = Path(__file__).resolve().parent.parent
PLAN_PATH = ROOT / "playbooks" / "plan.yaml"  # the plan the bench's in-process replicas load
FRAMEWORKS_PATH = ROOT / "message_frameworks"
SCHEDULER_INTERVAL = 5.0  # crisisbot serve's tick (bot.container.background)
KILL_TEXT = "start complaint sev3 Kill test"  # pages the crisis lead and the community manager
FIRST = "CRISIS-0001"  # the only crisis of each kill point's fresh database


# -- counting side effects (per crisis: tests.production.effects) ----------------------------------


@dataclass
class Tally:
    """Surplus and shortfall are summed per crisis, not from totals: one crisis's duplicate must
    not hide another's missing post."""

    declarations: int = 0
    expected: Counter[str] = field(default_factory=Counter)
    seen: Counter[str] = field(default_factory=Counter)
    duplicates: Counter[str] = field(default_factory=Counter)
    missing: Counter[str] = field(default_factory=Counter)
    steps_not_done: int = 0
    notes: list[str] = field(default_factory=list)  # the first crises that went wrong, and how

    def add(self, crisis: Crisis, expected: Counter[str], seen: Counter[str], *, steps: bool = True) -> tuple[int, int]:
        """Count one crisis; returns its (duplicates, missing). ``steps``: also note steps not
        recorded done (meaningless when the process was stopped right after its last call)."""
        self.declarations += 1
        self.expected.update(expected)
        self.seen.update(seen)
        dup, miss = surplus_and_shortfall(expected, seen)
        self.duplicates.update(dup)
        self.missing.update(miss)
        undone = [s.key.value for s in crisis.steps if steps and s.status is not StepStatus.DONE]
        self.steps_not_done += bool(undone)
        if (dup or miss or undone) and len(self.notes) < 10:
            what = [f"{n} extra {e}" for e, n in dup.items()] + [f"{n} missing {e}" for e, n in miss.items()]
            what += [f"steps not done: {', '.join(undone)}"] if undone else []
            self.notes.append(f"{crisis.key} ({crisis.title}): {'; '.join(what)}")
        return dup.total(), miss.total()

    def merge(self, other: Tally) -> None:
        self.declarations += other.declarations
        self.expected.update(other.expected)
        self.seen.update(other.seen)
        self.duplicates.update(other.duplicates)
        self.missing.update(other.missing)
        self.steps_not_done += other.steps_not_done
        self.notes.extend(other.notes[: max(0, 10 - len(self.notes))])


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.3f}%" if whole else "-"


def print_tally(tally: Tally, *, steps: bool = True) -> None:
    print(f"   {'side effect':<16}{'expected':>10}{'seen':>10}{'duplicates':>12}{'missing':>10}")
    for effect in EFFECTS:
        exp, seen, dup, miss = (c[effect] for c in (tally.expected, tally.seen, tally.duplicates, tally.missing))
        print(f"   {effect:<16}{exp:>10}{seen:>10}{dup:>12}{miss:>10}")
    total, dup, miss = tally.expected.total(), tally.duplicates.total(), tally.missing.total()
    print(f"   {'all':<16}{total:>10}{tally.seen.total():>10}{dup:>12}{miss:>10}")
    print(
        f"   duplicates / expected side effects = {dup}/{total} = {pct(dup, total)} (expected 0); "
        f"missing = {miss}/{total} = {pct(miss, total)} (expected 0)"
    )
    if steps:
        print(f"   declarations with a step not recorded done: {tally.steps_not_done}/{tally.declarations}")
    for note in tally.notes:
        print(f"   ! {note}")


# -- parts 1 and 2: concurrent declarations through the real app -----------------------------------


class LogTally(logging.Handler):
    """The bot's warnings and errors in parts 1 and 2, counted by message: a few hundred
    tracebacks would bury the tables, and a count says as much."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.seen[f"{record.levelname} {record.name}: {record.getMessage()[:110]}"] += 1

    def report(self) -> None:
        if self.seen:
            print(f"   the bot logged {self.seen.total()} warnings or errors:")
        for message, count in self.seen.most_common(6):
            print(f"     {count:>5} x {message}")
        self.seen.clear()


@dataclass
class Replica:
    """One crisisbot process's worth of objects, composed as ``crisisbot serve`` composes them."""

    name: str
    core: Core
    handlers: SlackHandlers
    url: str


@asynccontextmanager
async def replica(
    fake: FakeSlack, db_url: str, name: str, loaded: LoadedPlan, renderer: DraftRenderer
) -> AsyncIterator[Replica]:
    """Its own engine, Slack client and HTTP port: two of these on one database are two replicas
    as far as leases and claims can tell."""
    engine = create_async_db_engine(db_url)
    store = Storage.on(engine)
    chat = SlackChat(make_client(BOT_TOKEN, fake.base_url, make_session()), loaded.plan)
    core = build_core(loaded, store, chat, renderer, replica=name)
    bolt, handlers = build_app(core.service, chat, SIGNING_SECRET, store.events)
    runner = await start_http(bolt, "127.0.0.1", 0)
    try:
        yield Replica(name, core, handlers, f"http://127.0.0.1:{bound_port(runner)}{EVENTS_PATH}")
    finally:
        await handlers.drain()
        await runner.cleanup()
        await chat.aclose()
        await engine.dispose()


@dataclass
class Ticker:
    """A scheduler ticking for the whole part, as fast as it may: every tick is a chance to
    resume, by mistake, a declaration that is running."""

    core: Core
    pause: float
    ticks: int = 0
    errors: int = 0
    task: asyncio.Task[None] | None = None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self) -> None:
        self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                await self.core.scheduler.tick()
            except Exception:  # counted, not hidden: tick() itself logs its chores' failures
                self.errors += 1
            self.ticks += 1
            await asyncio.sleep(self.pause)

    async def stop(self) -> None:
        """After the tick under way: a tick cancelled mid-query only adds noise to the output."""
        self.stopping.set()
        if self.task is not None:
            await self.task


@dataclass(frozen=True)
class Sent:
    """One command of a round, kept per command: its response_url is what finds its crisis (only
    the process that stored it knows the number), and a cut acknowledgement explains a late one."""

    url: str  # its response_url, which names its crisis (Crisis.reply_to)
    status: int
    acked: bool  # answered "Declaring CRISIS-..."
    latency: float  # request -> HTTP answer
    at: float


@dataclass
class RoundResult:
    number: int
    sent: list[Sent]
    seconds: float
    ticks: int
    tally: Tally  # when the round's work had drained


async def one_round(
    number: int, replicas: Sequence[Replica], sims: Sequence[SlackClientSim], args: argparse.Namespace
) -> tuple[list[Sent], float]:
    """All at once, so that acknowledgements, steps and ticks overlap; the round ends only when
    the apps' work has drained, so that nothing counted later was still on its way."""

    async def send(i: int) -> Sent:
        at = time.monotonic()
        status, ack, url = await sims[i % len(sims)].command(
            f"start complaint sev3 Round {number} declaration {i} under pressure"
        )
        return Sent(url, status, status == 200 and "Declaring CRISIS-" in ack, time.monotonic() - at, at)

    began = time.monotonic()
    sent = await asyncio.gather(*(send(i) for i in range(args.commands)))
    await asyncio.gather(*(r.handlers.drain() for r in replicas))
    return list(sent), time.monotonic() - began


async def tally_of(
    fake: FakeSlack, store: Storage, plan: Plan, urls: Iterable[str]
) -> tuple[Tally, list[Crisis], set[str]]:
    """Crises are found by their requests' response_url (``Crisis.reply_to``): a request's crisis
    number is known only to the process that stored it. Also returns the crises short of a side
    effect and the requests that have a crisis."""
    wanted = set(urls)
    crises = [c for c in await store.crises.list_crises(limit=1_000_000) if response_url_of(c) in wanted]
    state = SlackState.of(fake, wanted)
    tally = Tally()
    short = []
    for crisis in sorted(crises, key=lambda c: c.number):
        pages = await store.pages.pages_of(crisis.number)
        if tally.add(crisis, expected_effects(plan, crisis), seen_effects(state, plan, crisis, pages))[1]:
            short.append(crisis)
    return tally, short, {response_url_of(c) for c in crises}


class LateAnswers:
    """Declarations still short of a side effect once their round drained: a request cancelled
    at the acknowledgement deadline after its crisis was stored never started its steps, and is
    left to a scheduler once its lease runs out. Each one's final answer is waited for."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.waiting: list[asyncio.Event] = []
        self.after: dict[str, float] = {}  # crisis key -> seconds from its command to its answer
        self.watched = 0

    def watch(self, crisis: Crisis, sent_at: float) -> None:
        key = crisis.key
        if any(declared_in({"body": b}, key) for b in self.fake.responses(response_url_of(crisis))):
            return  # answered, yet short of something: no later answer will mend that
        self.watched += 1
        event = asyncio.Event()

        def answered(call: Call) -> None:
            self.after[key] = call.at - sent_at
            event.set()

        self.fake.on_call("response_url", answered, after=True, match=lambda args: declared_in(args, key))
        self.waiting.append(event)

    async def wait(self, until: float) -> None:
        """Until each has been answered, or ``until`` (monotonic) passed."""
        if self.waiting:
            tasks = [asyncio.ensure_future(e.wait()) for e in self.waiting]
            await asyncio.wait(tasks, timeout=max(until - time.monotonic(), 0.0))
            for task in tasks:
                task.cancel()


async def run_rounds(title: str, db_urls: Sequence[str], names: Sequence[str], args: argparse.Namespace) -> Tally:
    """Parts 1 and 2 differ only in their replicas: one database URL per replica, so the same
    rounds run against one process or two that share a database."""
    loaded = load_plan(PLAN_PATH)
    renderer, _ = load_library(FRAMEWORKS_PATH)
    print(f"\n{title}", flush=True)
    results: list[RoundResult] = []
    logs = LogTally()
    logging.getLogger().addHandler(logs)
    async with (
        FakeSlack(valid_tokens=(BOT_TOKEN,), latency=args.latency) as fake,
        aiohttp.ClientSession() as session,
        AsyncExitStack() as stack,
    ):
        seed_workspace(fake, loaded)
        replicas = [
            await stack.enter_async_context(replica(fake, url, name, loaded, renderer))
            for url, name in zip(db_urls, names, strict=True)
        ]
        store = replicas[0].core.store
        tickers = [Ticker(r.core, args.tick_pause) for r in replicas]
        for ticker in tickers:
            ticker.start()
        sims = [SlackClientSim(r.url, fake, session) for r in replicas]
        late = LateAnswers(fake)
        try:
            for number in range(1, args.rounds + 1):
                ticks = sum(t.ticks for t in tickers)
                sent, took = await one_round(number, replicas, sims, args)
                tally, short, _ = await tally_of(fake, store, loaded.plan, [s.url for s in sent])
                ticked = sum(t.ticks for t in tickers) - ticks
                results.append(RoundResult(number, sent, took, ticked, tally))
                at = {s.url: s.at for s in sent}
                for crisis in short:
                    late.watch(crisis, at[response_url_of(crisis)])
            # the last ones stored may wait a whole lease, then a tick, before a scheduler takes them
            await late.wait(time.monotonic() + LEASE.total_seconds() + args.tick_pause + 10)
            await asyncio.gather(*(r.handlers.drain() for r in replicas))
        finally:
            for ticker in tickers:
                await ticker.stop()
        every = [s for r in results for s in r.sent]
        final, _, stored = await tally_of(fake, store, loaded.plan, [s.url for s in every])
    print_rounds(results, tickers)
    acked = [s for s in every if s.acked]
    refused = [s for s in every if not s.acked]
    print(f"   {len(every)} commands: {len(acked)} answered Declaring, {len(refused)} did not ", end="")
    print(f"({sum(s.status == 503 for s in refused)} cancelled at the acknowledgement deadline, 503); ", end="")
    print(
        f"{len(stored)} crises stored, of which {sum(s.url in stored for s in refused)} for a command not answered ",
        end="",
    )
    print(f"Declaring; answered Declaring but not stored: {sum(s.url not in stored for s in acked)} (expected 0)")
    if late.watched:
        later = sorted(late.after.values())
        worst = f"{later[-1]:.1f} s" if later else "-"
        print(
            f"   short when their round drained: {late.watched} (stored, steps not started); answered later by a "
            f"scheduler: {len(later)}, worst {worst} after the command (lease {LEASE.total_seconds():.0f} s)"
        )
    logging.getLogger().removeHandler(logs)
    print("   side effects once everything finished (the rounds' table counts them when each round drained):")
    print_tally(final)
    logs.report()
    return final


def print_rounds(results: Sequence[RoundResult], tickers: Sequence[Ticker]) -> None:
    head = ("round", "sent", "acked", "503", "stored", "ack p99 ms", "seconds", "ticks", "duplicates", "missing")
    widths = (5, 6, 7, 5, 8, 12, 9, 7, 12, 9)
    print("   " + "".join(f"{h:>{w}}" for h, w in zip(head, widths, strict=True)))
    for r in results:
        dup, miss = r.tally.duplicates.total(), r.tally.missing.total()
        acks = sorted(s.latency for s in r.sent)
        p99 = acks[max(0, math.ceil(0.99 * len(acks)) - 1)] * 1000
        refused = sum(s.status == 503 for s in r.sent)
        counts = (r.number, len(r.sent), sum(s.acked for s in r.sent), refused, r.tally.declarations)
        cells = (*counts, f"{p99:.0f}", f"{r.seconds:.2f}", r.ticks, dup, miss)
        print("   " + "".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)))
    took = sum(r.seconds for r in results)
    declared = sum(r.tally.declarations for r in results)
    rate = declared / took if took else 0.0
    failed = sum(t.errors for t in tickers)
    print(f"   {declared} declarations in {took:.1f} s ({rate:.1f}/s); ", end="")
    print(f"scheduler ticks beside them: {sum(r.ticks for r in results)} ({failed} raised)")


async def part_one(args: argparse.Namespace) -> Tally:
    with tempfile.TemporaryDirectory(prefix="crisisbot-once-") as tmp:
        url = f"sqlite:///{tmp}/data/crisisbot.db"
        await asyncio.to_thread(migrate.upgrade, url)
        title = (
            f"1. One process, SQLite: {args.rounds} rounds x {args.commands} concurrent signed /crisis start "
            f"over HTTP, Web API latency {args.latency * 1000:.0f} ms, scheduler ticking throughout"
        )
        return await run_rounds(title, [url], ["bench-solo"], args)


async def part_two(args: argparse.Namespace) -> Tally | None:
    server = PgServer(make_url(args.pg_url))
    try:
        await asyncio.to_thread(lambda: psycopg.connect(server.admin_dsn, connect_timeout=3).close())
    except psycopg.OperationalError as exc:
        print(f"\n2. Two replicas on PostgreSQL: skipped, {args.pg_url} does not answer ({exc})")
        return None
    try:
        url = await asyncio.to_thread(server.create_database)
        await asyncio.to_thread(migrate.upgrade, url)
        each = args.commands // 2
        title = (
            f"2. Two replicas (a, b), one PostgreSQL database: {args.rounds} rounds x {each} + {args.commands - each} "
            f"concurrent /crisis start, both schedulers ticking"
        )
        return await run_rounds(title, [url, url], ["a", "b"], args)
    finally:
        await asyncio.to_thread(server.drop_all)


# -- part 3: kill -9 of crisisbot serve ---------------------------------------------------------------


def _is_post(suffix: str) -> Callable[[JSON], bool]:
    def match(args: JSON) -> bool:
        key = post_key(args)
        return key is not None and key.endswith(suffix)

    return match


def _is_answer(args: JSON) -> bool:
    return declared_in(args, FIRST)


@dataclass(frozen=True)
class KillPoint:
    """A chat call of a ``complaint sev3`` declaration, and whether the process dies before
    Slack handles it (the call is dropped: it never got there) or after (Slack did it, the
    process never heard)."""

    what: str
    method: str
    match: Callable[[JSON], bool] | None = None
    nth: int = 1
    after: bool = False
    other_replica: bool = False

    @property
    def name(self) -> str:
        return f"{self.what} {'after' if self.after else 'before'}"


CALLS = (  # every chat call of the declaration (auth.test comes before the acknowledgement)
    ("conversations.create", "conversations.create", None, 1),
    ("setTopic", "conversations.setTopic", None, 1),
    ("setPurpose", "conversations.setPurpose", None, 1),
    ("conversations.invite", "conversations.invite", None, 1),
    ("post kickoff", "chat.postMessage", _is_post(":kickoff"), 1),
    ("pins.add", "pins.add", None, 1),
    ("post page card 1", "chat.postMessage", _is_post(":card"), 1),
    ("post page card 2", "chat.postMessage", _is_post(":card"), 2),
    ("post page DM 1", "chat.postMessage", _is_post(":dm"), 1),
    ("post page DM 2", "chat.postMessage", _is_post(":dm"), 2),
    ("post announcement", "chat.postMessage", _is_post(":announce"), 1),
    ("response_url answer", "response_url", _is_answer, 1),
)
OTHER_REPLICA_POINTS = (
    "conversations.create after",
    "post kickoff after",
    "post page card 1 before",
    "response_url answer before",
)


def kill_points(only: Sequence[str], other: Sequence[str]) -> list[KillPoint]:
    every = [
        KillPoint(what, method, match, nth, after) for what, method, match, nth in CALLS for after in (False, True)
    ]
    by_name = {p.name: p for p in every}
    unknown = [name for name in (*only, *other) if name not in by_name]
    if unknown:
        raise SystemExit(f"unknown kill points {unknown}; known: {', '.join(by_name)}")
    same = [p for p in every if not only or p.name in only]
    return [*same, *(replace(by_name[name], other_replica=True) for name in other)]


def settle_hooks() -> list[tuple[str, str, Callable[[JSON], bool] | None]]:
    """The Slack calls that leave each side effect of the fresh database's one crisis (pages 1
    and 2 are its two pages), to wait for them without polling."""
    posts = [f"{FIRST}:kickoff", f"{FIRST}:announce", *(f"page:{n}:0:{w}" for n in (1, 2) for w in ("card", "dm"))]

    def key_is(key: str) -> Callable[[JSON], bool]:
        return lambda args: post_key(args) == key

    return [("room", "conversations.create", None), ("pin", "pins.add", None)] + [
        (key, "chat.postMessage", key_is(key)) for key in posts
    ]


@dataclass
class PointResult:
    point: KillPoint
    reached: bool
    completed: bool
    listening: float | None  # restart -> serving HTTP (its first tick runs beside its start-up)
    to_answer: float | None  # restart -> final answer
    to_settle: float | None  # restart -> every side effect in Slack (None: some never came)
    duplicates: int
    missing: int
    tally: Tally
    log: list[str]

    @property
    def who(self) -> str:
        return "other id" if self.point.other_replica else "same id"


async def wait_event(event: threading.Event, within: float) -> bool:
    """Wait for an event the fake's thread sets, without blocking this loop."""
    return await asyncio.to_thread(event.wait, max(within, 0.0))


async def kill_and_restart(point: KillPoint, loaded: LoadedPlan, args: argparse.Namespace) -> PointResult:
    with tempfile.TemporaryDirectory(prefix="crisisbot-kill-") as tmp:
        threaded = ThreadedFakeSlack(FakeSlack(valid_tokens=(BOT_TOKEN,), latency=args.latency))
        seed_workspace(threaded.fake, loaded)
        base_url = threaded.start()
        fake = threaded.fake
        db = Path(tmp) / "crisisbot.db"
        first = BotProcess(serve_env(base_url, "bench-1", db_path=db))
        second = BotProcess(serve_env(base_url, "bench-2" if point.other_replica else "bench-1", db_path=db))
        try:
            return await _kill_and_restart(point, fake, first, second, db, loaded, args)
        finally:
            for bot in (first, second):
                if bot.proc is not None and bot.proc.poll() is None:
                    bot.kill()
            threaded.stop()


async def _kill_and_restart(
    point: KillPoint,
    fake: FakeSlack,
    first: BotProcess,
    second: BotProcess,
    db: Path,
    loaded: LoadedPlan,
    args: argparse.Namespace,
) -> PointResult:
    killed = threading.Event()

    def kill(call: Call) -> bool:  # in the fake's thread, at the very call
        first.kill()
        killed.set()
        return not point.after  # before: the call never reached Slack

    fake.on_call(point.method, kill, nth=point.nth, after=point.after, match=point.match)
    effects: dict[str, float] = {}  # side effect -> when Slack handled its call
    settled = threading.Event()
    hooks = settle_hooks()

    def seen(name: str) -> Callable[[Call], None]:
        def done(call: Call) -> None:
            effects.setdefault(name, call.at)
            if len(effects) == len(hooks) + 1:  # and the answer
                settled.set()

        return done

    for name, method, match in hooks:
        fake.on_call(method, seen(name), after=True, match=match)

    first.start()
    await wait_event(first.ready, 60)
    async with aiohttp.ClientSession() as session:
        sim = SlackClientSim(f"http://127.0.0.1:{first.port}{EVENTS_PATH}", fake, session)
        try:
            _, _, response_url = await sim.command(KILL_TEXT)
        except aiohttp.ClientError:  # killed before the acknowledgement reached Slack
            response_url = ""
    reached = await wait_event(killed, 30)
    if not reached:
        first.stop()
    # the restart: its final answer is the one counted from now on
    answered = threading.Event()
    answer_seen = seen("answer")

    def answer(call: Call) -> None:
        answer_seen(call)
        answered.set()

    fake.on_call("response_url", answer, after=True, match=_is_answer)
    second.start()
    timeout = args.answer_timeout * (3 if point.other_replica else 1)
    completed = await wait_event(answered, timeout)
    restarted = second.started
    to_answer = effects["answer"] - restarted if completed else None
    await wait_event(settled, restarted + timeout + args.settle - time.monotonic())
    to_settle = max(effects.values()) - restarted if settled.is_set() else None
    second.stop()

    engine = create_async_db_engine(f"sqlite:///{db}")
    try:
        store = Storage.on(engine)
        tally = Tally()
        dup = miss = 0
        for crisis in await store.crises.list_crises(limit=10):
            url = response_url_of(crisis) or response_url
            state = SlackState.of(fake, [url])
            pages = await store.pages.pages_of(crisis.number)
            effects_seen = seen_effects(state, loaded.plan, crisis, pages)
            dup, miss = tally.add(crisis, expected_effects(loaded.plan, crisis), effects_seen, steps=False)
    finally:
        await engine.dispose()
    if tally.declarations == 0:  # nothing was stored: the declaration itself is missing
        miss = 1
        tally.notes.append("no crisis was stored")
    log = [*(f"first: {line}" for line in first.problems()), *(f"restart: {line}" for line in second.problems())]
    return PointResult(point, reached, completed, second.listening, to_answer, to_settle, dup, miss, tally, log)


def seconds(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "never"


async def part_three(args: argparse.Namespace) -> list[PointResult]:
    loaded = load_plan(PLAN_PATH)
    points = kill_points(args.points, args.other_replica_points)
    print(f"\n3. kill -9 of `python -m bot serve` (SQLite) at each chat call of `/crisis {KILL_TEXT}`, then a restart")
    print(
        f"   (declaration lease {LEASE.total_seconds():.0f} s, page lease {PAGE_LEASE.total_seconds():.0f} s, "
        f"scheduler tick {SCHEDULER_INTERVAL:.0f} s; seconds from the restart, start-up included)"
    )
    head = ("kill point", "restart", "completed", "listening", "answer", "settled", "dup", "miss")
    widths = (-30, 9, 10, 10, 8, 9, 5, 5)
    print("   " + "".join(f"{h:{'<' if w < 0 else '>'}{abs(w)}}" for h, w in zip(head, widths, strict=True)))
    results = []
    for point in points:
        result = await kill_and_restart(point, loaded, args)
        results.append(result)
        done = ("yes" if result.completed else "NO") + ("" if result.reached else " (not reached)")
        timings = (seconds(result.listening), seconds(result.to_answer), seconds(result.to_settle))
        cells = (point.name, result.who, done, *timings, result.duplicates, result.missing)
        print("   " + "".join(f"{c:{'<' if w < 0 else '>'}{abs(w)}}" for c, w in zip(cells, widths, strict=True)))
    for result in results:
        if result.duplicates or result.missing or not result.completed:
            print(f"   ! {result.point.name} ({result.who}):")
            for line in [*result.tally.notes, *result.log[-6:]]:
                print(f"       {line}")
    total = Tally()
    for result in results:
        total.merge(result.tally)
    for label, other in (("same replica id", False), ("other replica id", True)):
        answered = sorted(r.to_answer for r in results if r.point.other_replica is other and r.to_answer is not None)
        settled = sorted(r.to_settle for r in results if r.point.other_replica is other and r.to_settle is not None)
        if answered:
            ratio = f" ({answered[-1] / LEASE.total_seconds():.2f} x the lease)" if other else ""
            print(f"   {label}: restart -> final answer median {answered[len(answered) // 2]:.2f} s, ", end="")
            print(
                f"worst {answered[-1]:.2f} s{ratio}; -> every side effect worst {seconds(max(settled, default=None))} s"
            )
    print_tally(total, steps=False)
    return results


# -- main -----------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    began = time.monotonic()
    print(f"crisisbot exactly-once benchmark: Web API latency {args.latency * 1000:.0f} ms per call")
    tallies: list[Tally] = []
    kills: list[PointResult] = []
    if 1 in args.parts:
        part = time.monotonic()
        tallies.append(await part_one(args))
        print(f"   part 1 took {time.monotonic() - part:.0f} s")
    if 2 in args.parts:
        part = time.monotonic()
        if (two := await part_two(args)) is not None:
            tallies.append(two)
            print(f"   part 2 took {time.monotonic() - part:.0f} s")
    if 3 in args.parts:
        part = time.monotonic()
        kills = await part_three(args)
        tallies.extend(r.tally for r in kills)
        print(f"   part 3 took {time.monotonic() - part:.0f} s")
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    dup, miss, expected = total.duplicates.total(), total.missing.total(), total.expected.total()
    miss += sum(r.missing for r in kills if r.tally.declarations == 0)
    print("\nSummary")
    print(f"   declarations: {total.declarations}; side effects expected: {expected}")
    print(f"   duplicates: {dup} ({pct(dup, expected)}); missing: {miss} ({pct(miss, expected)})")
    for label, other in (("same replica id", False), ("other replica id", True)):
        mine = [r for r in kills if r.point.other_replica is other]
        if not mine:
            continue
        answered = [r.to_answer for r in mine if r.to_answer is not None]
        settled = [r.to_settle for r in mine if r.to_settle is not None]
        worst = f"{max(answered):.2f} s" if answered else "-"
        worst_settle = f"{max(settled):.2f} s" if len(settled) == len(mine) else "never, for some points"
        print(
            f"   worst restart -> final answer, {label}: {worst} "
            f"({len(answered)}/{len(mine)} completed); every side effect in Slack: {worst_settle}"
        )
    print(f"   took {time.monotonic() - began:.0f} s")


def cli(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=20, help="rounds of concurrent declarations (parts 1, 2)")
    parser.add_argument("--commands", type=int, default=60, help="concurrent declarations per round")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added to every Web API call")
    parser.add_argument(
        "--tick-pause",
        type=float,
        default=0.0,
        help="seconds between scheduler ticks in parts 1 and 2 (0: back to back)",
    )
    parser.add_argument("--parts", default="1,2,3", help="which parts to run, e.g. 3 or 1,2")
    parser.add_argument(
        "--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL server for part 2 (a database is made and dropped)"
    )
    parser.add_argument(
        "--other-replica-points",
        default=",".join(OTHER_REPLICA_POINTS),
        help="kill points also restarted under another replica id (comma-separated names, '' for none)",
    )
    parser.add_argument("--points", default="", help="only these kill points (comma-separated names; default: all)")
    parser.add_argument(
        "--answer-timeout", type=float, default=60.0, help="seconds to wait for a restart's answer (x3 for another id)"
    )
    parser.add_argument("--settle", type=float, default=90.0, help="seconds to wait after that for every side effect")
    args = parser.parse_args(argv)
    args.parts = {int(p) for p in args.parts.split(",") if p.strip()}
    args.points = [p.strip() for p in args.points.split(",") if p.strip()]
    args.other_replica_points = [p.strip() for p in args.other_replica_points.split(",") if p.strip()]
    asyncio.run(main(args))


if __name__ == "__main__":
    cli()
