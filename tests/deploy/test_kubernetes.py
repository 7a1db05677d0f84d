"""deploy/kubernetes/: the base and the production overlay, rendered (conftest.render, checked
against `kubectl kustomize` where kubectl is installed) and validated offline against Kubernetes'
own OpenAPI schemas (PyPI `kubernetes-validate`, strict: no unknown fields), then read for what
README.md, "Deploying", promises: probes, a locked-down pod, traffic and egress, the migration.
"""

from __future__ import annotations

import runpy
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
# The oldest release the manifests are for (lifecycle.preStop.sleep is on by default since 1.30)
# and the newest the package knows.
VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
TREES = ("base", "overlays/production")


@pytest.fixture(scope="module")
def gunicorn_conf() -> dict:
    return runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))


@pytest.fixture(params=TREES)
def rendered(request, rendered_base, rendered_production):
    return {"base": rendered_base, "overlays/production": rendered_production}[request.param]


def pod(rendered, kind: str, name: str) -> dict:
    return rendered[kind, name]["spec"]["template"]["spec"]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_resource_is_valid_kubernetes(rendered, secret_template, version):
    for resource in [*rendered.values(), secret_template]:
        kubernetes_validate.validate(resource, version, strict=True)


def test_the_validator_catches_an_unknown_field(rendered_base):
    deployment = yaml.safe_load(yaml.safe_dump(rendered_base["Deployment", "draftlint"]))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["path"] = "/healthz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[-1], strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("tree", TREES)
