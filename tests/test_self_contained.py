"""`make test` needs nothing outside this repository (issue 28, "self-contained").

What the tests read from third parties is vendored in tests/vendor/, each set with its origin and
licence; only `make eval` (tools/eval.py) may look beside the clone, in ../shared/. These tests
fail when a test or tool starts reaching out of the checkout again, or a vendored set loses a
file, its licence, or the record of where it came from.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "tests" / "vendor"
SCHEMAS = VENDOR / "outlook-schemas"
ISOLATION = VENDOR / "reply-isolation"
# The one module allowed to read ../shared/ (and to say what is missing when it is not there),
# and this file, which names it to test the scan and runs eval beside a stand-in.
MAY_NAME_SHARED = {ROOT / "tools" / "eval.py", Path(__file__).resolve()}
# A path component named "shared": "shared", "../shared", "shared/corpus", "..\\shared".
_SHARED_PART = re.compile(r"(?:^|[/\\])shared(?:[/\\]|$)")


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _is_this_file(node: ast.AST) -> bool:
    """`__file__`, `Path(__file__)` or `Path(__file__).resolve()`."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"resolve", "absolute"}
    ):
        return _is_this_file(node.func.value)
    if isinstance(node, ast.Call) and node.args:
        return _is_this_file(node.args[0])
    return isinstance(node, ast.Name) and node.id == "__file__"


def _outside_lookups(path: Path, source: str | None = None) -> list[str]:
    """Where `path` names a "shared" folder, or climbs from its own file above the checkout."""
    depth = len(path.relative_to(ROOT).parts)  # parents[depth - 1] is ROOT
    if source is None:
        source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, str(path))
    # Docstrings and other bare strings only talk about ../shared/.
    prose = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
        if (
            isinstance(node, ast.Constant)
            and id(node) not in prose
            and isinstance(node.value, str)
            and _SHARED_PART.search(node.value)
        ):
            found.append(f"{where}: {node.value!r}")
        elif (  # Path(__file__).parents[k]
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "parents"
            and _is_this_file(node.value.value)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, int)
            and node.slice.value >= depth
        ):
            found.append(f"{where}: parents[{node.slice.value}] is above the checkout")
        elif isinstance(node, ast.Attribute) and node.attr == "parent":  # Path(__file__).parent…
            climbs, base = 0, node
            while isinstance(base, ast.Attribute) and base.attr == "parent":
                climbs, base = climbs + 1, base.value
            if _is_this_file(base) and climbs > depth:
                found.append(f"{where}: .parent × {climbs} is above the checkout")
    return sorted(found, key=lambda hit: int(hit.split(":")[1]))


def test_tests_and_tools_stay_inside_the_checkout():
    sources = sorted({*(ROOT / "tests").rglob("*.py"), *(ROOT / "tools").rglob("*.py")})
    assert len(sources) > 50
    found = [
        hit for path in sources if path not in MAY_NAME_SHARED for hit in _outside_lookups(path)
    ]
    assert not found, "only tools/eval.py may read ../shared/; vendor into tests/vendor/ instead"


def test_the_scan_sees_the_lookups_this_issue_removed():
    """The scan above flags the ways the suite used to reach ../shared/."""
    source = (
        '"""Reads ../shared/corpus."""\n'  # a docstring only talks about it
        'SHARED = Path(__file__).resolve().parents[3] / "shared"\n'
        'ROOT = Path(__file__).parents[2] / "tools"\n'  # the checkout itself: fine
        'UP = Path(__file__).parent.parent.parent.parent / "corpus"\n'
        'FIXTURES = os.environ.get("X", "../shared/fixtures")\n'
        'GROUP = "everyone@shared.example"\n'  # an address, not a folder
    )
    hits = _outside_lookups(ROOT / "tests" / "text" / "probe.py", source)
    assert [hit.split(": ", 1)[0] for hit in hits] == [
        "tests/text/probe.py:2",
        "tests/text/probe.py:2",
        "tests/text/probe.py:4",
        "tests/text/probe.py:5",
    ], hits


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_schemas_are_vendored_unchanged_and_complete():
    """Every schema file is listed in the README with its sha256, and nothing else is kept."""
    readme = (SCHEMAS / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `([^`]+)`[^|]*\| `([0-9a-f]{64})` \|$", readme, re.M))
    files = {p.name: p for p in SCHEMAS.rglob("*") if p.is_file() and p.name != "README.md"}
    assert set(listed) == set(files)
    assert {name: _sha256(path) for name, path in files.items()} == listed
    # lxml resolves the root schema's imports from sibling files: all of them must be here.
    for xsd in (SCHEMAS / "outlook-xml").glob("*.xsd"):
        for location in re.findall(r'schemaLocation="([^"]+)"', xsd.read_text(encoding="utf-8")):
            assert (xsd.parent / location).is_file(), f"{xsd.name} imports {location}"


def test_the_manifest_tests_use_the_vendored_schemas(monkeypatch):
    monkeypatch.delenv("DRAFTLINT_SCHEMAS", raising=False)
    conftest = _load(ROOT / "tests" / "manifest" / "conftest.py", "manifest_conftest_probe")
    assert conftest.SCHEMAS == SCHEMAS
    assert conftest.XSD_ROOT.is_file() and conftest.XSD_ROOT.is_relative_to(SCHEMAS)
    assert conftest.JSON_SCHEMA.is_file() and conftest.JSON_SCHEMA.is_relative_to(SCHEMAS)


def test_the_reply_isolation_fixtures_are_complete_and_licensed():
    cases = [
        json.loads(line)
        for line in (ISOLATION / "cases.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    inputs = {case["input"] for case in cases}
    assert all((ISOLATION / name).is_file() for name in inputs)
    sources = {case["id"].split("/", 1)[0] for case in cases}
    assert sources == {p.name for p in ISOLATION.iterdir() if p.is_dir()}
    licences = {f"{source}/LICENSE-{source}" for source in sources}
    assert all((ISOLATION / name).stat().st_size > 500 for name in licences)
    readme = (ISOLATION / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in licences)
    # Only what the cases use is kept, besides the licences and the README.
    kept = {p.relative_to(ISOLATION).as_posix() for p in ISOLATION.rglob("*") if p.is_file()}
    assert kept == inputs | licences | {"cases.jsonl", "README.md"}


def test_the_fixture_scorer_reads_the_vendored_copy():
    isolation = _load(ROOT / "tools" / "isolation.py", "isolation_probe")
    assert isolation.DEFAULT_ROOT.resolve() == ISOLATION


@pytest.mark.parametrize("present", ["nothing", "an empty folder"])
def test_eval_without_shared_reports_our_own_sets(tmp_path, present):
    """`make eval` beside no ../shared/ (or an incomplete one) says what it could not score, and
    scores what it can: our own sets and the vendored reply-isolation fixtures."""
    shared = tmp_path / "shared"
    if present == "an empty folder":
        (shared / "corpus").mkdir(parents=True)
    command = [sys.executable, "-m", "tools.eval", "--shared", str(shared)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not done.stderr
    out = done.stdout
    assert "not scored: the shared labelled corpus" in out
    assert "own-replies-a" in out and "own-replies-b" in out
    assert f"no reply-isolation fixtures at {shared / 'fixtures' / 'reply-isolation'}" in out
    assert re.search(r"reply isolation \(.*reply-isolation\): \d+/40 exact", out)
