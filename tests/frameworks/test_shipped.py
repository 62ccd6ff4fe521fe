"""Every shipped framework, stage and language drafts a complete, on-voice reply from its examples."""

from __future__ import annotations

import itertools

import pytest
import yaml

from bot.core.drafts.frameworks import LANGUAGES, STAGES
from bot.datafiles.yaml import DataIssue
from bot.frameworks import JinjaDraftRenderer
from bot.frameworks.lint import cue_present, fold
from tests.frameworks.helpers import FRAMEWORKS, ROOT, SHIPPED, examples

CASES = list(itertools.product(SHIPPED, STAGES, LANGUAGES))


def test_the_shipped_library_loads_without_a_single_issue(
    shipped: tuple[JinjaDraftRenderer, list[DataIssue]],
) -> None:
    renderer, issues = shipped
    assert [issue.render() for issue in issues] == []
    assert sorted(renderer.frameworks()) == sorted(SHIPPED)


def test_every_planned_scenario_has_a_framework_or_the_generic_one(renderer: JinjaDraftRenderer) -> None:
    plan = yaml.safe_load((ROOT / "playbooks" / "plan.yaml").read_text(encoding="utf-8"))
    own = {scenario for scenario in plan["scenarios"] if scenario in renderer.frameworks()}
    assert own == set(plan["scenarios"]) - {"other"}
    assert renderer.framework_id("other") == "generic"


@pytest.mark.parametrize(("fid", "stage", "lang"), CASES)
def test_a_draft_with_every_value_given_is_complete_and_clean(
    renderer: JinjaDraftRenderer, fid: str, stage: str, lang: str
) -> None:
    framework = renderer.frameworks()[fid]
    draft = renderer.render(fid, stage, lang, examples(framework))
    assert "[" not in draft.text
    assert draft.placeholders == []
    assert draft.limit is None or len(draft.text) <= draft.limit
    assert draft.talking_points
    assert draft.tone
    assert renderer.lint(fid, stage, lang, draft.text) == []


@pytest.mark.parametrize(("fid", "stage", "lang"), CASES)
def test_each_required_talking_point_is_made_by_the_template(
    renderer: JinjaDraftRenderer, fid: str, stage: str, lang: str
) -> None:
    framework = renderer.frameworks()[fid]
    folded = fold(renderer.render(fid, stage, lang, examples(framework)).text)
    for point in framework.stages[stage].talking_points:
        if point.required:
            assert cue_present(folded, point.cues[lang]), f"{fid}/{stage}.{lang} misses the point {point.id}"


@pytest.mark.parametrize(("fid", "stage", "lang"), CASES)
def test_no_draft_uses_a_phrase_to_avoid(renderer: JinjaDraftRenderer, fid: str, stage: str, lang: str) -> None:
    framework = renderer.frameworks()[fid]
    folded = fold(renderer.render(fid, stage, lang, examples(framework)).text)
    rules = renderer.rules(fid, stage, lang)
    assert rules.avoid, "the style file's phrases apply to every framework"
    assert [a.phrase for a in rules.avoid if fold(a.phrase) in folded] == []


@pytest.mark.parametrize(("fid", "stage"), list(itertools.product(SHIPPED, STAGES)))
def test_french_is_written_not_copied_from_english(renderer: JinjaDraftRenderer, fid: str, stage: str) -> None:
    values = examples(renderer.frameworks()[fid])
    english = renderer.render(fid, stage, "en", values)
    french = renderer.render(fid, stage, "fr", values)
    assert french.text != english.text
    assert french.talking_points != english.talking_points
    assert french.tone != english.tone


@pytest.mark.parametrize("fid", SHIPPED)
def test_every_variable_has_an_example_and_a_label_in_every_language(renderer: JinjaDraftRenderer, fid: str) -> None:
    for name, var in renderer.frameworks()[fid].variables.items():
        assert var.example.strip(), f"{fid}.{name} needs an example"
        assert all(var.label.get(lang) for lang in LANGUAGES)


def test_each_framework_names_the_network_it_is_written_for(renderer: JinjaDraftRenderer) -> None:
    networks = {
        fid: renderer.render(fid, "acknowledge", "en", examples(fw)) for fid, fw in renderer.frameworks().items()
    }
    assert {fid: (d.network, d.limit) for fid, d in networks.items()} == {
        "complaint": ("X (Twitter)", 280),
        "troll": ("X (Twitter)", 280),
        "product_failure": ("X (Twitter)", 280),
        "generic": ("X (Twitter)", 280),
        "employee": ("LinkedIn", 1250),
        "executive_scandal": ("Press statement", None),
    }


def test_the_troll_framework_says_the_best_reply_is_often_none(renderer: JinjaDraftRenderer) -> None:
    tone = renderer.frameworks()["troll"].tone
    assert any("no reply" in note for note in tone["en"])
    assert any("ne pas répondre" in note for note in tone["fr"])


def test_templates_are_plain_text(renderer: JinjaDraftRenderer) -> None:
    for path in FRAMEWORKS.glob("*/*.j2"):
        text = path.read_text(encoding="utf-8")
        assert not {"<", "&"} & set(text), f"{path} looks like HTML"
