"""Benchmark the memory of `crisisbot serve` for Slack: what a Kubernetes request should reserve.

A memory request below what the process really holds gets the pod evicted first when the node is
short, on the day the bot matters; a limit too close to the peak gets it OOM-killed mid-
declaration. This starts the real command (`python -m bot serve`) against the fake Slack Web API
of `tests.fakes` with the example plan, reads its RSS when it first answers `/healthz` (idle),
then sends signed `/crisis` commands (help, list, and declarations, each a war room, pins, pages
and an announcement) and reads RSS and the peak (VmHWM) again. Linux only (/proc).

    python -m bench.serve_memory [--declarations 20] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

if not __package__:  # run as a script (python bench/serve_memory.py): make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.serve_start import first_200, free_port, rss_mib, spawn_serve
from bot.datafiles.plan import load_plan
from tests.adapters.slack.harness import BOT_TOKEN, SIGNING_SECRET, seed_workspace, sign
from tests.fakes import ThreadedFakeSlack

ROOT = Path(__file__).resolve().parent.parent
SETTLE = 2.0  # seconds for the process to finish starting its background work before reading
DONE_WITHIN = 120.0  # seconds for the work after the acks (war rooms, pages) to finish


def slash(base: str, text: str, team: str, response_url: str) -> int:
    body = urlencode(
        {
            "team_id": team,
            "channel_id": "C0GENERAL",
            "user_id": "U01AMELIE0",
            "user_name": "amelie",
            "command": "/crisis",
            "text": text,
            "response_url": response_url,
            "trigger_id": f"trig.{time.monotonic_ns()}",
            "api_app_id": "A0CRISIS",
        }
    )
    request = urllib.request.Request(base + "/slack/events", data=body.encode(), headers=sign(body), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def rooms(slack: ThreadedFakeSlack) -> int:
    return sum(1 for channel in slack.fake.channels.values() if "memory-benchmark" in str(channel["name"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=20)
    parser.add_argument("--database-url", help="a migrated PostgreSQL database (default: a new SQLite file)")
    args = parser.parse_args()
    loaded = load_plan(ROOT / "playbooks" / "plan.yaml")
    with ThreadedFakeSlack() as slack, tempfile.TemporaryDirectory() as tmp:
        seed_workspace(slack.fake, loaded)
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.fake.base_url,
            "CRISISBOT_DB_PATH": str(Path(tmp) / "crisisbot.db"),
            "CRISISBOT_LOG_LEVEL": "WARNING",
        }
        env.pop("SLACK_APP_TOKEN", None)
        env.pop("DATABASE_URL", None)
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = spawn_serve(env, port)
        try:
            first_200(base + "/healthz", proc, time.perf_counter(), 30.0)
            time.sleep(SETTLE)
            idle = rss_mib(proc.pid)
            run = time.strftime("%H%M%S")
            statuses = [slash(base, "help", slack.fake.team_id, slack.fake.response_url()) for _ in range(20)]
            statuses += [slash(base, "list all", slack.fake.team_id, slack.fake.response_url()) for _ in range(20)]
            for n in range(args.declarations):
                # a title of its own per run: a database reused across runs still holds the last ones
                text = f"start complaint sev3 Memory benchmark {run} {n}, please ignore"
                statuses.append(slash(base, text, slack.fake.team_id, slack.fake.response_url()))
            waited = time.monotonic()
            while rooms(slack) < args.declarations and time.monotonic() - waited < DONE_WITHIN:
                time.sleep(0.2)
            time.sleep(SETTLE)
            busy = rss_mib(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    print(f"serve (Slack, {'PostgreSQL' if args.database_url else 'SQLite'}): acks {sorted(set(statuses))}")
    print(f"  war rooms created: {rooms(slack)} of {args.declarations}")
    print(f"  RSS idle after start:               {idle[0]:6.1f} MiB")
    print(f"  RSS after 40 commands + {args.declarations:>3} crises: {busy[0]:6.1f} MiB (peak {busy[1]:.1f} MiB)")


if __name__ == "__main__":
    main()
