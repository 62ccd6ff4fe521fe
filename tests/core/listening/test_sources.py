"""Source mappings (``playbooks/sources/*.yaml``): the shipped ones, and the errors a person
writing one for a new tool gets back (file, line, key, fix), at start-up and from check-plan."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.listening.mapping import parse
from bot.core.model.mentions import Mention, Rejected
from bot.core.plan.sources import generic
from bot.datafiles.plan import load_plan
from tests.core.test_plan import SHIPPED_PLAN, assert_reported, edit, line_of, load_error


def test_the_shipped_mappings_load() -> None:
    assert set(load_plan(SHIPPED_PLAN).sources) == {"flat", "webhook"}


def test_a_flat_csv_row_is_converted_from_text() -> None:
    flat = load_plan(SHIPPED_PLAN).sources["flat"]
    row = {
        "platform": "TikTok",
        "post_id": "55",
        "content": "awful",
        "published_at": "2026-12-03 10:00:00",
        "author_followers": "1200",
        "author_verified": "true",
        "reach": "",
    }
    found = parse(row, 0, flat, strict=False)
    assert isinstance(found, Mention)
    assert (found.network, found.followers, found.verified, found.reach) == ("tiktok", 1200, True, None)
    assert found.created_at == datetime(2026, 12, 3, 10, tzinfo=UTC)
    assert parse(row, 0, flat, strict=True) == Rejected(0, "author_followers", "Input should be a valid integer")


def test_the_generic_source_finds_dotted_csv_columns() -> None:
    row = {"network": "x", "id": "1", "text": "t", "created_at": "1764756000", "author.handle": "@a"}
    found = parse(row, 0, generic(), strict=False)
    assert isinstance(found, Mention)
    assert found.author_handle == "@a"


def test_a_bad_date_names_the_field_and_the_format() -> None:
    item = {"network": "x", "id": "1", "text": "t", "created_at": "yesterday"}
    assert parse(item, 4, generic(), strict=True) == Rejected(
        4, "created_at", "should be a date and time like 2026-12-03T10:00:00Z"
    )


def test_the_content_hash_ignores_counts_but_not_text() -> None:
    base = Mention(network="x", post_id="1", text="a", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert base.content_hash == base.model_copy(update={"reach": 10, "likes": 3}).content_hash
    assert base.content_hash != base.model_copy(update={"text": "b"}).content_hash
    assert base.content_hash != base.model_copy(update={"deleted": True}).content_hash


def test_a_misspelt_target_is_reported_with_its_line(plan_copy: Path) -> None:
    source = plan_copy.parent / "sources" / "webhook.yaml"
    edit(source, "  author.handle: user.screen_name", "  author.hanlde: user.screen_name")
    error = load_error(plan_copy)
    assert_reported(error, source, line_of(source, "author.hanlde"), "fields.author.hanlde", "author.handle")


def test_a_mapping_that_cannot_fill_a_required_field_is_refused(plan_copy: Path) -> None:
    source = plan_copy.parent / "sources" / "flat.yaml"
    edit(source, "  created_at: published_at\n", "")
    error = load_error(plan_copy)
    assert_reported(error, source, line_of(source, "fields:"), "fields", "'created_at'", "add 'created_at:")


@pytest.mark.parametrize(("name", "why"), [("generic", "built in"), ("Bad Name", "cannot name a source")])
def test_a_mapping_file_with_a_bad_name_is_refused(plan_copy: Path, name: str, why: str) -> None:
    folder = plan_copy.parent / "sources"
    (folder / f"{name}.yaml").write_text((folder / "flat.yaml").read_text())
    error = load_error(plan_copy)
    assert any(why in issue.render() and issue.fix for issue in error.issues), str(error)
