"""The shipped crisis plan, and the errors a person editing a plan by hand gets back.

A plan is edited rarely and read under stress, so every error must say which file, which line,
which key and what to type instead; these tests pin that down for the mistakes people make.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.plan.model import LoadedPlan
from bot.datafiles.plan import load_plan
from bot.datafiles.yaml import DataFileError, DataIssue

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_DIR = REPO_ROOT / "playbooks"
SHIPPED_PLAN = SHIPPED_DIR / "plan.yaml"

ROLES = {
    "crisis_lead",
    "community_manager",
    "social_media_team",
    "press",
    "hr",
    "legal",
    "executive_sponsor",
}
SCENARIOS = {"troll", "complaint", "employee", "product_failure", "executive_scandal", "other"}


@pytest.fixture(scope="module")
def shipped() -> LoadedPlan:
    return load_plan(SHIPPED_PLAN)


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must appear exactly once) so a test cannot silently edit nothing."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} appears {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """The 1-based number of the ``nth`` line of ``path`` that contains ``needle``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [number for number, line in enumerate(lines, start=1) if needle in line]
    assert len(found) >= nth, f"{needle!r} is in {path} {len(found)} times, not {nth}"
    return found[nth - 1]


def load_error(path: Path) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        load_plan(path)
    return info.value


def find_issue(error: DataFileError, key: str) -> DataIssue:
    """The issue whose rendered key path is ``key``; fails with the whole report otherwise."""
    for issue in error.issues:
        if f": {key}: " in issue.render():
            return issue
    raise AssertionError(f"no issue for {key!r} in:\n{error}")


def assert_reported(error: DataFileError, file: Path, line: int, key: str, *fragments: str) -> DataIssue:
    """``str(error)`` names the file, line and key of the problem, says what is wrong, and a fix."""
    issue = find_issue(error, key)
    text = issue.render()
    assert text.startswith(f"{file}:{line}: {key}: "), text
    assert "\n    fix: " in text, f"no fix in: {text}"
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in: {text}"
    assert text in str(error)
    return issue


# --- the shipped plan -----------------------------------------------------------------------


def test_shipped_plan_loads(shipped: LoadedPlan) -> None:
    plan = shipped.plan
    assert plan.company
    assert plan.language == "en"
    assert plan.lead_role == "crisis_lead"
    assert plan.announcements_channel == "crisis-announcements"
    assert set(plan.roles) == ROLES
    assert set(plan.scenarios) == SCENARIOS
    assert plan.severity_ids() == ["sev1", "sev2", "sev3", "sev4"]
    assert 10 <= len(plan.people) <= 12
    assert all(person.name and person.title for person in plan.people.values())


def test_every_scenario_has_a_playbook(shipped: LoadedPlan) -> None:
    plan = shipped.plan
    assert set(shipped.playbooks) == SCENARIOS
    for sid, scenario in plan.scenarios.items():
        assert scenario.playbook == f"{sid}.yaml"
        playbook = shipped.playbooks[sid]
        assert 5 <= len(playbook.first_actions) <= 8, sid
        assert all(len(action.do) <= 140 for action in playbook.first_actions), sid
        assert {action.owner for action in playbook.first_actions} <= set(plan.roles)
        assert set(playbook.owners) <= set(plan.roles)
        assert playbook.dont, sid
        assert playbook.escalate_when, sid


def test_scenarios_start_at_the_planned_severity_with_their_extra_roles(
    shipped: LoadedPlan,
) -> None:
    scenarios = shipped.plan.scenarios
    assert {sid: s.default_severity for sid, s in scenarios.items()} == {
        "troll": "sev4",
        "complaint": "sev3",
        "employee": "sev3",
        "product_failure": "sev2",
        "executive_scandal": "sev1",
        "other": "sev3",
    }
    assert scenarios["employee"].extra_roles == ["hr"]
    assert set(scenarios["executive_scandal"].extra_roles) == {"legal", "press"}
    assert scenarios["product_failure"].extra_roles == ["press"]


@pytest.mark.parametrize(
    ("word", "scenario"),
    [
        ("angry-employee", "employee"),
        ("ex-employee", "employee"),
        ("outage", "product_failure"),
        ("product", "product_failure"),
        ("exec", "executive_scandal"),
        ("Scandal", "executive_scandal"),
        ("troll", "troll"),
        ("nonsense", None),
    ],
)
def test_aliases_name_their_scenario(shipped: LoadedPlan, word: str, scenario: str | None) -> None:
    assert shipped.plan.scenario_for(word) == scenario


