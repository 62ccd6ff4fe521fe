"""Fixtures shared by every test package: the shipped plan and frameworks (loaded once), a clock
that only moves on demand, and the core wired on a real database with the console as its chat."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.console.workspace import ConsoleChat, ConsoleWorkspace
from bot.container import Core, Storage, build_core
from bot.core.model.clock import ManualClock
from bot.core.model.crisis import Actor
from bot.core.plan.model import LoadedPlan
from bot.core.ports import ChatPort
from bot.datafiles.plan import load_plan
from bot.datafiles.yaml import DataIssue
from bot.frameworks import JinjaDraftRenderer, load_library

pytest_plugins = ["tests.storage.fixtures", "tests.fakes.own_postgres"]

ROOT = Path(__file__).resolve().parent.parent
PLAN_PATH = ROOT / "playbooks" / "plan.yaml"
FRAMEWORKS = ROOT / "message_frameworks"


@pytest.fixture(scope="session")
def loaded_plan() -> LoadedPlan:
    return load_plan(PLAN_PATH)


@pytest.fixture(scope="session")
def shipped() -> tuple[JinjaDraftRenderer, list[DataIssue]]:
    """The shipped framework library, loaded once: compiling every template is the slow part."""
    return load_library(FRAMEWORKS)


@pytest.fixture(scope="session")
def renderer(shipped: tuple[JinjaDraftRenderer, list[DataIssue]]) -> JinjaDraftRenderer:
    renderer, issues = shipped
    assert issues == []
    return renderer


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(engine: AsyncEngine) -> Storage:
    return Storage.on(engine)


def workspace(loaded: LoadedPlan, **unreachable: str) -> ConsoleWorkspace:
    """A console workspace that keeps channels, posts and messages but prints nothing (drawing
    panels is most of a declaration's time; console tests look at the printed output instead).
    ``unreachable`` people cannot be invited."""
    return ConsoleWorkspace(loaded.plan, Console(file=io.StringIO(), width=140, quiet=True), unreachable=unreachable)


CoreFactory = Callable[..., Core]


@pytest.fixture
def make_core(loaded_plan: LoadedPlan, store: Storage, renderer: JinjaDraftRenderer, clock: ManualClock) -> CoreFactory:
    """``make_core(chat, replica=...)``: the core as the composition root wires it, on this test's
    database and clock; several calls on one chat are several replicas sharing a database."""

    def make(chat: ChatPort, replica: str | None = None) -> Core:
        return build_core(loaded_plan, store, chat, renderer, clock, replica)

    return make


@pytest.fixture
def ws(loaded_plan: LoadedPlan) -> ConsoleWorkspace:
    return workspace(loaded_plan)


@pytest.fixture
def core(make_core: CoreFactory, ws: ConsoleWorkspace) -> Core:
    return make_core(ConsoleChat(ws))


def person(loaded: LoadedPlan, pid: str) -> Actor:
    """The actor a person of the plan is, when they use the console."""
    return Actor(platform_id=pid, name=loaded.plan.people[pid].name, person_id=pid)
