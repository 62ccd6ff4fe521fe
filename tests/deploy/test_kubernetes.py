"""The Kubernetes manifests, as ``kubectl kustomize`` renders them for production.

Rendered for real (kubectl's own kustomize, offline) and validated against the Kubernetes API
schemas; then checked against the code they deploy: the probes hit routes the HTTP server
registers, the ports are the one the bot listens on, the user is the image's, every variable set
is one crisisbot reads, secrets come by reference only, and the plan volume, as the kubelet would
lay it out, is the plan, loadable.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from bot.adapters.http import server
from bot.adapters.http.metrics import METRICS_PATH
from bot.adapters.http.server import NotReady
from bot.config import Settings
from bot.datafiles.plan import load_plan
from bot.observability.metrics import Metrics
from tests.deploy.contract import SECRET_NAMES, read_by_crisisbot
from tests.deploy.test_container import dockerfile_user

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
PRODUCTION = K8S / "overlays" / "production"
KUBERNETES_VERSION = "1.31"  # the oldest minor still supported upstream when this was written
Doc = dict[str, Any]

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed (CI has it)")


def render(overlay: Path) -> list[Doc]:
    out = subprocess.run(["kubectl", "kustomize", str(overlay)], capture_output=True, text=True, check=True).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.fixture(scope="module")
def app() -> list[Doc]:
    return render(PRODUCTION)


@pytest.fixture(scope="module")
def migrate() -> list[Doc]:
    return render(PRODUCTION / "migrate")


def one(docs: list[Doc], kind: str) -> Doc:
    [doc] = [d for d in docs if d["kind"] == kind]
    return doc


def container(workload: Doc) -> Doc:
    only: Doc
    [only] = workload["spec"]["template"]["spec"]["containers"]
    return only


def served_paths() -> set[str]:
    """The GET routes the server registers when serve builds it (a readiness check, metrics)."""

    async def never_ready() -> NotReady:
        return NotReady("unused")

    application = server.build([], ready=never_ready, metrics=Metrics(process=False))
    return {r.resource.canonical for r in application.router.routes() if r.method == "GET" and r.resource}


def test_every_document_is_valid_for_the_kubernetes_api(app: list[Doc], migrate: list[Doc]) -> None:
    assert {d["kind"] for d in app} == {"Deployment", "Service", "PodDisruptionBudget", "ConfigMap"}
    for doc in [*app, *migrate]:
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']} {doc['metadata']['name']}: {exc.message} at {list(exc.path)}")
    assert all(d["metadata"]["namespace"] == "crisisbot" for d in [*app, *migrate])


def test_two_replicas_that_roll_without_dropping_below_two(app: list[Doc]) -> None:
    spec = one(app, "Deployment")["spec"]
    assert spec["replicas"] == 2
    assert spec["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}


def test_probes_hit_routes_the_server_really_serves(app: list[Doc]) -> None:
    bot = container(one(app, "Deployment"))
    served = served_paths()
    assert bot["livenessProbe"]["httpGet"]["path"] == server.HEALTH_PATH
    assert bot["readinessProbe"]["httpGet"]["path"] == server.READY_PATH
    assert bot["startupProbe"]["httpGet"]["path"] == server.HEALTH_PATH
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert bot[probe]["httpGet"]["path"] in served
        assert bot[probe]["httpGet"]["port"] == "http"
    # /readyz bounds itself: the probe must wait at least that long to read the reason
    assert bot["readinessProbe"]["timeoutSeconds"] > server.READY_TIMEOUT
    annotations = one(app, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] == METRICS_PATH
    assert METRICS_PATH in served


def test_shutdown_finishes_inside_the_grace_period(app: list[Doc]) -> None:
    """preStop's pause, then serve's own shutdown timeout: both before Kubernetes' SIGKILL."""
    pod = one(app, "Deployment")["spec"]["template"]["spec"]
    bot = container(one(app, "Deployment"))
    env = {e["name"]: e.get("value") for e in bot["env"]}
    pause = int(bot["lifecycle"]["preStop"]["exec"]["command"][1])
    timeout = Settings(_env_file=None, shutdown_timeout=env["CRISISBOT_SHUTDOWN_TIMEOUT"]).shutdown_timeout
    assert pause + timeout + 3 <= pod["terminationGracePeriodSeconds"]


def test_one_port_everywhere(app: list[Doc]) -> None:
    deployment, service = one(app, "Deployment"), one(app, "Service")
    bot = container(deployment)
    env = {e["name"]: e.get("value") for e in bot["env"]}
    [port] = bot["ports"]
    assert port == {"name": "http", "containerPort": int(env["CRISISBOT_PORT"])}
    assert port["containerPort"] == 3000  # the image's CRISISBOT_PORT and EXPOSE
    assert deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] == "3000"
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    # a Service named crisisbot would inject CRISISBOT_PORT=tcp://... into the pods otherwise
    assert deployment["spec"]["template"]["spec"]["enableServiceLinks"] is False


