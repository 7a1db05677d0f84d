"""Who is calling, and which policy applies to them.

This is the seam where authentication lives. Today it knows two kinds of caller: anyone, in dev
mode (organisation `local`), and scripts holding an API key (`Authorization: Bearer <key>`, keys
configured in `API_KEYS` as key -> organisation). Entra ID tokens (Outlook) and Google ID tokens
(Gmail) will be further ways to produce an `Identity` here; nothing past this module needs to
change for them.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from linters import Policy

from .engine import current_storage


@dataclass(frozen=True, slots=True)
class Identity:
    org: str  # the organisation's slug, e.g. "corp.example"
    method: str  # "dev" | "api-key"


DEV_ORG = "local"
DEV = Identity(org=DEV_ORG, method="dev")


def authenticate(request: Request, *, dev_mode: bool, api_keys: Mapping[str, str]) -> Identity:
    """Return the caller's identity or raise a 401 problem."""
    if dev_mode:
        return DEV
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Send an API key as 'Authorization: Bearer <key>'.")
    org = _org_for_key(token.strip(), api_keys)
    if org is None:
        raise _unauthorized("Unknown API key.")
    return Identity(org=org, method="api-key")


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
