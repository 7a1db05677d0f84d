"""The public reply-isolation fixtures, scored under each source's own signature policy."""

from __future__ import annotations

import importlib.util
from pathlib import Path

# tools/ is not an installed package: load the scorer from its file.
_SCORER = Path(__file__).resolve().parents[2] / "tools" / "isolation.py"
_spec = importlib.util.spec_from_file_location("isolation_scorer", _SCORER)
isolation = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(isolation)

# Vendored with their licences (see its README.md): every checkout has them.
FIXTURES = Path(__file__).resolve().parents[1] / "vendor" / "reply-isolation"


def test_fixture_score() -> None:
    result = isolation.score_fixtures(FIXTURES)
    failed = [case["id"] for case in result["cases"] if not case["passed"]]
    assert result["total"] >= 40, "a fixture case went missing from cases.jsonl"
    assert result["accuracy"] >= 0.9, failed


def test_the_scorer_defaults_to_the_vendored_fixtures() -> None:
    assert isolation.DEFAULT_ROOT.resolve() == FIXTURES