def test_kubectl_kustomize_renders_the_same(tree, rendered_base, rendered_production):
    done = subprocess.run(
        ["kubectl", "kustomize", str(KUBERNETES / tree)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    kubectl = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(done.stdout) if d}
    ours = {"base": rendered_base, "overlays/production": rendered_production}[tree]
    assert kubectl == ours


def test_the_kustomization_lists_every_manifest_but_the_secret_template():
    listed = set(
        yaml.safe_load((KUBERNETES / "base" / "kustomization.yaml").read_text())["resources"]
    )
    files = {p.name for p in (KUBERNETES / "base").glob("*.yaml")} - {"kustomization.yaml"}
    assert files - listed == {"secret.template.yaml"}


def test_probes_and_command(rendered, image_command):
    (container,) = pod(rendered, "Deployment", "draftlint")["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] == "http"
    (port,) = container["ports"]
    assert port == {"name": "http", "containerPort": 8000, "protocol": "TCP"}
    # The image's own command: `draftlint serve` on the port the probes ask.
    assert [image_command[0], *container["args"]] == image_command
    assert "command" not in container


def test_graceful_shutdown_fits_the_grace_period(rendered, gunicorn_conf):
    spec = pod(rendered, "Deployment", "draftlint")
    (container,) = spec["containers"]
    pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert spec["terminationGracePeriodSeconds"] > pause + gunicorn_conf["graceful_timeout"]


@pytest.mark.parametrize(
    ("kind", "name"), [("Deployment", "draftlint"), ("Job", "draftlint-migrate")]
)
def test_pods_run_unprivileged_on_a_read_only_root(rendered, kind, name):
    """The "restricted" Pod Security Standard (the production namespace enforces it), and the
    only writable place is /tmp, in memory."""
    spec = pod(rendered, kind, name)
    assert spec["automountServiceAccountToken"] is False
    context = spec["securityContext"]
    assert context["runAsNonRoot"] is True and context["runAsUser"] == 10001
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in spec["containers"]:
        assert container["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        writable = [m for m in container["volumeMounts"] if not m.get("readOnly")]
        assert [m["mountPath"] for m in writable] == ["/tmp"]
        (tmp,) = [v for v in spec["volumes"] if v["name"] == writable[0]["name"]]
        assert tmp["emptyDir"]["sizeLimit"]  # bounded: a full /tmp is a 507, not a full node
        assert "memory" in container["resources"]["limits"]


def test_production_namespace_enforces_restricted(rendered_production):
    namespace = rendered_production["Namespace", "draftlint"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert all(
        r["metadata"].get("namespace") == "draftlint"
        for key, r in rendered_production.items()
        if key[0] != "Namespace"
    )


def test_traffic_reaches_the_server_pods(rendered):
    pod_labels = rendered["Deployment", "draftlint"]["spec"]["template"]["metadata"]["labels"]
    selector = rendered["Deployment", "draftlint"]["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    service = rendered["Service", "draftlint"]["spec"]
    assert service["selector"].items() <= pod_labels.items()
    assert service["ports"][0]["targetPort"] == "http"
    # The migration Job's pods are not behind the Service.
    job_labels = rendered["Job", "draftlint-migrate"]["spec"]["template"]["metadata"]["labels"]
    assert not service["selector"].items() <= job_labels.items()
    pdb = rendered["PodDisruptionBudget", "draftlint"]["spec"]
    assert pdb["selector"]["matchLabels"].items() <= pod_labels.items()
    hpa = rendered["HorizontalPodAutoscaler", "draftlint"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "draftlint",
    }
    assert hpa["minReplicas"] >= 2 and hpa["minReplicas"] > pdb["minAvailable"]
    ingress = rendered["Ingress", "draftlint"]["spec"]
    backend = ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "draftlint", "port": {"name": "http"}}
    assert ingress["tls"][0]["hosts"] == [ingress["rules"][0]["host"]]


def test_the_public_url_is_the_ingress_host(rendered):
    host = rendered["Ingress", "draftlint"]["spec"]["rules"][0]["host"]
    data = rendered["ConfigMap", "draftlint"]["data"]
    assert data["DRAFTLINT_PUBLIC_BASE_URL"] == f"https://{host}"


def test_the_ingress_lets_the_app_judge_body_size(rendered):
    from server.app import DEFAULTS

    annotations = rendered["Ingress", "draftlint"]["metadata"]["annotations"]
    megabytes = int(annotations["nginx.ingress.kubernetes.io/proxy-body-size"].rstrip("m"))
    assert megabytes * 1024 * 1024 > DEFAULTS["MAX_CONTENT_LENGTH"]


def test_network_policy(rendered):
    policy = rendered["NetworkPolicy", "draftlint"]["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    server_labels = rendered["Deployment", "draftlint"]["spec"]["template"]["metadata"]["labels"]
    job_labels = rendered["Job", "draftlint-migrate"]["spec"]["template"]["metadata"]["labels"]
    for labels in (server_labels, job_labels):
        assert policy["podSelector"]["matchLabels"].items() <= labels.items()
    (rule,) = policy["ingress"]
    assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
    allowed = {(p["port"], p["protocol"]) for r in policy["egress"] for p in r["ports"]}
    assert allowed == {(53, "UDP"), (53, "TCP"), (5432, "TCP"), (6379, "TCP"), (443, "TCP")}


def test_the_migration_job_runs_the_same_image_before_the_rollout(rendered, secret_template):
    job = rendered["Job", "draftlint-migrate"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["db", "upgrade"]
    (server,) = pod(rendered, "Deployment", "draftlint")["containers"]
    assert container["image"] == server["image"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "migrate"
    (variable,) = container["env"]
    reference = variable["valueFrom"]["secretKeyRef"]
    assert variable["name"] == reference["key"] == "DATABASE_URL"
    assert reference["name"] == secret_template["metadata"]["name"]
    assert reference["key"] in secret_template["stringData"]
    # It needs nothing else to exist first (the first deploy applies it alone).
    assert "serviceAccountName" not in job["spec"]["template"]["spec"]


def test_production_pins_its_image(rendered_production):
    images = {
        c["image"]
        for key in (("Deployment", "draftlint"), ("Job", "draftlint-migrate"))
        for c in pod(rendered_production, *key)["containers"]
    }
    (image,) = images
    name, _, tag = image.rpartition(":")
    assert "/" in name and tag and tag != "latest"
