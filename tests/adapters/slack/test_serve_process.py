"""`crisisbot serve` as people run it: a real process that starts quietly and answers its probes
(and takes mentions at /intake/{source}).

A warning at every start (Bolt's "`token` will be unused") teaches operators to skip warnings, the
one habit a crisis tool cannot afford; this starts the real command against the fake Web API and
reads everything it logs up to "listening", then asks /healthz and /readyz.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from tests.adapters.slack.harness import BOT_TOKEN, SIGNING_SECRET
from tests.fakes import FakeSlack

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_serve(env: dict[str, str], port: int) -> tuple[asyncio.subprocess.Process, list[str]]:
    """``python -m bot serve`` on ``port``, once it logs that it is listening; what it logged so far."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    logged: list[str] = []
    while not any("listening on" in row for row in logged):
        # a hang detector, not a speed test: a starved machine (nice 19) can take a minute to start
        row = await asyncio.wait_for(proc.stderr.readline(), timeout=240)
        assert row, f"serve exited before listening: {logged}"
        logged.append(row.decode())
    return proc, logged


async def stop_serve(proc: asyncio.subprocess.Process, logged: list[str]) -> list[str]:
    """Stop it; every warning, error or traceback it logged, from start to end."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    rest = await asyncio.wait_for(proc.communicate(), timeout=120)
    logged += rest[1].decode().splitlines()
    # Python's own warnings too ("...: DeprecationWarning: ..."), such as a dependency's at import
    return [row for row in logged if re.search(r" (WARNING|ERROR) |Traceback|\w+Warning: ", row)]


async def test_serve_starts_without_a_warning_and_is_ready(fake: FakeSlack, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,  # also read by Bolt, which used to warn about it
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.base_url,
        "CRISISBOT_DB_PATH": str(tmp_path / "crisisbot.db"),
        "CRISISBOT_LOG_LEVEL": "INFO",
        "CRISISBOT_INTAKE_SECRET_GENERIC": "listening-secret",
    }
    for name in ("DATABASE_URL", "SLACK_APP_TOKEN"):
        env.pop(name, None)
    proc, logged = await start_serve(env, port)
    try:
        async with aiohttp.ClientSession() as session:
            for probe in ("/healthz", "/readyz"):
                async with session.get(f"http://127.0.0.1:{port}{probe}") as response:
                    assert response.status == 200, (probe, await response.text())
    finally:
        problems = await stop_serve(proc, logged)
    assert problems == []
