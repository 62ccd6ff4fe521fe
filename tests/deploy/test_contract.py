"""The name contract itself: it must know what Settings reads, and only that."""

from __future__ import annotations

import pytest

from bot.config import Settings
from tests.deploy.contract import read_by_crisisbot, settings_names


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("CRISISBOT_LOG_LEVEL", "ERROR", "log_level"),  # the prefix rule
        ("CRISISBOT_PORT", "3999", "port"),
        ("CRISISBOT_PLAN", "/plan/plan.yaml", "plan_path"),  # an alias
        ("DATABASE_URL", "postgresql://db/x", "database_url"),
        ("CRISISBOT_REPLICA_ID", "crisisbot-7d9f-abcde", "replica_id"),
    ],
)
def test_each_name_it_lists_is_read(monkeypatch: pytest.MonkeyPatch, name: str, value: str, field: str) -> None:
    assert name in settings_names()
    monkeypatch.setenv(name, value)
    assert str(getattr(Settings(_env_file=None), field)) == value


def test_names_it_does_not_list_are_refused() -> None:
    for name in ("CRISISBOT_LOGLEVEL", "SLACK_TOKEN", "PORT", "CRISISBOT_INTAKE_SECRET_", "plan_path"):
        assert not read_by_crisisbot(name), name
    for name in ("CRISISBOT_LOG_FORMAT", "CRISISBOT_INTAKE_SECRET_WEBHOOK", "TEAMS_APP_PASSWORD"):
        assert read_by_crisisbot(name), name
