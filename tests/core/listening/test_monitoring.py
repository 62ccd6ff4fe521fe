"""The plan's ``monitoring:`` section (checked like the rest of the plan) and what it matches."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.core.listening.matching import TopicMatcher, viral_reason
from bot.core.listening.spikes import rate, sparkline
from bot.core.model.mentions import Mention
from bot.core.plan.monitoring import Monitoring, Topic, Virality
from tests.core.test_plan import assert_reported, edit, line_of, load_error


def post(text: str, **fields: object) -> Mention:
    return Mention.model_validate(
        {"network": "x", "post_id": "1", "text": text, "created_at": datetime(2026, 12, 3, tzinfo=UTC), **fields}
    )


TOPICS = {
    "safety": Topic(name="Safety", keywords=["fire", "brûlé"], phrases=["caught fire"], languages=["en", "fr"]),
    "brand": Topic(name="Brand", handles=["@MaisonLumen"]),
}


def test_keywords_match_whole_words_in_any_case_and_language() -> None:
    matcher = TopicMatcher(TOPICS)
    assert matcher.topics_of(post("My lamp CAUGHT   fire!", lang="en")) == ("safety",)
    assert matcher.topics_of(post("Il a brûlé la table", lang="fr")) == ("safety",)
    assert matcher.topics_of(post("Our firewall is fine", lang="en")) == ()
    assert matcher.topics_of(post("fire everywhere", lang="de")) == ()  # not a language of the topic
    assert matcher.topics_of(post("fire everywhere")) == ("safety",)  # unknown language: better a false alarm


def test_handles_match_a_tag_or_the_author() -> None:
    matcher = TopicMatcher(TOPICS)
    assert matcher.topics_of(post("hey @maisonlumen where is it")) == ("brand",)
    assert matcher.topics_of(post("new collection out", author_handle="@MaisonLumen")) == ("brand",)
    assert matcher.topics_of(post("email me at x@maisonlumen.example")) == ()


def test_virality_triggers_say_why() -> None:
    rules = Virality(verified=True, followers=100_000, reach=500_000, press_domains=["lemonde.fr"])
    assert viral_reason(post("a", verified=True), rules) == "a verified author"
    assert viral_reason(post("a", followers=180_000), rules) == "an author with 180,000 followers"
    assert viral_reason(post("a", reach=600_000), rules) == "a reach of 600,000"
    assert viral_reason(post("a", url="https://www.lemonde.fr/x"), rules) == "a press site (lemonde.fr)"
    assert viral_reason(post("a", followers=10, url="https://example.com/lemonde.fr"), rules) is None


def test_a_spike_needs_the_ratio_and_the_floor() -> None:
    monitoring = Monitoring()  # 5x, 30 in 10 minutes, a day of baseline
    assert rate(monitoring, 30, 0).is_spike(monitoring)  # usually silent: the floor decides
    assert not rate(monitoring, 29, 0).is_spike(monitoring)
    assert not rate(monitoring, 40, 1440 * 1).is_spike(monitoring)  # 4/min against 1/min: 4x
    assert rate(monitoring, 50, 1440 * 1).is_spike(monitoring)  # 5x
    assert sparkline([0, 1, 2, 8]) == "▁▂▃█"
    assert sparkline([0, 0]) == "▁▁"


def test_a_topic_naming_an_unknown_scenario_is_reported(plan_copy: Path) -> None:
    edit(
        plan_copy,
        "      scenario: product_failure\n      severity: sev2",
        "      scenario: product_fail\n      severity: sev2",
    )
    error = load_error(plan_copy)
    line = line_of(plan_copy, "scenario: product_fail")
    assert_reported(error, plan_copy, line, "monitoring.topics.product_safety.scenario", "product_failure")


def test_a_topic_that_matches_nothing_is_reported(plan_copy: Path) -> None:
    edit(plan_copy, '      keywords: [ceo, pdg]\n      phrases: ["julien moreau"]\n', "")
    error = load_error(plan_copy)
    assert_reported(
        error, plan_copy, line_of(plan_copy, "    leadership:"), "monitoring.topics.leadership", "matches nothing"
    )


def test_a_misspelt_spike_key_is_reported(plan_copy: Path) -> None:
    edit(plan_copy, "spike: {ratio: 5, min_mentions: 30", "spike: {ratio: 5, min_mention: 30")
    error = load_error(plan_copy)
    assert_reported(
        error, plan_copy, line_of(plan_copy, "min_mention:"), "monitoring.spike.min_mention", "min_mentions"
    )
