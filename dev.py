#!/usr/bin/env python3
"""Two commands for a fresh machine with only python3: ``python3 dev.py run`` and ``python3 dev.py test``.

Each creates ``.venv`` and installs crisisbot with its dev tools when needed (again only when
``pyproject.toml`` changes), then runs. Standard library only, so it works before anything is
installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".crisisbot-installed"


def ensure_env() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing crisisbot and its tools into .venv (first run only) ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)


def run(args: list[str]) -> int:
    return subprocess.call([str(BIN / "crisisbot"), "console", *args], cwd=ROOT)


def test(args: list[str]) -> int:
    steps = [
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [str(BIN / "mypy"), *(d for d in ("bot", "tests", "bench") if any((ROOT / d).rglob("*.py")))],
        [str(BIN / "python"), "-m", "pytest", *args],
    ]
    for step in steps:
        print(f"$ {' '.join(Path(step[0]).name if i == 0 else part for i, part in enumerate(step))}", flush=True)
        code = subprocess.call(step, cwd=ROOT)
        if code:
            return code
    return 0


def main() -> int:
    commands = {"run": run, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        print("usage: python3 dev.py run [console options] | python3 dev.py test [pytest options]")
        return 2
    ensure_env()
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
