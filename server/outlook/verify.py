"""Entra ID access tokens for our API: how the Outlook add-in proves who is composing.

The add-in gets an access token for our API (nested app authentication, or
`Office.auth.getAccessToken`) and sends it as `Authorization: Bearer <token>`. `EntraVerifier`
checks it as a v2.0 access token (the app registration's `accessTokenAcceptedVersion` is 2):
- signed with RS256 by one of Entra's signing keys (JWKS, from OpenID discovery or configured); any
  other algorithm, `none` included, is refused before a key is looked at;
- `iss` is `https://login.microsoftonline.com/{tid}/v2.0` for the token's own tenant id `tid`,
  which must be a GUID (it goes into URLs: the issuer and the on-behalf-of authority);
- `aud` is our client id or our application ID URI (`api://<host>/<client id>`);
- `scp` holds `access_as_user`; `exp` and `nbf` hold, with a minute of clock skew;
- `oid`, the user's object id, is a GUID: what is cached per user (server/enrich.py) is keyed by
  it, so a token without one could share a cache entry with everyone else in its tenant.
Which organisation the tenant is belongs to the store (server/identity.py maps it).

The signing keys are fetched once and kept for a day. A token naming a key we do not have (Entra
rolled its keys) makes us fetch them again, at most once a minute, so a stream of forged key ids
cannot turn us into a JWKS-fetching loop. No lock is held while fetching: with keys in hand, the
daily refresh runs in the background and every request goes on with the keys it has; only a
request whose key id is unknown (or one arriving before any keys were fetched) waits for a fetch,
and a refresh that fails keeps the keys we have. `Rejected` messages name the check that failed,
never a token or claim value; the token itself is never logged. When the keys cannot be had at
all (discovery or the JWKS unreachable, or answering something that is not a discovery document
or a key set) verification raises `KeysUnavailable`: our outage, not a bad token (a 503).

Configuration (each key from the app config, else `$DRAFTLINT_<KEY>`, else the default):
- `OUTLOOK_CLIENT_ID`: the add-in's app registration; Entra tokens are accepted only when set.
- `OUTLOOK_CLIENT_SECRET`: its secret, for the on-behalf-of flow to Microsoft Graph
  (server/graph.py); without it tokens are still accepted, and drafts are linted without Graph.
- `OUTLOOK_APP_ID_URI`: the application ID URI, also accepted as audience (`api://host/<id>`).
- `OUTLOOK_OPENID_CONFIG` (Entra's multi-tenant discovery document by default) or
  `OUTLOOK_JWKS_URI` (wins when set): where the signing keys are.
- `OUTLOOK_ISSUER`: the issuer template, `{tenantid}` standing for the token's `tid`.
- `OUTLOOK_AUTHORITY` (`https://login.microsoftonline.com/{tenantid}`) or
  `OUTLOOK_OIDC_AUTHORITY` (a non-Entra OpenID provider for MSAL, with `{tenantid}`; the tests'
  stand-in); `OUTLOOK_GRAPH_URL` (https://graph.microsoft.com/v1.0); `OUTLOOK_GRAPH_SCOPES`
  (space-separated; Graph's `.default`); `OUTLOOK_GRAPH_TIMEOUT` (seconds per call, 1);
  `OUTLOOK_GRAPH_BUDGET` (seconds for all of a lint's look-ups, 1.5);
  `OUTLOOK_GROUP_CACHE_SECONDS` (3600): see server/graph.py and server/enrich.py.
- `OIDC_CA_BUNDLE`: a CA file trusted for all of these calls (the tests' self-signed stand-in).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import jwt
import requests

log = logging.getLogger(__name__)

ENTRA_OPENID_CONFIG = (
    "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
)
ENTRA_ISSUER = "https://login.microsoftonline.com/{tenantid}/v2.0"
ENTRA_AUTHORITY = "https://login.microsoftonline.com/{tenantid}"
GRAPH_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPES = ("https://graph.microsoft.com/.default",)
REQUIRED_SCOPE = "access_as_user"
ALGORITHM = "RS256"

CLOCK_SKEW = 60  # seconds tolerated on exp/nbf/iat
MAX_TOKEN = 16_384  # characters; Entra access tokens are 1-4 KB, more with many claims
KEYS_TTL = 24 * 3600.0  # Entra asks relying parties to refresh their keys daily
REFETCH_INTERVAL = 60.0  # at most one forced re-fetch per minute for an unknown key id
RETRY_AFTER_FAILURE = 10.0  # how long a failed fetch is not retried
KEYS_TIMEOUT = 3.0  # seconds per call for discovery and the keys
KEYS_WAIT = 2 * KEYS_TIMEOUT + 1.0  # how long a request waits for another request's fetch
MAX_KEYS_BYTES = 1_000_000
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class Rejected(Exception):
    """The bearer token is not a valid access token for us; the message is the 401's detail."""


