"""Fixtures for the API tests.

The app runs against the test registry of tests/conftest.py (one small, predictable rule) instead
of the built-in rules.
"""

import json
from pathlib import Path

import pytest

from server.app import create_app

SAMPLES = Path(__file__).parent / "samples"
API_KEY = "test-key-0123456789"


@pytest.fixture
def sample():
    def load(name: str) -> dict:
        return json.loads((SAMPLES / name).read_text(encoding="utf-8"))

    return load


@pytest.fixture
def dev_app(registry):
    return create_app({"DEV_MODE": True, "TESTING": True}, registry=registry)


@pytest.fixture
def client(dev_app):
    return dev_app.test_client()


@pytest.fixture
def api_key():
    return API_KEY


@pytest.fixture
def secured_app(registry):
    return create_app({"TESTING": True, "API_KEYS": {API_KEY: "corp.example"}}, registry=registry)
