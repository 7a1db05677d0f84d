"""Who is calling a Gmail add-on endpoint: Google's add-on runtime, for which user.

An HTTP add-on request carries two Google-signed ID tokens, and both are checked here (signature
against Google's certificates, expiry, audience, issuer):
- the system ID token in `Authorization: Bearer` (the descriptor asks for `SYSTEM_ID_TOKEN`):
  issued to the deployment's add-on service account (`email`, with `email_verified`) for one of
  our endpoint URLs (`aud`). It proves the request comes from Google for our deployment; anyone
  can call our URLs, and only Google can mint this token.
- the user's ID token in `authorizationEventObject.userIdToken`, for the deployment's OAuth client:
  who is composing. Its hosted domain (`hd`) names the Workspace organisation, mapped to ours by
  the store's `google-domain` alias; a personal account has no `hd` and belongs to nobody.

Anything else is refused (401). Google's certificates are kept by the rules of server/keys.py,
shared with Entra and admin sign-in: for their `Cache-Control: max-age`, refreshed in the
background, fetched again at most once a minute when a token names a key we do not have (Google
rotated them). Only an answer that is certificates (or a JWK set) is kept: anything else (a
captive portal's or proxy's page answered with 200) counts as Google being unreachable (503)
and is asked again ten seconds later, rather than refusing every request for hours.

The tokens are checked with PyJWT against the keys in that cache (`verify_jwt`), for the same
claims google-auth's `verify_token` checks (signature, `aud`, `exp` and `iat` within a minute),
then the issuer as `verify_oauth2_token` does: google-auth fetches the certificates through a
transport on every call, so keeping its caching rules in step with ours took an adapter; with the
key in hand, PyJWT is one call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jwt

from ..keys import KeyCache, KeysUnavailable, MalformedToken, verify_jwt
from ..store import AliasKind, org_for_alias
from .settings import GmailSettings

MAX_TOKEN = 8192  # characters; Google's ID tokens are about 1 KB

# Google's certificates cannot be fetched, so nothing can be verified (503); routes.py catches it.
CertificatesUnavailable = KeysUnavailable


class Refused(Exception):
    """The request is not from Google for our deployment, or not for a known organisation. The
    message is the 401's detail: it names the check that failed, never a token or claim value."""


@dataclass(frozen=True, slots=True)
class GmailUser:
    """The verified caller: their organisation's slug, e-mail and Workspace domain."""

    org: str
    email: str | None = None
    domain: str | None = None


class Verifier:
    """Checks both ID tokens of an add-on request against the deployment's settings."""

    def __init__(self, settings: GmailSettings, *, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.keys = KeyCache(
            settings.certs_url,
            setting="GMAIL_CERTS_URL",
            ca_bundle=settings.ca_bundle,
            name="Google's signing certificates",
            clock=clock,
        )

    def caller(
        self, authorization: str, user_id_token: str | None, audiences: Sequence[str], db
    ) -> GmailUser:
        """The verified user, or Refused; `audiences` are our endpoint URLs. `db` finds the
        user's organisation: a store session, or a function from the Workspace domain to the
        organisation's slug (None: no organisation here)."""
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
        if callable(db):  # the routes' look-up, which answers while the database is down
            slug = db(domain)
        else:
            org = org_for_alias(db, AliasKind.GOOGLE_DOMAIN, domain)
            slug = org.slug if org is not None else None
        if slug is None:
            raise Refused("This Google Workspace domain belongs to no organisation here.")
        return GmailUser(org=slug, email=email.strip().lower(), domain=domain.lower())

    def _verify(self, token: str, audience: str | list[str], what: str) -> dict:
        if len(token) > MAX_TOKEN:
            raise Refused(f"The {what} is too long.")
        try:  # a malformed token is refused before any certificate is fetched: bad input
            claims = verify_jwt(token, self.keys, audience=audience)
        except MalformedToken:
            raise Refused(f"The {what} is not a signed JWT.") from None
        except jwt.InvalidAlgorithmError:
            raise Refused(
                f"The {what} is not signed the way Google signs ID tokens (RS256)."
            ) from None
        except jwt.InvalidTokenError:
            raise Refused(f"The {what} is invalid, expired or not for us.") from None
        if claims.get("iss") not in self.settings.issuers:
            raise Refused(f"The {what} was not issued by Google.")
        return claims
