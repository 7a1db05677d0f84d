"""Configuration is read in one place (server/config.py): defaults, then `$DRAFTLINT_<NAME>`,
then what `create_app` is given; every setting is documented in the README."""

import logging
import re
from pathlib import Path

import pytest

from server.app import create_app
from server.config import SETTINGS, from_environment

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_environment_is_parsed_by_each_settings_type():
    found = from_environment(
        {
            "DRAFTLINT_API_KEYS": '{"k-0123456789abcdef": "corp.example"}',
            "DRAFTLINT_MAX_CONTENT_LENGTH": "4096",
            "DRAFTLINT_OUTLOOK_GRAPH_BUDGET": "0.5",
            "DRAFTLINT_OUTLOOK_CLIENT_ID": "12345",  # a string, even when it looks like a number
            "DRAFTLINT_GMAIL_MODE": "",  # empty is unset
            "DATABASE_URL": "sqlite://",  # not ours to read here
        }
    )
    assert found == {
        "API_KEYS": {"k-0123456789abcdef": "corp.example"},
        "MAX_CONTENT_LENGTH": 4096,
        "OUTLOOK_GRAPH_BUDGET": 0.5,
        "OUTLOOK_CLIENT_ID": "12345",
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("API_KEYS", '["not", "an", "object"]'),
        ("API_KEYS", '{"key": 42}'),
        ("MAX_CONTENT_LENGTH", "2MB"),
        ("OUTLOOK_GRAPH_TIMEOUT", "-1"),
        ("GMAIL_DIRECTORY_ADMINS", "nope"),
    ],
)
def test_a_bad_value_names_its_variable(name, value):
    with pytest.raises(ValueError, match=re.escape(f"$DRAFTLINT_{name}")):
        from_environment({f"DRAFTLINT_{name}": value})


def test_dev_mode_cannot_come_from_the_environment(monkeypatch, registry):
    # Dev mode switches authentication off: only `draftlint serve --dev` may set it.
    monkeypatch.setenv("DRAFTLINT_DEV_MODE", "1")
    app = create_app(registry=registry)
    assert app.config["DEV_MODE"] is False


def test_what_create_app_is_given_wins_over_the_environment(monkeypatch, registry):
    monkeypatch.setenv("DRAFTLINT_PUBLIC_BASE_URL", "https://from-env.example")
    monkeypatch.setenv("DRAFTLINT_GMAIL_MODE", "full")
    app = create_app({"PUBLIC_BASE_URL": "https://given.example"}, registry=registry)
    assert app.config["PUBLIC_BASE_URL"] == "https://given.example"
    assert app.config["GMAIL_MODE"] == "full"


def test_an_unknown_variable_is_logged_as_a_likely_typo(monkeypatch, registry, caplog):
    monkeypatch.setenv("DRAFTLINT_OUTLOK_CLIENT_ID", "x")
    with caplog.at_level(logging.WARNING, logger="server.config"):
        create_app(registry=registry)
    assert "DRAFTLINT_OUTLOK_CLIENT_ID" in caplog.text


def test_the_readme_names_every_setting():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    missing = [name for name in SETTINGS if f"`DRAFTLINT_{name}`" not in section]
    assert not missing, f"README's Configuration section lacks {missing}"
