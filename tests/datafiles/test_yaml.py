"""Every data file is read by ``load_yaml``; these pin down what it refuses, and how fast.

Anchors and aliases are refused before anything is built from them. A "billion laughs" file
(nested aliases, a few hundred bytes) used to hang ``check-plan`` while it expanded; the bombs
below expand to over ten billion values, so a loader that expanded them at all would hang here
for hours (and run out of memory long before), rather than fail a timing assertion.
"""

from __future__ import annotations

import itertools
import shutil
import string
from pathlib import Path

import pytest

from bot.datafiles.plan import load_plan
from bot.datafiles.yaml import DataFileError, DataIssue, load_yaml
from bot.frameworks import load_library
from tests.frameworks.helpers import copy_library

REPO_ROOT = Path(__file__).resolve().parents[2]
ANCHORS_REFUSED = "YAML anchors and aliases (&name, *name) are not allowed in crisisbot files"
FIX = "write the values out in full"


def bomb(levels: int = 10, width: int = 10) -> str:
    """Top-level keys ``lol_a`` to ``lol_j``: the last one expands to width**levels values."""
    names = string.ascii_lowercase[:levels]
    lines = [f"lol_a: &a [{', '.join(['lol'] * width)}]"]
    for prev, name in itertools.pairwise(names):
        lines.append(f"lol_{name}: &{name} [{', '.join([f'*{prev}'] * width)}]")
    return "\n".join(lines) + "\n"


def load_error(path: Path) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        load_yaml(path)
    return info.value


def assert_refused_at(issue: DataIssue, path: Path, line: int, found: str) -> None:
    assert (issue.file, issue.line) == (path, line)
    assert issue.message == f"{ANCHORS_REFUSED} (found {found})"
    assert issue.fix.startswith(FIX)
    assert issue.render().startswith(f"{path}:{line}: {ANCHORS_REFUSED}")


def append(path: Path, text: str) -> int:
    """Add ``text`` at the end of ``path``; returns the line number of its first line."""
    before = path.read_text(encoding="utf-8")
    path.write_text(before.rstrip("\n") + "\n" + text, encoding="utf-8")
    return before.rstrip("\n").count("\n") + 2


# --- the bomb, in every kind of data file ---------------------------------------------------


def test_an_alias_bomb_is_refused_at_its_first_anchor(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text("company: Acme\n" + bomb(), encoding="utf-8")
    [issue] = load_error(path).issues
    assert_refused_at(issue, path, 2, "&a")


def test_an_alias_bomb_in_the_plan_is_the_only_issue(tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "playbooks", tmp_path / "playbooks")
    plan = tmp_path / "playbooks" / "plan.yaml"
    line = append(plan, bomb())
    with pytest.raises(DataFileError) as info:
        load_plan(plan)
    [issue] = info.value.issues
    assert_refused_at(issue, plan, line, "&a")


def test_an_alias_bomb_in_a_playbook_is_reported_with_the_plan(tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "playbooks", tmp_path / "playbooks")
    troll = tmp_path / "playbooks" / "troll.yaml"
    line = append(troll, bomb())
    with pytest.raises(DataFileError) as info:
        load_plan(tmp_path / "playbooks" / "plan.yaml")
    [issue] = info.value.issues
    assert_refused_at(issue, troll, line, "&a")


@pytest.mark.parametrize("name", ["networks.yaml", "style.yaml", "complaint/framework.yaml"])
def test_an_alias_bomb_in_the_message_frameworks_is_reported(tmp_path: Path, name: str) -> None:
    root = copy_library(tmp_path)
    path = root / name
    line = append(path, bomb())
    _, issues = load_library(root)
    [issue] = [issue for issue in issues if issue.file == path]
    assert_refused_at(issue, path, line, "&a")


# --- any anchor or alias, however harmless ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "found"),
    [
        # the classic "shared defaults" pattern is refused at the anchor, before the alias
        ("base: &base\n  name: X\nsev1:\n  <<: *base\n", 1, "&base"),
        ("a: 1\nb:\n  - &first x\n  - y\n", 3, "&first"),
        ("a: 1\nlist: [&x one, two]\n", 2, "&x"),
        # an alias to nothing: refused for what it is, not as a broken reference
        ("a: 1\nb: 2\nc: *nowhere\n", 3, "*nowhere"),
        # a bare alias reads like emphasis to a person, but YAML takes it as an alias
        ("title: *urgent\n", 1, "*urgent"),
    ],
)
def test_anchors_and_aliases_are_refused_at_their_line(tmp_path: Path, text: str, line: int, found: str) -> None:
    path = tmp_path / "file.yaml"
    path.write_text(text, encoding="utf-8")
    [issue] = load_error(path).issues
    assert_refused_at(issue, path, line, found)


@pytest.mark.parametrize("text", ["title: *urgent* read this\n", "title: & co\n"])
def test_a_stray_star_or_ampersand_says_to_quote_the_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "file.yaml"
    path.write_text(text, encoding="utf-8")
    [issue] = load_error(path).issues
    assert issue.line == 1
    assert issue.message.startswith("not valid YAML: ")
    assert "quote the text" in issue.fix


def test_quoted_stars_and_ampersands_are_plain_text(tmp_path: Path) -> None:
    path = tmp_path / "file.yaml"
    path.write_text("a: '*urgent*'\nb: \"&a\"\nc: Smith & Sons\nd: 2 * 3\n", encoding="utf-8")
    assert load_yaml(path).data == {"a": "*urgent*", "b": "&a", "c": "Smith & Sons", "d": "2 * 3"}


# --- what is still allowed ----------------------------------------------------------------------


def test_many_repeated_values_written_out_still_load(tmp_path: Path) -> None:
    # what the bomb would say if written in full, on a smaller scale: repetition alone is fine
    path = tmp_path / "big.yaml"
    rows = "\n".join(f"  key{i}: [{', '.join(['lol'] * 100)}]" for i in range(100))
    path.write_text(f"company: Acme\nlots:\n{rows}\n", encoding="utf-8")
    doc = load_yaml(path)
    assert len(doc.data["lots"]) == 100
    assert all(value == ["lol"] * 100 for value in doc.data["lots"].values())
    assert doc.line_of(("lots", "key99", 99)) == 102


def test_the_shipped_files_use_no_anchors() -> None:
    files = sorted((REPO_ROOT / "playbooks").glob("*.yaml")) + sorted(
        (REPO_ROOT / "message_frameworks").rglob("*.yaml")
    )
    assert files
    for path in files:
        assert load_yaml(path).data, path


def test_nesting_too_deep_is_an_issue_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_yaml(path)
    [issue] = info.value.issues
    assert "nested too deeply" in issue.message
