"""``crisisbot serve`` refuses to start on missing or malformed Slack settings, naming each one."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")


def test_missing_settings_are_all_named() -> None:
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "SLACK_BOT_TOKEN is not set" in result.output
    assert "SLACK_SIGNING_SECRET is not set" in result.output


def test_malformed_tokens_are_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-user-token")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xoxb-wrong")
    monkeypatch.setenv("SLACK_API_URL", "slack.com/api")
    problems = Settings().slack_problems()
    assert any("xoxb-" in p and "SLACK_BOT_TOKEN" in p for p in problems)
    assert any("SLACK_APP_TOKEN" in p for p in problems)
    assert any("SLACK_API_URL" in p for p in problems)


def test_socket_mode_needs_no_signing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    assert Settings().slack_problems() == []


def test_tokens_never_show_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "shh-secret")
    settings = Settings()
    assert "xoxb-very-secret" not in repr(settings)
    assert "shh-secret" not in str(settings.model_dump())


def test_socket_mode_serves_health_but_no_http_entry_for_slack() -> None:
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.adapters.slack.server import EVENTS_PATH, web_app

    bolt = AsyncApp(client=AsyncWebClient(token="xoxb-1"), signing_secret="")
    socket_paths = {r.resource.canonical for r in web_app(bolt, events_route=False).router.routes() if r.resource}
    http_paths = {r.resource.canonical for r in web_app(bolt).router.routes() if r.resource}
    assert socket_paths == {"/healthz"}
    assert http_paths == {"/healthz", EVENTS_PATH}
