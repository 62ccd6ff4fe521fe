"""The lint: one test per finding, each saying what is wrong and why."""

from __future__ import annotations

from bot.frameworks import JinjaDraftRenderer
from bot.frameworks.lint import fold
from tests.frameworks.helpers import examples


def codes(renderer: JinjaDraftRenderer, text: str, stage: str = "acknowledge", lang: str = "en") -> list[str]:
    return [f.code for f in renderer.lint("complaint", stage, lang, text)]


def ok_text(renderer: JinjaDraftRenderer, stage: str = "acknowledge", lang: str = "en") -> str:
    return renderer.render("complaint", stage, lang, examples(renderer.frameworks()["complaint"])).text


def test_an_edited_draft_with_nothing_wrong_has_no_findings(renderer: JinjaDraftRenderer) -> None:
    text = "@claire_b You're right, and I'm looking into it now. Could you DM us your order number? – Sofia"
    assert renderer.lint("complaint", "acknowledge", "en", text) == []


def test_too_long_says_by_how_many_characters(renderer: JinjaDraftRenderer) -> None:
    text = ok_text(renderer)
    text += " " + "x" * (300 - len(text) - 1)
    [finding] = renderer.lint("complaint", "acknowledge", "en", text)
    assert finding.code == "too_long"
    assert "300 characters" in finding.message
    assert "20 over" in finding.message
    assert "X (Twitter)" in finding.message


def test_no_limit_no_too_long(renderer: JinjaDraftRenderer) -> None:
    values = examples(renderer.frameworks()["executive_scandal"])
    text = renderer.render("executive_scandal", "acknowledge", "en", values).text + "\n\n" + "More. " * 2000
    assert "too_long" not in [f.code for f in renderer.lint("executive_scandal", "acknowledge", "en", text)]


def test_a_placeholder_left_in_is_named(renderer: JinjaDraftRenderer) -> None:
    text = ok_text(renderer).replace("– Sofia", "– [YOUR NAME], order [ORDER NUMBER]")
    findings = renderer.lint("complaint", "acknowledge", "en", text)
    assert [f.code for f in findings] == ["placeholder", "placeholder"]
    assert "[YOUR NAME]" in findings[0].message
    assert "[ORDER NUMBER]" in findings[1].message


def test_an_avoided_phrase_is_quoted_with_its_reason(renderer: JinjaDraftRenderer) -> None:
    text = ok_text(renderer, "apologize") + " We apologize for any inconvenience."
    [finding] = renderer.lint("complaint", "apologize", "en", text)
    assert finding.code == "avoid_phrase"
    assert "“we apologize for any inconvenience”" in finding.message
    assert "form-letter" in finding.message


def test_avoided_phrases_match_without_case_accents_or_curly_apostrophes(renderer: JinjaDraftRenderer) -> None:
    base = ok_text(renderer, "apologize", "fr")
    for variant in (
        "nous nous excusons pour la gene occasionnee",
        "N’hésitez pas à nous contacter",
        "Sans  commentaire",
    ):
        findings = renderer.lint("complaint", "apologize", "fr", f"{base} {variant}.")
        assert [f.code for f in findings] == ["avoid_phrase"], variant


def test_a_phrase_inside_a_longer_one_is_reported_once(renderer: JinjaDraftRenderer) -> None:
    text = ok_text(renderer, "apologize", "fr") + " Nous nous excusons pour la gêne occasionnée."
    [finding] = renderer.lint("complaint", "apologize", "fr", text)
    assert "nous nous excusons pour la gêne occasionnée" in finding.message


def test_a_phrase_is_only_matched_as_whole_words(renderer: JinjaDraftRenderer) -> None:
    assert "avoid_phrase" not in codes(renderer, ok_text(renderer) + " No commentary needed.")


def test_framework_specific_phrases_are_flagged_too(renderer: JinjaDraftRenderer) -> None:
    findings = renderer.lint("complaint", "acknowledge", "en", ok_text(renderer) + " Please calm down.")
    assert [(f.code, "“calm down”" in f.message) for f in findings] == [("avoid_phrase", True)]
    assert "Customer complaint" in findings[0].message
    # ...but only in their own framework
    assert (
        renderer.lint("generic", "acknowledge", "en", "Calm down. We've seen it, looking into it. Next update at 5.")
        == []
    )


def test_a_capitalised_word_is_shouting(renderer: JinjaDraftRenderer) -> None:
    [finding] = renderer.lint("complaint", "acknowledge", "en", ok_text(renderer) + " This is NOT acceptable. SORRY.")
    assert finding.code == "shouting"
    assert "SORRY" in finding.message
    assert "NOT" not in finding.message


def test_mostly_capitals_is_shouting_even_in_short_words(renderer: JinjaDraftRenderer) -> None:
    text = "@claire_b YES, YOU GOT IT: OUR BAD, we are on it. DM US NOW AND WE FIX IT. – Sofia"
    [finding] = [f for f in renderer.lint("complaint", "acknowledge", "en", text) if f.code == "shouting"]
    assert "% of the letters are capitals" in finding.message


def test_placeholders_handles_links_and_allowed_acronyms_are_not_shouting(renderer: JinjaDraftRenderer) -> None:
    text = "@CLAIRE_B You're right, looking into it: DM us [ORDER NUMBER]. GDPR: https://ML.EXAMPLE/PRIVACY"
    assert codes(renderer, text) == ["placeholder"]


def test_a_missing_talking_point_is_named(renderer: JinjaDraftRenderer) -> None:
    text = "@claire_b A cracked shade is our mistake. I'll update you by 17:00. – Sofia"
    [finding] = renderer.lint("complaint", "apologize", "en", text)
    assert finding.code == "missing_point"
    assert "'sorry'" in finding.message
    assert "Say sorry for this specific problem" in finding.message


def test_talking_points_are_found_without_case_or_accents(renderer: JinjaDraftRenderer) -> None:
    text = "@claire_b DESOLES, c'est notre ERREUR. Je reviens vers vous d'ici 17:00. – Sofia"
    assert codes(renderer, text, "apologize", "fr") == ["shouting"]
    assert fold("Désolés, c’est NOTRE erreur") == "desoles, c'est notre erreur"


def test_optional_talking_points_are_never_reported_missing(renderer: JinjaDraftRenderer) -> None:
    values = examples(renderer.frameworks()["product_failure"])
    draft = renderer.render("product_failure", "resolve", "en", values).text.replace(" Thanks for every report.", "")
    assert renderer.lint("product_failure", "resolve", "en", draft) == []


def test_every_problem_is_reported_at_once(renderer: JinjaDraftRenderer) -> None:
    text = "URGENT: per our policy, [HANDLE] must wait. " + "x" * 300
    assert codes(renderer, text, "resolve") == [
        "too_long",
        "placeholder",
        "avoid_phrase",
        "shouting",
        "missing_point",
        "missing_point",
        "missing_point",
    ]


def test_x_counts_every_link_as_23_characters() -> None:
    from bot.core.drafts.frameworks import Network

    x = Network(name="X (Twitter)", limit=280, link_length=23)
    long_link = "https://maisonlumen.example/support/replacements/oslo-lamp-cracked-shade?utm=care" * 2
    text = "We're on it: " + long_link
    assert x.length(text) == len("We're on it: ") + 23
    assert Network(name="Email").length(text) == len(text)
