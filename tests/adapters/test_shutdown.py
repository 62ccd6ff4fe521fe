"""``crisisbot serve`` stopped by SIGTERM, as on a rolling restart: nothing a person asked for is
lost. Readiness fails at once and new requests get 503 (the load balancer tries another replica),
the declaration under way finishes, and what cannot finish in time is cancelled with its leases
released, so the next replica resumes it at its first tick instead of after the lease expires.

The real command against the fake Slack Web API; the points in time are forced by holding or
dropping the fake's ``conversations.create`` (the war room), never by sleeping.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import threading
from pathlib import Path

import aiohttp

from bot.core.plan.model import LoadedPlan
from tests.adapters.slack.harness import BOT_TOKEN, SIGNING_SECRET, SlackClientSim, seed_workspace, sign
from tests.adapters.slack.test_serve_process import free_port, start_serve, stop_serve
from tests.fakes import Call, FakeSlack, ThreadedFakeSlack

WAIT = 120.0  # a hang detector for another process on a starved machine, not a speed test


def slack_env(api_url: str, db: Path, replica: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_"))}
    env.pop("DATABASE_URL", None)
    return env | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "CRISISBOT_DB_PATH": str(db),
        "CRISISBOT_LOG_LEVEL": "INFO",
        "CRISISBOT_REPLICA_ID": replica,
        **extra,
    }


async def logged_until(proc: asyncio.subprocess.Process, logged: list[str], text: str) -> None:
    """Read what the process logs until ``text``: how the test knows it handled the signal."""
    assert proc.stderr is not None
    while not any(text in row for row in logged):
        row = await asyncio.wait_for(proc.stderr.readline(), timeout=WAIT)
        assert row, f"serve exited before logging {text!r}: {logged}"
        logged.append(row.decode())


def crisis_row(db: Path, number: int) -> tuple[str | None, list[str]]:
    """The crisis's lease holder and the status of each of its steps."""
    with sqlite3.connect(db) as conn:
        [(owner,)] = conn.execute("SELECT lease_owner FROM crisis WHERE id = ?", (number,)).fetchall()
        steps = [s for (s,) in conn.execute("SELECT status FROM crisis_step WHERE crisis_id = ?", (number,))]
    return owner, steps


async def test_sigterm_fails_readiness_refuses_new_requests_and_finishes_the_declaration(
    loaded_plan: LoadedPlan, tmp_path: Path
) -> None:
    with ThreadedFakeSlack() as threaded:  # the fake in its own thread: it can hold a call
        fake = threaded.fake
        seed_workspace(fake, loaded_plan)
        creating, go_on, answered = threading.Event(), threading.Event(), threading.Event()

        def hold(call: Call) -> bool:
            creating.set()
            go_on.wait(WAIT)
            return False

        fake.on_call("conversations.create", hold)
        fake.on_call("response_url", lambda call: answered.set(), after=True)
        port, db = free_port(), tmp_path / "crisisbot.db"
        proc, logged = await start_serve(slack_env(fake.base_url, db, "replica-a"), port)
        base = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession() as session:
                sim = SlackClientSim(f"{base}/slack/events", fake, session)
                status, ack, _ = await sim.command("start complaint sev3 Late parcels")
                assert (status, "Declaring CRISIS-0001" in ack) == (200, True), ack
                assert await asyncio.to_thread(creating.wait, WAIT), "the declaration reached the war room"

                proc.send_signal(signal.SIGTERM)
                await logged_until(proc, logged, "stopping:")
                async with session.get(f"{base}/readyz") as response:
                    assert response.status == 503
                    assert "shutting down" in (await response.json())["why"]
                async with session.get(f"{base}/healthz") as response:
                    assert response.status == 200, "still alive: the orchestrator must not kill it early"
                body = "command=%2Fcrisis&text=list&user_id=U01AMELIE0&channel_id=C0GENERAL"
                async with session.post(f"{base}/slack/events", data=body, headers=sign(body)) as response:
                    assert response.status == 503
                    assert response.headers["Retry-After"] == "1"

                go_on.set()  # Slack answers: the declaration under way finishes
                assert await asyncio.to_thread(answered.wait, WAIT), "the declarer heard the outcome"
                assert await asyncio.wait_for(proc.wait(), WAIT) == 0
        finally:
            go_on.set()
            problems = await stop_serve(proc, logged)
    assert problems == []
    owner, steps = crisis_row(db, 1)
    assert owner is None
    assert set(steps) == {"done"}


async def test_work_still_running_at_the_timeout_is_cancelled_and_handed_over_at_once(
    loaded_plan: LoadedPlan, tmp_path: Path
) -> None:
    async with FakeSlack(valid_tokens=(BOT_TOKEN,)) as fake:
        seed_workspace(fake, loaded_plan)
        creating = asyncio.Event()

        def lost(call: Call) -> bool:
            creating.set()
            return True  # never answered: the declaration hangs on it, as on a Slack gone silent

        fake.on_call("conversations.create", lost)
        port, db = free_port(), tmp_path / "crisisbot.db"
        env = slack_env(fake.base_url, db, "replica-a", CRISISBOT_SHUTDOWN_TIMEOUT="1")
        proc, logged = await start_serve(env, port)
        try:
            async with aiohttp.ClientSession() as session:
                sim = SlackClientSim(f"http://127.0.0.1:{port}/slack/events", fake, session)
                status, ack, response_url = await sim.command("start complaint sev3 Late parcels")
                assert status == 200, ack
                await asyncio.wait_for(creating.wait(), WAIT)
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), WAIT) == 0
        finally:
            problems = await stop_serve(proc, logged)
        assert [p for p in problems if "were cancelled; another replica resumes them" not in p] == []
        assert any("1 piece(s) of work still running after 1 s were cancelled" in p for p in problems)
        owner, steps = crisis_row(db, 1)
        assert owner is None, "released: the next replica need not wait for the lease to expire"
        assert "pending" in steps

        # another replica (another name: it could not take over an expired predecessor's lease
        # by name) finishes it at its first tick
        answered = asyncio.Event()
        fake.on_call("response_url", lambda call: answered.set(), after=True)
        proc, logged = await start_serve(slack_env(fake.base_url, db, "replica-b"), free_port())
        try:
            await asyncio.wait_for(answered.wait(), WAIT)
        finally:
            problems = await stop_serve(proc, logged)
        assert problems == []
        rooms = [c for c in fake.channels.values() if str(c["name"]).endswith("late-parcels")]
        assert len(rooms) == 1
        assert "CRISIS-0001" in str(fake.responses(response_url))
