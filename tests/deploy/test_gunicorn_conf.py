"""deploy/gunicorn.conf.py configures gunicorn as `draftlint serve` does.

`draftlint serve` is run up to the point where gunicorn would start (its `run` replaced), and every
one of gunicorn's settings it ends up with is compared with the same setting loaded from the file,
as `gunicorn -c deploy/gunicorn.conf.py` loads it. Only the differences the file's docstring
explains are allowed. So when `draftlint serve` changes its workers, threads, timeouts or worker
class, this fails until the file follows.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from flask import Flask
from gunicorn.config import Config
from gunicorn.util import import_app

from server.cli import main
from server.gunicorn_server import GunicornServer

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "gunicorn.conf.py"
# Set by the file only, on purpose (its docstring says why).
DIFFERENT = {"wsgi_app", "worker_tmp_dir", "on_starting"}


@pytest.fixture
def database(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'draftlint.sqlite3'}")
    monkeypatch.delenv("DRAFTLINT_API_KEYS", raising=False)


@pytest.fixture
def serve_config(database, monkeypatch) -> Config:
    """gunicorn's configuration as `draftlint serve --host 0.0.0.0` (the image's command) has it."""
    made = {}
    monkeypatch.setattr(GunicornServer, "run", lambda self: made.setdefault("cfg", self.cfg))
    assert main(["serve", "--host", "0.0.0.0"]) == 0
    return made["cfg"]


def file_config() -> Config:
    """The file loaded as gunicorn loads a config file: its names that are settings, set."""
    config = Config()
    for name, value in runpy.run_path(str(CONF)).items():
        if name in config.settings:
            config.set(name, value)
    return config


def value(config: Config, name: str):
    if name == "worker_class":
        return config.worker_class  # a dotted path or the class itself: the class
    return config.settings[name].get()


def test_the_file_sets_what_draftlint_serve_sets(serve_config):
    from_file = file_config()
    differing = {
        name: (value(serve_config, name), value(from_file, name))
        for name in serve_config.settings
        if name not in DIFFERENT and value(serve_config, name) != value(from_file, name)
    }
    assert not differing, "deploy/gunicorn.conf.py (draftlint serve, the file): " + repr(differing)


def test_no_access_log_of_gunicorn_s_own():
    """The app's own line (server.access) has no query string and hides sign-in tokens;
    gunicorn's default format (`%(r)s`) has both. A log configuration would switch it on."""
    config = file_config()
    assert config.accesslog is None
    assert not config.logconfig and not config.logconfig_dict and not config.logconfig_json


def test_graceful_shutdown_outlasts_the_header_timeout():
    from server.gunicorn_server import HEADER_TIMEOUT

    config = file_config()
    assert config.graceful_timeout >= HEADER_TIMEOUT
    assert config.timeout >= HEADER_TIMEOUT


def test_the_wsgi_entry_builds_the_app(database):
    """`gunicorn -c deploy/gunicorn.conf.py` loads `wsgi_app`: the app factory, called."""
    wsgi_app = file_config().settings["wsgi_app"].get()
    assert wsgi_app == "server.app:create_app()"
    app = import_app(wsgi_app)
    assert isinstance(app, Flask)
    assert app.test_client().get("/healthz").status_code == 200
