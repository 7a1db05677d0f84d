"""Two `draftlint serve` processes on different ports, one PostgreSQL (a schema of this test's
own) and one Redis (a `redis-server` of this test's own, which it kills and starts again), as two
replicas behind a load balancer:

- a policy published through one (the admin API, signed in with a one-time link) is served by
  the other within a second, though each rechecks the database only every 30 s;
- the reply-all-storm count spans both;
- with Redis killed, both keep answering 200 with the rule in `failed_rules`, and both recover
  by themselves once Redis is back.
"""

from __future__ import annotations

import json
import os
import re
import time

import pytest
import requests
from servers import postgres_schema
from shared_redis import API_KEY, ORG, SECRET_KEY, Server, reply_all, storm

from server.cli import main

ADMIN = "it@corp.example"
REFRESH = "30"  # seconds between a process's own database rechecks


@pytest.fixture
def postgres_schema_url(postgres_url):
    with postgres_schema(postgres_url) as url:
        yield url


class Admin:
    """An admin signed in on one server with a one-time link, as a browser would be. The
    session cookie is Secure, which requests keeps from plain http, so cookies are sent by
    hand."""

    def __init__(self, server: Server, link_path: str):
        self.base = server.base
        self.cookies: dict[str, str] = {}
        page = self._call("GET", link_path)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)[1]
        signed_in = self._call("POST", action, data={"csrf_token": csrf, "next": ""})
        assert signed_in.status_code == 303, signed_in.text
        self.csrf = self._call("GET", "/v1/admin/session").json()["csrf_token"]

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = requests.request(
            method, self.base + path, headers=headers, allow_redirects=False, timeout=5, **kwargs
        )
        self.cookies.update(response.cookies.get_dict())
        return response

    def publish(self, document: dict) -> int:
        etag = self._call("GET", "/v1/admin/policy/draft").headers["ETag"]
        write = {"X-CSRF-Token": self.csrf}
        saved = self._call(
            "PUT", "/v1/admin/policy/draft", json=document, headers={**write, "If-Match": etag}
        )
        assert saved.status_code == 200, saved.text
        published = self._call(
            "POST",
            "/v1/admin/policy/publish",
            json={"comment": "storm thresholds"},
            headers={**write, "If-Match": saved.headers["ETag"]},
        )
        assert published.status_code == 201, published.text
        return published.json()["number"]


@pytest.fixture
def replicas(tmp_path, postgres_schema_url, own_redis, capsys):
    """Two servers on one database and one Redis, and the sign-in link of the organisation's
    owner."""
    database = ["--database-url", postgres_schema_url]
    assert main(["db", "upgrade", *database]) == 0
    capsys.readouterr()
    create = ["admin", "create", "--org", ORG, "--email", ADMIN, "--base-url", "http://x"]
    assert main([*create, *database]) == 0
    link = re.search(r"http://x(/admin/sign-in/\S+)", capsys.readouterr().out)[1]
    env = {
        **os.environ,
        "DATABASE_URL": postgres_schema_url,
        "DRAFTLINT_API_KEYS": json.dumps({API_KEY: ORG}),
        "DRAFTLINT_SECRET_KEY": SECRET_KEY,
        "DRAFTLINT_REDIS_URL": own_redis.url,
        "DRAFTLINT_POLICY_REFRESH_SECONDS": REFRESH,
    }
    servers = [Server(env, tmp_path, name) for name in ("first", "second")]
    try:
        for server in servers:
            server.wait_ready()
        yield servers, link
    finally:
        for server in servers:
            server.stop()


def test_two_replicas_share_policies_and_counts_and_outlive_redis(replicas, own_redis):
    (first, second), link = replicas
    assert second.lint(reply_all("ana"))["policy"]["version"] is None  # cached, nothing published

    # A publish through the first is served by the second within a second.
    version = Admin(first, link).publish({"rules": {"reply-all-storm": {"min_reply_alls": 3}}})
    published = time.monotonic()
    while second.lint(reply_all("ana"))["policy"]["version"] != version:
        assert time.monotonic() - published < 1.0, "the second server still serves the old policy"
        time.sleep(0.02)

    # Ana (above), Ben and Cas reply to all through either server; Dee is warned by both.
    first.lint(reply_all("ben"))
    assert not storm(second.lint(reply_all("cas")))
    for server in (first, second):
        (finding,) = storm(server.lint(reply_all("dee")))
        assert finding["data"]["repliers"] == 3

    # Redis goes away: both answer, without the rule, and say so.
    own_redis.stop()
    for server in (first, second):
        for author in ("eli", "fay"):
            report = server.lint(reply_all(author))
            assert report["failed_rules"] == ["reply-all-storm"]
            assert not storm(report)
            assert report["policy"]["version"] == version  # policies still come from the database

    # Redis is back (empty): both find it again by themselves.
    own_redis.start()
    for server in (first, second):
        deadline = time.monotonic() + 10
        while server.lint(reply_all("gus"))["failed_rules"]:
            assert time.monotonic() < deadline, "no recovery within 10 s:\n" + server.log()
            time.sleep(0.2)
    for i, author in enumerate(("hal", "ida", "jon")):
        (first, second)[i % 2].lint(reply_all(author))
    assert storm(second.lint(reply_all("kim")))

    for server in (first, second):
        log = server.log()
        assert log.count("Redis failed") == 1, log  # once per outage, per process
        assert "Redis answers again" in log
        assert "Sharing state through Redis" in log and "No DRAFTLINT_REDIS_URL" not in log
        assert "conversation-1" not in log and "ana@corp.example" not in log
