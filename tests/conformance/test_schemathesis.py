"""Schemathesis against the app in production mode: every operation of /openapi.json, with
generated valid and invalid input, gets no 5xx and answers as its document says (status codes,
content types, schemas, headers).

The app is the real one (built-in rules, a migrated SQLite store, an organisation with an
owner): /v1 calls carry an API key; /v1/admin calls a real admin session (signed in with a
one-time link, as a person does) and its CSRF token. Examples per operation are bounded so the
suite stays fast.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from sign_in_links import redeem

from server import store
from server.app import create_app
from server.engine import STORAGE

API_KEY = "conformance-key-0123456789abcdef"
ORG = "corp.example"
OWNER = "owner@corp.example"
EXAMPLES = 25  # per operation; `make test` runs them all in well under a minute


def _production_app():
    """Built at collection: Schemathesis parametrises the test from the app's own document
    (its fixture-based loader does not work with this pytest)."""
    from server.store import migrate

    folder = Path(tempfile.mkdtemp(prefix="draftlint-conformance-"))
    url = f"sqlite:///{folder / 'store.sqlite3'}"
    migrate.upgrade(url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "API_KEYS": {API_KEY: ORG},
            "SECRET_KEY": "conformance-secret-key-0123456789",
            "PUBLIC_BASE_URL": "http://localhost",
            # Thousands of calls from one caller: tests/server/test_rate_limits.py covers 429s.
            "RATE_LIMIT_API": "off",
        }
    )
    with app.extensions[STORAGE].sessions.begin() as db:
        org = store.create_org(db, ORG, "Corp", actor="setup")
        store.add_admin(db, org, OWNER, "owner", actor="setup")
        token = store.issue_sign_in_token(db, org, OWNER, actor="setup")
    client = app.test_client()
    assert redeem(client, f"/admin/sign-in/{token}").status_code == 303
    page = client.get("/admin/policy").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    cookie = client.get_cookie("draftlint_session").value
    # The credentials go to Schemathesis as the document's security schemes, so its negative
    # cases (a missing cookie, no token) are sent without them and must be refused.
    auth = {"apiKey": {"bearer": API_KEY}, "adminSession": {"api_key": cookie}}
    return app, {"X-CSRF-Token": csrf}, auth


APP, HEADERS, AUTH = _production_app()
# Signing out everywhere ends the session every other call runs in; tests/admin covers it.


def _also_accepts(path: str, method: str, *statuses: int) -> dict:
    """Valid by the document yet refused for a reason no JSON Schema can state; each is said in
    the operation's description: a body that is not a mail message (400), a date outside the
    window (422), a stale If-Match no generator can guess (412), a policy that names an
    unknown rule or option (422)."""
    expected = ["2xx", "401", "403", "404", *map(str, statuses)]
    return {
        "include-name": f"{method} {path}",
        "checks": {"positive_data_acceptance": {"expected-statuses": expected}},
    }


CONFIG = SchemathesisConfig.from_dict(
    {
        "auth": {"openapi": AUTH},
        # A missing If-Match is answered 428 Precondition Required (RFC 6585), not 400.
        "checks": {
            "missing_required_header": {"expected-statuses": [400, 401, 403, 415, 422, 428]}
        },
        "operations": [
            _also_accepts("/v1/drafts/from-eml", "POST", 400),
            _also_accepts("/v1/admin/policy/preview-eml", "POST", 400),
            _also_accepts("/v1/events", "POST", 422),
            _also_accepts("/v1/admin/stats", "GET", 422),
            _also_accepts("/v1/admin/policy/draft", "PUT", 412, 422),
            _also_accepts("/v1/admin/policy/draft.yaml", "PUT", 412, 422),
            _also_accepts("/v1/admin/policy/publish", "POST", 412, 422),
            _also_accepts("/v1/admin/policy/rollback", "POST", 412),
        ],
    }
)
schema = schemathesis.openapi.from_wsgi("/openapi.json", APP, config=CONFIG).exclude(
    path="/v1/admin/session/sign-out-everywhere"
)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms(case):
    case.call_and_validate(headers=HEADERS)
