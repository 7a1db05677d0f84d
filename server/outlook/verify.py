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
- `oid`, the user's object id, is a GUID: what is cached per user (enrich.py) is keyed by
  it, so a token without one could share a cache entry with everyone else in its tenant.
Which organisation the tenant is belongs to the store (server/identity.py maps it).

The signing keys (from OpenID discovery, or the configured JWKS URI) are kept by the rules of
server/keys.py, shared with Gmail and admin sign-in: kept for the answer's max-age (5 minutes to a
day, an hour when it says nothing), refreshed in the background, fetched again at most once a
minute when a token names a key we do not have (Entra rolled its keys), and a failed fetch keeps
the keys we have. `Rejected` messages name the check that failed, never a token or claim value;
the token itself is never logged. When the keys cannot be had at all (discovery or the JWKS
unreachable, or answering something that is not a discovery document or a key set) verification
raises `KeysUnavailable`: our outage, not a bad token (a 503).

Configuration: server/outlook/settings.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from ..keys import ALGORITHM, CLOCK_SKEW, KeyCache
from ..keys import RETRY_AFTER_FAILURE as RETRY_AFTER_FAILURE  # re-exported for identity.py
from ..keys import KeysUnavailable as KeysUnavailable  # re-exported: a 503, not a 401
from .settings import OutlookSettings

REQUIRED_SCOPE = "access_as_user"
MAX_TOKEN = 16_384  # characters; Entra access tokens are 1-4 KB, more with many claims
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class Rejected(Exception):
    """The bearer token is not a valid access token for us; the message is the 401's detail."""


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


class EntraVerifier:
    """Verifies Entra access tokens for our API against the configured app registration."""

    def __init__(
        self, settings: OutlookSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self.keys = KeyCache(
            settings.jwks_uri or settings.openid_config,
            setting="OUTLOOK_JWKS_URI" if settings.jwks_uri else "OUTLOOK_OPENID_CONFIG",
            discovery=settings.jwks_uri is None,
            ca_bundle=settings.ca_bundle,
            name="Microsoft's signing keys",
            clock=clock,
        )

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

    def _decode(self, token: str, key: RSAPublicKey) -> dict:
        try:
            return jwt.decode(
                token,
                key,
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
