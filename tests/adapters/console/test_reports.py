"""``crisisbot report``: real crises only; ``--drills``: drills over time; ``--html``: one page of
charts, checked from the DOM a real browser (headless Chromium) rendered."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.adapters.console.workspace import ConsoleChat
from bot.cli import app
from bot.container import Storage, build_core
from bot.core.model.clock import ManualClock
from bot.core.model.crisis import Actor, Invocation
from bot.core.plan.model import LoadedPlan
from bot.frameworks import JinjaDraftRenderer
from bot.storage.engine import create_async_db_engine
from bot.storage.migrate import upgrade
from tests.conftest import PLAN_PATH, person, workspace


@pytest.fixture
async def history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loaded_plan: LoadedPlan, renderer: JinjaDraftRenderer
) -> Path:
    """A database with one real complaint (acknowledged after 4 min) and two complaint drills."""
    db = tmp_path / "crisisbot.db"
    upgrade(f"sqlite:///{db}")
    engine = create_async_db_engine(f"sqlite:///{db}")
    clock = ManualClock()
    core = build_core(loaded_plan, Storage.on(engine), ConsoleChat(workspace(loaded_plan)), renderer, clock)
    amelie, sofia = person(loaded_plan, "amelie"), person(loaded_plan, "sofia")

    async def say(who: Actor, text: str, room: str | None = None) -> str:
        reply = await core.service.handle(Invocation(actor=who, text=text, channel_id=room))
        return reply.plain_text()

    await say(amelie, "start complaint sev3 Late parcels")
    real = await core.store.crises.get(1)
    assert real is not None
    clock.advance(minutes=4)
    await say(sofia, "ack", real.room_name)
    await say(amelie, "resolve Parcels found", real.room_name)
    for number, ack_after in ((2, 12), (3, 6)):  # the second drill is faster: the team improves
        clock.advance(days=7)
        await say(amelie, "drill --script complaint --speed 6")
        drill = await core.store.crises.get(number)
        assert drill is not None
        clock.advance(minutes=ack_after / 6)
        await say(sofia, "ack", drill.room_name)
        await say(amelie, "drill end", drill.room_name)
    await engine.dispose()
    for key, value in {"CRISISBOT_DB_PATH": str(db), "CRISISBOT_PLAN": str(PLAN_PATH), "COLUMNS": "200"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def test_drills_stay_out_of_the_report_of_real_crises(history: Path) -> None:
    result = CliRunner().invoke(app, ["report"])
    assert result.exit_code == 0, result.output
    assert "| Customer complaint | SEV3 | 1 |" in result.output, "one real crisis, not three"


def test_report_drills_shows_them_over_time(history: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--drills"])
    assert result.exit_code == 0, result.output
    rows = [r for r in result.output.splitlines() if "A cracked shade goes viral" in r]
    assert len(rows) == 2
    assert "| 12m 00s ✓ |" in rows[0]
    assert "| 6m 00s ✓ |" in rows[1]
    assert "CRISIS-0001" not in result.output


def test_the_html_page_renders_every_point(history: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        message = "headless Chromium is not installed (Debian: apt-get install chromium)"
        if os.environ.get("CRISISBOT_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"{message}; CRISISBOT_REQUIRE_CHROMIUM=1 forbids skipping")
        pytest.skip(message)
    page = history / "report.html"
    result = CliRunner().invoke(app, ["report", "--html", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html
    assert "http" not in html.replace("http://www.w3.org", ""), "nothing fetched from the network"
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    [section] = re.findall(r'<section data-scenario="complaint">.*?</section>', dom, re.DOTALL)
    charts = re.findall(r"<svg.*?</svg>", section, re.DOTALL)
    assert len(charts) == 2
    held, acked = charts
    assert re.findall(r'data-series="real" data-minutes="([\d.]+)"', acked) == ["4"]
    assert re.findall(r'data-series="drill" data-minutes="([\d.]+)"', acked) == ["12", "6"]
    assert 'class="target" data-minutes="10"' in acked
    assert 'class="target" data-minutes="30"' in held, "the plan's holding-statement target"
    assert "Latest drill scorecards" in dom
