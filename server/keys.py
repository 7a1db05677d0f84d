"""Issuers' signing keys, fetched and kept by one set of rules, and the JWT check that uses them.

Three kinds of token are checked against keys their issuer publishes: Entra access tokens for our
API (server/outlook/verify.py), the Google ID tokens of Gmail add-on requests
(server/gmail/verify.py), and the ID tokens of admin sign-in, Microsoft's and Google's
(server/admin/sign_in.py). Each source of keys gets one `KeyCache`, built once per app, and every
cache follows the same rules:
- The source is an https URL: a JWK set (`{"keys": [...]}`), Google's x509 certificates JSON
  (`{key id: PEM certificate}`; which of the two is read from the answer), or an OpenID discovery
  document whose `jwks_uri` leads to a JWK set (read on the first fetch, its `jwks_uri` kept).
  Keys fetched over plain http could be anyone's: a non-https URL is refused when it is configured
  (`https_url`: a ValueError naming the setting, so the app does not start) and, for a discovered
  `jwks_uri`, when it is fetched (a failed fetch). Redirects are not followed.
- Only RSA signing keys with a key id are kept (every token we accept is RS256), by key id.
- Keys are fresh for the answer's `Cache-Control: max-age` (less its `Age`), bounded to
  [5 minutes, 24 hours]: Google states a max-age (hours), Entra asks relying parties to refresh at
  least daily. An answer that states none is kept for an hour: such a provider gives no guidance,
  a refresh costs one background request, and a key its issuer withdraws stops being trusted
  within the hour rather than the day. (A key rolled *in* never waits for this: see below.)
- Stale keys are refreshed in the background; meanwhile every request goes on with the keys in
  hand.
- A token naming a key id we do not have (the issuer rolled its keys) forces a fetch, at most
  once a minute, so a stream of forged key ids cannot turn us into a key-fetching loop.
- A fetch that fails keeps the keys we have, and is not tried again for 10 seconds.
- One fetch at a time per cache, in its own thread, never under the lock: a request waits (at
  most `FETCH_WAIT`) only when its key id is unknown or no keys were had yet.
- An answer over 1 MB, slower than its timeout, or that is not a key set with at least one usable
  key (a captive portal's or a proxy's 200 page) is a failed fetch, never kept.
- When no key can be had for a token (no keys yet, or its key id unknown and the fetch failed),
  `get` raises `KeysUnavailable`: our outage, a 503, not a bad token (401).

Verification stays with PyJWT. `verify_jwt` checks an ID token the way google-auth's
`verify_token` did (signature, `aud`, `exp` and `iat` present and within a minute's skew), with
the key from the cache; the callers check the issuer and their own claims.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import urlsplit

import jwt
import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

log = logging.getLogger(__name__)

ALGORITHM = "RS256"
CLOCK_SKEW = 60  # seconds tolerated on exp/nbf/iat
MIN_TTL = 5 * 60.0
MAX_TTL = 24 * 3600.0
DEFAULT_TTL = 3600.0  # when the answer states no max-age (see above)
REFETCH_INTERVAL = 60.0  # at most one forced fetch per minute for an unknown key id
RETRY_AFTER_FAILURE = 10.0  # how long a failed fetch is not tried again
FETCH_TIMEOUT = 3.0  # seconds per call (connect, each read) and for reading an answer
FETCH_WAIT = 2 * FETCH_TIMEOUT + 1.0  # how long a request waits for a fetch (discovery + keys)
MAX_ANSWER_BYTES = 1_000_000  # a key set is a few KB
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


class KeysUnavailable(Exception):
    """The signing keys cannot be fetched, so the token cannot be checked: our outage, not the
    caller's fault (a 503, not a 401). The message is the 503's detail."""

    def __init__(self, message: str = "The signing keys are unreachable; try again."):
        super().__init__(message)


class MalformedToken(jwt.InvalidTokenError):
    """Not a JWS in compact form with a readable header."""


class UnknownKeyId(jwt.InvalidTokenError):
    """The token names no key id, or one its issuer does not publish."""


def https_url(url: object, setting: str) -> str:
    """`url` if it is an https URL with a host; ValueError naming `setting` otherwise."""
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        secure = parts is not None and parts.scheme.lower() == "https" and bool(parts.hostname)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        secure = False
    if not secure:
        raise ValueError(
            f"{setting} must be an https:// URL (got {url!r}): signing keys fetched over plain "
            "http could be anyone's"
        )
    return url


class _Fetch:
    """One fetch in progress; the requests that need its result wait on `done`."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False


