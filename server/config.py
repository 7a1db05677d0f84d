"""The server's configuration, read in one place.

`configure(app, overrides)` fills `app.config` from, in rising order: the built-in defaults, the
environment (`$DRAFTLINT_<NAME>` for every setting in `SETTINGS`), and the dict given to
`create_app`. Every other module reads `current_app.config` (or the mapping it is handed), never
the environment, so there is one answer to "where does this setting come from".

Only the settings named here are read from the environment, each parsed by its own type, and a
bad value stops the start with a message naming the variable. `DEV_MODE` is not among them:
`draftlint serve --dev` alone sets it. `DATABASE_URL` keeps its conventional unprefixed name
(server/store/database.py). An unknown `$DRAFTLINT_*` variable, a typo most likely, is logged at
start.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import Flask
from limits import parse_many

log = logging.getLogger(__name__)

PREFIX = "DRAFTLINT_"


def _text(value: str) -> str:
    return value


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError("must be a positive whole number")
    return number


def _positive_float(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError("must be a positive number")
    return number


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be a whole number, 0 or more")
    return number


def _string_map(value: str) -> dict[str, str]:
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not (isinstance(parsed, dict) and all(isinstance(v, str) for v in parsed.values())):
        raise ValueError('must be a JSON object of strings, e.g. {"key": "value"}')
    return parsed


OFF = "off"
RATE_LIMIT_STORAGE_SCHEMES = ("memory", "redis", "rediss", "redis+unix")


def rate_limit(value: object) -> str:
    """A rate in Flask-Limiter's notation ("600/minute", several as "10/minute;100/hour"), or
    "off" (server/limits.py)."""
    text = value.strip() if isinstance(value, str) else ""
    if text.lower() == OFF:
        return OFF
    try:
        items = parse_many(text) if text else []
    except ValueError:
        items = []
    if not items or any(item.amount <= 0 for item in items):
        raise ValueError('must be a rate such as "600/minute" or "10/minute;100/hour", or off')
    return text


def rate_limit_storage(value: object) -> str:
    """Where the rate limits count: memory:// or a Redis URL."""
    text = value.strip() if isinstance(value, str) else ""
    scheme, sep, _ = text.partition("://")
    if not sep or scheme.lower() not in RATE_LIMIT_STORAGE_SCHEMES:
        raise ValueError("must be memory:// or a Redis URL such as redis://127.0.0.1:6379/0")
    return text


