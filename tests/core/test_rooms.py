from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.crisis.rooms import base_name, candidates, is_valid, slugify

DAY = datetime(2026, 11, 25, tzinfo=UTC)
SLACK_MAX = 80
TEAMS_MAX = 50


def test_accents_are_folded_not_dropped() -> None:
    assert slugify("Défaut produit: lampes Œuvre à Noël") == "defaut-produit-lampes-oeuvre-a-noel"


def test_base_name_has_prefix_date_and_slug() -> None:
    assert base_name("crisis", DAY, "Delivery delays flood our mentions!", SLACK_MAX) == (
        "crisis-20261125-delivery-delays-flood-our-mentions"
    )


def test_title_without_letters_still_gets_a_name() -> None:
    assert base_name("crisis", DAY, "<!channel> 🔥🔥", SLACK_MAX) == "crisis-20261125-channel"
    assert base_name("crisis", DAY, "🔥🔥🔥", SLACK_MAX) == "crisis-20261125-incident"


@pytest.mark.parametrize("limit", [SLACK_MAX, TEAMS_MAX])
def test_long_titles_are_cut_to_the_platform_limit_and_suffixes_still_fit(limit: int) -> None:
    base = base_name("crisis", DAY, "word " * 60, limit)
    names = list(candidates(base, limit, tries=12))
    assert all(len(n) <= limit for n in names)
    assert names[1].endswith("-2")
    assert names[11].endswith("-12")
    assert len(set(names)) == 12


@given(st.text(max_size=300))
def test_any_title_gives_valid_unique_candidates(title: str) -> None:
    names = list(candidates(base_name("crisis", DAY, title, TEAMS_MAX), TEAMS_MAX, tries=5))
    assert all(is_valid(n, TEAMS_MAX) for n in names)
    assert len(set(names)) == len(names)
