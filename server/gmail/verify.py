"""Who is calling a Gmail add-on endpoint: Google's add-on runtime, for which user.

An HTTP add-on request carries two Google-signed ID tokens, and both are checked here with
google-auth's `verify_token` (signature against Google's certificates, expiry, audience):
- the system ID token in `Authorization: Bearer` (the descriptor asks for `SYSTEM_ID_TOKEN`):
  issued to the deployment's add-on service account (`email`, with `email_verified`) for one of
  our endpoint URLs (`aud`). It proves the request comes from Google for our deployment; anyone
  can call our URLs, and only Google can mint this token.
- the user's ID token in `authorizationEventObject.userIdToken`, for the deployment's OAuth client:
  who is composing. Its hosted domain (`hd`) names the Workspace organisation, mapped to ours by
  the store's `google-domain` alias; a personal account has no `hd` and belongs to nobody.

Anything else is refused (401). Google's certificates are fetched once and kept for their
`Cache-Control: max-age`, so a request costs no round trip; when a token names a key we do not
have (Google rotated them), the certificates are fetched again, at most once a minute. Only an
answer that is certificates (a JSON object of key id -> PEM certificate) is kept: anything else
(a captive portal's or proxy's page answered with 200) counts as Google being unreachable (503)
and is asked again next time, rather than refusing every request for hours.
"""

from __future__ import annotations

import binascii
import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import requests
from google.auth import exceptions as auth_exceptions
from google.auth import jwt as google_jwt
from google.auth import transport
from google.auth.transport.requests import Request as RequestsTransport
from google.oauth2 import id_token

from ..store import AliasKind, org_for_alias
from .settings import GmailSettings

CLOCK_SKEW = 60  # seconds of clock difference tolerated on iat/exp
HTTP_TIMEOUT = 5  # seconds, fetching the certificates
DEFAULT_CERTS_TTL = 300.0  # seconds, when the certificates come without a max-age
MAX_CERTS_TTL = 6 * 3600.0
REFETCH_INTERVAL = 60.0  # seconds between forced re-fetches on an unknown key
MAX_TOKEN = 8192  # characters; Google's ID tokens are about 1 KB
MAX_CERTS_BYTES = 1024 * 1024  # Google's answer is a few KB
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"
_MAX_AGE = re.compile(r"max-age=(\d+)")


class Refused(Exception):
    """The request is not from Google for our deployment, or not for a known organisation. The
    message is the 401's detail: it names the check that failed, never a token or claim value."""


class CertificatesUnavailable(Exception):
    """Google's certificates could not be fetched, so nothing can be verified (503)."""


@dataclass(frozen=True, slots=True)
class GmailUser:
    """The verified caller: their organisation's slug, e-mail and Workspace domain."""

    org: str
    email: str | None = None
    domain: str | None = None


class CachedCertificates(transport.Request):
    """A google-auth transport that keeps each GET answer (the certificates) for its max-age."""

    def __init__(self, verify: str | bool = True, clock: Callable[[], float] = time.monotonic):
        # `verify` goes with each request: a session-wide one loses to $REQUESTS_CA_BUNDLE
        # (psf/requests#3829).
        self._inner = RequestsTransport(session=requests.Session())
        self._verify = verify
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, float, transport.Response]] = {}

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        if method != "GET":
            return self._inner(
                url, method, body, headers, timeout or HTTP_TIMEOUT, verify=self._verify, **kwargs
            )
        now = self._clock()
        with self._lock:
            hit = self._cache.get(url)
        if hit is not None and hit[0] > now:
            return hit[2]
        response = self._inner(
            url, method, None, headers, timeout or HTTP_TIMEOUT, verify=self._verify, **kwargs
        )
        if response.status == 200:
            if not _is_certificates(response.data):
                # Not kept, and not handed to google-auth (which would refuse every token as
                # invalid): Google's certificates are unavailable for now.
                raise auth_exceptions.TransportError("The answer is not certificates.")
            with self._lock:
                self._cache[url] = (now + _ttl(response.headers), now, response)
        return response

    def refetch_allowed(self, url: str) -> bool:
        """Drop `url`'s cached answer if it is older than a minute; whether it was dropped."""
        with self._lock:
            hit = self._cache.get(url)
            if hit is None or self._clock() - hit[1] < REFETCH_INTERVAL:
                return False
            del self._cache[url]
            return True


