"""``/metrics`` and JSON logs of a real ``crisisbot serve``: what an operator's Prometheus and log
pipeline read during a crisis, counted from the core's own edges (a declaration, its pages, a
mistyped command), with no user text in any label."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import aiohttp

from bot.core.plan.model import LoadedPlan
from tests.adapters.slack.harness import BOT_TOKEN, SlackClientSim, seed_workspace
from tests.adapters.slack.test_serve_process import free_port, start_serve, stop_serve
from tests.adapters.test_shutdown import slack_env
from tests.fakes import FakeSlack

WAIT = 120.0  # a hang detector for another process on a starved machine


def sample(text: str, name: str, **labels: str) -> float | None:
    """One sample of the Prometheus text format, by name and exact labels."""
    for row in text.splitlines():
        found = re.fullmatch(rf"{re.escape(name)}\{{(.*)\}} (\S+)", row)
        if found and dict(re.findall(r'(\w+)="([^"]*)"', found.group(1))) == labels:
            return float(found.group(2))
    return None


async def test_a_declaration_is_counted_and_logged_as_json(loaded_plan: LoadedPlan, tmp_path: Path) -> None:
    async with FakeSlack(valid_tokens=(BOT_TOKEN,)) as fake:
        seed_workspace(fake, loaded_plan)
        declared = asyncio.Event()
        fake.on_call("response_url", lambda call: declared.set(), after=True)
        fake.fail_next("chat.postMessage", status=429, retry_after=1)  # waited out, then posted
        fake.fail_next("pins.add", error="channel_not_found", times=5)  # the pin step fails
        port = free_port()
        env = slack_env(fake.base_url, tmp_path / "bot.db", "replica-a", CRISISBOT_LOG_FORMAT="json")
        proc, logged = await start_serve(env, port)
        try:
            async with aiohttp.ClientSession() as session:
                sim = SlackClientSim(f"http://127.0.0.1:{port}/slack/events", fake, session)
                await sim.command("start complaint sev3 <!channel> Late parcels")
                await asyncio.wait_for(declared.wait(), WAIT)
                await sim.command("strat complaint")  # mistyped: answered with the fix
                async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                    assert response.status == 200
                    assert response.content_type == "text/plain"
                    text = await response.text()
        finally:
            problems = await stop_serve(proc, logged)
    assert problems == []
    assert sample(text, "crisisbot_declarations_total", platform="slack") == 1
    assert sample(text, "crisisbot_commands_total", platform="slack", command="start", outcome="ok") == 1
    assert sample(text, "crisisbot_commands_total", platform="slack", command="other", outcome="refused") == 1
    assert sample(text, "crisisbot_pages_total", platform="slack", event="fired") == 2, "sev3 pages two roles"
    assert sample(text, "crisisbot_ack_seconds_count", platform="slack") == 2
    assert sample(text, "crisisbot_db_pool_size", pool="main") is not None
    assert sample(text, "crisisbot_chat_api_retries_total", platform="slack", method="chat.postMessage") == 1
    assert sample(text, "crisisbot_chat_api_errors_total", platform="slack", method="pins.add", kind="client") == 1
    assert sample(text, "crisisbot_declaration_step_failures_total", platform="slack", step="pin") == 1
    assert "channel" not in text.replace("crisisbot_", ""), "no user text in any label"
    assert "strat" not in text
    lines = [json.loads(row) for row in logged if row.startswith("{")]
    assert any("listening on" in line["message"] for line in lines), "every line one JSON object"
    assert all({"level", "logger", "message"} <= line.keys() for line in lines)
    # the declaration's lines say which platform, command and crisis they are about
    about = [line for line in lines if line.get("crisis") == 1]
    assert about, lines
    assert all(line["platform"] == "slack" and line["command"] == "start" for line in about)
    assert all(line.get("request_id") for line in about)
    # JSON lines escape the readable format's " WARNING " that stop_serve looks for: check here
    warned = [line["message"] for line in lines if line["level"] in ("WARNING", "ERROR", "CRITICAL")]
    assert warned == ["Slack could not pin the kickoff message: channel_not_found"]
