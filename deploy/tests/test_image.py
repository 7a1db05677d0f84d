"""The image, built and run: `make image-test` (a container engine, PyPI and a few minutes, so
not part of `make test`, whose tests/deploy check the same files statically). By hand:

    TEST_CONTAINER_IMAGE=podman .venv/bin/pytest deploy/tests

`TEST_CONTAINER_IMAGE` names the engine command (`podman`, `docker`, or with global flags, e.g.
`podman --runtime runc`); `TEST_CONTAINER_FLAGS` adds flags to its `build` and `run` (e.g.
`--ulimit nofile=20000:20000 --ulimit nproc=4096:4096` where the engine may not raise limits);
`TEST_CONTAINER_BASE` is the Python base image (default: the Containerfile's, from Docker Hub; on
a machine without a registry, one made from Debian packages by deploy/debian-python-base.sh).

The container runs as deployed: read-only root, /tmp on a tmpfs, no capabilities, no network, its
database a migrated SQLite file on a volume (`db upgrade` as a one-shot container first, as the
compose file's `migrate`). Requests are made from inside it, so no port is published.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE = shlex.split(os.environ.get("TEST_CONTAINER_IMAGE", ""))
FLAGS = shlex.split(os.environ.get("TEST_CONTAINER_FLAGS", ""))
BASE = os.environ.get("TEST_CONTAINER_BASE")

pytestmark = pytest.mark.skipif(
    not ENGINE, reason="set TEST_CONTAINER_IMAGE=podman (or docker) to build and run the image"
)

# A secret in a query string must not reach any log.
PROBE = """
import json, sys, urllib.error, urllib.request
def status(path, data=None):
    request = urllib.request.Request("http://127.0.0.1:8000" + path, data=data,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
print(json.dumps({
    "healthz": status("/healthz?token=QUERY-SECRET"),
    "readyz": status("/readyz"),
    "rule_doc": status("/docs/rules/content-free-reply-all"),
    "taskpane": status("/outlook/taskpane.html"),
    "lint_without_key": status("/v1/lint", b"{}"),
}))
"""


def engine(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run([*ENGINE, *args], capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, f"{args[:2]}: {done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def image() -> str:
    tag = f"localhost/draftlint-test:{uuid.uuid4().hex[:12]}"
    build = ["build", "--format", "docker"] if "podman" in ENGINE[0] else ["build"]
    if BASE:
        build += ["--build-arg", f"PYTHON_IMAGE={BASE}"]
    if "podman" in ENGINE[0]:
        build += ["--ignorefile", str(ROOT / "deploy" / "Containerfile.dockerignore")]
    build += ["--network", "host", *FLAGS, "-f", str(ROOT / "deploy" / "Containerfile")]
    engine(*build, "-t", tag, str(ROOT), timeout=1800)
    yield tag
    engine("rmi", "-f", tag, check=False)


@pytest.fixture
def container(image, tmp_path):
    """A running server: (name, database volume)."""
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o777)  # the image's user (10001) writes the SQLite file there
    locked_down = [
        *FLAGS,
        "--read-only",
        "--tmpfs",
        "/tmp",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--network",
        "none",
        "--volume",
        f"{data}:/data",
        "--env",
        "DATABASE_URL=sqlite:////data/draftlint.sqlite3",
    ]
    migrated = engine("run", "--rm", *locked_down, image, "db", "upgrade")
    assert "database at revision" in migrated.stdout
    name = f"draftlint-test-{uuid.uuid4().hex[:12]}"
    engine("run", "--detach", "--name", name, *locked_down, image)
    yield name
    engine("rm", "--force", name, check=False)


def wait_healthy(name: str, seconds: float = 60) -> None:
    """Until the image's HEALTHCHECK passes (run on demand: no engine timers needed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if "podman" in ENGINE[0]:
            if engine("healthcheck", "run", name, check=False).returncode == 0:
                return
        else:
            state = engine("inspect", "--format", "{{.State.Health.Status}}", name).stdout
            if state.strip() == "healthy":
                return
        time.sleep(1)
    logs = engine("logs", name, check=False)
    pytest.fail(f"not healthy in {seconds} s:\n{logs.stdout}{logs.stderr}")


def test_the_image_serves_locked_down_and_stops_gracefully(container):
    wait_healthy(container)
    answers = json.loads(engine("exec", container, "python3", "-c", PROBE).stdout)
    assert answers == {
        "healthz": 200,
        "readyz": 200,
        "rule_doc": 200,  # docs/rules/ copied where the installed package reads them
        "taskpane": 200,  # templates and static files in the wheel
        "lint_without_key": 401,
    }
    assert engine("exec", container, "id", "-u").stdout.strip() == "10001"
    written = engine("exec", container, "sh", "-c", "touch /opt/draftlint/x", check=False)
    assert written.returncode != 0 and "Read-only file system" in written.stderr

    started = time.monotonic()
    engine("stop", "--time", "40", container, timeout=60)
    assert time.monotonic() - started < 35  # gunicorn stopped on SIGTERM, not killed after 40 s
    state = engine("inspect", "--format", "{{.State.ExitCode}}", container).stdout.strip()
    assert state == "0"
    logs = engine("logs", container)
    text = logs.stdout + logs.stderr
    assert "Handling signal: term" in text and "Shutting down: Master" in text
    assert "GET /healthz 200" in text  # the app's own access line
    assert "QUERY-SECRET" not in text
    assert "Traceback" not in text and "[ERROR]" not in text