def bearer_secret(value: object) -> str:
    """A bearer token (`METRICS_TOKEN`) long enough not to be guessed."""
    text = value.strip() if isinstance(value, str) else ""
    if len(text) < MIN_API_KEY_LENGTH:
        raise ValueError(
            f"must be at least {MIN_API_KEY_LENGTH} characters; make one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    return text


LOG_FORMATS = ("text", "json")


def log_format(value: object) -> str:
    """How `draftlint serve` writes its log: text lines, or one JSON object per line."""
    text = value.strip().lower() if isinstance(value, str) else ""
    if text not in LOG_FORMATS:
        raise ValueError("must be text or json")
    return text


REDIS_SCHEMES = ("redis", "rediss", "unix")


def redis_url(value: object) -> str:
    """`REDIS_URL`: redis://host:6379/0, rediss:// (TLS) or unix:///path/redis.sock."""
    text = value.strip() if isinstance(value, str) else ""
    scheme, sep, _ = text.partition("://")
    if not sep or scheme.lower() not in REDIS_SCHEMES:
        raise ValueError("must be a Redis URL such as redis://127.0.0.1:6379/0")
    return text


@dataclass(frozen=True, slots=True)
class Setting:
    summary: str
    parse: Callable[[str], object] = _text


# Each group's module documents its settings in full; README.md's "Configuration" lists them all
# (a test keeps the two in step).
SETTINGS: Mapping[str, Setting] = {
    # The API and the server (server/app.py)
    "API_KEYS": Setting(
        'API key -> organisation slug, a JSON object: {"<key>": "corp.example"}', _string_map
    ),
    "MAX_CONTENT_LENGTH": Setting("largest request body in bytes (2 MB)", _positive_int),
    "POLICY_REFRESH_SECONDS": Setting(
        "how often a process rechecks the published policy (2)", _positive_float
    ),
    "PROXY_HOPS": Setting(
        "reverse proxies in front whose X-Forwarded-For/-Proto to trust (0; 1 behind one)", _count
    ),
    "PUBLIC_BASE_URL": Setting("the server's public https URL, for links, redirects and CORS"),
    "SECRET_KEY": Setting("signs admin session cookies; the same on every replica"),
    "OIDC_CA_BUNDLE": Setting("a CA file trusted for calls to identity providers and APIs"),
    # State the processes share (server/shared_state.py)
    "REDIS_URL": Setting(
        "Redis the processes share (policy changes, reply-all-storm counts, rate limits): "
        "redis://host:6379/0",
        redis_url,
    ),
    "REPLICAS": Setting(
        "how many replicas run (1); with more than one, serve warns when there is no Redis",
        _positive_int,
    ),
    # Operations (server/metrics.py, server/logs.py)
    "METRICS_TOKEN": Setting("bearer token for /metrics (unset: /metrics is off)", bearer_secret),
    "LOG_FORMAT": Setting("text, or json: one JSON object per line (text)", log_format),
    # Rate limits (server/limits.py): a rate such as "600/minute", or "off"
    "RATE_LIMIT_API": Setting(
        "requests per caller (API key or token) to /v1 (600/minute)", rate_limit
    ),
    "RATE_LIMIT_GMAIL": Setting("requests per user to /gmail (300/minute)", rate_limit),
    "RATE_LIMIT_SIGN_IN": Setting(
        "admin sign-in requests per client address (10/minute)", rate_limit
    ),
    "RATE_LIMIT_STORAGE": Setting(
        "where the counts live: memory:// (each process) or redis://host:6379/0 (shared)",
        rate_limit_storage,
    ),
    # The admin console's Backtest page (server/admin/backtest.py)
    "BACKTEST_MAX_UPLOAD": Setting(
        "largest mailbox file the console's Backtest page takes, in bytes (200 MB)", _positive_int
    ),
    # Admin sign-in (server/admin/sign_in.py)
    "ENTRA_CLIENT_ID": Setting("Entra app registration for admin sign-in"),
    "ENTRA_CLIENT_SECRET": Setting("its client secret"),
    "ENTRA_AUTHORITY": Setting("MSAL authority (login.microsoftonline.com/organizations)"),
    "ENTRA_OIDC_AUTHORITY": Setting("a non-Entra OpenID provider for MSAL (tests' stand-in)"),
    "ENTRA_JWKS_URI": Setting("Entra's signing keys (https only)"),
    "ENTRA_ISSUER": Setting("issuer template, {tenantid} for the token's tenant"),
    "GOOGLE_CLIENT_ID": Setting("Google OAuth client for admin sign-in"),
    "GOOGLE_CLIENT_SECRET": Setting("its client secret"),
    "GOOGLE_AUTH_URI": Setting("Google's authorization endpoint"),
    "GOOGLE_TOKEN_URI": Setting("Google's token endpoint"),
    "GOOGLE_CERTS_URL": Setting("Google's ID-token keys (https only)"),
    "GOOGLE_ISSUERS": Setting("accepted issuers, comma-separated"),
    # The Outlook add-in (server/outlook/settings.py)
    "OUTLOOK_CLIENT_ID": Setting("the add-in's Entra app registration; Entra tokens need it"),
    "OUTLOOK_CLIENT_SECRET": Setting("its secret, for Graph look-ups on behalf of the user"),
    "OUTLOOK_APP_ID_URI": Setting("application ID URI (api://<host>/<client id>)"),
    "OUTLOOK_OPENID_CONFIG": Setting("OpenID discovery document (Entra's multi-tenant one)"),
    "OUTLOOK_JWKS_URI": Setting("signing keys, instead of discovery (https only)"),
    "OUTLOOK_ISSUER": Setting("issuer template, {tenantid} for the token's tenant"),
    "OUTLOOK_AUTHORITY": Setting("MSAL authority template for on-behalf-of"),
    "OUTLOOK_OIDC_AUTHORITY": Setting("a non-Entra OpenID provider for MSAL (tests' stand-in)"),
    "OUTLOOK_GRAPH_URL": Setting("Microsoft Graph's root (graph.microsoft.com/v1.0)"),
    "OUTLOOK_GRAPH_SCOPES": Setting("Graph scopes, space-separated (.default)"),
    "OUTLOOK_GRAPH_TIMEOUT": Setting("seconds per Graph call (1)", _positive_float),
    "OUTLOOK_GRAPH_BUDGET": Setting("seconds for all of a lint's look-ups (1.5)", _positive_float),
    "OUTLOOK_GROUP_CACHE_SECONDS": Setting("how long group sizes are kept (3600)", _positive_float),
    # The Gmail add-on (server/gmail/settings.py)
    "GMAIL_MODE": Setting("metadata (recipients only) or full (reads the draft via the Gmail API)"),
    "GMAIL_ADDON_SERVICE_ACCOUNT": Setting("the deployment's add-on service account e-mail"),
    "GMAIL_OAUTH_CLIENT_ID": Setting("the deployment's OAuth client id (user ID token audience)"),
    "GMAIL_CERTS_URL": Setting("Google's ID-token keys (https only)"),
    "GMAIL_ISSUERS": Setting("accepted issuers, comma-separated"),
    "GMAIL_API_ROOT": Setting("the Gmail API's root (Google's)"),
    "GMAIL_DIRECTORY_API_ROOT": Setting("the Admin SDK Directory API's root (Google's)"),
    "GMAIL_DIRECTORY_CREDENTIALS": Setting("service-account key file with domain-wide delegation"),
    "GMAIL_DIRECTORY_ADMINS": Setting(
        'organisation -> the admin it acts as, a JSON object: {"corp.example": "it@corp.example"}',
        _string_map,
    ),
    "GMAIL_TIMEOUT": Setting("seconds per Google API call (2)", _positive_float),
    "GMAIL_GROUP_CACHE_SECONDS": Setting("how long group sizes are kept (3600)", _positive_float),
}

# An API key is a bearer secret: one short enough to guess or to have been typed by hand is
# refused at start. 16 characters of `secrets.token_urlsafe` carry 96 bits.
MIN_API_KEY_LENGTH = 16


def check_api_keys(keys: object) -> dict[str, str]:
    """`API_KEYS` as a dict of strong keys; ValueError naming what is wrong (never a key)."""
    if not (isinstance(keys, Mapping) and all(isinstance(v, str) and v for v in keys.values())):
        raise ValueError('API_KEYS must be a JSON object {"<key>": "<organisation slug>"}')
    weak = [
        org
        for key, org in keys.items()
        if not isinstance(key, str) or len(key.strip()) < MIN_API_KEY_LENGTH
    ]
    if weak:
        raise ValueError(
            f"API_KEYS: the key of {', '.join(sorted(set(weak)))} is shorter than "
            f"{MIN_API_KEY_LENGTH} characters; make one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    return dict(keys)


# Variables the project's own tools and tests read, not the server.
_NOT_SETTINGS = frozenset({"CHROMIUM", "SCHEMAS", "SCREENSHOTS"})


def from_environment(environ: Mapping[str, str] | None = None) -> dict:
    """The settings the environment sets, parsed; ValueError naming a bad variable."""
    found = {}
    for name in SETTINGS:
        value = environment_setting(name, environ)
        if value is not None:
            found[name] = value
    return found


def environment_setting(name: str, environ: Mapping[str, str] | None = None) -> object:
    """One setting from the environment, parsed (None when unset or empty), for what runs
    before the app is made (`draftlint serve`'s logging); ValueError naming the variable."""
    environ = os.environ if environ is None else environ
    raw = environ.get(PREFIX + name)
    if raw is None or raw == "":
        return None
    try:
        return SETTINGS[name].parse(raw)
    except ValueError as error:
        raise ValueError(f"${PREFIX}{name}: {error}") from None


def configure(app: Flask, defaults: Mapping, overrides: Mapping | None) -> None:
    """Fill `app.config`: defaults, then the environment, then `overrides` (where an override is
    None or empty, as in the environment, the setting is left to the others)."""
    app.config.update(defaults)
    app.config.update(from_environment())
    app.config.update({k: v for k, v in (overrides or {}).items() if v is not None and v != ""})
    app.config["API_KEYS"] = check_api_keys(app.config["API_KEYS"])
    unknown = sorted(
        key
        for key in os.environ
        if key.startswith(PREFIX) and key[len(PREFIX) :] not in SETTINGS
        if key[len(PREFIX) :] not in _NOT_SETTINGS
    )
    if unknown:
        log.warning("Ignoring unknown settings (a typo?): %s", ", ".join(unknown))
