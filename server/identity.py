"""Who is calling, and which policy applies to them.

This is the seam where authentication lives. It knows three kinds of caller on the JSON API:
anyone, in dev mode (organisation `local`); scripts holding an API key (`Authorization: Bearer
<key>`, keys configured in `API_KEYS` as key -> organisation); and people composing in Outlook,
whose bearer token is an Entra ID access token for our API (verified by server/entra.py; its
tenant id names the organisation through the store's `entra-tenant` alias). A bearer credential
that matches no API key and has the shape of a JWT is taken for an Entra token. (The Gmail add-on
verifies Google's ID tokens itself, server/gmail/verify.py.) When Entra's signing keys cannot be
fetched, no token can be checked: that is our outage, answered 503 (with `Retry-After`), never a
401 that would send the person through signing in again.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask import Request, current_app, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import ServiceUnavailable, Unauthorized

from linters import Policy

from .engine import current_storage
from .entra import RETRY_AFTER_FAILURE, EntraVerifier, KeysUnavailable, Rejected, looks_like_jwt
from .store import AliasKind, org_for_alias


@dataclass(frozen=True, slots=True)
class Identity:
    org: str  # the organisation's slug, e.g. "corp.example"
    method: str  # "dev" | "api-key" | "entra"
    tenant: str | None = None  # Entra: the tenant id (tid)
    user: str | None = None  # Entra: the user's object id (oid)
    # Entra: the verified access token, the user assertion of the on-behalf-of flow to Graph.
    # Kept out of repr (and so out of logs and error reports) and out of comparisons.
    assertion: str | None = field(default=None, repr=False, compare=False)


DEV_ORG = "local"
DEV = Identity(org=DEV_ORG, method="dev")


def dev_request() -> bool:
    """Dev mode, and this request comes from this machine. `draftlint serve --dev` binds to
    loopback only, but a proxy or a port forward could still bring others in: they get no free
    pass and must authenticate like anyone on a production server."""
    if not current_app.config.get("DEV_MODE"):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def authenticate(
    request: Request,
    *,
    dev_mode: bool,
    api_keys: Mapping[str, str],
    entra: EntraVerifier | None = None,
) -> Identity:
    """Return the caller's identity, or raise a 401 problem (a 503 when Entra's signing keys
    cannot be fetched)."""
    if dev_mode:
        return DEV
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized(
            "Send an API key or an Entra access token as 'Authorization: Bearer <token>'."
        )
    org = _org_for_key(token, api_keys)
    if org is not None:
        return Identity(org=org, method="api-key")
    if looks_like_jwt(token):
        return _entra_identity(token, entra)
    raise _unauthorized("Unknown API key.")


def _entra_identity(token: str, entra: EntraVerifier | None) -> Identity:
    if entra is None or not entra.settings.accepts_tokens:
        raise _unauthorized("This server does not accept Entra access tokens.")
    try:
        verified = entra.verify(token)
    except Rejected as rejected:
        raise _unauthorized(str(rejected)) from None
    except KeysUnavailable as unavailable:
        raise ServiceUnavailable(str(unavailable), retry_after=int(RETRY_AFTER_FAILURE)) from None
    with current_storage().sessions() as db:
        org = org_for_alias(db, AliasKind.ENTRA_TENANT, verified.tenant)
        slug = org.slug if org is not None else None
    if slug is None:
        raise _unauthorized("Your Microsoft 365 tenant is not set up on this draftlint server.")
    return Identity(
        org=slug,
        method="entra",
        tenant=verified.tenant,
        user=verified.user,
        assertion=verified.assertion,
    )


def _org_for_key(token: str, api_keys: Mapping[str, str]) -> str | None:
    # Compare against every key, without stopping at a match, so timing says nothing about
    # which key (or how much of one) matched.
    found = None
    given = token.encode()
    for key, org in api_keys.items():
        if hmac.compare_digest(given, key.encode()):
            found = org
    return found


def _unauthorized(detail: str) -> Unauthorized:
    return Unauthorized(detail, www_authenticate=WWWAuthenticate("bearer", {"realm": "draftlint"}))


def resolve_policy(identity: Identity, default: Policy) -> Policy:
    """The policy to lint under for this caller: their organisation's published version, or
    `default` while it has none. Cached per process and rechecked every few seconds."""
    return current_storage().policies.policy_for(identity.org, default)
