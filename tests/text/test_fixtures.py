"""The public reply-isolation fixtures, scored under each source's own signature policy."""

from __future__ import annotations

import importlib.util
from pathlib import Path

# tools/ is not an installed package: load the scorer from its file.
_SCORER = Path(__file__).resolve().parents[2] / "tools" / "isolation.py"
_spec = importlib.util.spec_from_file_location("isolation_scorer", _SCORER)
isolation = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(isolation)


def test_fixture_score() -> None:
    # ../shared/ stands beside every checkout, CI's included: a missing folder is a failure.
    result = isolation.score_fixtures(isolation.DEFAULT_ROOT)
    failed = [case["id"] for case in result["cases"] if not case["passed"]]
    assert result["accuracy"] >= 0.9, failed
