"""A publish reaches every worker of a real 2-worker gunicorn run within 5 seconds."""

import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from server import store

API_KEY = "multiworker-key-0123456789"
DRAFT = {
    "compose_type": "reply_all",
    "to": [{"email": "a@x.example"}, {"email": "b@x.example"}, {"email": "c@x.example"}],
    "body": {"content": "Thanks all!"},
}
CONCURRENT = 8  # enough requests at once that both sync workers answer some


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(database_url, database, make_org, tmp_path):
    make_org("x.example")
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DRAFTLINT_API_KEYS": json.dumps({API_KEY: "x.example"}),
    }
    command = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(
        [sys.executable, "-c", "from server.cli import main; main()", *command],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not become ready within 30 s")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _policy_versions(base: str) -> list:
    def lint(_):
        response = requests.post(
            f"{base}/v1/lint",
            json=DRAFT,
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=5,
        )
        assert response.status_code == 200
        return response.json()["policy"]["version"]

    with ThreadPoolExecutor(CONCURRENT) as pool:
        return list(pool.map(lint, range(CONCURRENT)))


def test_every_worker_lints_under_a_new_publish_within_5_seconds(gunicorn, sessions):
    assert set(_policy_versions(gunicorn)) == {None}  # both workers have cached "unpublished"

    with sessions.begin() as session:
        org = store.get_org(session, "x.example")
        etag = store.get_draft(session, org).etag
        document = {"rules": {"content-free-reply-all": {"severity": "off"}}}
        draft = store.save_draft(session, org, document, if_match=etag, actor="t@x.example")
        store.publish(session, org, if_match=draft.etag, actor="t@x.example")
    published = time.monotonic()

    while set(_policy_versions(gunicorn)) != {1}:
        assert time.monotonic() - published < 5, "a worker still lints under the old policy"
        time.sleep(0.1)
    # And stays there: no worker falls back.
    assert set(_policy_versions(gunicorn)) == {1}
