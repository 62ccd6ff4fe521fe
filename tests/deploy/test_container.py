"""The container image's recipe, the compose stack and its load balancer, read as files.

Where a container engine runs, ``tests/deploy/test_image.py`` checks the built image too; these
checks hold everywhere: a multi-stage build on a pinned base, a non-root user, a health check on
the real liveness route, no secret in the recipe or the build context, and a compose stack of two
replicas behind a balancer that asks ``/readyz``, after a one-shot migration.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.adapters.http import server
from tests.deploy.contract import SECRET_NAMES, read_by_crisisbot

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
HAPROXY = DEPLOY / "haproxy" / "haproxy.cfg"
Stage = list[tuple[str, str]]


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, with continuation lines joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    pairs = [ln.split(None, 1) for ln in logical]
    return [(parts[0].upper(), parts[1].strip() if len(parts) > 1 else "") for parts in pairs]


def stages() -> tuple[dict[str, str], dict[str, Stage]]:
    """The global ARGs, and each stage's instructions by its name."""
    global_args: dict[str, str] = {}
    named: dict[str, Stage] = {}
    current: Stage | None = None
    for name, args in instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if name == "FROM":
            image, _, alias = args.partition(" AS ")
            current = named.setdefault(alias.strip() or image, [])
            current.append((name, image.strip()))
        elif current is None:
            assert name == "ARG", f"only ARG may come before the first FROM, not {name}"
            key, _, default = args.partition("=")
            global_args[key] = default
        else:
            current.append((name, args))
    return global_args, named


def runtime() -> Stage:
    _, named = stages()
    return list(named.values())[-1]


def dockerfile_user() -> tuple[int, int]:
    """The final stage's USER as (uid, gid): what Kubernetes' runAsUser must say."""
    [user] = [args for name, args in runtime() if name == "USER"][-1:]
    uid, _, gid = user.partition(":")
    return int(uid), int(gid or uid)


def test_multi_stage_on_a_pinned_base() -> None:
    global_args, named = stages()
    assert list(named) == ["build", "runtime"]
    assert re.fullmatch(r"python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}", global_args["PYTHON_IMAGE"])
    assert [stage[0][1] for stage in named.values()] == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    build, final = named["build"], named["runtime"]
    assert any(name == "RUN" and "pip install" in args for name, args in build)
    assert not any(name == "RUN" and "pip install" in args for name, args in final), "install in the build stage"
    assert ("COPY", "--from=build /opt/crisisbot /opt/crisisbot") in final
    assert not any(name == "COPY" and args.startswith("bot ") for name, args in final), "no sources at runtime"


def test_runs_as_the_non_root_user_it_creates() -> None:
    uid, gid = dockerfile_user()
    assert uid >= 1000
    assert gid >= 1000
    created = " ".join(args for name, args in runtime() if name == "RUN")
    assert f"--uid {uid}" in created
    assert f"--gid {gid}" in created


def test_serve_by_default_migrate_on_request_and_a_health_check() -> None:
    last = dict(runtime())
    assert json.loads(last["ENTRYPOINT"]) == ["crisisbot"]
    assert json.loads(last["CMD"]) == ["serve"]
    assert server.HEALTH_PATH in last["HEALTHCHECK"]
    assert "CRISISBOT_PORT" in last["HEALTHCHECK"]
    assert last["EXPOSE"] == "3000"
    assert "CRISISBOT_PORT=3000" in last["ENV"]


def test_the_plan_and_the_frameworks_are_where_the_settings_point() -> None:
    final = runtime()
    env = " ".join(args for name, args in final if name == "ENV")
    copies = [args for name, args in final if name == "COPY"]
    assert "playbooks ./playbooks" in copies
    assert "message_frameworks ./message_frameworks" in copies
    assert dict(final)["WORKDIR"] == "/app"
    assert "CRISISBOT_PLAN=/app/playbooks/plan.yaml" in env
    assert "CRISISBOT_FRAMEWORKS=/app/message_frameworks" in env
    for variable in re.findall(r"\b([A-Z][A-Z0-9_]+)=", env):
        if variable.startswith("CRISISBOT_"):
            assert read_by_crisisbot(variable), variable


