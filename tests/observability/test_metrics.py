"""The metrics API: bounded labels, one registry per process, the families issue #15 asks for."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.core.commands import USAGE
from bot.core.model import Action, FormKind, StepKey
from bot.observability.metrics import ACTIONS, COMMANDS, OTHER, STEPS, Metrics, PoolUsage
from bot.observability.pool import pool_reader
from bot.storage.engine import create_async_db_engine

FAMILIES = {
    "crisisbot_commands",
    "crisisbot_actions",
    "crisisbot_ack_seconds",
    "crisisbot_declarations",
    "crisisbot_declaration_step_failures",
    "crisisbot_pages",
    "crisisbot_scheduler_lag_seconds",
    "crisisbot_chat_api_errors",
    "crisisbot_chat_api_retries",
    "crisisbot_http_request_seconds",
    "crisisbot_db_pool_connections",
    "crisisbot_db_pool_size",
}


def samples(metrics: Metrics, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Every sample called ``name`` in the text a scraper reads, by its sorted labels."""
    text = generate_latest(metrics.registry).decode()
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


def test_every_family_of_the_issue_is_exposed() -> None:
    metrics = Metrics()
    assert metrics.families() >= FAMILIES
    assert "process_resident_memory_bytes" in {s.name for f in metrics.registry.collect() for s in f.samples}


def test_registries_are_per_instance() -> None:
    one, two = Metrics(process=False), Metrics(process=False)
    one.command("slack", "start", "ok")
    assert samples(one, "crisisbot_commands_total") == {
        (("command", "start"), ("outcome", "ok"), ("platform", "slack")): 1.0
    }
    assert samples(two, "crisisbot_commands_total") == {}


def test_a_command_name_from_user_text_becomes_other() -> None:
    metrics = Metrics(process=False)
    for typed in ("start", "START", "rm -rf / <script>", "strat", "x" * 5000):
        metrics.command("teams", typed, "refused")
    counted = samples(metrics, "crisisbot_commands_total")
    assert {dict(labels)["command"]: value for labels, value in counted.items()} == {"start": 2.0, OTHER: 3.0}


def test_actions_steps_and_methods_outside_the_vocabulary_become_other() -> None:
    metrics = Metrics(process=False)
    metrics.action("slack", Action.PAGE_ACK.value, "ok")
    metrics.action("slack", "page_ack:42", "ok")  # an id glued to the name must not make a series
    metrics.step_failed("slack", StepKey.PIN.value)
    metrics.step_failed("slack", "pin the thing")
    metrics.chat_error("slack", "chat.postMessage", "rate_limited")
    metrics.chat_error("slack", "https://evil.example/api", "client")
    metrics.chat_retry("teams", "C0123456789")
    assert {dict(k)["action"] for k in samples(metrics, "crisisbot_actions_total")} == {"page_ack", OTHER}
    assert {dict(k)["step"] for k in samples(metrics, "crisisbot_declaration_step_failures_total")} == {"pin", OTHER}
    assert {dict(k)["method"] for k in samples(metrics, "crisisbot_chat_api_errors_total")} == {
        "chat.postMessage",
        OTHER,
    }
    assert {dict(k)["method"] for k in samples(metrics, "crisisbot_chat_api_retries_total")} == {OTHER}


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.command("whatsapp", "start", "ok"),
        lambda m: m.command("slack", "start", "went fine, thanks"),
        lambda m: m.action("Slack", "page_ack", "ok"),
        lambda m: m.page("slack", "forwarded to Bob"),
        lambda m: m.chat_error("slack", "chat.update", "channel_not_found"),
        lambda m: m.ack_seconds("irc", 0.1),
    ],
)
def test_closed_labels_refuse_an_unknown_value(call: Callable[[Metrics], None]) -> None:
    metrics = Metrics(process=False)
    with pytest.raises(ValueError, match="must be one of"):
        call(metrics)
    assert samples(metrics, "crisisbot_commands_total") == {}  # nothing half-counted


def test_the_vocabularies_follow_the_core() -> None:
    """A new command, button, form or step is counted by name without touching this module."""
    assert set(USAGE) == COMMANDS
    assert {a.value for a in Action} | {f.value for f in FormKind} == ACTIONS
    assert {s.value for s in StepKey} == STEPS


def test_histograms_and_page_events() -> None:
    metrics = Metrics(process=False)
    metrics.ack_seconds("slack", 0.04)
    metrics.ack_seconds("slack", 4.0)  # past Slack's 3 s: the alert's subject
    metrics.scheduler_lag("page", 12.0)
    metrics.scheduler_lag("page", -0.5)  # a replica whose clock is ahead: counted as on time
    for event in ("fired", "fired", "acknowledged", "climbed"):
        metrics.page("teams", event)
    metrics.declared("teams")
    ack = samples(metrics, "crisisbot_ack_seconds_bucket")
    assert ack[(("le", "3.0"), ("platform", "slack"))] == 1.0
    assert ack[(("le", "+Inf"), ("platform", "slack"))] == 2.0
    lag = samples(metrics, "crisisbot_scheduler_lag_seconds_bucket")
    assert lag[(("le", "0.5"), ("timer", "page"))] == 1.0
    assert samples(metrics, "crisisbot_scheduler_lag_seconds_sum") == {(("timer", "page"),): 12.0}
    pages = {dict(k)["event"]: v for k, v in samples(metrics, "crisisbot_pages_total").items()}
    assert pages == {"fired": 2.0, "acknowledged": 1.0, "climbed": 1.0}
    assert samples(metrics, "crisisbot_declarations_total") == {(("platform", "teams"),): 1.0}


def test_pool_usage_is_read_at_scrape_time() -> None:
    metrics = Metrics(process=False)
    usage = [PoolUsage(size=5, in_use=1, idle=4, overflow=-3)]
    metrics.watch_pool("main", lambda: usage[0])
    assert samples(metrics, "crisisbot_db_pool_connections")[(("pool", "main"), ("state", "in_use"))] == 1.0
    usage[0] = PoolUsage(size=5, in_use=7, idle=0, overflow=2)
    pool = {dict(k)["state"]: v for k, v in samples(metrics, "crisisbot_db_pool_connections").items()}
    assert pool == {"in_use": 7.0, "idle": 0.0, "overflow": 2.0}
    assert samples(metrics, "crisisbot_db_pool_size") == {(("pool", "main"),): 5.0}


async def test_the_pool_reader_follows_a_real_engine(tmp_path: Path) -> None:
    engine = create_async_db_engine(f"sqlite:///{tmp_path / 'pool.db'}", pool_size=3)
    read = pool_reader(engine)
    try:
        async with engine.connect():
            during = read()
        after = read()
    finally:
        await engine.dispose()
    assert during is not None
    assert after is not None
    assert (during.size, during.in_use) == (3, 1)
    assert (after.in_use, after.idle) == (0, 1)


def test_the_deploy_guide_names_real_metrics() -> None:
    """deploy/README.md tells operators what to alert on: every series it names must exist."""
    guide = (Path(__file__).resolve().parents[2] / "deploy" / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\bcrisisbot_[a-z_]+", guide))
    exposed = Metrics().families()
    assert named
    for name in named:
        family = re.sub(r"_(total|bucket|count|sum)$", "", name)
        assert family in exposed, f"deploy/README.md names {name}, which crisisbot does not expose"
