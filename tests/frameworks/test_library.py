"""A broken file is reported with its file, line, key and fix; the other frameworks keep drafting."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.model.errors import UsageError
from bot.datafiles.yaml import DataIssue
from bot.frameworks import load_library
from tests.frameworks.helpers import assert_others_work, copy_library, examples


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def about(issues: list[DataIssue], path: Path) -> list[DataIssue]:
    return [issue for issue in issues if issue.file == path]


def test_a_template_syntax_error_names_the_template_and_its_line(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    template = root / "complaint" / "apologize.fr.j2"
    template.write_text("{{ customer_handle }} Désolés.\nDossier {{ case_id }.\nMerci.\n", encoding="utf-8")
    renderer, issues = load_library(root)
    [issue] = issues
    assert issue.file == template
    assert issue.line == 2
    assert "syntax error" in issue.message
    assert "{{ has its }}" in issue.render()
    assert_others_work(renderer, "complaint")
    # the complaint scenario still gets a draft, from the generic framework
    assert renderer.framework_id("complaint") == "generic"


def test_a_missing_metadata_key_is_reported_with_its_fix(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    path = root / "troll" / "framework.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("network: x\n", ""), encoding="utf-8")
    renderer, issues = load_library(root)
    [issue] = issues
    assert (issue.file, issue.loc, issue.fix) == (path, ("network",), "add this key")
    assert_others_work(renderer, "troll")


def test_a_misspelt_metadata_key_gets_a_did_you_mean(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    path = root / "employee" / "framework.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("\ntone:", "\ntones:"), encoding="utf-8")
    renderer, issues = load_library(root)
    [issue] = issues
    assert issue.loc == ("tones",)
    assert issue.line == line_of(path, "tones:")
    assert "did you mean 'tone'" in issue.fix
    assert_others_work(renderer, "employee")


def test_an_unknown_network_is_reported_on_its_line(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    path = root / "product_failure" / "framework.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("network: x\n", "network: tiktok\n"), encoding="utf-8")
    renderer, issues = load_library(root)
    [issue] = issues
    assert issue.file == path
    assert issue.loc == ("network",)
    assert issue.line == line_of(path, "network: tiktok")
    assert "unknown network 'tiktok'" in issue.message
    assert "linkedin" in issue.fix
    assert "networks.yaml" in issue.fix
    assert_others_work(renderer, "product_failure")


def test_an_undeclared_variable_names_the_template_and_the_variable(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    template = root / "complaint" / "acknowledge.en.j2"
    template.write_text(template.read_text(encoding="utf-8") + "Order: {{ order_numbr }}\n", encoding="utf-8")
    renderer, issues = load_library(root)
    [issue] = issues
    assert issue.file == template
    assert issue.line == 2
    assert "'order_numbr'" in issue.message
    assert "declare 'order_numbr'" in issue.fix
    assert_others_work(renderer, "complaint")


def test_a_missing_template_file_is_reported(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    template = root / "executive_scandal" / "resolve.fr.j2"
    template.unlink()
    renderer, issues = load_library(root)
    [issue] = issues
    assert issue.file == template
    assert "template missing" in issue.message
    assert "resolve.fr.j2" in issue.fix
    assert_others_work(renderer, "executive_scandal")


def test_a_misspelt_template_is_reported_missing_and_its_stray_file_named(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    folder = root / "troll"
    (folder / "resolve.en.j2").rename(folder / "reslove.en.j2")
    renderer, issues = load_library(root)
    assert [i.file.name for i in issues] == ["resolve.en.j2", "reslove.en.j2"]
    assert "did you mean 'resolve.en.j2'" in issues[1].fix
    assert_others_work(renderer, "troll")


def test_a_stray_file_alone_does_not_take_the_framework_out(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    (root / "complaint" / "notes.txt").write_text("ideas", encoding="utf-8")
    renderer, issues = load_library(root)
    assert [i.message for i in issues] == ["this file is not used by the bot"]
    assert "complaint" in renderer.frameworks()


def test_a_stage_missing_from_the_metadata_is_reported(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    path = root / "generic" / "framework.yaml"
    text = path.read_text(encoding="utf-8")
    start, end = text.index("  resolve:\n"), text.index("\ntone:")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    renderer, issues = load_library(root)
    messages = [i.message for i in issues]
    assert "stage 'resolve' is missing" in messages
    assert "the generic framework did not load (see above)" in messages
    assert_others_work(renderer, "generic")
    with pytest.raises(UsageError, match="no generic one"):
        renderer.render("other", "acknowledge", "en", {})


def test_a_missing_translation_is_reported(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    path = root / "complaint" / "framework.yaml"
    text = path.read_text(encoding="utf-8").replace(', fr: "Numéro de dossier SAV"', "")
    path.write_text(text, encoding="utf-8")
    renderer, issues = load_library(root)
    [issue] = issues
    assert issue.loc == ("variables", "case_id", "label")
    assert issue.message == "no fr label"
    assert issue.line == line_of(path, "Care case number")
    assert_others_work(renderer, "complaint")


def test_one_run_reports_metadata_and_template_problems_together(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    folder = root / "troll"
    path = folder / "framework.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  required: true\n", "  required: maybe\n", 1), "utf-8")
    (folder / "acknowledge.fr.j2").write_text("{{ customer_handle }} {{ fact }\n", encoding="utf-8")
    _, issues = load_library(root)
    assert {i.file.name for i in issues} == {"framework.yaml", "acknowledge.fr.j2"}


def test_a_missing_generic_framework_is_an_issue(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    for path in (root / "generic").iterdir():
        path.unlink()
    (root / "generic").rmdir()
    renderer, issues = load_library(root)
    [issue] = issues
    assert issue.message == "there is no generic framework"
    assert "restore" in issue.fix
    assert renderer.render("complaint", "acknowledge", "en", examples(renderer.frameworks()["complaint"])).text


def test_a_bad_network_entry_only_disables_the_frameworks_that_use_it(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    path = root / "networks.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("limit: 1250", "limit: -3"), encoding="utf-8")
    renderer, issues = load_library(root)
    assert [(i.file.name, i.loc) for i in issues] == [
        ("networks.yaml", ("linkedin", "limit")),
        ("framework.yaml", ("network",)),
    ]
    assert issues[0].line == line_of(path, "limit: -3")
    assert_others_work(renderer, "employee")


def test_a_broken_style_file_costs_the_phrase_check_not_the_drafts(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    (root / "style.yaml").write_text("avoid:\n  en:\n    - phrase: no comment\n      whY: hiding\n", "utf-8")
    renderer, issues = load_library(root)
    assert {(i.loc, i.line) for i in issues} == {(("avoid", "en", 0, "whY"), 4), (("avoid", "en", 0, "why"), 3)}
    assert any("did you mean 'why'" in i.fix for i in issues)
    assert_others_work(renderer, "no such framework")
    text = "Update on the prices: it's sorted. Still affected? Write to us. No comment."
    assert renderer.lint("generic", "resolve", "en", text) == []


def test_a_missing_library_folder_is_one_clear_issue(tmp_path: Path) -> None:
    renderer, issues = load_library(tmp_path / "nowhere")
    [issue] = issues
    assert "does not exist" in issue.message
    assert dict(renderer.frameworks()) == {}


def test_a_folder_that_is_not_a_scenario_id_is_reported(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    (root / "Product-Failure").mkdir()
    renderer, issues = load_library(root)
    assert [i.file.name for i in issues] == ["Product-Failure"]
    assert_others_work(renderer, "Product-Failure")


def test_a_required_point_without_cues_and_a_duplicate_point_id_are_reported(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    path = root / "generic" / "framework.yaml"
    text = path.read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.strip().startswith('fr: ["on regarde"'))
    text = text.replace(line, "          fr: []").replace("- id: doing", "- id: we_know")
    path.write_text(text, encoding="utf-8")
    _, issues = load_library(root)
    assert sorted((i.loc, i.message) for i in issues if i.file == path) == [
        (("stages", "acknowledge", "talking_points", 1, "cues"), "no fr cues for 'we_know'"),
        (("stages", "acknowledge", "talking_points", 1, "id"), "duplicate talking point 'we_know'"),
    ]