class KeysUnavailable(Exception):
    """Entra's signing keys cannot be fetched, so no token can be checked: our outage, not the
    caller's fault (a 503, not a 401). The message is the 503's detail."""

    def __init__(self, message: str = "Microsoft's signing keys are unreachable; try again."):
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class EntraSettings:
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    app_id_uri: str | None = None
    openid_config: str = ENTRA_OPENID_CONFIG
    jwks_uri: str | None = None
    issuer: str = ENTRA_ISSUER
    authority: str = ENTRA_AUTHORITY
    oidc_authority: str | None = None
    graph_url: str = GRAPH_URL
    graph_scopes: tuple[str, ...] = GRAPH_SCOPES
    graph_timeout: float = 1.0
    graph_budget: float = 1.5
    group_cache_seconds: float = 3600.0
    ca_bundle: str | bool = True

    @classmethod
    def from_config(cls, config: Mapping) -> EntraSettings:
        def get(key: str, default=None):
            value = config.get(key)
            if value is None:
                value = os.environ.get(f"DRAFTLINT_{key}")
            return default if value is None or value == "" else value

        scopes = get("OUTLOOK_GRAPH_SCOPES", GRAPH_SCOPES)
        if isinstance(scopes, str):
            scopes = scopes.split()
        return cls(
            client_id=get("OUTLOOK_CLIENT_ID"),
            client_secret=get("OUTLOOK_CLIENT_SECRET"),
            app_id_uri=get("OUTLOOK_APP_ID_URI"),
            openid_config=get("OUTLOOK_OPENID_CONFIG", ENTRA_OPENID_CONFIG),
            jwks_uri=get("OUTLOOK_JWKS_URI"),
            issuer=get("OUTLOOK_ISSUER", ENTRA_ISSUER),
            authority=get("OUTLOOK_AUTHORITY", ENTRA_AUTHORITY),
            oidc_authority=get("OUTLOOK_OIDC_AUTHORITY"),
            graph_url=get("OUTLOOK_GRAPH_URL", GRAPH_URL).rstrip("/"),
            graph_scopes=tuple(scopes),
            graph_timeout=float(get("OUTLOOK_GRAPH_TIMEOUT", 1.0)),
            graph_budget=float(get("OUTLOOK_GRAPH_BUDGET", 1.5)),
            group_cache_seconds=float(get("OUTLOOK_GROUP_CACHE_SECONDS", 3600.0)),
            ca_bundle=get("OIDC_CA_BUNDLE", True),
        )

    @property
    def accepts_tokens(self) -> bool:
        return bool(self.client_id)

    @property
    def audiences(self) -> tuple[str, ...]:
        return tuple(a for a in (self.client_id, self.app_id_uri) if a)


@dataclass(frozen=True, slots=True)
class EntraToken:
    """A verified access token: whose (tenant, user object id) and the token itself, which the
    on-behalf-of flow presents as the user's assertion. Never in a repr, never logged."""

    tenant: str
    user: str
    assertion: str = field(repr=False)


def looks_like_jwt(token: str) -> bool:
    """Three dot-separated base64url parts: a JWS in compact form, not an API key."""
    parts = token.split(".")
    return len(parts) == 3 and all(_BASE64URL.fullmatch(p) for p in parts)


