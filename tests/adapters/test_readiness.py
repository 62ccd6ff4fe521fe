"""``/readyz`` of ``crisisbot serve``: ready only once each platform accepted its credentials (a
replica with a revoked token would accept declarations it cannot carry out), while ``/healthz``
keeps saying the process is alive, so the orchestrator does not restart it in a loop."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from bot.core.plan.model import LoadedPlan
from tests.adapters.slack.harness import BOT_TOKEN, seed_workspace
from tests.adapters.slack.test_serve_process import free_port, start_serve, stop_serve
from tests.adapters.test_shutdown import slack_env
from tests.fakes import FakeSlack


async def test_a_slack_token_slack_refuses_keeps_the_replica_out_of_rotation(
    loaded_plan: LoadedPlan, tmp_path: Path
) -> None:
    async with FakeSlack(valid_tokens=("xoxb-another-app",)) as fake:  # ours was revoked
        seed_workspace(fake, loaded_plan)
        port = free_port()
        proc, logged = await start_serve(slack_env(fake.base_url, tmp_path / "bot.db", "replica-a"), port)
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                    assert response.status == 503
                    body = await response.json()
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    assert response.status == 200
        finally:
            problems = await stop_serve(proc, logged)
    assert body["why"].startswith("Slack did not accept the credentials")
    assert body["details"] == {"slack": "not accepted"}
    assert BOT_TOKEN not in str(body)
    # said once by the Slack client and once by the probe, never at every probe
    # (the readable format ends a line about a request with its context: "[request_id=...]")
    assert [p.split(" WARNING ")[1].split(" [request_id=")[0] for p in problems] == [
        "bot.adapters.slack.chat: Slack could not auth.test: invalid_auth",
        "bot.adapters.http.server: not ready: Slack did not accept the credentials: "
        "Slack could not auth.test: invalid_auth.",
    ]