def test_executives_only_at_sev1(shipped: LoadedPlan) -> None:
    plan = shipped.plan
    for sev_id, level in plan.severities.items():
        involved = set(level.invite) | set(level.page)
        assert ("executive_sponsor" in involved) == (sev_id == "sev1"), sev_id
    assert "executive_sponsor" in plan.severities["sev1"].page
    assert "legal" in plan.severities["sev1"].invite
    for sid, scenario in plan.scenarios.items():
        assert "executive_sponsor" not in scenario.extra_roles, sid


def test_each_severity_has_the_lead(shipped: LoadedPlan) -> None:
    plan = shipped.plan
    for sev_id, level in plan.severities.items():
        assert plan.lead_role in set(level.invite) | set(level.page), sev_id


def test_low_severity_stays_with_the_social_team(shipped: LoadedPlan) -> None:
    sev4 = shipped.plan.severities["sev4"]
    assert sev4.page == ["community_manager"]
    assert set(sev4.invite) == {"community_manager", "social_media_team", "crisis_lead"}
    assert "press" in shipped.plan.severities["sev2"].invite


def test_people_and_groups_cover_every_contact_path(shipped: LoadedPlan) -> None:
    plan = shipped.plan
    assert any(p.email and not p.slack_id and not p.teams_id for p in plan.people.values())
    assert plan.roles["social_media_team"].groups == ["social_team"]
    assert plan.groups["social_team"].members
    assert len(plan.roles["crisis_lead"].people) >= 2, "the lead needs a backup"


# --- errors in the plan file ----------------------------------------------------------------


def test_unknown_role_in_a_severity_suggests_the_closest(plan_copy: Path) -> None:
    edit(plan_copy, "page: [crisis_lead, press]", "page: [crisis_lead, pres]")
    error = load_error(plan_copy)
    assert_reported(
        error,
        plan_copy,
        line_of(plan_copy, "page: [crisis_lead, pres]"),
        "severities.sev2.page[1]",
        "unknown role 'pres'",
        "did you mean 'press'?",
    )


def test_severity_with_empty_page_list(plan_copy: Path) -> None:
    edit(plan_copy, "page: [crisis_lead, community_manager]", "page: []")
    error = load_error(plan_copy)
    line = line_of(plan_copy, "page: []")
    assert_reported(error, plan_copy, line, "severities.sev3.page", "at least 1 item", "add at least")


def test_severity_without_the_lead(plan_copy: Path) -> None:
    edit(
        plan_copy,
        "invite: [community_manager, social_media_team, crisis_lead]",
        "invite: [community_manager, social_media_team]",
    )
    error = load_error(plan_copy)
    line = line_of(plan_copy, "invite: [community_manager, social_media_team]")
    assert_reported(error, plan_copy, line, "severities.sev4.invite", "nobody leads", "add crisis_lead")


def test_person_without_any_contact(plan_copy: Path) -> None:
    edit(plan_copy, "    email: claire.dubois@agencerivage.example\n", "")
    error = load_error(plan_copy)
    assert_reported(
        error,
        plan_copy,
        line_of(plan_copy, "  claire:"),
        "people.claire",
        "Claire Dubois has no way to be reached",
        "add email, slack_id or teams_id",
    )


def test_duplicate_person_id(plan_copy: Path) -> None:
    first = line_of(plan_copy, "  sofia:")
    edit(
        plan_copy,
        "  priya:\n",
        "  sofia:\n    name: Sofia Other\n    email: sofia.other@maisonlumen.example\n  priya:\n",
    )
    error = load_error(plan_copy)
    assert_reported(
        error,
        plan_copy,
        line_of(plan_copy, "  sofia:", nth=2),
        "people.sofia",
        f"duplicate key 'sofia' (first defined on line {first})",
        "give the other a different id",
    )


def test_two_people_sharing_a_contact(plan_copy: Path) -> None:
    edit(plan_copy, "slack_id: U01THEO000", "slack_id: U01SOFIA00")
    error = load_error(plan_copy)
    line = line_of(plan_copy, "slack_id: U01SOFIA00", nth=2)
    assert_reported(error, plan_copy, line, "people.theo.slack_id", "also sofia's", "give theo their own")


