"""Fixtures for the CLI tests.

The commands run against the test registry of tests/conftest.py (one small, predictable rule)
instead of the built-in rules.
"""

from pathlib import Path

import pytest

import server.cli

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture(autouse=True)
def test_rules(registry, monkeypatch):
    monkeypatch.setattr(server.cli, "default_registry", lambda: registry)


@pytest.fixture
def samples() -> Path:
    return SAMPLES
