"""The console workspace driven by scripts, as a newcomer or a demo would drive it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import PLAN_PATH, ROOT


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "CRISISBOT_DB_PATH": str(tmp_path / "crisisbot.db"),
        "CRISISBOT_PLAN": str(PLAN_PATH),
        "COLUMNS": "200",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return values


def run_console(script: str, *args: str) -> str:
    result = CliRunner().invoke(app, ["console", *args], input=script)
    assert result.exit_code == 0, result.output
    return result.output


def test_start_shows_room_invites_pings_and_kickoff(env: dict[str, str]) -> None:
    out = run_console("/crisis start complaint sev3 Delivery delays flood our mentions\n")
    assert "created #crisis-" in out
    assert "-delivery-delays-flood-our-mentions (private)" in out
    assert "invited to #crisis-" in out
    assert "Sofia Chen" in out
    assert "pinged @Amélie Laurent" in out
    assert "First actions" in out
    assert "crisisbot in #crisis-announcements" in out
    assert "CRISIS-0001 declared. War room:" in out


def test_state_survives_a_restart_and_status_works_in_the_war_room(env: dict[str, str]) -> None:
    run_console("/crisis start troll Bot swarm on the launch post\n")
    room = f"crisis-{_today()}-bot-swarm-on-the-launch-post"
    out = run_console(f"/channels\n/join #{room}\n/crisis status\n")
    assert f"🔒{room}" in out
    assert "CRISIS-0001: Bot swarm on the launch post" in out
    assert "Status" in out
    assert "Active" in out


def test_resolve_then_list(env: dict[str, str]) -> None:
    out = run_console(
        "/crisis start complaint Broken lamp shades\n/crisis resolve Replaced and thanked\n/crisis list resolved\n"
    )
    assert "CRISIS-0001 resolved" in out
    assert "Replaced and thanked" in out
    assert "CRISIS-0001 SEV3" in out


def test_mistakes_get_polite_help_and_nothing_is_created(env: dict[str, str]) -> None:
    out = run_console("/crisis launch now\n/crisis start complaint sev3\n/crisis status\n/nope\n/as ghost\n")
    assert "I don't know the command `launch`" in out
    assert "/crisis start [scenario] [sev1..sev4] <title>" in out
    assert "Give the crisis a short title" in out
    assert "There is no active crisis" in out
    assert "Unknown command /nope" in out
    assert "No person 'ghost'" in out
    assert "created #" not in out


def test_hostile_title_is_printed_literally(env: dict[str, str]) -> None:
    out = run_console("/crisis start [bold red]<!channel>[/] <@U123> *x*\n")
    assert "CRISIS-0001: [bold red]<!channel>[/] <@U123> *x*" in out


def test_unreachable_person_is_reported_in_the_war_room(env: dict[str, str]) -> None:
    out = run_console("/crisis start complaint Late parcels\n", "--unreachable", "sofia")
    assert "could not invite Sofia Chen: account deactivated (simulated)" in out
    assert "Could not invite:" in out
    assert "4 of 5 people invited." in out


def test_script_file_and_act_as_someone_else(env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "drill.txt"
    script.write_text("# a comment\n/crisis start product_failure Checkout down\n/quit\n/crisis list\n")
    result = CliRunner().invoke(app, ["console", "--script", str(script), "--as", "nadia"])
    assert result.exit_code == 0, result.output
    assert "nadia@#general> /crisis start product_failure Checkout down" in result.output
    assert "Declared by  Nadia Haddad" in result.output
    assert "/crisis list" not in result.output.split("/quit")[1]


def test_missing_plan_says_where_it_looked(env: dict[str, str], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["console", "--plan", str(tmp_path / "nope.yaml")], input="")
    assert result.exit_code == 2
    assert "nope.yaml" in result.output
    assert "file not found" in result.output


def test_check_plan_prints_the_chain_of_command(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["check-plan", str(PLAN_PATH)])
    assert result.exit_code == 0, result.output
    assert "valid · Maison Lumen" in result.output
    assert "Chain of command" in result.output
    assert "Crisis lead (crisis_lead) · lead" in result.output
    assert "Executive scandal (executive_scandal)" in result.output


def test_check_plan_lists_every_problem_and_fails(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "plan.yaml"
    text = PLAN_PATH.read_text(encoding="utf-8").replace("default_severity: sev4", "default_severity: sev7", 1)
    bad.write_text(text.replace("lead_role: crisis_lead", "lead_role: crisis_leader"), encoding="utf-8")
    result = CliRunner().invoke(app, ["check-plan", str(bad)])
    assert result.exit_code == 2
    assert "The crisis plan is not valid" in result.output
    assert "lead_role: unknown role 'crisis_leader'" in result.output
    assert "did you mean 'crisis_lead'" in result.output
    assert "unknown severity 'sev7'" in result.output


def test_the_installed_entry_point_runs_from_stdin(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        input="/crisis help\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Severities (worst first)" in result.stdout


def _today() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y%m%d")


def test_drafts_with_numbered_choices_and_review(env: dict[str, str]) -> None:
    facts = (
        'customer_handle=@jane what_went_wrong="a cracked shade" next_update=17:00 fix="a new lamp" agent_name=Sofia'
    )
    script = "\n".join(
        [
            "/as sofia",
            "/crisis start complaint sev2 Cracked shades",
            f"/join #crisis-{_today()}-cracked-shades",
            f"/crisis draft {facts}",
            "1",
            "@jane So sorry about the cracked shade, that's on us. I'm on it: DM us your order? – Sofia",
            "2",
            "/as jordan",
            "1",
            "/as marcus",
            "1",
            "1",
            "https://x.example/status/42",
        ]
    )
    out = run_console(script + "\n")
    assert "[1] Edit  [2] Submit to Crisis lead  [3] Draft 'apologize'" in out
    assert "Your reply (one line; an empty line keeps the current text)" in out
    assert "is with Crisis lead for review" in out
    assert "Review needed from Crisis lead" in out
    assert "Only Crisis lead (Amélie Laurent, Marcus Reid) can review" in out
    assert "Approved by Marcus Reid" in out
    assert "Draft #1 published by Marcus Reid" in out


def test_note_update_resolve_review_and_export(env: dict[str, str], tmp_path: Path) -> None:
    script = "\n".join(
        [
            "/crisis start complaint sev3 Lamp recall rumour",
            "/crisis note Supplier says no recall planned",
            "/crisis update Rumour denied by the supplier; monitoring",
            "/crisis resolve Rumour died down",
            "1",
            "Fast denial",
            "",
            "Add the supplier to the plan",
        ]
    )
    out = run_console(script + "\n")
    assert "Added to the CRISIS-0001 timeline" in out
    assert "CRISIS-0001 update · Lamp recall rumour" in out
    assert "CRISIS-0001 resolved: Lamp recall rumour" in out
    assert "What went well?" in out
    assert "the review of CRISIS-0001 is saved" in out

    report = tmp_path / "report.md"
    result = CliRunner().invoke(app, ["export", "CRISIS-0001", "--output", str(report)])
    assert result.exit_code == 0, result.output
    text = report.read_text(encoding="utf-8")
    assert "Supplier says no recall planned" in text
    assert "Fast denial" in text
    assert "Add the supplier to the plan" in text
    as_json = CliRunner().invoke(app, ["export", "#1", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    assert '"went_well": "Fast denial"' in as_json.output
    missing = CliRunner().invoke(app, ["export", "CRISIS-0042"])
    assert missing.exit_code == 2
    assert "There is no crisis CRISIS-0042" in missing.output
    summary = CliRunner().invoke(app, ["report"])
    assert summary.exit_code == 0, summary.output
    assert "Customer complaint" in summary.output
