"""Who is calling, and which policy applies to them.

This is the seam where authentication lives. It knows three kinds of caller on the JSON API:
anyone, in dev mode (organisation `local`); scripts holding an API key (`Authorization: Bearer
<key>`, keys configured in `API_KEYS` as key -> organisation); and people composing in Outlook,
whose bearer token is an Entra ID access token for our API (verified by server/outlook/verify.py;
its tenant id names the organisation through the store's `entra-tenant` alias). A bearer credential
that matches no API key and has the shape of a JWT is taken for an Entra token. (The Gmail add-on
verifies Google's ID tokens itself, server/gmail/verify.py.) When Entra's signing keys cannot be
fetched, no token can be checked: that is our outage, answered 503 (with `Retry-After`), never a
401 that would send the person through signing in again.

When the database is down the lint still answers (DESIGN.md, fail open): a tenant or domain maps
to the organisation this process last saw for it, and one it never saw gets a stand-in
organisation (`Identity.org_known` false) linted under the defaults. `resolve_policy` says, in
`Resolved.fallback`, when the policy is not the organisation's current one, and `with_fallback`
puts that into the report (`policy.fallback`, `policy.reason`).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from flask import Request, current_app, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import ServiceUnavailable, Unauthorized

from linters import Policy, Report

from .engine import current_storage
from .outlook.verify import (
    RETRY_AFTER_FAILURE,
    EntraVerifier,
    KeysUnavailable,
    Rejected,
    looks_like_jwt,
)
from .store import AliasKind
from .store.cache import DATABASE_UNAVAILABLE, DEFAULTS, Resolved

# Starts the stand-in organisation of a tenant or domain whose organisation could not be looked
# up: never a slug (server/store/orgs.py's SLUG has no "?" nor ":"), so nothing keyed by
# organisation (caches, counters) mixes it with a real one, or one tenant's with another's.
UNRESOLVED = "?"


@dataclass(frozen=True, slots=True)
class Identity:
    org: str  # the organisation's slug, e.g. "corp.example"
    method: str  # "dev" | "api-key" | "entra"
    tenant: str | None = None  # Entra: the tenant id (tid)
    user: str | None = None  # Entra: the user's object id (oid)
    # Entra: the verified access token, the user assertion of the on-behalf-of flow to Graph.
    # Kept out of repr (and so out of logs and error reports) and out of comparisons.
    assertion: str | None = field(default=None, repr=False, compare=False)

    @property
    def org_known(self) -> bool:
        """False when the database could not say which organisation the caller's tenant (or
        domain) belongs to and this process never knew: `org` is a stand-in, not a slug."""
        return not self.org.startswith(UNRESOLVED)


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
    slug = organisation_for(AliasKind.ENTRA_TENANT, verified.tenant)
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


def organisation_for(kind: AliasKind, value: str) -> str | None:
    """The slug of the organisation an Entra tenant id or a Google Workspace domain belongs to;
    None when none does. While the database is down: the one this process last saw, else a
    stand-in (see `Identity.org_known`)."""
    match = current_storage().aliases.org_for(kind, value)
    if match.source == "unknown":
        return f"{UNRESOLVED}{AliasKind(kind).value}:{value.strip().lower()}"
    return match.slug


def resolve_policy(identity: Identity, default: Policy) -> Resolved:
    """The policy to lint under for this caller: their organisation's published version, or
    `default` while it has none. Cached per process and rechecked every few seconds. While the
    database is down: the last version this process saw, else `default`, saying so."""
    if not identity.org_known:
        return Resolved(default, DEFAULTS, DATABASE_UNAVAILABLE)
    return current_storage().policies.resolve(identity.org, default)


# What each `policy.fallback` tells the person writing (the Gmail card, the Outlook task pane).
FALLBACK_NOTES = {
    "last-known": "Your organisation's settings could not be read just now: draftlint is using "
    "the last settings it knew.",
    "defaults": "Your organisation's settings could not be read just now: draftlint is using its "
    "default rules.",
}


def with_fallback(report: Report, resolved: Resolved) -> Report:
    """`report`, its `policy` saying when (and why) it is not the organisation's current one."""
    if resolved.fallback is None:
        return report
    policy = replace(report.policy, fallback=resolved.fallback, reason=resolved.reason)
    return replace(report, policy=policy)
