"""The plan's Teams section and Teams ids: GUIDs, a known war-room kind, each mistake named with
its file, line and key like every other plan mistake."""

from __future__ import annotations

from pathlib import Path

from bot.core.plan.model import TeamsWarRoom
from bot.datafiles.plan import load_plan
from tests.core.test_plan import edit, find_issue, line_of, load_error

SECTION = "war_room:\n  prefix: crisis"


def test_a_teams_section_loads(plan_copy: Path) -> None:
    teams = "teams:\n  team_id: 0e5b3c0e-1b4a-4c1e-9d6a-7f3a2b1c0d9e\n  war_room: private_channel\n"
    edit(plan_copy, SECTION, teams + SECTION)
    plan = load_plan(plan_copy).plan
    assert plan.teams.team_id == "0e5b3c0e-1b4a-4c1e-9d6a-7f3a2b1c0d9e"
    assert plan.teams.war_room is TeamsWarRoom.PRIVATE_CHANNEL


def test_the_default_war_room_is_a_standard_channel_of_the_installed_team(plan_copy: Path) -> None:
    plan = load_plan(plan_copy).plan
    assert plan.teams.team_id is None
    assert plan.teams.war_room is TeamsWarRoom.STANDARD_CHANNEL


def test_a_team_id_that_is_not_a_graph_id_is_named(plan_copy: Path) -> None:
    edit(plan_copy, SECTION, "teams:\n  team_id: 19:abc@thread.tacv2\n" + SECTION)
    issue = find_issue(load_error(plan_copy), "teams.team_id")
    assert issue.line == line_of(plan_copy, "team_id: 19:abc")


def test_an_unknown_war_room_kind_is_named(plan_copy: Path) -> None:
    edit(plan_copy, SECTION, "teams:\n  war_room: shared_channel\n" + SECTION)
    issue = find_issue(load_error(plan_copy), "teams.war_room")
    assert "standard_channel" in issue.render()


def test_a_teams_id_must_be_an_entra_object_id(plan_copy: Path) -> None:
    edit(
        plan_copy,
        "    email: amelie.laurent@maisonlumen.example\n",
        "    email: amelie.laurent@maisonlumen.example\n    teams_id: 29:1abc\n",
    )
    find_issue(load_error(plan_copy), "people.amelie.teams_id")