class KeyCache:
    """An issuer's signing keys by key id, from `url` (a JWK set or Google's certificates, or
    with `discovery` an OpenID discovery document), kept by the rules of the module docstring.
    `setting` names where the URL is configured (for the ValueError of a non-https one); `name`
    ("Microsoft's signing keys") is used in `KeysUnavailable`'s message and in the log."""

    def __init__(
        self,
        url: str,
        *,
        setting: str,
        discovery: bool = False,
        ca_bundle: str | bool = True,
        name: str = "The signing keys",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = https_url(url, setting)
        self.name = name
        self._ca_bundle = ca_bundle
        self._clock = clock
        self._lock = threading.Lock()
        self._keys_url = None if discovery else url  # found through discovery on first fetch
        self._keys: dict[str, RSAPublicKey] = {}  # replaced whole, never changed in place
        self._expires = 0.0
        self._last_forced: float | None = None
        self._retry_at = 0.0
        self._fetch: _Fetch | None = None
        self._last_fetch_ok = True
        self.fetches = 0  # how many fetches were started (for the tests and the logs)

    def get(self, kid: str) -> RSAPublicKey | None:
        """The key named `kid`; None when the issuer publishes no such key; KeysUnavailable
        when the keys cannot be fetched and we have none, or this key id may be among those we
        lack."""
        with self._lock:
            now = self._clock()
            key = self._keys.get(kid)
            stale = now >= self._expires and now >= self._retry_at
            if self._keys and stale and self._fetch is None:
                self._start(now)  # refreshed behind the requests, which use the keys in hand
            if key is not None:
                return key
            fetch = self._fetch
            if fetch is None:
                if self._keys:  # a key id we do not have: the issuer may have rolled its keys
                    recent = self._last_forced is not None and (
                        now - self._last_forced < REFETCH_INTERVAL
                    )
                    if recent or now < self._retry_at:
                        if not self._last_fetch_ok:  # we cannot tell whether it publishes it
                            raise self._unavailable()
                        return None
                    self._last_forced = now
                elif now < self._retry_at:
                    raise self._unavailable()
                fetch = self._start(now)
        fetch.done.wait(FETCH_WAIT)
        with self._lock:
            key = self._keys.get(kid)
        if key is None and not fetch.ok:
            raise self._unavailable()  # not known whether the issuer publishes it
        return key

    def _unavailable(self) -> KeysUnavailable:
        return KeysUnavailable(f"{self.name} are unreachable; try again.")

    def _start(self, now: float) -> _Fetch:
        """With the lock held: a new fetch, run by a thread of its own, so that a request waits
        for it at most FETCH_WAIT however slowly the issuer answers."""
        fetch = self._fetch = _Fetch()
        self.fetches += 1
        thread = threading.Thread(target=self._run, args=(fetch, now), name="signing-keys")
        thread.daemon = True
        thread.start()
        return fetch

    def _run(self, fetch: _Fetch, now: float) -> None:
        try:
            keys, ttl = self._fetch_keys()
        except Exception as error:  # unreachable, or not a discovery document / key set
            # Keep any keys we have; do not try again for a few seconds.
            log.warning(
                "%s could not be fetched from %s: %s: %.200s",
                self.name,
                self.url,
                type(error).__name__,
                error,
            )
            with self._lock:
                self._retry_at = now + RETRY_AFTER_FAILURE
                self._last_fetch_ok = False
        else:
            with self._lock:
                self._keys = keys
                self._expires = now + ttl
                self._retry_at = 0.0
                self._last_fetch_ok = True
            fetch.ok = True
        finally:
            with self._lock:
                if self._fetch is fetch:
                    self._fetch = None
            fetch.done.set()

    def _fetch_keys(self) -> tuple[dict[str, RSAPublicKey], float]:
        keys_url = self._keys_url
        if keys_url is None:
            document, _ = self._get_json(self.url)
            found = document.get("jwks_uri") if isinstance(document, dict) else None
            keys_url = https_url(found, "the discovery document's jwks_uri")
        answer, ttl = self._get_json(keys_url)
        keys = parse_keys(answer)
        self._keys_url = keys_url  # only the one fetch in progress writes it
        return keys, ttl

    def _get_json(self, url: str) -> tuple[object, float]:
        """The JSON answer at `url` and how long it may be kept; ValueError (or requests'
        errors) for anything but a timely 200 of at most MAX_ANSWER_BYTES of JSON."""
        with requests.get(
            url,
            timeout=FETCH_TIMEOUT,
            verify=self._ca_bundle,
            allow_redirects=False,  # a redirect could lead anywhere, http:// included
            stream=True,
            headers={"Accept": "application/json"},
        ) as response:
            if response.status_code != 200:
                raise ValueError(f"HTTP status {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
                raise ValueError("the answer is too large")
            body = bytearray()
            deadline = time.monotonic() + FETCH_TIMEOUT
            for chunk in response.iter_content(16 * 1024):
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise ValueError("the answer is too large")
                if time.monotonic() > deadline:
                    raise TimeoutError("the answer is too slow")
            ttl = freshness(response.headers)
        try:
            return json.loads(bytes(body)), ttl
        except (ValueError, RecursionError):
            raise ValueError("the answer is not JSON") from None


def parse_keys(answer: object) -> dict[str, RSAPublicKey]:
    """The RSA signing keys by key id in a JWK set or in Google's x509 certificates JSON; keys
    that cannot be used are skipped. ValueError when none is left: the answer is not a key set."""
    if not isinstance(answer, dict):
        raise ValueError("the answer is not a JSON object")
    found: dict[str, RSAPublicKey] = {}
    if "keys" in answer:  # a JWK set
        entries = answer["keys"]
        for entry in entries if isinstance(entries, list) else ():
            if not (
                isinstance(entry, dict)
                and entry.get("kty") == "RSA"
                and entry.get("use", "sig") == "sig"
                and entry.get("alg", ALGORITHM) == ALGORITHM
                and isinstance(entry.get("kid"), str)
                and entry["kid"]
            ):
                continue
            try:
                key = jwt.PyJWK(entry).key
            except (jwt.PyJWTError, ValueError, TypeError, KeyError):
                continue
            if isinstance(key, RSAPublicKey):
                found[entry["kid"]] = key
    else:  # Google's {key id: PEM certificate}
        for kid, pem in answer.items():
            if not (kid and isinstance(pem, str) and pem.lstrip().startswith(PEM_CERTIFICATE)):
                continue
            try:
                key = x509.load_pem_x509_certificate(pem.encode()).public_key()
            except ValueError:
                continue
            if isinstance(key, RSAPublicKey):
                found[kid] = key
    if not found:
        raise ValueError("the answer holds no RSA signing key")
    return found


def freshness(headers: Mapping[str, str]) -> float:
    """Seconds an answer stays fresh: its max-age less its Age, within [MIN_TTL, MAX_TTL];
    DEFAULT_TTL when it states no max-age, MIN_TTL when it asks not to be cached."""
    cache_control = headers.get("Cache-Control") or ""
    if re.search(r"no-cache|no-store", cache_control, re.IGNORECASE):
        return MIN_TTL
    match = _MAX_AGE.search(cache_control)
    if match is None:
        return DEFAULT_TTL
    digits = match.group(1)
    seconds = float(digits) if len(digits) <= 12 else MAX_TTL
    age = headers.get("Age") or ""
    if age.isdigit() and len(age) <= 12:
        seconds -= float(age)
    return min(max(seconds, MIN_TTL), MAX_TTL)


def verify_jwt(
    token: str,
    keys: KeyCache,
    *,
    audience: str | Sequence[str],
    leeway: float = CLOCK_SKEW,
) -> dict:
    """The claims of an RS256 JWT signed with a key of `keys`, for `audience`, with `exp`,
    `iat` (neither beyond `leeway`), `aud` and `iss` present: what google-auth's `verify_token`
    checks of an ID token; the caller checks `iss` and its own claims. Raises MalformedToken,
    jwt.InvalidAlgorithmError (not RS256), UnknownKeyId (checked before any key is fetched or
    looked up, in that order) or another jwt.InvalidTokenError; KeysUnavailable when the keys
    cannot be had."""
    if not token.isascii():  # a JWT is base64url and dots; PyJWT would raise UnicodeEncodeError
        raise MalformedToken("The token is not a signed JWT.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise MalformedToken("The token is not a signed JWT.") from None
    if header.get("alg") != ALGORITHM:
        raise jwt.InvalidAlgorithmError(f"The token is not signed with {ALGORITHM}.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise UnknownKeyId("The token names no signing key (kid).")
    key = keys.get(kid)
    if key is None:
        raise UnknownKeyId("The token is signed with a key its issuer does not publish.")
    return jwt.decode(
        token,
        key,
        algorithms=[ALGORITHM],
        audience=list(audience) if not isinstance(audience, str) else audience,
        leeway=leeway,
        options={"require": ["exp", "iat", "aud", "iss"]},
    )