def test_duplicate_alias_across_scenarios(plan_copy: Path) -> None:
    edit(plan_copy, "aliases: [trolling]", "aliases: [trolling, angry-customer]")
    error = load_error(plan_copy)
    assert_reported(
        error,
        plan_copy,
        line_of(plan_copy, "aliases: [angry-customer]"),
        "scenarios.complaint.aliases[0]",
        "'angry-customer' already names scenario 'troll'",
        "give each scenario its own aliases",
    )


def test_unknown_key_in_a_person_suggests_the_spelling(plan_copy: Path) -> None:
    edit(plan_copy, "    email: sofia.chen@", "    emial: sofia.chen@")
    error = load_error(plan_copy)
    assert_reported(
        error,
        plan_copy,
        line_of(plan_copy, "emial:"),
        "people.sofia.emial",
        "Extra inputs are not permitted",
        "did you mean 'email'?",
    )


def test_invalid_id_is_reported_at_the_key(plan_copy: Path) -> None:
    edit(plan_copy, "  sofia:\n", "  Sofia:\n")
    error = load_error(plan_copy)
    assert_reported(
        error,
        plan_copy,
        line_of(plan_copy, "  Sofia:"),
        "people.Sofia",
        "the id 'Sofia' is not valid",
        "start with a lowercase letter",
    )
    assert "[key]" not in str(error)


def test_bad_slack_id_names_the_pattern(plan_copy: Path) -> None:
    edit(plan_copy, "slack_id: U01JORDAN0", "slack_id: jordan")
    error = load_error(plan_copy)
    line = line_of(plan_copy, "slack_id: jordan")
    assert_reported(error, plan_copy, line, "people.jordan.slack_id", "^[UW][A-Z0-9]{2,}$")


def test_group_with_nobody(plan_copy: Path) -> None:
    edit(plan_copy, "    members: [sofia, theo, jordan]\n    slack_usergroup: S01SOCIAL0\n", "")
    error = load_error(plan_copy)
    line = line_of(plan_copy, "  social_team:")
    assert_reported(error, plan_copy, line, "groups.social_team", "has nobody", "members:")


def test_missing_playbook_file(plan_copy: Path) -> None:
    (plan_copy.parent / "other.yaml").unlink()
    error = load_error(plan_copy)
    assert_reported(
        error,
        plan_copy,
        line_of(plan_copy, "playbook: other.yaml"),
        "scenarios.other.playbook",
        "'other.yaml' not found",
        f"create {plan_copy.parent / 'other.yaml'}",
    )


@pytest.mark.parametrize(
    ("old", "new", "fix"),
    [
        # a block mapping indented one space short
        ("    title: Community Manager\n", "   title: Community Manager\n", "indentation"),
        # a tab where spaces belong
        ("    title: Community Manager\n", "\ttitle: Community Manager\n", "spaces, not tabs"),
        # 'word: more words' inside a mapping value
        ("    title: Community Manager\n", "    title: Lead: Community\n", "quoting"),
    ],
)
def test_invalid_yaml_reports_the_line(plan_copy: Path, old: str, new: str, fix: str) -> None:
    edit(plan_copy, old, new)
    error = load_error(plan_copy)
    assert len(error.issues) == 1
    issue = error.issues[0]
    assert issue.line == line_of(plan_copy, new.strip())
    text = str(error)
    assert text.startswith(f"{plan_copy}:{issue.line}: not valid YAML: ")
    assert fix in text.split("fix: ", 1)[1]


def test_unclosed_bracket_says_where_it_opened(plan_copy: Path) -> None:
    edit(plan_copy, "members: [sofia, theo, jordan]", "members: [sofia, theo, jordan")
    error = load_error(plan_copy)
    opened = line_of(plan_copy, "members: [sofia, theo, jordan")
    assert f"started on line {opened}" in str(error)
    assert error.issues[0].line == opened + 1


def test_plan_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    error = load_error(path)
    assert str(error).startswith(f"{path}:1: the plan must be a mapping")
    assert "fix: start from playbooks/plan.yaml" in str(error)


def test_missing_plan_file(tmp_path: Path) -> None:
    error = load_error(tmp_path / "nope.yaml")
    assert "file not found" in str(error)
    assert "fix: create it" in str(error)


def test_bad_tag_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("company: Acme\nlanguage: !!int en\n", encoding="utf-8")
    error = load_error(path)
    assert str(error).startswith(f"{path}:2: cannot read a value")
    assert "fix: " in str(error)


# --- errors in playbooks --------------------------------------------------------------------


