"""Benchmark start-up: how long `crisisbot serve` takes to answer `/healthz` and `/readyz`, with
how much memory, for Slack, Teams and both in one process (and the console), and where import
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
import resource
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
from dataclasses import dataclass
from pathlib import Path

if not __package__:  # run as a script (python bench/serve_start.py): make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.datafiles.plan import load_plan
from tests.adapters.slack.harness import BOT_TOKEN, SIGNING_SECRET, seed_workspace
from tests.adapters.teams.harness import seed_tenant, teams_plan
from tests.adapters.test_both_platforms import plan_for_both
from tests.fakes import ThreadedFakeSlack
from tests.fakes.microsoft import FakeMicrosoft

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


@dataclass(frozen=True)
class Start:
    """One start of ``serve``: seconds to each probe's first 200, memory once ready and at peak."""

    healthz: float
    readyz: float
    rss_ready_mb: float
    peak_rss_mb: float


def rss_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MiB: resident now, and the most it ever was."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def spawn_serve(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    """`crisisbot serve` on ``port``, as an operator starts it (its log on the pipe)."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def first_200(url: str, proc: subprocess.Popen[str], started: float, timeout: float) -> float:
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
            raise RuntimeError(f"serve did not answer {url} in time")
        time.sleep(0.005)


def time_to_ready(env: dict[str, str], timeout: float = 30.0) -> Start:
    """Spawn `crisisbot serve`; time its first 200 on /healthz, then on /readyz (the database
    and every platform's credentials accepted); its memory then and at peak; stop it."""
    port = free_port()
    started = time.perf_counter()
    proc = spawn_serve(env, port)
    try:
        healthz = first_200(f"http://127.0.0.1:{port}/healthz", proc, started, timeout)
        readyz = first_200(f"http://127.0.0.1:{port}/readyz", proc, started, timeout)
        rss = rss_mib(proc.pid)[0]
    finally:
        proc.send_signal(signal.SIGTERM)
        usage: resource.struct_rusage | None = None
        try:
            _, _, usage = os.wait4(proc.pid, 0)
            proc.returncode = 0
        except ChildProcessError:
            pass
        said = proc.stderr.read().splitlines() if proc.stderr else []
        warnings = [row for row in said if re.search(r"WARNING|ERROR|Warning|Traceback", row)]
        if warnings:
            print("  serve warned:", warnings[:3])
    peak = usage.ru_maxrss / 1024 if usage else float("nan")  # Linux reports kB
    return Start(healthz, readyz, rss, peak)


def console_start() -> tuple[float, float]:
    """`crisisbot console` answering one command and exiting: seconds, and peak memory in MB."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "console", "--script", "-"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "CRISISBOT_DB_PATH": str(Path(tempfile.mkdtemp()) / "console.db")},
    )
    assert proc.stdin is not None
    proc.stdin.write("/crisis help\n")
    proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    if status:
        raise RuntimeError(f"console exited with status {status}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


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


def platform_envs(slack_url: str, ms: FakeMicrosoft, plan: Path, db: Path) -> dict[str, dict[str, str]]:
    """The environment of each deployment measured: Slack, Teams, and both in one process."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "CRISISBOT_"))}
    base.pop("DATABASE_URL", None)
    base |= {"CRISISBOT_DB_PATH": str(db), "CRISISBOT_LOG_LEVEL": "WARNING", "CRISISBOT_PLAN": str(plan)}
    slack = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack_url}
    teams = ms.settings()
    return {"Slack": base | slack, "Teams": base | teams, "Slack + Teams": base | slack | teams}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    starts: dict[str, list[Start]] = {}
    with ThreadedFakeSlack() as slack, FakeMicrosoft() as ms, tempfile.TemporaryDirectory() as tmp:
        loaded = load_plan(ROOT / "playbooks" / "plan.yaml")
        seed_workspace(slack.fake, loaded)
        seed_tenant(ms, teams_plan(loaded))
        plan = plan_for_both(loaded, Path(tmp) / "playbooks")
        envs = platform_envs(slack.fake.base_url, ms, plan, Path(tmp) / "crisisbot.db")
        first = time_to_ready(envs["Slack"])
        for name, env in envs.items():
            starts[name] = [time_to_ready(env) for _ in range(args.runs)]
    consoles = [console_start() for _ in range(max(3, args.runs // 2))]
    walls, packages = import_times(max(3, args.runs // 2))

    print(f"serve (Slack) → 200 on /healthz, new database (migrates): {first.healthz:.2f} s")
    print(f"restarts on a migrated database, {args.runs} runs each (p50; memory of the serving process):")
    print(f"  {'deployment':<16}{'/healthz':>10}{'/readyz':>10}{'RSS ready':>12}{'peak RSS':>11}")
    for name, runs in starts.items():
        healthz = statistics.median(r.healthz for r in runs)
        readyz = statistics.median(r.readyz for r in runs)
        rss = statistics.median(r.rss_ready_mb for r in runs)
        peak = max(r.peak_rss_mb for r in runs)
        print(f"  {name:<16}{healthz:>9.2f}s{readyz:>9.2f}s{rss:>9.0f} MB{peak:>8.0f} MB")
    wall, peak = statistics.median(c[0] for c in consoles), max(c[1] for c in consoles)
    print(f"  {'console':<16}{wall:>9.2f}s{'':>10}{'':>12}{peak:>8.0f} MB  (start, one command, exit)")
    p50 = statistics.median(r.healthz for r in starts["Slack"])
    verdict = "PASS" if p50 <= READY_TARGET else "MISS"
    print(f"  Slack /healthz target ≤ {READY_TARGET:.1f} s: {verdict} (ratio {p50 / READY_TARGET:.2f})")
    teams_cost = statistics.median(r.rss_ready_mb for r in starts["Slack + Teams"]) - statistics.median(
        r.rss_ready_mb for r in starts["Slack"]
    )
    print(f"  Teams beside Slack costs {teams_cost:+.0f} MB of RSS (its SDK is imported only when configured)")
    print(f"serve's imports (Slack, new interpreter, {len(walls)} runs): p50 {statistics.median(walls):.2f} s")
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