def test_selectors_find_the_bot_pods_and_only_them(app: list[Doc], migrate: list[Doc]) -> None:
    deployment = one(app, "Deployment")
    pods = deployment["spec"]["template"]["metadata"]["labels"]
    job_pods = one(migrate, "Job")["spec"]["template"]["metadata"]["labels"]
    pdb = one(app, "PodDisruptionBudget")["spec"]
    for selector in (
        deployment["spec"]["selector"]["matchLabels"],
        pdb["selector"]["matchLabels"],
        one(app, "Service")["spec"]["selector"],
    ):
        assert selector.items() <= pods.items()
        assert not selector.items() <= job_pods.items()
    assert pdb["minAvailable"] == 1


def test_non_root_as_the_image_user_with_a_read_only_root(app: list[Doc], migrate: list[Doc]) -> None:
    uid, gid = dockerfile_user()
    for workload in (one(app, "Deployment"), one(migrate, "Job")):
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert (pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]) == (uid, gid)
        assert pod["automountServiceAccountToken"] is False
        security = container(workload)["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        mounts = {m["mountPath"] for m in container(workload)["volumeMounts"]}
        assert "/tmp" in mounts  # the one place a read-only root leaves to write


def test_memory_request_covers_the_measured_rss(app: list[Doc]) -> None:
    """bench/serve_memory.py measured 107.7 MiB after 100 declarations (Slack, PostgreSQL);
    bench/serve_start.py measured Teams beside Slack at +53 MB."""
    resources = container(one(app, "Deployment"))["resources"]
    mebibytes = {k: int(re.fullmatch(r"(\d+)Mi", v["memory"])[1]) for k, v in resources.items()}  # type: ignore[index]
    assert mebibytes["requests"] >= 108 + 53
    assert mebibytes["limits"] >= 2 * mebibytes["requests"]
    assert "cpu" not in resources["limits"]  # CPU throttling would stretch acks past Slack's 3 s


def test_migrate_job_runs_migrate_with_the_same_image(app: list[Doc], migrate: list[Doc]) -> None:
    job = one(migrate, "Job")
    runner = container(job)
    assert runner["args"] == ["migrate"]
    assert runner["image"] == container(one(app, "Deployment"))["image"]
    assert runner["image"] != "crisisbot"  # the overlay names a real image
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert [d["kind"] for d in migrate] == ["Job"]  # applied on its own, before the app


def test_every_variable_set_is_one_crisisbot_reads(app: list[Doc], migrate: list[Doc]) -> None:
    for workload in (one(app, "Deployment"), one(migrate, "Job")):
        for variable in container(workload).get("env", []):
            assert read_by_crisisbot(variable["name"]), f"{variable['name']} is read by nothing in crisisbot"


def test_secrets_only_by_reference(app: list[Doc], migrate: list[Doc]) -> None:
    assert not [d for d in [*app, *migrate] if d["kind"] == "Secret"]
    for workload in (one(app, "Deployment"), one(migrate, "Job")):
        runner = container(workload)
        for variable in runner.get("env", []):
            if variable["name"] in SECRET_NAMES:
                assert "value" not in variable, f"{variable['name']} must come from a Secret"
                assert variable["valueFrom"]["secretKeyRef"]["name"] == "crisisbot-secrets"
        for source in runner.get("envFrom", []):
            assert set(source) == {"secretRef"}
            assert source["secretRef"]["name"] == "crisisbot-secrets"
    text = yaml.safe_dump_all([*app, *migrate])
    assert not re.search(r"xox[abp]-|xapp-|://[^/\s:@]+:[^/\s@]+@", text), "a secret value is in the manifests"


def materialize(app: list[Doc], into: Path) -> None:
    """Lay the plan volume out as the kubelet does: each projected ConfigMap's keys, or its items."""
    maps = {d["metadata"]["name"]: d["data"] for d in app if d["kind"] == "ConfigMap"}
    [volume] = [v for v in one(app, "Deployment")["spec"]["template"]["spec"]["volumes"] if v["name"] == "plan"]
    for source in volume["projected"]["sources"]:
        data = maps[source["configMap"]["name"]]
        items = source["configMap"].get("items") or [{"key": k, "path": k} for k in data]
        for item in items:
            target = into / item["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(data[item["key"]], encoding="utf-8")


def files_under(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in root.rglob("*") if p.is_file()}


def test_the_plan_volume_is_the_plan_and_loads(app: list[Doc], tmp_path: Path) -> None:
    materialize(app, tmp_path)
    # every file of the overlay's plan/ reaches the pod, at its place (a file left out of the
    # generators or of plan-volume.yaml shows up here)
    assert files_under(tmp_path) == files_under(PRODUCTION / "plan")
    bot = container(one(app, "Deployment"))
    [mount] = [m for m in bot["volumeMounts"] if m["name"] == "plan"]
    plan_env = next(e["value"] for e in bot["env"] if e["name"] == "CRISISBOT_PLAN")
    assert Path(plan_env).parent == Path(mount["mountPath"])
    loaded = load_plan(tmp_path / Path(plan_env).name)
    assert loaded.drills
    assert loaded.sources


def test_the_overlay_ships_the_example_plan() -> None:
    """The overlay's plan/ is a copy of playbooks/ (kustomize reads no file outside its folder):
    keep the two equal here; an operator replaces it with their own plan."""
    assert files_under(PRODUCTION / "plan") == files_under(ROOT / "playbooks"), (
        "copy playbooks/ to deploy/k8s/overlays/production/plan/ and list new files in its kustomization"
    )