def _is_certificates(data: object) -> bool:
    """Whether `data` is Google's x509 certificates JSON: {key id: PEM certificate}."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if not isinstance(data, bytes) or len(data) > MAX_CERTS_BYTES:
        return False
    try:
        certificates = json.loads(data)
    except (ValueError, RecursionError):
        return False
    return (
        isinstance(certificates, dict)
        and bool(certificates)
        and all(
            isinstance(key, str)
            and isinstance(value, str)
            and value.lstrip().startswith(PEM_CERTIFICATE)
            for key, value in certificates.items()
        )
    )


def _ttl(headers) -> float:
    match = _MAX_AGE.search(headers.get("Cache-Control", "") or "")
    if not match:
        return DEFAULT_CERTS_TTL
    return min(float(match.group(1)), MAX_CERTS_TTL)


class Verifier:
    """Checks both ID tokens of an add-on request against the deployment's settings."""

    def __init__(self, settings: GmailSettings, certificates: CachedCertificates):
        self.settings = settings
        self.certificates = certificates

    def caller(
        self, authorization: str, user_id_token: str | None, audiences: Sequence[str], db
    ) -> GmailUser:
        """The verified user, or Refused; `audiences` are our endpoint URLs."""
        settings = self.settings
        if not settings.service_account or not settings.oauth_client_id:
            raise Refused(
                "The Gmail add-on is not configured on this server "
                "(GMAIL_ADDON_SERVICE_ACCOUNT, GMAIL_OAUTH_CLIENT_ID)."
            )
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Refused("Send Google's system ID token as 'Authorization: Bearer <token>'.")
        system = self._verify(token, list(audiences), "system ID token")
        if str(system.get("email", "")).lower() != settings.service_account:
            raise Refused("The system ID token is not for this deployment's service account.")
        if system.get("email_verified") is not True:
            raise Refused("The system ID token's e-mail is not verified.")

        if not isinstance(user_id_token, str) or not user_id_token.strip():
            raise Refused("The request has no user ID token (authorizationEventObject).")
        user = self._verify(user_id_token.strip(), settings.oauth_client_id, "user ID token")
        domain, email = user.get("hd"), user.get("email")
        if not isinstance(domain, str) or not domain:
            raise Refused("Personal Google accounts cannot use this add-on: no hosted domain.")
        if user.get("email_verified") is not True or not isinstance(email, str):
            raise Refused("The user ID token has no verified e-mail.")
        org = org_for_alias(db, AliasKind.GOOGLE_DOMAIN, domain)
        if org is None:
            raise Refused("This Google Workspace domain belongs to no organisation here.")
        return GmailUser(org=org.slug, email=email.strip().lower(), domain=domain.lower())

    def _verify(self, token: str, audience: str | list[str], what: str) -> dict:
        if len(token) > MAX_TOKEN:
            raise Refused(f"The {what} is too long.")
        try:  # refused before any certificate is fetched: a malformed token is bad input
            header = google_jwt.decode_header(token)
        except (ValueError, TypeError, binascii.Error, auth_exceptions.GoogleAuthError):
            raise Refused(f"The {what} is not a signed JWT.") from None
        if not isinstance(header, dict) or header.get("alg") != "RS256":
            raise Refused(f"The {what} is not signed the way Google signs ID tokens (RS256).")
        try:
            claims = self._decode(token, audience)
        except (ValueError, auth_exceptions.GoogleAuthError):
            # An unknown key id may mean Google rotated its keys since we fetched them.
            if not self.certificates.refetch_allowed(self.settings.certs_url):
                raise Refused(f"The {what} is invalid, expired or not for us.") from None
            try:
                claims = self._decode(token, audience)
            except (ValueError, auth_exceptions.GoogleAuthError):
                raise Refused(f"The {what} is invalid, expired or not for us.") from None
        if claims.get("iss") not in self.settings.issuers:
            raise Refused(f"The {what} was not issued by Google.")
        return claims

    def _decode(self, token: str, audience: str | list[str]) -> dict:
        try:
            return id_token.verify_token(
                token,
                self.certificates,
                audience=audience,
                certs_url=self.settings.certs_url,
                clock_skew_in_seconds=CLOCK_SKEW,
            )
        except auth_exceptions.TransportError as error:
            raise CertificatesUnavailable(type(error).__name__) from None
