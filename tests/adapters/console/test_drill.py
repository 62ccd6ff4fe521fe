"""Drills in the terminal: the tabletop exercise through the console, and ``crisisbot drill run``
(a dry run with nobody answering), whose output is compared with a golden file
(``UPDATE_GOLDEN=1`` rewrites it after a deliberate change)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from bot.adapters.console.app import ConsoleApp
from bot.adapters.console.workspace import ConsoleChat, ConsoleWorkspace
from bot.cli import app
from bot.core.model.clock import ManualClock
from bot.core.plan.model import LoadedPlan
from tests.conftest import PLAN_PATH, CoreFactory

GOLDEN = Path(__file__).parent / "golden" / "drill_complaint.txt"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "crisisbot.db"
    for key, value in {"CRISISBOT_DB_PATH": str(db), "CRISISBOT_PLAN": str(PLAN_PATH), "COLUMNS": "110"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return db


def test_a_dry_run_prints_every_inject_and_the_silent_teams_scorecard(env: Path) -> None:
    result = CliRunner().invoke(app, ["drill", "run", "complaint", "--speed", "60", "--no-wait"])
    assert result.exit_code == 0, result.output
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(result.output, encoding="utf-8")
    assert result.output == GOLDEN.read_text(encoding="utf-8")
    assert "SIMULATED POST on x" in result.output
    assert "Holding statement: not reached (target 15 min) ✗ missed" in result.output
    assert not env.exists(), "a dry run leaves the team's database alone"


def test_an_unknown_script_is_named_with_the_ones_there_are(env: Path) -> None:
    result = CliRunner().invoke(app, ["drill", "run", "complain"])
    assert result.exit_code == 2
    assert "There is no drill script 'complain'. Scripts: complaint, delivery_replay, employee" in result.output


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_tabletop_drill_in_the_console(
    make_core: CoreFactory, loaded_plan: LoadedPlan, clock: ManualClock
) -> None:
    printed = io.StringIO()
    ws = ConsoleWorkspace(loaded_plan.plan, Console(file=printed, width=110, color_system=None))
    core = make_core(ConsoleChat(ws))
    shell = ConsoleApp(core.service, ws, "amelie")
    await shell.run_lines(["/crisis drill --script troll --speed 10"])
    clock.advance(minutes=1)  # 10 drill minutes: the first two posts are due
    await core.scheduler.tick()
    await shell.run_lines(["/crisis note The account is 3 days old: no answer, keep watching", "/crisis drill end"])
    out = printed.getvalue()
    assert "SIMULATED POST on x" in out
    assert "@lumen_truth_2026" in out
    assert "Drill scorecard · CRISIS-0001" in out
    assert "answered by Amélie Laurent (noted)" in out
