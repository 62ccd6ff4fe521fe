"""Rendering: nothing guessed, gaps made visible, values never run as template code."""

from __future__ import annotations

import pytest

from bot.core.drafts.frameworks import MissingVariablesError
from bot.core.model.errors import UsageError
from bot.core.ports import DraftRenderer
from bot.frameworks import JinjaDraftRenderer
from tests.frameworks.helpers import examples


def complaint_values(renderer: JinjaDraftRenderer, **changes: str) -> dict[str, str]:
    values = examples(renderer.frameworks()["complaint"])
    values.update(changes)
    return {name: value for name, value in values.items() if value != "<drop>"}


def test_a_missing_required_value_stops_the_draft_and_names_it(renderer: JinjaDraftRenderer) -> None:
    values = complaint_values(renderer, what_went_wrong="<drop>")
    with pytest.raises(MissingVariablesError) as caught:
        renderer.render("complaint", "apologize", "en", values)
    assert caught.value.missing == {"what_went_wrong": "What went wrong, in a few words"}
    assert "what_went_wrong" in str(caught.value)


def test_missing_values_are_labelled_in_the_language_of_the_draft(renderer: JinjaDraftRenderer) -> None:
    with pytest.raises(MissingVariablesError) as caught:
        renderer.render("complaint", "acknowledge", "fr", {})
    assert caught.value.missing == {
        "customer_handle": "Le pseudo du client",
        "what_went_wrong": "Le problème, en quelques mots",
    }


def test_a_blank_required_value_counts_as_missing(renderer: JinjaDraftRenderer) -> None:
    with pytest.raises(MissingVariablesError) as caught:
        renderer.render("complaint", "acknowledge", "en", complaint_values(renderer, customer_handle="   "))
    assert list(caught.value.missing) == ["customer_handle"]


def test_a_draft_only_asks_for_the_facts_its_template_uses(renderer: JinjaDraftRenderer) -> None:
    # The troll acknowledgement states a fact; it must not demand what we got wrong.
    draft = renderer.render("troll", "acknowledge", "en", {"customer_handle": "@x", "fact": "lamps are tested"})
    assert draft.text.startswith("@x To be clear: lamps are tested.")


def test_a_missing_optional_value_shows_as_a_visible_placeholder(renderer: JinjaDraftRenderer) -> None:
    values = complaint_values(renderer, case_id="<drop>", agent_name="")
    draft = renderer.render("complaint", "apologize", "en", values)
    assert "Your case is [CASE NUMBER]." in draft.text
    assert draft.text.endswith("– [YOUR NAME]")
    assert draft.placeholders == ["[CASE NUMBER]", "[YOUR NAME]"]
    findings = renderer.lint("complaint", "apologize", "en", draft.text)
    assert [f.code for f in findings] == ["placeholder", "placeholder"]
    assert "[CASE NUMBER]" in findings[0].message


def test_values_are_inserted_literally_never_evaluated(renderer: JinjaDraftRenderer) -> None:
    tricky = "{{ 7*7 }} {% if true %}x{% endif %} <!here> {{ cycler.__init__ }}"
    draft = renderer.render("complaint", "acknowledge", "en", complaint_values(renderer, what_went_wrong=tricky))
    assert tricky in draft.text
    assert "49" not in draft.text


def test_the_draft_carries_what_a_person_needs_to_adapt_it(renderer: JinjaDraftRenderer) -> None:
    draft = renderer.render("complaint", "resolve", "fr", complaint_values(renderer))
    framework = renderer.frameworks()["complaint"]
    assert (draft.scenario, draft.stage, draft.lang) == ("complaint", "resolve", "fr")
    assert draft.talking_points == [p.text["fr"] for p in framework.stages["resolve"].talking_points]
    assert draft.tone == framework.tone["fr"]
    assert (draft.network, draft.limit) == ("X (Twitter)", 280)
    assert draft.text == draft.text.strip()


@pytest.mark.parametrize("scenario", ["other", "supply_chain", "unknown"])
def test_a_scenario_without_its_own_framework_gets_the_generic_one(renderer: JinjaDraftRenderer, scenario: str) -> None:
    values = examples(renderer.frameworks()["generic"])
    draft = renderer.render(scenario, "acknowledge", "en", values)
    assert draft.text == renderer.render("generic", "acknowledge", "en", values).text
    assert draft.scenario == scenario
    assert renderer.lint(scenario, "acknowledge", "en", draft.text) == []


def test_an_unknown_stage_lists_the_valid_ones(renderer: JinjaDraftRenderer) -> None:
    with pytest.raises(UsageError) as caught:
        renderer.render("complaint", "apologise", "en", {})
    assert "apologise" in caught.value.user_message
    assert "apologize" in str(caught.value.hint)
    assert "acknowledge" in str(caught.value.hint)
    assert "resolve" in str(caught.value.hint)


def test_an_unknown_language_lists_the_valid_ones(renderer: JinjaDraftRenderer) -> None:
    with pytest.raises(UsageError) as caught:
        renderer.lint("complaint", "resolve", "de", "text")
    assert "'de'" in caught.value.user_message
    assert "en, fr" in str(caught.value.hint)


def test_without_a_generic_framework_an_unknown_scenario_is_a_usage_error() -> None:
    empty = JinjaDraftRenderer({})
    with pytest.raises(UsageError, match="no generic one"):
        empty.render("other", "acknowledge", "en", {})
    assert dict(empty.frameworks()) == {}


def test_the_network_of_a_framework_is_looked_up_by_its_id(renderer: JinjaDraftRenderer) -> None:
    assert renderer.network(renderer.frameworks()["employee"].network).limit == 1250
    assert renderer.network("statement").limit is None
    with pytest.raises(UsageError) as caught:
        renderer.network("twiter")
    assert "linkedin" in str(caught.value.hint)


def test_the_renderer_implements_the_core_port(renderer: JinjaDraftRenderer) -> None:
    port: DraftRenderer = renderer  # checked by mypy: the structural type must match
    assert set(port.frameworks()) >= {"generic"}
