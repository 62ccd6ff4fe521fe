"""``crisisbot serve`` for Teams as operators run it: only TEAMS_* set (every SLACK_* absent), bad
settings named at start-up, the SDK left unimported when Teams is not configured."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import aiohttp
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from tests.adapters.slack.test_serve_process import ROOT, free_port, start_serve, stop_serve
from tests.adapters.teams.harness import entra_id
from tests.fakes.microsoft import APP_ID, APP_PASSWORD, TENANT_ID, FakeMicrosoft

SLACK = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL")
TEAMS: tuple[str, ...] = ("TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID", "TEAMS_CLOUD", "TEAMS_LOGIN_URL")
TEAMS += ("TEAMS_OPENID_METADATA_URL", "TEAMS_GRAPH_URL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*SLACK, *TEAMS, "CLIENT_ID", "CLIENT_SECRET", "DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")


def test_bad_teams_settings_are_all_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAMS_APP_ID", "crisisbot")
    monkeypatch.setenv("TEAMS_CLOUD", "Mars")
    monkeypatch.setenv("TEAMS_GRAPH_URL", "https://graph.microsoft.com/v1.0")
    monkeypatch.setenv("TEAMS_OPENID_METADATA_URL", "https://login.botframework.com/v1/.well-known/keys")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    for name in ("TEAMS_APP_ID must be", "TEAMS_APP_PASSWORD is not set", "TEAMS_TENANT_ID must be", "TEAMS_CLOUD"):
        assert name in result.output
    assert "TEAMS_GRAPH_URL is Graph's base without /v1.0" in result.output
    assert "/openidconfiguration" in result.output
    assert "SLACK_BOT_TOKEN" not in result.output  # Teams is what the operator set up


def test_good_teams_settings_have_no_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAMS_APP_ID", APP_ID)
    monkeypatch.setenv("TEAMS_APP_PASSWORD", APP_PASSWORD)
    monkeypatch.setenv("TEAMS_TENANT_ID", TENANT_ID)
    settings = Settings()
    assert settings.teams_configured
    assert not settings.slack_configured
    assert settings.teams_problems() == []
    assert APP_PASSWORD not in repr(settings)


def test_the_sdk_is_not_imported_unless_teams_is_configured() -> None:
    code = (
        "import sys, bot.cli, bot.container, bot.adapters.slack.app, bot.adapters.console.app;"
        "loaded = [m for m in sys.modules if m.startswith('microsoft_teams')];"
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


async def test_a_teams_only_deployment_starts_and_answers(tmp_path: object) -> None:
    with FakeMicrosoft() as ms:
        ms.state.installed_for.add(entra_id("amelie"))
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in SLACK and not k.startswith("TEAMS_")}
        env |= {
            **ms.settings(),
            "CRISISBOT_DB_PATH": f"{tmp_path}/crisisbot.db",
            "CRISISBOT_LOG_LEVEL": "INFO",
            "DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS": "true",  # a stray variable: auth stays on
        }
        env.pop("DATABASE_URL", None)
        proc, logged = await start_serve(env, port)
        try:
            assert any("serves Microsoft Teams" in row for row in logged)
            url = f"http://127.0.0.1:{port}/api/messages"
            activity = {
                "type": "message",
                "id": "1",
                "serviceUrl": ms.service_url,
                "channelId": "msteams",
                "from": {"id": "29:amelie", "name": "Amélie", "aadObjectId": entra_id("amelie")},
                "conversation": {"id": "a:personal-1", "conversationType": "personal", "tenantId": TENANT_ID},
                "recipient": {"id": f"28:{APP_ID}", "name": "crisisbot"},
                "text": "crisis help",
            }
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    assert response.status == 200
                async with session.post(url, json=activity) as response:
                    assert response.status == 401  # no token: refused, whatever the environment says
                token = ms.key.sign(APP_ID, ms.service_url)
                async with session.post(url, json=activity, headers={"Authorization": f"Bearer {token}"}) as response:
                    assert response.status == 200
            # another process: its background work cannot be drained from here, so wait for its post
            assert await asyncio.to_thread(ms.state.wait_for_posts, 1, 120.0)
            [help_reply] = ms.state.sent
            assert help_reply.conversation == "a:personal-1"
            [asked] = ms.state.token_requests
            assert asked["tenant"] == TENANT_ID
            assert asked["grant_type"] == "client_credentials"
            assert asked["scope"] == "https://api.botframework.com/.default"
        finally:
            problems = await stop_serve(proc, logged)
    assert problems == []