def test_playbook_owner_naming_an_unknown_role(plan_copy: Path) -> None:
    troll = plan_copy.parent / "troll.yaml"
    edit(troll, "  community_manager: The evidence log", "  community_manger: The evidence log")
    error = load_error(plan_copy)
    assert_reported(
        error,
        troll,
        line_of(troll, "community_manger:"),
        "owners.community_manger",
        "unknown role 'community_manger'",
        "did you mean 'community_manager'?",
    )


def test_playbook_action_owned_by_an_unknown_role(plan_copy: Path) -> None:
    other = plan_copy.parent / "other.yaml"
    edit(other, "    owner: social_media_team\n", "    owner: social_team\n")
    error = load_error(plan_copy)
    assert_reported(
        error,
        other,
        line_of(other, "owner: social_team"),
        "first_actions[2].owner",
        "unknown role 'social_team'",
        "did you mean 'social_media_team'?",
    )


@pytest.mark.parametrize(
    ("old", "new", "key", "fix"),
    [
        (
            "    within_minutes: 15\n",
            "    within_minutes: soon\n",
            "first_actions[0].within_minutes",
            "write a whole number",
        ),
        (
            "  - Find the first post and who posted it; archive it.\n",
            "  - Find the first post: who posted it\n",
            "identify_source[0]",
            "wrap the whole text in quotes",
        ),
        ("title: Something else\n", "title: [Something, else]\n", "title", "write a text value"),
        (
            "    within_minutes: 15\n",
            "    within_minutes: 0\n",
            "first_actions[0].within_minutes",
            "write a larger number",
        ),
    ],
)
def test_playbook_with_a_bad_type(plan_copy: Path, old: str, new: str, key: str, fix: str) -> None:
    other = plan_copy.parent / "other.yaml"
    edit(other, old, new)
    error = load_error(plan_copy)
    assert_reported(error, other, line_of(other, new.strip()), key, fix)


def test_playbook_with_a_misspelt_key(plan_copy: Path) -> None:
    other = plan_copy.parent / "other.yaml"
    edit(other, "resolved_when:", "resolve_when:")
    error = load_error(plan_copy)
    assert_reported(
        error,
        other,
        line_of(other, "resolve_when:"),
        "resolve_when",
        "did you mean 'resolved_when'?",
    )
    # and the key it was meant to be is now missing, reported where the mapping starts
    top = line_of(other, "title:")
    assert_reported(error, other, top, "resolved_when", "Field required", "add this key")


def test_shared_playbook_problems_are_listed_once(plan_copy: Path) -> None:
    edit(plan_copy, "playbook: other.yaml", "playbook: troll.yaml")
    troll = plan_copy.parent / "troll.yaml"
    edit(troll, "  community_manager: The evidence log", "  community_manger: The evidence log")
    error = load_error(plan_copy)
    assert len(error.issues) == 1, str(error)


# --- everything at once ---------------------------------------------------------------------


def test_all_problems_in_one_file_are_reported_together(plan_copy: Path) -> None:
    edit(plan_copy, "page: [crisis_lead, press]", "page: [crisis_lead, pres]")
    edit(plan_copy, "    email: claire.dubois@agencerivage.example\n", "")
    error = load_error(plan_copy)
    text = str(error)
    assert "unknown role 'pres'" in text
    assert "Claire Dubois has no way to be reached" in text
    assert len(error.issues) == 2


def test_all_schema_problems_are_reported_together(plan_copy: Path) -> None:
    edit(plan_copy, "    email: sofia.chen@", "    emial: sofia.chen@")
    edit(plan_copy, "page: [crisis_lead, community_manager]", "page: []")
    error = load_error(plan_copy)
    find_issue(error, "people.sofia.emial")
    find_issue(error, "severities.sev3.page")
    assert len(error.issues) == 2


def test_plan_and_playbook_problems_are_reported_together(plan_copy: Path) -> None:
    # A schema error in the plan must not hide a broken playbook until the next run.
    edit(plan_copy, "    email: sofia.chen@", "    emial: sofia.chen@")
    troll = plan_copy.parent / "troll.yaml"
    edit(troll, "  community_manager: The evidence log", "  community_manger: The evidence log")
    (plan_copy.parent / "other.yaml").unlink()
    error = load_error(plan_copy)
    find_issue(error, "people.sofia.emial")
    find_issue(error, "owners.community_manger")
    find_issue(error, "scenarios.other.playbook")
    assert {issue.file for issue in error.issues} == {plan_copy, troll}


