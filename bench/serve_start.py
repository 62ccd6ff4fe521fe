"""Benchmark start-up: how long `crisisbot serve` takes to answer `/healthz`, and where import
time goes.

A restarted replica is out of rotation until it answers, and a crisis declared meanwhile waits on
the ones left: start-up is on the path a person waits on. This starts the real command
(`python -m bot serve`) against the fake Slack Web API of `tests.fakes` and a temporary SQLite
file, `--runs` times, timing from the spawn to the first `200` on `/healthz`; the first run
creates and migrates the database, the others start on a database already at head (a restart).
Then it times the imports of `serve` (the command line, the Slack app and server, the readiness
check) in a new interpreter and breaks them down per package against a budget.

    python -m bench.serve_start [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path

if not __package__:  # run as a script (python bench/serve_start.py): make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.adapters.slack.harness import BOT_TOKEN, SIGNING_SECRET
from tests.fakes import ThreadedFakeSlack

ROOT = Path(__file__).resolve().parent.parent
READY_TARGET = 1.5  # seconds from spawn to the first 200 on /healthz, on a migrated database
SERVE_IMPORTS = "bot.cli, bot.adapters.slack.app, bot.adapters.slack.server, bot.storage.health"
# Import time per top-level package, in ms of self time (summed over its modules, as
# `python -X importtime` reports them): about a quarter above what it was when set, so a new
# heavy import shows up here rather than in a slow restart during a crisis.
BUDGET_MS = {
    "bot": 300,  # the bot's own modules: mostly pydantic models and SQLModel tables being built
    "sqlalchemy": 330,
    "aiohttp": 200,  # the HTTP server and the Slack client's sessions
    "slack_bolt": 45,
    "slack_sdk": 40,
    "pydantic": 45,
    "rich": 30,
    "jinja2": 25,
    "typer": 25,
    "pydantic_settings": 20,
    "yaml": 20,
    "sqlmodel": 15,
    "alembic": 0,  # only `crisisbot migrate`, or a database behind the code, needs it
    "mako": 0,  # Alembic's templates
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def time_to_ready(env: dict[str, str], timeout: float = 30.0) -> float:
    """Spawn `crisisbot serve`, return the seconds until /healthz answers 200, stop it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/healthz"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while True:
            # polling is the measurement itself: the first answer is the moment a balancer would see
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError):
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"serve exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
            if time.perf_counter() - started > timeout:
                raise RuntimeError("serve did not answer /healthz in time")
            time.sleep(0.005)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        warnings = proc.stderr.read() if proc.stderr else ""
        if warnings.strip():
            print("  serve wrote to stderr:", warnings.strip().splitlines()[:3])


def import_times(runs: int) -> tuple[list[float], dict[str, float]]:
    """Wall time of serve's imports per run, and the last run's ms per package."""
    walls: list[float] = []
    per_package: dict[str, float] = {}
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {SERVE_IMPORTS}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        walls.append(time.perf_counter() - started)
        per_package = by_package(out)
    return walls, per_package


def by_package(importtime: str) -> dict[str, float]:
    """Self time summed per top-level package: what each one costs, wherever it was imported."""
    totals: dict[str, float] = defaultdict(float)
    for row in importtime.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", row)
        if found:
            totals[found.group(2).split(".")[0]] += int(found.group(1)) / 1000
    return dict(totals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with ThreadedFakeSlack() as slack, tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.fake.base_url,
            "CRISISBOT_DB_PATH": str(Path(tmp) / "crisisbot.db"),
            "CRISISBOT_LOG_LEVEL": "WARNING",
        }
        env.pop("DATABASE_URL", None)
        env.pop("SLACK_APP_TOKEN", None)
        first = time_to_ready(env)
        restarts = [time_to_ready(env) for _ in range(args.runs)]
    walls, packages = import_times(max(3, args.runs // 2))

    p50 = statistics.median(restarts)
    print(f"serve → 200 on /healthz, new database (migrates): {first:.2f} s")
    print(f"serve → 200 on /healthz, restart ({args.runs} runs): p50 {p50:.2f} s, max {max(restarts):.2f} s")
    verdict = "PASS" if p50 <= READY_TARGET else "MISS"
    print(f"  target ≤ {READY_TARGET:.1f} s: {verdict} (ratio {p50 / READY_TARGET:.2f})")
    print(f"serve's imports (new interpreter, {len(walls)} runs): p50 {statistics.median(walls):.2f} s")
    print(f"  {'package':<20}{'ms':>8}{'budget':>8}")
    for name in sorted({*packages, *BUDGET_MS}, key=lambda n: -packages.get(n, 0)):
        spent, budget = packages.get(name, 0.0), BUDGET_MS.get(name)
        if spent < 5 and not budget:
            if budget == 0:
                print(f"  {name:<20}{'—' if not spent else f'{spent:.0f}':>8}{0:>8}  {'OVER' if spent else 'ok'}")
            continue
        mark = "" if budget is None else ("  ok" if spent <= budget else "  OVER")
        print(f"  {name:<20}{spent:>8.0f}{'' if budget is None else budget:>8}{mark}")


if __name__ == "__main__":
    main()
