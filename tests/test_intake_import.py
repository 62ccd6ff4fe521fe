"""``crisisbot intake import``: an export file (CSV or JSON Lines) into the evidence store, rows
named by their line when refused; importing the same file again duplicates nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.adapters.http.intake_support import mention
from tests.conftest import PLAN_PATH

CSV = """platform,post_id,link,author_handle,author_followers,author_verified,content,language,published_at,reach
x,1,https://x.com/a/1,@a,1200,false,"Late again, thanks",en,2026-12-03T10:00:00Z,5400
x,2,https://x.com/b/2,@b,lots,false,Broken on arrival,en,2026-12-03T10:01:00Z,100
instagram,3,,@c,10,true,Ça ne marche pas,fr,2026-12-03 10:02:00,
"""


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "crisisbot.db"
    monkeypatch.setenv("CRISISBOT_DB_PATH", str(path))
    monkeypatch.setenv("CRISISBOT_PLAN", str(PLAN_PATH))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return path


def stored(db: Path) -> list[tuple[str, str, int | None]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT network, post_id, reach FROM mention ORDER BY post_id"))


def test_a_csv_export_is_imported_and_a_bad_row_named_by_its_line(db: Path, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(CSV, encoding="utf-8")
    result = CliRunner().invoke(app, ["intake", "import", str(export), "--source", "flat"])
    assert result.exit_code == 1, result.output
    assert "2 accepted, 0 duplicates, 1 rejected" in result.output
    assert "line 3: author_followers: Input should be a valid integer" in result.output
    assert stored(db) == [("x", "1", 5400), ("instagram", "3", None)]
    again = CliRunner().invoke(app, ["intake", "import", str(export), "--source", "flat"])
    assert "0 accepted, 2 duplicates, 1 rejected" in again.output
    assert len(stored(db)) == 2


def test_a_jsonl_export_in_the_generic_shape(db: Path, tmp_path: Path) -> None:
    export = tmp_path / "export.jsonl"
    lines = [json.dumps(mention(str(i))) for i in range(250)]
    export.write_text("\n".join([*lines[:10], "{broken", "", *lines[10:]]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["intake", "import", str(export), "--source", "generic"])
    assert "250 accepted, 0 duplicates, 1 rejected" in result.output
    assert "line 11: the row: not a JSON object" in result.output
    assert len(stored(db)) == 250


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "nosuch"], "unknown source 'nosuch'"),
        (["--source", "generic", "--", "missing.csv"], "There is no file"),
    ],
)
def test_bad_arguments_say_what_to_do(db: Path, tmp_path: Path, args: list[str], message: str) -> None:
    export = tmp_path / "e.csv"
    export.write_text(CSV, encoding="utf-8")
    files = [] if "missing.csv" in args else [str(export)]
    result = CliRunner().invoke(app, ["intake", "import", *files, *[a for a in args if a != "--"]])
    assert result.exit_code == 2
    assert message in result.output