def test_schema_and_reference_problems_are_reported_together(plan_copy: Path) -> None:
    # A value of the wrong type must not hide an unknown id until the next run.
    edit(plan_copy, "ack_timeout_minutes: 10", 'ack_timeout_minutes: "soon"')
    edit(plan_copy, "page: [crisis_lead, press]", "page: [crisis_lead, pres]")
    error = load_error(plan_copy)
    assert_reported(
        error,
        plan_copy,
        line_of(plan_copy, 'ack_timeout_minutes: "soon"'),
        "severities.sev2.ack_timeout_minutes",
        "valid integer",
        "write a whole number",
    )
    assert_reported(
        error,
        plan_copy,
        line_of(plan_copy, "page: [crisis_lead, pres]"),
        "severities.sev2.page[1]",
        "unknown role 'pres'",
        "did you mean 'press'?",
    )
    assert len(error.issues) == 2


def test_schema_reference_and_playbook_problems_are_reported_together(plan_copy: Path) -> None:
    edit(plan_copy, "    email: sofia.chen@", "    emial: sofia.chen@")
    edit(plan_copy, "page: [crisis_lead, press]", "page: [crisis_lead, pres]")
    troll = plan_copy.parent / "troll.yaml"
    edit(troll, "  community_manager: The evidence log", "  community_manger: The evidence log")
    error = load_error(plan_copy)
    assert_reported(error, plan_copy, line_of(plan_copy, "emial:"), "people.sofia.emial", "did you mean 'email'?")
    assert_reported(
        error, plan_copy, line_of(plan_copy, "page: [crisis_lead, pres]"), "severities.sev2.page[1]", "'pres'"
    )
    assert_reported(error, troll, line_of(troll, "community_manger:"), "owners.community_manger", "unknown role")
    assert len(error.issues) == 3


@pytest.mark.parametrize(
    ("edits", "keys"),
    [
        pytest.param(
            [
                ("    email: sofia.chen@", "    emial: sofia.chen@"),
                ("default_severity: sev4", "default_severity: sev5"),
            ],
            ["people.sofia.emial", "scenarios.troll.default_severity"],
            id="bad person key, unknown severity",
        ),
        pytest.param(
            # both problems in the same role: the one the schema refuses does not hide the other
            [("    name: Legal\n", '    name: ""\n'), ("people: [daniel]", "people: [danial]")],
            ["roles.legal.name", "roles.legal.people[0]"],
            id="empty role name, unknown person in that role",
        ),
        pytest.param(
            [("ack_timeout_minutes: 60", "ack_timeout_minutes: 0"), ("slack_id: U01THEO000", "slack_id: U01SOFIA00")],
            ["severities.sev4.ack_timeout_minutes", "people.theo.slack_id"],
            id="timeout out of range, shared contact",
        ),
        pytest.param(
            [
                ("announcements_channel: crisis-announcements", "announcements_channel: Crisis Announcements"),
                (
                    "    people: [julien, isabelle]\n",
                    "    people: [julien, isabelle]\n    escalates_to: executive_sponsor\n",
                ),
            ],
            ["announcements_channel", "roles.executive_sponsor.escalates_to"],
            id="bad channel name, escalation loop",
        ),
        pytest.param(
            [
                ("slack_usergroup: S01SOCIAL0", "slack_usergroup: social"),
                ("groups: [social_team]", "groups: [social_teem]"),
            ],
            ["groups.social_team.slack_usergroup", "roles.social_media_team.groups[0]"],
            id="bad user group, unknown group in a role",
        ),
    ],
)
def test_each_schema_problem_comes_with_the_reference_problems(
    plan_copy: Path, edits: list[tuple[str, str]], keys: list[str]
) -> None:
    for old, new in edits:
        edit(plan_copy, old, new)
    error = load_error(plan_copy)
    for key in keys:
        find_issue(error, key)
    assert len(error.issues) == len(keys), str(error)
    assert all(issue.line and issue.fix for issue in error.issues), str(error)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        # not a list: "nobody leads" would only repeat the schema's complaint, wrongly
        (
            "invite: [community_manager, social_media_team, crisis_lead]",
            "invite: crisis_lead",
            "severities.sev4.invite",
        ),
        # not a list: the role is not empty, its people are written wrongly
        ("people: [daniel]", "people: daniel", "roles.legal.people"),
        # not a mapping: claire is still defined, so roles naming her are fine
        (
            "  claire:\n    # External PR agency: not in our Slack workspace, so email only.\n"
            "    name: Claire Dubois\n    title: Account Director, Agence Rivage (PR agency)\n"
            "    email: claire.dubois@agencerivage.example\n",
            "  claire: Claire Dubois\n",
            "people.claire",
        ),
        ("lead_role: crisis_lead", "lead_role: [crisis_lead]", "lead_role"),
        ("default_severity: sev4", "default_severity: 4", "scenarios.troll.default_severity"),
    ],
)
def test_a_value_the_schema_refuses_is_reported_once(plan_copy: Path, old: str, new: str, key: str) -> None:
    edit(plan_copy, old, new)
    error = load_error(plan_copy)
    find_issue(error, key)
    assert len(error.issues) == 1, str(error)


