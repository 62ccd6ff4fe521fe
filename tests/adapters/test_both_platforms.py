"""``crisisbot serve`` with Slack and Teams both configured: one process, one port, one database.

Each platform declares in its own chat (a Slack channel for the Slack crisis, a Teams channel
for the Teams one), and neither touches the other's crisis: the real command against the fake
Slack Web API and the fake Microsoft side, with authentication on for both.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import aiohttp
import yaml

from bot.core.plan.model import LoadedPlan
from tests.adapters.slack.harness import (
    ANNOUNCE,
    BOT_TOKEN,
    SIGNING_SECRET,
    STAKEHOLDERS,
    SlackClientSim,
    seed_workspace,
)
from tests.adapters.slack.test_serve_process import ROOT, free_port, start_serve, stop_serve
from tests.adapters.teams.harness import TeamsSim, seed_tenant, teams_plan
from tests.fakes import FakeSlack
from tests.fakes.microsoft import TEAM_ID, FakeMicrosoft

TIMEOUT = 60.0
KNOWN = {
    ANNOUNCE,
    STAKEHOLDERS,
    "general",
}  # the channels the fakes start with  # a hang detector for another process on a starved machine, not a speed test


def plan_for_both(loaded: LoadedPlan, folder: Path) -> Path:
    """The shipped plan and playbooks, with the Teams section the Teams tests use."""
    shutil.copytree(ROOT / "playbooks", folder)
    teams = teams_plan(loaded).plan
    data = yaml.safe_load((folder / "plan.yaml").read_text())
    data["teams"] = {"team_id": TEAM_ID}
    for pid, person in data["people"].items():
        if teams.people[pid].teams_id:
            person["teams_id"] = teams.people[pid].teams_id
    (folder / "plan.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return folder / "plan.yaml"


async def test_one_process_serves_slack_and_teams_each_on_its_own_crises(
    loaded_plan: LoadedPlan, tmp_path: Path
) -> None:
    plan = plan_for_both(loaded_plan, tmp_path / "playbooks")
    with FakeMicrosoft() as ms:
        seed_tenant(ms, teams_plan(loaded_plan))
        async with FakeSlack(valid_tokens=(BOT_TOKEN,)) as slack:
            seed_workspace(slack, loaded_plan)
            declared_in_slack = asyncio.Event()
            slack.on_call("response_url", lambda call: declared_in_slack.set(), after=True)
            port = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_"))}
            env.pop("DATABASE_URL", None)
            env |= {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.base_url,
                **ms.settings(),
                "CRISISBOT_PLAN": str(plan),
                "CRISISBOT_DB_PATH": str(tmp_path / "crisisbot.db"),
                "CRISISBOT_LOG_LEVEL": "INFO",
            }
            proc, logged = await start_serve(env, port)
            try:
                assert any("serves Slack and Microsoft Teams" in row for row in logged), logged
                base = f"http://127.0.0.1:{port}"
                async with aiohttp.ClientSession() as session:
                    slack_sim = SlackClientSim(f"{base}/slack/events", slack, session)
                    status, ack, _ = await slack_sim.command("start complaint sev3 Late parcels")
                    assert status == 200, ack
                    assert "Declaring CRISIS-0001" in ack
                    await asyncio.wait_for(declared_in_slack.wait(), TIMEOUT)

                    async def settled() -> None:
                        """Nothing to drain in another process: the declaration's reply in the
                        thread of the command is its last post."""

                    teams_sim = TeamsSim(ms, f"{base}/api/messages", session, teams_plan(loaded_plan).plan, settled)
                    assert await teams_sim.say("crisis start troll sev4 Bot swarm", by="amelie") == 200
                    replied = await asyncio.to_thread(_wait_for_reply, ms, "CRISIS-0002 declared")
                    assert replied, [s.activity.get("summary") for s in ms.state.sent]
            finally:
                problems = await stop_serve(proc, logged)
            slack_rooms = {c["name"] for c in slack.channels.values() if not c["is_im"] and c["name"] not in KNOWN}
            teams_rooms = {c.name for c in ms.state.channels.values() if c.name not in KNOWN}
    assert problems == []
    [slack_room] = slack_rooms
    assert slack_room.endswith("late-parcels")
    [teams_room] = teams_rooms
    assert teams_room.endswith("bot-swarm")
    assert not [s for s in ms.state.sent if "CRISIS-0001" in str(s.activity)], "Teams heard of Slack's crisis"
    assert not [m for ms_ in slack.messages.values() for m in ms_ if "CRISIS-0002" in str(m)], "and Slack of Teams'"


def _wait_for_reply(ms: FakeMicrosoft, summary: str) -> bool:
    """The declarer's answer in the thread of their command: the last post of a declaration."""
    with ms.state.posted:
        return ms.state.posted.wait_for(
            lambda: any(s.activity.get("summary") == summary for s in ms.state.sent), TIMEOUT
        )
