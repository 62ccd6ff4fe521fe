"""Templates cannot reach Python internals, and values are never evaluated as template code."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError

from bot.frameworks import load_library
from bot.frameworks.sandbox import make_environment
from tests.frameworks.helpers import assert_others_work, copy_library, examples

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ customer_handle.__class__.__base__.__subclasses__() }}",
    "{{ customer_handle['__class__'] }}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_the_sandbox_refuses_python_internals_at_render_time(source: str) -> None:
    with pytest.raises(SecurityError):
        make_environment().from_string(source).render(customer_handle="@x")


@pytest.mark.parametrize("source", ESCAPES)
def test_a_framework_template_reaching_for_internals_is_reported_and_left_out(tmp_path: Path, source: str) -> None:
    root = copy_library(tmp_path)
    template = root / "complaint" / "resolve.en.j2"
    template.write_text(f"{{{{ customer_handle }}}} ok\n{source}\n", encoding="utf-8")
    renderer, issues = load_library(root)
    assert issues
    assert all(issue.file == template and issue.line == 2 for issue in issues)
    assert_others_work(renderer, "complaint")


def test_an_escape_the_load_check_cannot_see_still_fails_at_render_time(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    template = root / "complaint" / "resolve.en.j2"
    template.write_text("{{ customer_handle|attr('__class__') }}\n", encoding="utf-8")
    renderer, issues = load_library(root)
    assert issues == []
    with pytest.raises(SecurityError):
        renderer.render("complaint", "resolve", "en", {"customer_handle": "@x"})


def test_templates_get_no_globals(tmp_path: Path) -> None:
    root = copy_library(tmp_path)
    template = root / "troll" / "resolve.fr.j2"
    template.write_text("{% for i in range(3) %}{{ lipsum() }}{% endfor %}\n", encoding="utf-8")
    _, issues = load_library(root)
    assert sorted(i.message for i in issues) == [
        "uses the variable 'lipsum', which framework.yaml does not declare",
        "uses the variable 'range', which framework.yaml does not declare",
    ]


@pytest.mark.parametrize("source", ["{{ customer_handle * 100000 }}", "{{ 'x' * 10**9 }}", "{{ 9 ** 99999 }}"])
def test_huge_repeats_and_powers_are_refused(tmp_path: Path, source: str) -> None:
    root = copy_library(tmp_path)
    (root / "complaint" / "resolve.en.j2").write_text(source + "\n", encoding="utf-8")
    renderer, issues = load_library(root)
    assert issues == []
    with pytest.raises(SecurityError):
        renderer.render("complaint", "resolve", "en", {"customer_handle": "@x"})


def test_ordinary_arithmetic_in_a_template_still_works() -> None:
    assert make_environment().from_string("{{ 2 * 3 }} {{ 'ab' * 2 }} {{ 2 ** 3 }}").render() == "6 abab 8"


@pytest.mark.parametrize(
    "value", ["{{ 7*7 }}", "{% for x in range(9) %}x{% endfor %}", "{{ ''.__class__ }}", "<!here>"]
)
def test_a_value_that_looks_like_template_code_renders_literally(tmp_path: Path, value: str) -> None:
    root = copy_library(tmp_path)
    renderer, _ = load_library(root)
    values = examples(renderer.frameworks()["generic"]) | {"what_happened": value}
    draft = renderer.render("generic", "apologize", "en", values)
    assert f"We're sorry about {value}." in draft.text
