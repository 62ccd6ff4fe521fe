"""``python -m bot serve`` as real child processes, the way an operator runs replicas: started,
read, stopped gracefully, or killed with SIGKILL from whichever thread sees the moment come (the
fake Slack's, in a hook on the very call).

Shared by the production tests and ``bench/exactly_once.py``. Each process drains its own log in
a thread: a replica logging at INFO through a pipe nobody reads would block once the pipe's
buffer is full, which would look like a hang of the bot.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.adapters.slack.harness import BOT_TOKEN, SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]
PLAN_PATH = ROOT / "playbooks" / "plan.yaml"
PROBE_PERIOD = 0.1  # seconds between readiness probes, as a load balancer probes (Kubernetes: 10 s)
WAIT = 240.0  # a hang detector for another process on a starved machine (nice 19), not a speed test


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve_env(
    api_url: str,
    replica_id: str,
    *,
    token: str = BOT_TOKEN,
    database_url: str | None = None,
    db_path: Path | None = None,
    **extra: str,
) -> dict[str, str]:
    """The settings ``crisisbot serve`` reads (Slack over HTTP against ``api_url``), and nothing of
    the calling shell's own crisisbot, Slack or Teams setup. ``token``: each replica may have its
    own, so the fake can tell which process made a call (``Call.token``)."""
    mine = ("CRISISBOT_", "SLACK_", "TEAMS_", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(mine)}
    env |= {
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "CRISISBOT_PLAN": str(PLAN_PATH),
        "CRISISBOT_REPLICA_ID": replica_id,
        "CRISISBOT_LOG_LEVEL": "INFO",
    }
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    if db_path is not None:
        env["CRISISBOT_DB_PATH"] = str(db_path)
    return env | extra


def migrate(database_url: str) -> str:
    """``python -m bot migrate``, as the one-shot job before the replicas start; what it printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRISISBOT_", "DATABASE_URL"))}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        cwd=ROOT,
        env=env | {"DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 0, f"migrate failed: {done.stdout}{done.stderr}"
    return done.stdout


class BotProcess:
    """``python -m bot serve`` as a child process. ``kill`` may be called from any thread (a hook
    of the fake runs in the fake's); it returns once the process is gone, so nothing of it runs
    after the moment the test chose."""

    def __init__(self, env: dict[str, str], port: int | None = None, name: str = "") -> None:
        self.env, self.port = env, port or free_port()
        self.name = name or env.get("CRISISBOT_REPLICA_ID", "")
        self.token = env.get("SLACK_BOT_TOKEN", "")
        self.ready = threading.Event()  # it logged that it listens, or it exited
        self.exited = threading.Event()
        self.lines: list[str] = []
        self.proc: subprocess.Popen[str] | None = None
        self.started = 0.0
        self.listening: float | None = None  # seconds from start to serving HTTP
        self.killed_at: float | None = None  # time.monotonic() of the SIGKILL
        self._kill_lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read, name=f"log-{self.name}", daemon=True).start()

    def _read(self) -> None:
        """Keep the log (and the pipe drained); tell when the server listens."""
        assert self.proc is not None
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip())
            if "listening on" in line:
                self.listening = time.monotonic() - self.started
                self.ready.set()
        self.ready.set()  # it exited: nobody must wait for it any longer
        self.exited.set()

    def wait_ready(self, within: float = WAIT) -> None:
        """Until it listens and its readiness probe passes, as a load balancer waits before it
        sends a replica requests: a burst that met the start-up's own work (Slack's credentials
        checked, the first scheduler tick) would measure the start-up, not the replica."""
        deadline = time.monotonic() + within
        assert self.ready.wait(within), f"{self.name} did not start within {within:.0f} s: {self.lines[-20:]}"
        assert self.listening is not None, f"{self.name} exited before listening: {self.lines[-20:]}"
        while not self._probe_ready():
            assert self.alive(), f"{self.name} exited before it was ready: {self.lines[-20:]}"
            assert time.monotonic() < deadline, f"{self.name} not ready within {within:.0f} s: {self.lines[-20:]}"
            time.sleep(PROBE_PERIOD)

    def _probe_ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/readyz", timeout=PROBE_PERIOD * 10) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            return False

    def kill(self) -> float:
        """SIGKILL, and wait until it is gone; when it was sent (the first time)."""
        assert self.proc is not None
        with self._kill_lock:
            if self.killed_at is None:
                self.killed_at = time.monotonic()
                os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            return self.killed_at

    def stop(self, timeout: float = WAIT) -> int:
        """SIGTERM, as an orchestrator stops a replica: it drains its work and exits (killed if
        it does not within ``timeout``); its exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.lines.append(f"(did not stop within {timeout:.0f} s of SIGTERM: killed)")
                self.kill()
        self.exited.wait(10)  # its last lines read
        return self.proc.returncode

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def logged(self, text: str) -> bool:
        return any(text in line for line in list(self.lines))

    def problems(self) -> list[str]:
        """Warnings, errors and tracebacks it logged."""
        return [line for line in list(self.lines) if re.search(r" (WARNING|ERROR|CRITICAL) |Traceback", line)]
