"""Fixtures of the Gmail tests: card checks (parse into Google's Card protobuf, check the limits),
the Google stand-in, and the app wired to it on both database backends.

Served as fixtures: with `--import-mode=importlib` test modules cannot import a helper module
beside them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace

import google_apis as google_support
import pytest
from google.apps.card_v1.types import Card

from server import store
from server.app import create_app
from server.gmail.cards import MAX_SECTIONS, MAX_WIDGETS

NAVIGATIONS = {"pushCard", "updateCard"}


def parse_card(card: dict) -> Card:
    """`card` as Google's Card message; unknown fields fail, so a misspelt key cannot pass."""
    return Card.from_json(json.dumps(card), ignore_unknown_fields=False)


def texts(value: object) -> list[str]:
    """Every string in a card, keys excepted."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in texts(item)]
    return [value] if isinstance(value, str) else []


def check_card(card: dict) -> Card:
    """Parse `card` and check it against the documented limits (100 widgets per card, 100
    sections per card) and ours (no empty section, no text past the caps in cards.py)."""
    parsed = parse_card(card)
    assert len(parsed.sections) <= MAX_SECTIONS
    widgets = sum(len(section.widgets) for section in parsed.sections)
    assert widgets <= MAX_WIDGETS, widgets
    assert all(section.widgets for section in parsed.sections)
    assert parsed.header.title
    for text in texts(card):
        assert len(text) <= 2100, text[:80]
    return parsed


def card_of(response: dict, *, wrapped: bool, navigation: str = "pushCard") -> dict:
    """The card inside a response envelope, after checking the envelope's shape.

    A trigger answers `{"action": {"navigations": [...]}}`; a widget's action answers the same
    inside `{"renderActions": ...}`.
    """
    assert navigation in NAVIGATIONS
    if wrapped:
        assert set(response) == {"renderActions"}
        response = response["renderActions"]
    assert set(response) == {"action"}
    assert set(response["action"]) == {"navigations"}
    [step] = response["action"]["navigations"]
    assert set(step) == {navigation}
    return step[navigation]


@pytest.fixture
def cards_check() -> SimpleNamespace:
    return SimpleNamespace(
        parse_card=parse_card, check_card=check_card, card_of=card_of, texts=texts
    )


# --- the Google stand-in and the app wired to it --------------------------------------------
#
# tests/support/google_apis.py serves Google's ID-token certificates, a service-account token
# endpoint, the Gmail API and the Directory API on 127.0.0.1, with its own keys; the app reaches it
# through its configured URLs (nothing is patched). Its docstring tells how tests steer it.

BASE = "https://lint.corp.example"
ORG = "corp.example"


@pytest.fixture(scope="session")
def _google_server() -> Iterator:
    with google_support.serve() as server:
        yield server


@pytest.fixture
def google(_google_server):
    """The stand-in, emptied before and after each test; `google.support` is its module."""
    _google_server.reset()
    _google_server.support = google_support
    yield _google_server
    _google_server.reset()


def add_org(app, slug: str = ORG, domain: str | None = ORG, policy: dict | None = None) -> None:
    """An organisation claiming a Google Workspace domain, with `policy` published."""
    sessions = app.extensions["draftlint.storage"].sessions
    with sessions.begin() as db:
        org = store.create_org(db, slug, slug.title(), actor="setup")
        if domain:
            store.add_alias(db, org, "google-domain", domain, actor="setup")
    if policy is not None:
        with sessions.begin() as db:
            org = store.get_org(db, slug)
            draft = store.get_draft(db, org)
            store.save_draft(db, org, policy, if_match=draft.etag, actor="setup")
        with sessions.begin() as db:
            org = store.get_org(db, slug)
            store.publish(db, org, if_match=store.get_draft(db, org).etag, actor="setup")


@pytest.fixture
def make_app(google, tmp_path):
    """make_app(database_url, **config): the app with the built-in rules, wired to the stand-in,
    with organisation corp.example claiming the Google domain corp.example."""

    def make(database_url: str, *, org: bool = True, policy: dict | None = None, **config):
        settings = {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "PUBLIC_BASE_URL": BASE,
            **google_support.app_config(google, tmp_path),
            **config,
        }
        app = create_app(settings)
        if org:
            add_org(app, policy=policy)
        return app

    return make


@pytest.fixture
def app(make_app, sqlite_url):
    return make_app(sqlite_url)


@pytest.fixture
def post(google):
    """post(client, endpoint, event=None, *, system=..., user=..., headers=None): a request as
    Google's add-on runtime sends it, with valid tokens unless told otherwise."""

    def send(client, endpoint: str, event: dict | None = None, **options):
        url = f"{BASE}/gmail/{endpoint}"
        system = options.get("system", google.system_token(url))
        user = options.get("user", google.user_token())
        event = dict(event or {})
        auth = {"systemIdToken": system, "userOAuthToken": google.support.USER_TOKEN}
        if user is not None:
            auth["userIdToken"] = user
        event.setdefault("authorizationEventObject", auth)
        event.setdefault("commonEventObject", {"hostApp": "GMAIL", "platform": "WEB"})
        headers = options.get("headers")
        if headers is None:
            headers = {"Authorization": f"Bearer {system}"} if system else {}
        return client.post(f"/gmail/{endpoint}", json=event, headers=headers)

    return send


@pytest.fixture(name="add_org")
def add_org_fixture():
    """add_org(app, slug, domain, policy): another organisation, as `add_org` above."""
    return add_org
