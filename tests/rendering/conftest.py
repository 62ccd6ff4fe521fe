"""Fixtures for the rendering tests: the shipped library, loaded once."""

from __future__ import annotations

import pytest

from bot.core.datafiles import DataIssue
from bot.rendering import JinjaDraftRenderer, load_library
from tests.rendering.helpers import FRAMEWORKS


@pytest.fixture(scope="session")
def shipped() -> tuple[JinjaDraftRenderer, list[DataIssue]]:
    return load_library(FRAMEWORKS)


@pytest.fixture(scope="session")
def renderer(shipped: tuple[JinjaDraftRenderer, list[DataIssue]]) -> JinjaDraftRenderer:
    return shipped[0]
