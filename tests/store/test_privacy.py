"""No mail in the database: lint, preview, save, publish and count with a canary in every part
of a draft, then search every row of every table for it."""

from datetime import date

from linters import lint
from server import store
from server.app import create_app

API_KEY = "key-of-corp-0123456789"
CANARY = "canary7f3a9c"
MARKER = "policy-marker-5d1e"  # policy text that is meant to be stored: proves the search works


def _draft() -> dict:
    return {
        "client": "outlook",
        "compose_type": "reply_all",
        "subject": f"Re: {CANARY} plans",
        "from": {"email": f"{CANARY}@corp.example", "name": f"Peter {CANARY}"},
        "to": [{"email": f"anna.{CANARY}@corp.example", "name": CANARY}],
        "cc": [{"email": f"all-{CANARY}@corp.example", "type": "group", "member_count": 40}],
        "body": {"type": "html", "content": f"<p>OK {CANARY} OK</p>"},
        "attachments": [{"name": f"{CANARY}.pdf", "size": 10, "inline": False}],
        "in_reply_to": {"from": {"email": f"boss.{CANARY}@corp.example"}, "subject": CANARY},
        "thread_id": f"thread-{CANARY}",
    }


def test_no_draft_content_reaches_the_database(database_url, all_rows, sessions, make_org, rules):
    org = make_org("corp.example")
    client = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "API_KEYS": {API_KEY: "corp.example"}},
        registry=rules,
    ).test_client()
    auth = {"Authorization": f"Bearer {API_KEY}"}

    assert client.post("/v1/lint", json=_draft(), headers=auth).status_code == 200
    assert client.post("/v1/parse", json=_draft(), headers=auth).status_code == 200
    document = {"rules": {"test-repeats-word": {"word": MARKER}}}
    with sessions.begin() as session:
        draft = store.save_draft(
            session, org, document, if_match='"draft-0"', actor="a@corp.example", registry=rules
        )
        # Preview: the same draft under the draft policy and under the published one.
        lint(_draft(), store.draft_policy(session, org, rules))
        store.publish(session, org, if_match=draft.etag, actor="a@corp.example", registry=rules)
        store.record_events(
            session, org, [(date(2025, 5, 1), "test-repeats-word", "warning", "shown", 1)]
        )
    assert client.post("/v1/lint", json=_draft(), headers=auth).status_code == 200

    rows = all_rows()
    assert MARKER in rows
    assert CANARY not in rows
