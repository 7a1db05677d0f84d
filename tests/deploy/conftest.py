"""What the deploy/ tests share: the files under deploy/, read once, and the Kubernetes manifests
rendered as kustomize would.

The kustomizations use only what `render` implements (resources, namespace, labels without
selectors, images, JSON 6902 patches with a kind and name target), so the tests need no kustomize
binary; where `kubectl` is installed, test_kubernetes.py also checks that `kubectl kustomize`
renders the same.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"

KUSTOMIZATION_KEYS = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "patches"}


def load_documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _pointer(path: str) -> list[str]:
    assert path.startswith("/"), path
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _apply(document: dict, operation: dict) -> None:
    """One JSON Patch (RFC 6902) `add` or `replace`."""
    *parents, last = _pointer(operation["path"])
    node = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if operation["op"] == "add":
            node.insert(index, operation["value"])
        else:
            assert operation["op"] == "replace" and index < len(node), operation
            node[index] = operation["value"]
    else:
        assert operation["op"] == "add" or last in node, f"nothing to replace at {operation}"
        assert operation["op"] in ("add", "replace"), operation
        node[last] = operation["value"]


def _containers(document: dict) -> list[dict]:
    spec = document.get("spec", {})
    pod = spec.get("template", {}).get("spec", {})
    return [*pod.get("initContainers", []), *pod.get("containers", [])]


def render(directory: Path) -> list[dict]:
    """The resources of the kustomization in `directory`, as `kubectl kustomize` renders them."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))
    unknown = set(kustomization) - KUSTOMIZATION_KEYS
    assert not unknown, f"{directory}: render() does not implement {sorted(unknown)}"
    documents: list[dict] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        documents += render(path) if path.is_dir() else load_documents(path)
    for label in kustomization.get("labels", []):
        assert not label.get("includeSelectors") and not label.get("includeTemplates"), label
        for document in documents:
            document["metadata"].setdefault("labels", {}).update(label["pairs"])
    for patch in kustomization.get("patches", []):
        target = patch["target"]
        assert set(target) == {"kind", "name"}, target
        matched = [
            d
            for d in documents
            if d["kind"] == target["kind"] and d["metadata"]["name"] == target["name"]
        ]
        assert len(matched) == 1, f"patch target {target} matches {len(matched)} resources"
        for operation in yaml.safe_load(patch["patch"]):
            _apply(matched[0], operation)
    if "namespace" in kustomization:
        for document in documents:
            if document["kind"] != "Namespace":
                document["metadata"]["namespace"] = kustomization["namespace"]
    for image in kustomization.get("images", []):
        for document in documents:
            for container in _containers(document):
                name, _, tag = container["image"].partition(":")
                if name == image["name"]:
                    new_name = image.get("newName", name)
                    new_tag = image.get("newTag", tag)
                    container["image"] = f"{new_name}:{new_tag}" if new_tag else new_name
    return documents


def by_kind(documents: list[dict]) -> dict[tuple[str, str], dict]:
    found = {(d["kind"], d["metadata"]["name"]): d for d in documents}
    assert len(found) == len(documents), "two resources of one kind share a name"
    return found


def containerfile_instruction(keyword: str) -> list[str]:
    """The exec-form (JSON) arguments of the last `keyword` instruction of deploy/Containerfile."""
    text = (DEPLOY / "Containerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith(keyword + " ")]
    assert lines, f"no {keyword} in deploy/Containerfile"
    arguments = lines[-1][len(keyword) :].strip()
    if keyword == "HEALTHCHECK":
        arguments = arguments.split(" CMD ", 1)[1]
    return json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)


@pytest.fixture(scope="session")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def rendered_base() -> dict[tuple[str, str], dict]:
    return by_kind(render(KUBERNETES / "base"))


@pytest.fixture(scope="session")
def rendered_production() -> dict[tuple[str, str], dict]:
    return by_kind(render(KUBERNETES / "overlays" / "production"))


@pytest.fixture(scope="session")
def secret_template() -> dict:
    (document,) = load_documents(KUBERNETES / "base" / "secret.template.yaml")
    return document


@pytest.fixture(scope="session")
def image_command() -> list[str]:
    """What the image runs by default: ENTRYPOINT + CMD."""
    return containerfile_instruction("ENTRYPOINT") + containerfile_instruction("CMD")


@pytest.fixture(scope="session")
def instruction():
    """`instruction("HEALTHCHECK")`: its exec-form arguments (`containerfile_instruction`)."""
    return containerfile_instruction