def test_no_secret_in_the_recipe() -> None:
    for name, args in instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if name in ("ENV", "ARG", "LABEL"):
            for secret in (*SECRET_NAMES, "TOKEN", "PASSWORD", "SECRET"):
                assert secret not in args.upper(), f"{name} {args}"
        if name == "RUN" and "--mount=type=secret" in args:
            assert "pip_ca" in args  # the proxy CA for pip: mounted for one step, never in a layer
    assert not re.search(r"xox[abp]-|xapp-", DOCKERFILE.read_text(encoding="utf-8"))


def test_the_build_context_holds_only_what_the_image_copies() -> None:
    lines = [ln.strip() for ln in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()]
    rules = [ln for ln in lines if ln and not ln.startswith("#")]
    assert rules[0] == "*", "leave everything out, then let in what the Dockerfile copies"
    allowed = {rule[1:] for rule in rules if rule.startswith("!")}
    _, named = stages()
    copied = {
        source
        for stage in named.values()
        for name, args in stage
        if name == "COPY" and not args.startswith("--from")
        for source in args.split()[:-1]
    }
    assert copied == allowed
    assert {"**/.env", "**/*.db"} <= set(rules)


# -- compose --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))["services"]
    return services


def env_files(service: dict[str, Any]) -> list[str]:
    return [str(entry["path"] if isinstance(entry, dict) else entry) for entry in service.get("env_file", [])]


def test_two_replicas_after_a_one_shot_migration(compose: dict[str, Any]) -> None:
    assert set(compose) == {"postgres", "migrate", "bot", "lb"}
    bot, migrate = compose["bot"], compose["migrate"]
    assert bot["deploy"]["replicas"] == 2
    assert bot["command"] == ["serve"]
    assert migrate["command"] == ["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert bot["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert bot["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert migrate["build"] == bot["build"]
    assert migrate["image"] == bot["image"]
    assert (DEPLOY / bot["build"]["context"] / bot["build"]["dockerfile"]).resolve() == DOCKERFILE
    assert "ports" not in bot, "two replicas cannot publish one host port: the balancer does"
    assert str(compose["postgres"]["image"]).startswith("postgres:16")


def test_secrets_come_from_env_files_that_git_ignores(compose: dict[str, Any]) -> None:
    assert env_files(compose["bot"]) == env_files(compose["migrate"]) == ["./crisisbot.env"]
    assert env_files(compose["postgres"]) == ["./postgres.env"]
    for name, service in compose.items():
        for variable in service.get("environment") or {}:
            assert variable not in SECRET_NAMES, f"{name}: {variable} inline"
            assert "PASSWORD" not in variable, f"{name}: {variable} inline"
        for path in env_files(service):
            example = DEPLOY / f"{path}.example"
            assert example.is_file(), f"{example} shows what {path} holds"
            ignored = subprocess.run(["git", "check-ignore", "-q", str(DEPLOY / path)], cwd=ROOT, check=False)
            assert ignored.returncode == 0, f"git must ignore {path}: it holds secrets"
    for variable in compose["bot"]["environment"]:
        assert read_by_crisisbot(variable), variable
    for line in (DEPLOY / "crisisbot.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            assert read_by_crisisbot(name), name
            assert value in ("", "postgresql://crisisbot:CHANGE-ME@postgres:5432/crisisbot"), f"{name} has a value"


def test_the_balancer_sends_traffic_to_ready_replicas_on_their_port(compose: dict[str, Any]) -> None:
    lb = compose["lb"]
    config = HAPROXY.read_text(encoding="utf-8")
    [published] = lb["ports"]
    listen = re.search(r"^\s*bind :(\d+)$", config, re.MULTILINE)
    assert listen is not None
    assert published.endswith(f":{listen[1]}")
    assert f"option httpchk GET {server.READY_PATH}" in config
    assert re.search(r"server-template bot \d+ bot:3000 check resolvers docker", config)
    assert compose["bot"]["expose"] == ["3000"]
    assert any(str(v).startswith("./haproxy/haproxy.cfg:") for v in lb["volumes"])
    assert "deny" in config
    assert "/metrics" in config


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed (apt-get install haproxy)")
def test_haproxy_accepts_its_configuration() -> None:
    checked = subprocess.run(["haproxy", "-c", "-f", str(HAPROXY)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
