"""Fixtures of the core tests that edit plan files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "playbooks"


@pytest.fixture
def plan_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped plan, its playbooks and drills; returns the plan's path."""
    shutil.copytree(SHIPPED_DIR, tmp_path / "playbooks")
    return tmp_path / "playbooks" / "plan.yaml"
