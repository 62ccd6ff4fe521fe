"""Fixtures shared by every test package: the shipped plan, and a clock that only moves on demand."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.clock import ManualClock
from bot.core.plan import LoadedPlan, load_plan

pytest_plugins = ["tests.storage.fixtures"]

ROOT = Path(__file__).resolve().parent.parent
PLAN_PATH = ROOT / "playbooks" / "plan.yaml"


@pytest.fixture(scope="session")
def loaded_plan() -> LoadedPlan:
    return load_plan(PLAN_PATH)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()
