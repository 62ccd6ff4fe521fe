"""Two ``python -m bot serve`` replicas on one PostgreSQL database, behind a round-robin of
requests: 50 declarations at once, half to each, and every side effect happens exactly once.

The replicas are real processes started as an operator starts them (``python -m bot migrate``
first, then ``serve`` twice with one ``DATABASE_URL`` and two replica ids), each with its own
Slack token so the fake Slack Web API can tell which one made a call. Both schedulers tick all
along: every tick is a chance for a replica to resume, by mistake, a declaration the other one
is running. What is counted is what Slack ended up with (rooms, posts by their step key, pins,
answers at each response_url) and what the database recorded (crises, steps, page rows).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.slack.server import EVENTS_PATH
from bot.container import Storage
from bot.core.model.crisis import StepStatus
from bot.core.plan.model import LoadedPlan
from bot.storage.engine import create_async_db_engine
from tests.adapters.slack.harness import SlackClientSim, seed_workspace
from tests.fakes import Call, FakeSlack, ThreadedFakeSlack
from tests.production.effects import SlackState, expected_effects, response_url_of, seen_effects, surplus_and_shortfall
from tests.production.processes import WAIT, BotProcess, migrate, serve_env
from tests.storage.fixtures import PgServer

pytestmark = pytest.mark.postgres

DECLARATIONS = 50
LATENCY = 0.05  # per Web API call: enough for the declarations' steps to overlap across replicas
TOKENS = {"replica-a": "xoxb-replica-a", "replica-b": "xoxb-replica-b"}


async def test_fifty_concurrent_declarations_over_two_replicas_happen_exactly_once(
    pg_server: PgServer, loaded_plan: LoadedPlan
) -> None:
    database_url = await asyncio.to_thread(pg_server.create_database)
    await asyncio.to_thread(migrate, database_url)
    fake = FakeSlack(valid_tokens=tuple(TOKENS.values()), latency=LATENCY)
    seed_workspace(fake, loaded_plan)
    answered = threading.Event()

    def all_answered(call: Call) -> None:
        answered.set()

    # the 50th final answer: a duplicate answer would set it early, and the count below fails
    fake.on_call("response_url", all_answered, nth=DECLARATIONS, after=True, match=lambda a: "declared." in str(a))
    with ThreadedFakeSlack(fake) as threaded:
        replicas = [
            BotProcess(serve_env(threaded.fake.base_url, name, token=token, database_url=database_url))
            for name, token in TOKENS.items()
        ]
        try:
            for bot in replicas:
                bot.start()
            for bot in replicas:
                await asyncio.to_thread(bot.wait_ready)
            async with aiohttp.ClientSession() as session:
                sims = [SlackClientSim(f"{bot.url}{EVENTS_PATH}", fake, session) for bot in replicas]
                sent = await asyncio.gather(
                    *(
                        sims[i % 2].command(f"start complaint sev3 Round robin declaration {i:02d} under load")
                        for i in range(DECLARATIONS)
                    )
                )
            assert await asyncio.to_thread(answered.wait, WAIT), "every declarer heard the outcome"
        finally:
            statuses = [await asyncio.to_thread(bot.stop) for bot in replicas]  # drains the work under way
    assert statuses == [0, 0]
    acks = [(status, "Declaring CRISIS-" in ack) for status, ack, _ in sent]
    refused = [ack for _, ack, _ in sent if "Declaring" not in ack]
    for bot in replicas if refused else ():  # shown in full with the failure: where each one was stuck
        print(f"--- {bot.name} ---", *errors(bot.lines), sep="\n")
    assert acks == [(200, True)] * DECLARATIONS, (
        refused,
        [line for b in replicas for line in b.lines if "ERROR" in line],
    )
    numbers = {ack.split("Declaring ")[1][:13] for _, ack, _ in sent}
    assert len(numbers) == DECLARATIONS, "one crisis number per request"

    engine = create_async_db_engine(database_url)
    try:
        await assert_exactly_once(engine, fake, loaded_plan, [url for _, _, url in sent])
    finally:
        await engine.dispose()
    for bot in replicas:
        assert bot.problems() == [], f"{bot.name} logged problems"


def errors(lines: list[str]) -> list[str]:
    """The errors a replica logged, each with its traceback (the lines up to the next record):
    where a request was stuck when it missed Slack's deadline."""
    kept, keep = [], False
    for line in lines:
        if line[:4].isdigit():  # a new record starts with its date
            keep = " ERROR " in line
        if keep:
            kept.append(line)
    return kept


async def assert_exactly_once(engine: AsyncEngine, fake: FakeSlack, loaded: LoadedPlan, urls: list[str]) -> None:
    """50 crises, one per request, each with every step done and every side effect once."""
    store = Storage.on(engine)
    crises = await store.crises.list_crises(limit=1000)
    assert sorted(response_url_of(c) for c in crises) == sorted(urls), "one crisis per request, none more"
    state = SlackState.of(fake, urls)
    duplicates: Counter[str] = Counter()
    missing: Counter[str] = Counter()
    undone = []
    for crisis in crises:
        pages = await store.pages.pages_of(crisis.number)
        dup, miss = surplus_and_shortfall(
            expected_effects(loaded.plan, crisis), seen_effects(state, loaded.plan, crisis, pages)
        )
        duplicates.update(dup)
        missing.update(miss)
        undone += [f"{crisis.key} {s.key.value}" for s in crisis.steps if s.status is not StepStatus.DONE]
        assert crisis.room is not None
    assert (duplicates, missing, undone) == (Counter(), Counter(), [])
    rooms = [c for c in fake.channels.values() if not c["is_im"] and "round-robin-declaration" in str(c["name"])]
    assert len(rooms) == DECLARATIONS
    assert len({c.room.id for c in crises if c.room}) == DECLARATIONS
    # every page card and DM of the declarations, once: no page row without its card either
    page_rows = [p for c in crises for p in await store.pages.pages_of(c.number)]
    assert len(page_rows) == sum(expected_effects(loaded.plan, c)["page rows"] for c in crises)
    assert all(p.delivered == 0 and p.position == 0 for p in page_rows)