class _Fetch:
    """One fetch of the keys in progress; others who need its result wait on `done`."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False


class SigningKeys:
    """Entra's signing keys by key id, fetched on first use and kept for a day; an unknown key
    id triggers a re-fetch at most once per `REFETCH_INTERVAL`. One fetch at a time, never under
    the lock: requests whose key is known are answered from the keys in hand meanwhile."""

    def __init__(
        self, settings: EntraSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._jwks_uri = settings.jwks_uri
        self._keys: dict[str, jwt.PyJWK] = {}  # replaced whole, never changed in place
        self._expires = 0.0
        self._last_forced: float | None = None
        self._retry_at = 0.0
        self._fetch_in_progress: _Fetch | None = None
        self._last_fetch_ok = True
        self.fetches = 0  # how many times the keys were fetched (for the tests and logs)

    def get(self, kid: str) -> jwt.PyJWK | None:
        """The key named `kid`, None when Entra has no such key; KeysUnavailable when the keys
        cannot be fetched, and we have none or this token's key may be among those we lack."""
        with self._lock:
            now = self._clock()
            key = self._keys.get(kid)
            stale = now >= self._expires and now >= self._retry_at
            if self._keys and stale and self._fetch_in_progress is None:
                self._start_fetch(now, background=True)  # the daily refresh
            if key is not None:
                return key
            fetch = self._fetch_in_progress
            if fetch is None:
                if self._keys:  # a key id we do not have: Entra may have rolled its keys
                    recent = self._last_forced is not None and (
                        now - self._last_forced < REFETCH_INTERVAL
                    )
                    if recent or now < self._retry_at:
                        if not self._last_fetch_ok:  # we cannot tell whether Entra has it
                            raise KeysUnavailable()
                        return None
                    self._last_forced = now
                elif now < self._retry_at:
                    raise KeysUnavailable()
                fetch = self._start_fetch(now, background=False)
                lead = True
            else:
                lead = False
        if lead:
            self._run(fetch, now)
        else:
            fetch.done.wait(KEYS_WAIT)
        with self._lock:
            key = self._keys.get(kid)
        if key is None and not fetch.ok:
            raise KeysUnavailable()  # not known whether Microsoft publishes it
        return key

    def _start_fetch(self, now: float, *, background: bool) -> _Fetch:
        """With the lock held: a new fetch, run by the caller or (background) by a thread."""
        fetch = self._fetch_in_progress = _Fetch()
        if background:
            threading.Thread(
                target=self._run, args=(fetch, now), name="entra-keys", daemon=True
            ).start()
        return fetch

    def _run(self, fetch: _Fetch, now: float) -> None:
        try:
            keys = self._fetch()
        except Exception as error:  # unreachable, or not a discovery document / key set
            # Keep any keys we have; do not try again for a few seconds.
            log.warning("Entra signing keys could not be fetched: %s", type(error).__name__)
            with self._lock:
                self._retry_at = now + RETRY_AFTER_FAILURE
                self._last_fetch_ok = False
        else:
            with self._lock:
                self._keys = keys
                self._expires = now + KEYS_TTL
                self._last_fetch_ok = True
            fetch.ok = True
        finally:
            with self._lock:
                if self._fetch_in_progress is fetch:
                    self._fetch_in_progress = None
            fetch.done.set()

    def _fetch(self) -> dict[str, jwt.PyJWK]:
        self.fetches += 1
        jwks_uri = self._jwks_uri
        if jwks_uri is None:
            jwks_uri = self._get_json(self._settings.openid_config).get("jwks_uri")
            if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
                raise ValueError("discovery document without a jwks_uri")
        keys = jwt.PyJWKSet.from_dict(self._get_json(jwks_uri))
        found = {
            k.key_id: k
            for k in keys.keys
            if isinstance(k.key_id, str) and k.key_id and k.key_type == "RSA"
        }
        if not found:
            raise ValueError("no RSA signing keys")
        self._jwks_uri = jwks_uri
        return found

    def _get_json(self, url: str) -> dict:
        response = requests.get(url, timeout=KEYS_TIMEOUT, verify=self._settings.ca_bundle)
        response.raise_for_status()
        if len(response.content) > MAX_KEYS_BYTES:
            raise ValueError("answer too large")
        data = response.json()
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return data


class EntraVerifier:
    """Verifies Entra access tokens for our API against the configured app registration."""

    def __init__(
        self, settings: EntraSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self.keys = SigningKeys(settings, clock=clock)

    def verify(self, token: str) -> EntraToken:
        if len(token) > MAX_TOKEN:
            raise Rejected("The access token is too long.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise Rejected("The bearer token is not a valid JWT.") from None
        if header.get("alg") != ALGORITHM:
            raise Rejected(f"The access token must be signed with {ALGORITHM}.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Rejected("The access token names no signing key (kid).")
        key = self.keys.get(kid)
        if key is None:
            raise Rejected("The access token is signed with a key Microsoft does not publish.")
        claims = self._decode(token, key)
        tenant = claims["tid"]
        if not isinstance(tenant, str) or not _GUID.fullmatch(tenant):
            raise Rejected("The access token's tenant id (tid) is not a GUID.")
        if claims.get("iss") != self.settings.issuer.replace("{tenantid}", tenant):
            raise Rejected("The access token was not issued by its tenant (iss).")
        scopes = claims.get("scp")
        if not isinstance(scopes, str) or REQUIRED_SCOPE not in scopes.split():
            raise Rejected(f"The access token lacks the '{REQUIRED_SCOPE}' scope (scp).")
        user = claims.get("oid")
        if not isinstance(user, str) or not _GUID.fullmatch(user.lower()):
            raise Rejected("The access token's user object id (oid) is missing or not a GUID.")
        return EntraToken(tenant=tenant, user=user.lower(), assertion=token)

    def _decode(self, token: str, key: jwt.PyJWK) -> dict:
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                audience=list(self.settings.audiences),
                leeway=CLOCK_SKEW,
                options={"require": ["exp", "iss", "aud", "tid"]},
            )
        except jwt.ExpiredSignatureError:
            raise Rejected("The access token has expired.") from None
        except jwt.ImmatureSignatureError:
            raise Rejected("The access token is not valid yet (nbf/iat).") from None
        except jwt.InvalidAudienceError:
            raise Rejected("The access token is not for this API (aud).") from None
        except jwt.InvalidSignatureError:
            raise Rejected("The access token's signature does not verify.") from None
        except jwt.MissingRequiredClaimError as error:
            raise Rejected(f"The access token has no '{error.claim}' claim.") from None
        except jwt.InvalidTokenError:
            raise Rejected("The access token is malformed.") from None
