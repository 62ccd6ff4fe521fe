"""The built image, where a container engine could build it (``.ci/run`` does, with podman).

Set ``CRISISBOT_TEST_IMAGE`` to the image (``bash deploy/build-image.sh`` prints it). Its
configuration is read with ``podman image inspect``, and its programs run with ``buildah run
--isolation chroot`` (the image's own files, its user, the host's network): that works without
the user namespaces and rlimits a sandboxed machine may refuse ``podman run``. Running it this way
checks what is inside the image, not the container runtime.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from bench.serve_start import free_port
from tests.adapters.slack.harness import BOT_TOKEN, SIGNING_SECRET
from tests.deploy.test_container import dockerfile_user
from tests.fakes import ThreadedFakeSlack

IMAGE = os.environ.get("CRISISBOT_TEST_IMAGE", "")
STORAGE = ["--storage-driver", "vfs"]

pytestmark = pytest.mark.skipif(
    not IMAGE or shutil.which("podman") is None or shutil.which("buildah") is None,
    reason="no built image: CRISISBOT_TEST_IMAGE unset, or podman/buildah missing (.ci/run builds one when they exist)",
)


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    out = subprocess.run(
        ["podman", *STORAGE, "image", "inspect", IMAGE], capture_output=True, text=True, check=True
    ).stdout
    [image] = json.loads(out)
    return dict(image)


@pytest.fixture(scope="module")
def working() -> Iterator[str]:
    """A working container of the image (its files), removed afterwards."""
    name = subprocess.run(
        ["buildah", *STORAGE, "from", "--pull-never", IMAGE], capture_output=True, text=True, check=True
    ).stdout.strip()
    try:
        yield name
    finally:
        subprocess.run(["buildah", *STORAGE, "rm", name], capture_output=True, check=False)


def run(container: str, *command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    options = [arg for key, value in (env or {}).items() for arg in ("--env", f"{key}={value}")]
    return subprocess.run(
        ["buildah", *STORAGE, "run", "--isolation", "chroot", *options, container, "--", *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_configuration(config: dict[str, Any]) -> None:
    uid, gid = dockerfile_user()
    image = config["Config"]
    assert image["User"] == f"{uid}:{gid}"
    assert image["Entrypoint"] == ["crisisbot"]
    assert image["Cmd"] == ["serve"]
    assert "3000/tcp" in image["ExposedPorts"]
    assert "/healthz" in " ".join(config["Healthcheck"]["Test"])
    names = {entry.partition("=")[0] for entry in image["Env"]}
    assert not names & {"DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "TEAMS_APP_PASSWORD"}


def test_runs_as_its_user_and_cannot_change_its_own_code(working: str) -> None:
    uid, _ = dockerfile_user()
    assert run(working, "id", "-u").stdout.strip() == str(uid)
    assert run(working, "touch", "/opt/crisisbot/bin/intruder").returncode != 0
    assert run(working, "test", "-e", "/src").returncode != 0, "the build's sources stay in the build stage"
    assert run(working, "crisisbot", "version").stdout.strip() == "0.1.0"
    checked = run(working, "crisisbot", "check-plan")
    assert checked.returncode == 0, checked.stderr


def test_migrate_then_serve_slack_with_health_and_readiness(working: str) -> None:
    migrated = run(working, "crisisbot", "migrate", env={"CRISISBOT_DB_PATH": "/app/.crisisbot/image-test.db"})
    assert migrated.returncode == 0, migrated.stderr
    assert "Database schema: empty ->" in migrated.stdout
    port = free_port()
    with ThreadedFakeSlack() as slack:
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.fake.base_url,
            "CRISISBOT_PORT": str(port),
            "CRISISBOT_DB_PATH": "/app/.crisisbot/image-test.db",
        }
        options = [arg for key, value in env.items() for arg in ("--env", f"{key}={value}")]
        proc = subprocess.Popen(
            ["buildah", *STORAGE, "run", "--isolation", "chroot", *options, working, "--", "crisisbot", "serve"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            answers = {path: poll(f"http://127.0.0.1:{port}{path}", proc) for path in ("/healthz", "/readyz")}
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert answers["/healthz"] == {"status": "ok"}
    assert answers["/readyz"]["status"] == "ready"


def poll(url: str, proc: subprocess.Popen[str], within: float = 60.0) -> dict[str, Any]:
    started = time.monotonic()
    while time.monotonic() - started < within:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                answer: dict[str, Any] = json.loads(response.read())
                return answer
        except (urllib.error.URLError, ConnectionError):
            pass
        if proc.poll() is not None:
            pytest.fail(f"serve exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {within:g} s")
