"""One key cache, one set of rules (server/keys.py), for every source of signing keys: Entra's keys
through discovery (Outlook access tokens), Google's x509 certificates (Gmail add-on), and admin
sign-in's two, Entra's JWK set and Google's certificates. Each cache is built the way its owner
builds it (`EntraVerifier`, the Gmail `Verifier`, `SignInKeys`), on a clock the tests move, and
fetches from the real HTTPS stand-ins of tests/support/ (entra.py, google_apis.py, idp.py);
nothing is patched."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import entra as entra_support
import google_apis
import idp as idp_support
import pytest

from server.admin.sign_in import SignInKeys
from server.app import create_app
from server.gmail.settings import GmailSettings
from server.gmail.verify import Verifier
from server.keys import MAX_TTL, MIN_TTL, KeyCache, KeysUnavailable, freshness, https_url
from server.outlook.settings import OutlookSettings
from server.outlook.verify import EntraVerifier

SOURCES = ["outlook", "gmail", "admin-entra", "admin-google"]
CAPTIVE_PORTAL = b"<html><body>Sign in to the hotel Wi-Fi</body></html>"


# --- the stand-ins, each started once for this module ----------------------------------------


@pytest.fixture(scope="module")
def _microsoft(tmp_path_factory):
    with entra_support.serve(tmp_path_factory.mktemp("microsoft")) as server:
        yield server


@pytest.fixture(scope="module")
def _google(tmp_path_factory):
    with google_apis.serve(tmp_path_factory.mktemp("google")) as server:
        yield server


@pytest.fixture(scope="module")
def _idp(tmp_path_factory):
    with idp_support.serve(tmp_path_factory.mktemp("idp")) as server:
        yield server


@dataclass
class Source:
    """A key cache as its owner builds it, and the switches of the stand-in it fetches from."""

    keys: KeyCache
    kid: Callable[[], str]  # a key id the source publishes
    fetches: Callable[[], int]  # how many times the stand-in was asked for the keys
    rotate: Callable[[], str]  # publish a new key under a new key id; returns it
    fail: Callable[[bool], None]  # answer 503, or stop doing so
    answer: Callable[[bytes | None], None]  # answer this 200 instead of the keys (None: stop)
    cache_control: Callable[[str | None], None]  # the keys answer's Cache-Control header


def _outlook(microsoft, clock) -> Source:
    def answer(page):
        if page is None:
            microsoft.documents.pop("jwks", None)
        else:
            microsoft.documents["jwks"] = page

    def cache_control(value):
        if value is None:
            microsoft.cache_control.pop("jwks", None)
        else:
            microsoft.cache_control["jwks"] = value

    settings = OutlookSettings.from_config(entra_support.outlook_config(microsoft))
    return Source(
        keys=EntraVerifier(settings, clock=clock).keys,
        kid=lambda: microsoft.kid,
        fetches=lambda: microsoft.calls.count("jwks"),
        rotate=microsoft.rotate,
        fail=lambda on: microsoft.fail.add("jwks") if on else microsoft.fail.discard("jwks"),
        answer=answer,
        cache_control=cache_control,
    )


def _gmail(google, clock) -> Source:
    def fail(on):
        if on:
            google.fail["certs"] = 503
        else:
            google.fail.pop("certs", None)

    def cache_control(value):
        google.certs_cache_control = value or ""

    settings = GmailSettings.from_config(
        {"GMAIL_CERTS_URL": google.certs_url, "OIDC_CA_BUNDLE": google.ca_bundle}
    )
    return Source(
        keys=Verifier(settings, clock=clock).keys,
        kid=lambda: google.kid,
        fetches=lambda: google.count("/oauth2/v1/certs"),
        rotate=google.rotate,
        fail=fail,
        answer=lambda page: setattr(google, "certs_answer", page),
        cache_control=cache_control,
    )


def _admin(idp, clock, face: str) -> Source:
    name = {"entra": "entra-keys", "google": "google-certs"}[face]

    def answer(page):
        if page is None:
            idp.key_answers.pop(name, None)
        else:
            idp.key_answers[name] = page

    def cache_control(value):
        if value is None:
            idp.key_cache_control.pop(name, None)
        else:
            idp.key_cache_control[name] = value

    keys = SignInKeys.from_config(idp_support.idp_config(idp), clock=clock)
    return Source(
        keys=getattr(keys, face),
        kid=lambda: idp.kid,
        fetches=lambda: idp.key_calls.count(name),
        rotate=idp.rotate,
        fail=lambda on: idp.key_fail.add(name) if on else idp.key_fail.discard(name),
        answer=answer,
        cache_control=cache_control,
    )


@pytest.fixture(params=SOURCES)
def source(request, clock, _microsoft, _google, _idp) -> Source:
    for standin in (_microsoft, _google, _idp):
        standin.reset()
    built = {
        "outlook": lambda: _outlook(_microsoft, clock),
        "gmail": lambda: _gmail(_google, clock),
        "admin-entra": lambda: _admin(_idp, clock, "entra"),
        "admin-google": lambda: _admin(_idp, clock, "google"),
    }[request.param]()
    yield built
    for standin in (_microsoft, _google, _idp):
        standin.reset()


def _eventually(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _settled(source: Source, fetches: int) -> bool:
    """The stand-in was asked `fetches` times and no fetch is under way (the cache's private
    `_fetch`: a background fetch ends after the stand-in has counted it)."""
    ok = _eventually(lambda: source.fetches() >= fetches and source.keys._fetch is None)
    return ok and source.fetches() == fetches


# --- the rules ---------------------------------------------------------------------------------


def test_the_keys_are_fetched_once_and_kept(source, clock):
    first = source.keys.get(source.kid())
    assert first is not None
    for _ in range(5):
        clock.now += 10
        assert source.keys.get(source.kid()) is first
    assert source.fetches() == 1


def test_a_new_key_id_is_fetched_at_once(source, clock):
    old = source.kid()
    assert source.keys.get(old) is not None
    new = source.rotate()
    clock.now += 5

    assert source.keys.get(new) is not None
    assert source.keys.get(old) is not None  # still published, still known
    assert source.fetches() == 2


def test_unknown_key_ids_are_fetched_at_most_once_a_minute(source, clock):
    source.keys.get(source.kid())
    for n in range(20):
        assert source.keys.get(f"forged-{n}") is None
        clock.now += 1
    assert source.fetches() == 2  # the first fetch and one forced fetch

    clock.now += 60
    assert source.keys.get("forged-late") is None
    assert source.fetches() == 3


@pytest.mark.parametrize(
    "cache_control, ttl",
    [
        (None, 3600),  # no guidance: an hour
        ("public, max-age=7200, must-revalidate", 7200),
        ("max-age=60", MIN_TTL),  # at least five minutes
        ("max-age=999999999", MAX_TTL),  # at most a day
        ("no-cache", MIN_TTL),
    ],
    ids=["none", "two hours", "a minute", "years", "no-cache"],
)
def test_the_keys_are_fresh_for_their_max_age_within_bounds(source, clock, cache_control, ttl):
    source.cache_control(cache_control)
    key = source.keys.get(source.kid())
    clock.now += ttl - 1
    assert source.keys.get(source.kid()) is key
    assert _settled(source, 1)

    clock.now += 1  # stale: answered from the keys in hand, refreshed behind the request
    assert source.keys.get(source.kid()) is key
    assert _settled(source, 2)
    assert source.keys.get(source.kid()) is not None
    assert _settled(source, 2)


def test_a_failed_refresh_keeps_the_keys_in_hand(source, clock):
    key = source.keys.get(source.kid())
    source.fail(True)
    clock.now += MAX_TTL + 1

    assert source.keys.get(source.kid()) is key  # the refresh fails behind the request
    assert _settled(source, 2)
    assert source.keys.get(source.kid()) is key  # not tried again for ten seconds
    with pytest.raises(KeysUnavailable, match="unreachable; try again"):
        source.keys.get("rolled-in-meanwhile")  # it may be published: we cannot tell
    assert _settled(source, 2)

    clock.now += 11
    assert source.keys.get(source.kid()) is key
    assert _settled(source, 3)
    source.fail(False)
    clock.now += 11
    assert source.keys.get(source.kid()) is key
    assert _settled(source, 4)
    assert source.keys.get("forged") is None  # with keys fresh again: a bad key id, not ours


def test_without_keys_a_failed_fetch_is_not_retried_for_ten_seconds(source, clock):
    source.fail(True)
    for _ in range(3):
        with pytest.raises(KeysUnavailable):
            source.keys.get(source.kid())
        clock.now += 3
    assert source.fetches() == 1

    source.fail(False)
    clock.now += 2
    assert source.keys.get(source.kid()) is not None
    assert source.fetches() == 2


@pytest.mark.parametrize(
    "page",
    [
        CAPTIVE_PORTAL,
        b'{"error": "captive portal"}',
        b'{"keys": []}',
        b'{"some-key": "not a certificate"}',
        b"[" * 100_000,
        b'{"keys": "' + b"x" * 1_100_000 + b'"}',
    ],
    ids=["html page", "other json", "empty key set", "not a pem", "nested", "too large"],
)
def test_an_answer_that_is_not_a_key_set_is_an_outage_and_not_kept(source, clock, page):
    """A 200 that is not keys (a captive portal's page, with a day's max-age) is a failed fetch:
    KeysUnavailable (a 503, not a 401), and asked again ten seconds later."""
    source.cache_control("public, max-age=86400")
    source.answer(page)
    with pytest.raises(KeysUnavailable):
        source.keys.get(source.kid())
    clock.now += 5
    with pytest.raises(KeysUnavailable):
        source.keys.get(source.kid())
    assert source.fetches() == 1

    source.answer(None)
    clock.now += 6
    assert source.keys.get(source.kid()) is not None
    assert source.fetches() == 2


def test_requests_that_arrive_before_any_keys_wait_for_one_fetch(source):
    found: list = []
    threads = [
        threading.Thread(target=lambda: found.append(source.keys.get(source.kid())))
        for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(found) == 5 and all(key is not None for key in found)
    assert source.fetches() == 1


# --- http:// refused -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting",
    [
        "OUTLOOK_OPENID_CONFIG",
        "OUTLOOK_JWKS_URI",
        "GMAIL_CERTS_URL",
        "ENTRA_JWKS_URI",
        "GOOGLE_CERTS_URL",
    ],
)
def test_a_keys_url_that_is_not_https_stops_the_start(sqlite_url, setting):
    config = {"TESTING": True, "DATABASE_URL": sqlite_url, setting: "http://keys.example/keys"}
    with pytest.raises(ValueError, match=f"{setting} must be an https:// URL"):
        create_app(config)


def test_a_discovered_jwks_uri_that_is_not_https_is_refused_when_fetched(
    _microsoft, _google, clock
):
    """Discovery names a key set served over plain http (the Google stand-in's plain port, which
    answers good keys): it is never asked, and the keys are unavailable."""
    _microsoft.reset()
    _google.reset()
    try:
        _microsoft.documents["discovery"] = {"jwks_uri": f"{_google.base}/oauth2/v1/certs"}
        settings = OutlookSettings.from_config(entra_support.outlook_config(_microsoft))
        keys = EntraVerifier(settings, clock=clock).keys
        with pytest.raises(KeysUnavailable, match="Microsoft's signing keys are unreachable"):
            keys.get(_google.kid)
        assert _microsoft.calls == ["discovery"]
        assert _google.count("/oauth2/v1/certs") == 0
    finally:
        _microsoft.reset()
        _google.reset()


def test_https_url_names_the_setting():
    assert https_url("https://login.example/keys", "X_URL") == "https://login.example/keys"
    bad_urls = (
        "http://login.example/keys",
        "HTTP://login.example/keys",
        "ftp://login.example/keys",
        "https://",
        "login.example/keys",
        "//login.example/keys",
        "http://[::1/keys",
        "",
        None,
        42,
    )
    for bad in bad_urls:
        with pytest.raises(ValueError, match="X_URL must be an https:// URL"):
            https_url(bad, "X_URL")


@pytest.mark.parametrize(
    "headers, ttl",
    [
        ({}, 3600),
        ({"Cache-Control": "public, max-age=20000, must-revalidate, no-transform"}, 20000),
        ({"Cache-Control": "max-age=20000", "Age": "5000"}, 15000),
        ({"Cache-Control": "max-age=400", "Age": "390"}, MIN_TTL),
        ({"Cache-Control": "s-maxage=20000"}, 3600),
        ({"Cache-Control": "private, max-age=86400"}, 86400),
        ({"Cache-Control": "max-age=" + "9" * 5000}, MAX_TTL),
        ({"Cache-Control": "no-store"}, MIN_TTL),
    ],
)
def test_freshness(headers, ttl):
    assert freshness(headers) == ttl