def test_every_issue_has_a_line_and_a_fix(plan_copy: Path) -> None:
    edit(plan_copy, "page: [crisis_lead, press]", "page: [crisis_lead, pres]")
    edit(plan_copy, "aliases: [trolling]", "aliases: [trolling, angry-customer]")
    edit(plan_copy, "lead_role: crisis_lead", "lead_role: crisis_led")
    error = load_error(plan_copy)
    assert len(error.issues) == 3
    for issue in error.issues:
        assert issue.line is not None
        assert issue.fix


def test_playbook_schema_and_owner_problems_are_reported_together(plan_copy: Path) -> None:
    troll = plan_copy.parent / "troll.yaml"
    edit(troll, "    within_minutes: 20\n", "    within_minutes: twenty\n")
    edit(troll, "  community_manager: The evidence log", "  community_manger: The evidence log")
    error = load_error(plan_copy)
    find_issue(error, "first_actions[2].within_minutes")
    find_issue(error, "owners.community_manger")
    assert len(error.issues) == 2


def test_plan_without_roles_does_not_flag_every_playbook_owner(plan_copy: Path) -> None:
    text = plan_copy.read_text(encoding="utf-8")
    start, end = text.index("\nroles:\n"), text.index("\n# ----", text.index("\nroles:\n"))
    plan_copy.write_text(text[:start] + text[end:], encoding="utf-8")
    (plan_copy.parent / "other.yaml").unlink()
    error = load_error(plan_copy)
    find_issue(error, "roles")
    find_issue(error, "scenarios.other.playbook")
    assert "unknown role" not in str(error)


def test_declaration_rights_and_communication_roles_name_what_exists(plan_copy: Path) -> None:
    edit(plan_copy, "  sev2: plan\n", "  sev7: plan\n")
    edit(plan_copy, "communication_roles: [community_manager, social_media_team, press]", "communication_roles: [prss]")
    error = load_error(plan_copy)
    assert_reported(error, plan_copy, line_of(plan_copy, "sev7: plan"), "declare_at.sev7", "unknown severity 'sev7'")
    issue = find_issue(error, "communication_roles[0]")
    assert "unknown role 'prss'" in issue.message
    assert "did you mean 'press'" in issue.fix


def test_permissions_take_only_known_rules(plan_copy: Path) -> None:
    edit(plan_copy, "  resolve: lead\n", "  resolve: everybody\n")
    error = load_error(plan_copy)
    issue = find_issue(error, "permissions.resolve")
    assert "anyone" in issue.message
    assert "lead" in issue.message


def test_an_update_rule_naming_an_unknown_severity(plan_copy: Path) -> None:
    edit(plan_copy, "  summary_required_at: [sev1, sev2]", "  summary_required_at: [sev1, sev7]")
    error = load_error(plan_copy)
    assert_reported(
        error,
        plan_copy,
        line_of(plan_copy, "summary_required_at:"),
        "updates.summary_required_at[1]",
        "unknown severity 'sev7'",
        "did you mean",
    )


def test_a_restricted_scenario_visible_to_an_unknown_role(plan_copy: Path) -> None:
    edit(plan_copy, "    visible_to: [legal]\n", "    visible_to: [legl]\n")
    error = load_error(plan_copy)
    assert_reported(
        error,
        plan_copy,
        line_of(plan_copy, "visible_to: [legl]"),
        "scenarios.executive_scandal.visible_to[0]",
        "unknown role 'legl'",
        "did you mean 'legal'?",
    )


def test_an_update_field_that_does_not_exist(plan_copy: Path) -> None:
    edit(plan_copy, "  stakeholder_fields: [severity, lead, next_update]", "  stakeholder_fields: [severity, boss]")
    error = load_error(plan_copy)
    assert "updates.stakeholder_fields" in str(error)
    assert "title" in str(error), "the message lists the fields one can use"
