"""`draftlint parse`, `rules` and `serve`, and one run of the installed console script."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

import server.cli
from server.cli import main
from server.gunicorn_server import GunicornServer


def test_parse_prints_the_parts_readably(capsys, samples):
    assert main(["parse", str(samples / "reply_all.json")]) == 0
    out = capsys.readouterr().out

    assert out.startswith("New text:\n    OK with me")
    for label in ("Greeting:", "Body:", "Sign-off:", "Signature:", "Quote:"):
        assert f"\n{label}" in out


def test_parse_json_is_the_segmentation(capsys, samples):
    assert main(["parse", "--format", "json", str(samples / "reply_all_plain.eml")]) == 0
    parts = json.loads(capsys.readouterr().out)

    assert set(parts) == {"new_text", "greeting", "body", "signoff", "signature", "quote", "blocks"}
    assert parts["new_text"].startswith("OK with me")


def test_parse_input_errors_exit_2(capsys, samples):
    assert main(["parse", str(samples / "bad_utf8.json")]) == 2
    assert "Invalid UTF-8" in capsys.readouterr().err


def test_rules_lists_rules_and_plugin_errors(capsys):
    assert main(["rules"]) == 0
    out = capsys.readouterr().out

    assert "test-says-word  warning" in out
    assert "The new text contains the configured word." in out
    assert "docs: docs/rules/test-says-word.md" in out
    assert "failed to load" in out
    assert "broken = broken_pkg:Rule: failed to import" in out


def test_rules_json_matches_the_api(capsys):
    assert main(["rules", "--format", "json"]) == 0
    catalog = json.loads(capsys.readouterr().out)

    assert [rule["id"] for rule in catalog["rules"]] == ["test-says-word"]
    assert catalog["rules"][0]["options"]["properties"]["word"] == {
        "type": "string",
        "description": "The word that trips the rule.",
    }
    assert catalog["errors"][0]["source"] == "broken = broken_pkg:Rule"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.com"])
def test_serve_dev_refuses_non_loopback(capsys, monkeypatch, host):
    monkeypatch.setattr(Flask, "run", lambda *a, **k: pytest.fail("must not start"))
    assert main(["serve", "--dev", "--host", host]) == 2
    err = capsys.readouterr().err
    assert "only binds to loopback" in err
    assert repr(host) in err


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_serve_dev_runs_flask_in_dev_mode_on_loopback(monkeypatch, host):
    started = {}

    def run(app, host, port, debug):
        started.update(app=app, host=host, port=port, debug=debug)

    monkeypatch.setattr(Flask, "run", run)
    assert main(["serve", "--dev", "--host", host, "--port", "8123"]) == 0
    assert started["host"] == host
    assert started["port"] == 8123
    assert started["debug"] is False  # the Werkzeug debugger would run code from the browser
    assert started["app"].config["DEV_MODE"] is True


@pytest.mark.parametrize(("host", "bind"), [("0.0.0.0", "0.0.0.0:9000"), ("::", "[::]:9000")])
def test_serve_runs_gunicorn_with_authentication(monkeypatch, host, bind):
    started = {}

    def run(self):
        started.update(app=self.load(), bind=self.cfg.bind, workers=self.cfg.workers)

    monkeypatch.setattr(GunicornServer, "run", run)
    assert main(["serve", "--host", host, "--port", "9000", "--workers", "3"]) == 0
    assert started["bind"] == [bind]
    assert started["workers"] == 3
    assert started["app"].config["DEV_MODE"] is False


def test_is_loopback():
    assert server.cli.is_loopback("[::1]")
    assert not server.cli.is_loopback("not a host")


def installed_script() -> Path:
    return Path(sys.executable).with_name("draftlint")


def test_installed_console_script(samples):
    result = subprocess.run(
        [str(installed_script()), "lint", "--format", "json", str(samples / "reply_all.json")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    # The real rules run here, so which findings come back is theirs to decide.
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["audience"] == 3


def test_installed_console_script_input_error(samples):
    result = subprocess.run(
        [str(installed_script()), "lint", str(samples / "bad_utf8.json")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Invalid UTF-8" in result.stderr
    assert "Traceback" not in result.stderr


def test_dev_server_leaves_request_lines_to_the_app(monkeypatch):
    """werkzeug's per-request line (coloured) would repeat the app's own access log."""
    import logging

    import server.app

    ran = {}

    class FakeApp:
        def run(self, **kwargs):
            ran.update(kwargs)

    monkeypatch.setattr(server.app, "create_app", lambda config=None: FakeApp())
    assert main(["serve", "--dev", "--port", "8123"]) == 0
    assert ran["port"] == 8123
    assert logging.getLogger("werkzeug").getEffectiveLevel() >= logging.WARNING


def _migrated_database(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    assert main(["db", "upgrade", "--database-url", url]) == 0
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def test_serve_refuses_api_keys_of_organisations_that_do_not_exist(tmp_path, monkeypatch, capsys):
    """Such a key would lint with the built-in defaults, silently, instead of its policy."""
    _migrated_database(tmp_path, monkeypatch)
    keys = {"k" * 32: "ghost.example", "m" * 32: "local", "n" * 32: "ghost.example"}
    monkeypatch.setenv("DRAFTLINT_API_KEYS", json.dumps(keys))
    monkeypatch.setattr(GunicornServer, "run", lambda self: pytest.fail("must not start"))
    assert main(["serve", "--port", "9000"]) == 2
    err = capsys.readouterr().err
    assert "organisations that do not exist: ghost.example, local." in err
    assert "k" * 32 not in err  # the message names organisations, never a key


def test_serve_starts_when_every_key_has_its_organisation(tmp_path, monkeypatch):
    url = _migrated_database(tmp_path, monkeypatch)
    assert main(["admin", "create", "--org", "corp.example", "--email", "a@corp.example",
                 "--database-url", url]) == 0  # fmt: skip
    monkeypatch.setenv("DRAFTLINT_API_KEYS", json.dumps({"k" * 32: "corp.example"}))
    started = []
    monkeypatch.setattr(GunicornServer, "run", lambda self: started.append(self.load()))
    assert main(["serve", "--port", "9000"]) == 0
    assert started[0].config["API_KEYS"] == {"k" * 32: "corp.example"}


@pytest.mark.parametrize("key", ["short", " " * 20 + "abc", "0123456789abcde"])
def test_serve_refuses_weak_api_keys(key, monkeypatch, capsys):
    monkeypatch.setenv("DRAFTLINT_API_KEYS", json.dumps({key: "corp.example"}))
    monkeypatch.setattr(GunicornServer, "run", lambda self: pytest.fail("must not start"))
    assert main(["serve", "--port", "9000"]) == 2
    err = capsys.readouterr().err
    assert "configuration: API_KEYS: the key of corp.example is shorter than 16 characters" in err
    assert "Traceback" not in err


def test_serve_names_a_bad_setting(monkeypatch, capsys):
    monkeypatch.setenv("DRAFTLINT_OUTLOOK_GRAPH_TIMEOUT", "soon")
    assert main(["serve", "--port", "9000"]) == 2
    assert "$DRAFTLINT_OUTLOOK_GRAPH_TIMEOUT" in capsys.readouterr().err
