"""Shared helpers for the rendering tests: the shipped library, copies of it, sample values."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.core.drafts.frameworks import LANGUAGES, STAGES, Framework
from bot.frameworks import JinjaDraftRenderer

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ROOT / "message_frameworks"
SHIPPED = ("complaint", "employee", "executive_scandal", "generic", "product_failure", "troll")


def examples(framework: Framework) -> dict[str, str]:
    """Every variable set to its example value, as a person would fill them in."""
    return {name: var.example for name, var in framework.variables.items()}


def copy_library(tmp_path: Path) -> Path:
    """A writable copy of the shipped library, to break on purpose."""
    target = tmp_path / "message_frameworks"
    shutil.copytree(FRAMEWORKS, target)
    return target


def assert_others_work(renderer: JinjaDraftRenderer, broken: str) -> None:
    """Every shipped framework but ``broken`` is loaded and drafts every stage in every language."""
    frameworks = renderer.frameworks()
    assert broken not in frameworks
    for fid in SHIPPED:
        if fid == broken:
            continue
        assert fid in frameworks, f"{fid} should still load"
        for stage in STAGES:
            for lang in LANGUAGES:
                draft = renderer.render(fid, stage, lang, examples(frameworks[fid]))
                assert draft.text
                assert draft.placeholders == []
