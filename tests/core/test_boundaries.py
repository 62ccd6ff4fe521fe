"""The core must stay platform-free, and adapters must come in through its one door.

The door: the service (:mod:`bot.core.service`), the vocabulary (:mod:`bot.core.model`), the
ports an adapter implements, the plan it reads, and the neutral message model. An adapter that
reaches for a repository, the timeline, the draft service or a message builder would have to be
changed every time the core's inside changes; a new platform would have to learn it all again.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
CORE = BOT / "core"
ADAPTERS = BOT / "adapters"
FORBIDDEN = (
    "slack_bolt",
    "slack_sdk",
    "microsoft_teams",
    "microsoft_agents",
    "botbuilder",
    "aiohttp",
    "fastapi",
    "starlette",
    "httpx",
    "typer",
    "rich",
    "yaml",
    "jinja2",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "bot.adapters",
    "bot.storage",
    "bot.datafiles",
    "bot.frameworks",
)
# what an adapter may import from the core: the door and the vocabulary it speaks
THE_DOOR = (
    "bot.core.service",
    "bot.core.model",
    "bot.core.ports",
    "bot.core.plan.model",
    "bot.core.messaging.message",
    "bot.core.messaging.text",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names if node.module == "bot.core")
    return names


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_core_sources_import_no_platform_library() -> None:
    offenders = {
        f"{path.relative_to(CORE)}: {name}"
        for path in CORE.rglob("*.py")
        for name in _imports(path)
        if _within(name, FORBIDDEN)
    }
    assert not offenders, f"bot/core must not import these: {sorted(offenders)}"


def test_importing_the_core_loads_no_platform_library() -> None:
    modules = [".".join(p.relative_to(BOT.parent).with_suffix("").parts) for p in CORE.rglob("*.py")]
    modules = [m.removesuffix(".__init__") for m in modules]
    roots = sorted({f.split(".")[0] for f in FORBIDDEN if not f.startswith("bot.")})
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {roots!r}"
        f" or any(n == p or n.startswith(p + '.') for p in {[f for f in FORBIDDEN if f.startswith('bot.')]!r}))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_adapters_come_in_through_the_door() -> None:
    offenders = {
        f"{path.relative_to(ADAPTERS)}: {name}"
        for path in ADAPTERS.rglob("*.py")
        for name in _imports(path)
        if _within(name, ("bot.core",)) and not _within(name, THE_DOOR)
    }
    assert not offenders, f"adapters use the core through {THE_DOOR} only: {sorted(offenders)}"


def test_adapters_touch_no_private_part_of_the_service() -> None:
    """``service._cases.drafts`` would pass the import check and still walk past the door."""
    offenders = set()
    for path in ADAPTERS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                owner = node.value
                if isinstance(owner, ast.Attribute) and owner.attr == "service":
                    offenders.add(f"{path.relative_to(ADAPTERS)}:{node.lineno}: service.{node.attr}")
    assert not offenders, sorted(offenders)


def test_the_door_check_would_catch_a_trespass(tmp_path: Path) -> None:
    """The check itself: an adapter importing the draft service is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("from bot.core.drafts.service import DraftService\nfrom bot.core import crisis\n")
    names = _imports(bad)
    assert {n for n in names if _within(n, ("bot.core",)) and not _within(n, THE_DOOR)} == {
        "bot.core.drafts.service",
        "bot.core",
        "bot.core.crisis",
    }
