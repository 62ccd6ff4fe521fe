from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.commands import (
    HelpCommand,
    ListCommand,
    ResolveCommand,
    StartCommand,
    StatusCommand,
    parse,
)
from bot.core.model.errors import UsageError
from bot.core.plan.model import LoadedPlan, Plan


@pytest.fixture(scope="session")
def plan(loaded_plan: LoadedPlan) -> Plan:
    return loaded_plan.plan


def test_start_with_scenario_severity_and_title(plan: Plan) -> None:
    cmd = parse("start complaint sev3 Delivery delays flood our mentions", plan)
    assert cmd == StartCommand("complaint", "sev3", "Delivery delays flood our mentions")


def test_start_accepts_aliases_either_order_and_any_case(plan: Plan) -> None:
    assert parse("START SEV1 Exec CEO video", plan) == StartCommand("executive_scandal", "sev1", "CEO video")
    assert parse("start sev2 outage Checkout down", plan) == StartCommand("product_failure", "sev2", "Checkout down")
    assert parse("start ex-employee Glassdoor thread", plan) == StartCommand("employee", None, "Glassdoor thread")


def test_start_without_scenario_is_other_and_keeps_title_as_typed(plan: Plan) -> None:
    cmd = parse("start   <!channel> <@U123> *bold*  ", plan)
    assert cmd == StartCommand("other", None, "<!channel> <@U123> *bold*")


def test_bare_start_asks_for_a_form(plan: Plan) -> None:
    assert parse("start", plan) == StartCommand("other", None, None)


def test_start_with_scenario_but_no_title_asks_for_a_form_prefilled(plan: Plan) -> None:
    assert parse("start complaint sev3", plan) == StartCommand("complaint", "sev3", None)


@pytest.mark.parametrize("word", ["SEV-1", "sev_1", "sev01", "sev 1"])
def test_severity_spellings(plan: Plan, word: str) -> None:
    assert parse(f"start troll {word} Bots", plan) == StartCommand("troll", "sev1", "Bots")


@pytest.mark.parametrize("word", ["sev0", "sev-9", "sev12"])
def test_severities_the_plan_lacks_are_refused_not_swallowed(plan: Plan, word: str) -> None:
    with pytest.raises(UsageError, match="no severity"):
        parse(f"start troll {word} Bots", plan)


def test_a_bare_number_after_resolve_is_questioned(plan: Plan) -> None:
    with pytest.raises(UsageError, match="CRISIS-0007"):
        parse("resolve 7", plan)


def test_unknown_severity_lists_the_plan_levels(plan: Plan) -> None:
    plan_without_sev9 = "sev9" not in plan.severities
    assert plan_without_sev9
    with pytest.raises(UsageError) as info:
        parse("start complaint sev9 Something", plan)
    assert "sev1, sev2, sev3, sev4" in str(info.value)


def test_unknown_verb_lists_commands_and_scenarios(plan: Plan) -> None:
    with pytest.raises(UsageError) as info:
        parse("launch the thing", plan)
    text = str(info.value)
    assert "`launch`" in text
    assert "/crisis start [scenario] [sev1..sev4] <title>" in text
    assert "troll" in text
    assert "executive_scandal" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", HelpCommand()),
        ("help", HelpCommand()),
        ("help start", HelpCommand("start")),
        ("status", StatusCommand()),
        ("status CRISIS-0007", StatusCommand(7)),
        ("status crisis-12", StatusCommand(12)),
        ("status 7", StatusCommand(7)),
        ("list", ListCommand("active")),
        ("list ALL", ListCommand("all")),
        ("resolve", ResolveCommand(None, "")),
        ("resolve Refunds sent, thread calm", ResolveCommand(None, "Refunds sent, thread calm")),
        ("resolve CRISIS-0003 Refunds sent", ResolveCommand(3, "Refunds sent")),
        ("resolve #3 Refunds sent", ResolveCommand(3, "Refunds sent")),
        ("resolve 3 refunds went out", ResolveCommand(None, "3 refunds went out")),
    ],
)
def test_other_verbs(plan: Plan, text: str, expected: object) -> None:
    assert parse(text, plan) == expected


@pytest.mark.parametrize("text", ["status nope", "status 1 2", "list everything", "list all active"])
def test_bad_arguments_show_usage(plan: Plan, text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse(text, plan)
    assert "Usage: /crisis" in str(info.value)


def test_overlong_title_is_refused_with_the_limit(plan: Plan) -> None:
    with pytest.raises(UsageError, match="under 150"):
        parse("start troll " + "x" * 151, plan)


@settings(max_examples=400)
@given(st.text(max_size=400))
def test_junk_never_raises_anything_but_usage_error(plan: Plan, text: str) -> None:
    message = ""
    try:
        parse(text, plan)
    except UsageError as exc:
        message = exc.user_message or "<empty>"
    assert message != "<empty>"


@settings(max_examples=200)
@given(st.lists(st.sampled_from(["start", "sev1", "sev9", "troll", "crisis-1", "status", "<!here>", "", "é"])))
def test_word_salad_never_crashes(plan: Plan, words: list[str]) -> None:
    with contextlib.suppress(UsageError):
        parse(" ".join(words), plan)
