from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.core.rooms import SLACK_MAX, base_name, candidates, is_valid, slugify

DAY = datetime(2026, 11, 25, tzinfo=UTC)


def test_accents_are_folded_not_dropped() -> None:
    assert slugify("Défaut produit: lampes Œuvre à Noël") == "defaut-produit-lampes-oeuvre-a-noel"


def test_base_name_has_prefix_date_and_slug() -> None:
    assert base_name("crisis", DAY, "Delivery delays flood our mentions!") == (
        "crisis-20261125-delivery-delays-flood-our-mentions"
    )


def test_title_without_letters_still_gets_a_name() -> None:
    assert base_name("crisis", DAY, "<!channel> 🔥🔥") == "crisis-20261125-channel"
    assert base_name("crisis", DAY, "🔥🔥🔥") == "crisis-20261125-incident"


def test_long_titles_are_cut_to_80_and_suffixes_still_fit() -> None:
    base = base_name("crisis", DAY, "word " * 60)
    names = list(candidates(base, tries=12))
    assert all(len(n) <= SLACK_MAX for n in names)
    assert names[1].endswith("-2")
    assert names[11].endswith("-12")
    assert len(set(names)) == 12


@given(st.text(max_size=300))
def test_any_title_gives_valid_unique_candidates(title: str) -> None:
    names = list(candidates(base_name("crisis", DAY, title), tries=5))
    assert all(is_valid(n) for n in names)
    assert len(set(names)) == len(names)
