"""Drill scripts are checked with the plan, with the file, line, key and fix of every problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.model.drill import minutes
from bot.core.plan.model import LoadedPlan
from tests.core.test_plan import assert_reported, edit, line_of, load_error


def drill(plan: Path, name: str = "complaint") -> Path:
    return plan.parent / "drills" / f"{name}.yaml"


def test_the_shipped_scripts_cover_the_five_common_problems(loaded_plan: LoadedPlan) -> None:
    scenarios = {s.scenario for s in loaded_plan.drills.values()}
    assert {"troll", "complaint", "employee", "product_failure", "executive_scandal"} <= scenarios
    assert any(s.language == "fr" for s in loaded_plan.drills.values())


def test_an_unknown_scenario(plan_copy: Path) -> None:
    script = drill(plan_copy)
    edit(script, "scenario: complaint\n", "scenario: complaints\n")
    assert_reported(
        load_error(plan_copy), script, line_of(script, "scenario: complaints"), "scenario",
        "unknown scenario 'complaints'", "did you mean 'complaint'?",
    )  # fmt: skip


def test_an_inject_after_the_end(plan_copy: Path) -> None:
    script = drill(plan_copy)
    edit(script, "  - at: 45m\n", "  - at: 75m\n")
    assert_reported(
        load_error(plan_copy), script, line_of(script, "at: 75m"), "injects[6].at",
        "comes at 75 min, after the drill's end (60 min)", "lengthen the drill's duration",
    )  # fmt: skip


def test_a_condition_on_an_unknown_action(plan_copy: Path) -> None:
    script = drill(plan_copy)
    edit(script, "    unless: [approved]\n", "    unless: [answered]\n")
    error = load_error(plan_copy)
    text = str(error)
    assert f"{script}:{line_of(script, 'unless: [answered]')}: injects[2].unless[0]" in text
    assert "unknown action 'answered'" in text
    assert "acknowledged, drafted, approved, published" in text


def test_a_severity_the_plan_does_not_have(plan_copy: Path) -> None:
    script = drill(plan_copy)
    edit(script, "    unless: [escalated:sev2]\n", "    unless: [escalated:sev7]\n")
    assert_reported(
        load_error(plan_copy), script, line_of(script, "escalated:sev7"), "injects[5].unless[0]",
        "the plan has no severity 'sev7'",
    )  # fmt: skip


def test_a_post_without_its_author(plan_copy: Path) -> None:
    script = drill(plan_copy, "troll")
    edit(script, '    author: {handle: "@lumen_truth_2026", name: "Lumen Truth", followers: 37}\n', "")
    assert "a post needs an author" in str(load_error(plan_copy))


@pytest.mark.parametrize(("written", "meant"), [("90s", 1.5), ("15m", 15.0), ("1h30m", 90.0), (20, 20.0)])
def test_times_read_as_people_write_them(written: object, meant: float) -> None:
    assert minutes(written) == meant


def test_a_script_replays_an_export_of_mentions_as_posts_on_its_clock(loaded_plan: LoadedPlan) -> None:
    script = loaded_plan.drills["delivery_replay"]
    posts = [i for i in script.injects if i.kind.value == "post"]
    assert [(p.at, p.network) for p in posts] == [(0, "x"), (4, "x"), (12, "instagram"), (25, "x")]
    journalist = posts[-1]
    assert journalist.author is not None
    assert (journalist.author.handle, journalist.author.verified, journalist.reach) == ("@hugo_press", True, 88000)
    assert [i.at for i in script.injects] == sorted(i.at for i in script.injects), "mixed in with the others"


def test_a_bad_row_of_the_replayed_export_is_named_by_its_line(plan_copy: Path) -> None:
    export = plan_copy.parent / "drills" / "delivery_replay.csv"
    edit(export, "2026-11-20T09:12:00Z", "last tuesday")
    text = str(load_error(plan_copy))
    assert f"{export}:4: created_at" in text
    assert "listening format" in text


def test_a_replayed_export_that_is_missing_or_of_an_unknown_source(plan_copy: Path) -> None:
    script = drill(plan_copy, "delivery_replay")
    edit(script, "  source: generic\n", "  source: generik\n")
    assert_reported(
        load_error(plan_copy), script, line_of(script, "source: generik"), "mentions.source",
        "unknown source 'generik'", "did you mean 'generic'?",
    )  # fmt: skip
    edit(script, "  source: generik\n", "  source: generic\n")
    (plan_copy.parent / "drills" / "delivery_replay.csv").unlink()
    assert "there is no delivery_replay.csv beside this script" in str(load_error(plan_copy))
