"""Rate limits (Flask-Limiter) on the three surfaces anyone on the network can call.

- `/v1/*` (lint, parse, rules, events, from-eml): 600 requests a minute per caller, one budget
  for all of /v1 (`RATE_LIMIT_API`);
- `/gmail/*` (homepage, compose, fix, why): 300 a minute per user, one budget for all of /gmail
  (`RATE_LIMIT_GMAIL`);
- admin sign-in, that is spending a one-time link (`POST /admin/sign-in/<token>`, its button) and
  the Microsoft and Google starts and callbacks: 10 a minute per client address, one budget for
  all of them (`RATE_LIMIT_SIGN_IN`).

Why these numbers. The Outlook task pane lints only when the draft changed and at most every
1.5 s (`POLL_MS` in static/outlook/taskpane.js): 40 lints a minute while someone types without
pause, plus a lint when recipients change and one at send; the playground sends a lint and a
parse at most every 0.4 s, 300 a minute. 600 a minute is fifteen such panes on one token, or ten
requests a second for a script with an API key: a person never meets it, a runaway loop or a
leaked key does. In Gmail every request is a click (Check draft, Re-check, a fix, "why") and
costs Gmail and Directory look-ups besides the lint: 300 a minute is five clicks a second,
sustained. Admin sign-in is the brute-force target (one-time link tokens), and its starts and
callbacks make the server call the identity provider: a sign-in through Microsoft or Google takes
two of these requests, a link one, so 10 a minute lets five people behind one address sign in
within the same minute (or one person retry), while guessing a link's 256-bit token at that pace
is hopeless. Opening a link (its `GET`) spends nothing and says nothing about the token,
so it is not counted; nor is the plain sign-in page.

Who "the caller" is, decided before authentication (the limit shields authentication too), and
never by a raw secret: credentials are stored as a SHA-256 digest.
- /v1: the bearer credential's digest when it is one of `API_KEYS` (a per-key budget) or has the
  shape of a JWT (an Entra access token: a budget per token, that is per person for the hour it
  lives); anything else, no credential or an unknown key, counts against the client address.
  A forged JWT gets a budget of its own, but is refused after one signature check against cached
  keys; a forged token cannot spend someone else's budget, as a claim read before verification
  could.
- /gmail: Google's add-on runtime calls from Google's addresses for every user, so the address
  would pool them all: the user's ID token in the event (`authorizationEventObject.userIdToken`,
  digested) names the budget; an event without one counts against the client address.
- sign-in: the client address, `request.remote_addr`; behind reverse proxies, the address they
  forwarded (`PROXY_HOPS`, server/app.py), or everyone would share the proxy's budget.

Not limited: the probes (`/healthz`, `/readyz`), `/openapi.json`, static files, the pages, the
Outlook add-in's files, the admin console and `/v1/admin` (behind a signed-in session), CORS
preflights (answered before the limiter looks). Dev mode keeps the limits: they cost a counter
increment, and a loopback developer stays far below them, so dev behaves as production does.

A request over its limit gets 429 problem JSON (server/problems.py) with `Retry-After` in
seconds, except the sign-in pages, which a person sees in a browser: the sign-in page with the
reason, as the console answers its other errors.

Settings (server/config.py; each also `$DRAFTLINT_<NAME>`): `RATE_LIMIT_API`, `RATE_LIMIT_GMAIL`,
`RATE_LIMIT_SIGN_IN` take a rate in Flask-Limiter's notation ("600/minute", several as
"10/minute;100/hour") or "off"; `RATE_LIMIT_STORAGE` is where the counters live: `memory://` (the
default without `REDIS_URL`) counts in each process, so with gunicorn's workers (2) and several
replicas a caller may get that many times the limit; `redis://host:6379/0` shares one count
across all of them. Unset, it is `REDIS_URL` when that is set (server/shared_state.py).
Counting uses fixed windows (a window's count resets at its end, which `Retry-After` names).

The counters never stop linting: when Redis cannot be reached (0.5 s to connect or answer), each
process counts in memory instead and tries Redis again after 1, 2, 4, ... 32 s; any other error
of the limiter is logged and the request goes through (fail open).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, current_app, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many

from .admin.sign_in import DEFAULT_NEXT, providers
from .config import OFF, rate_limit, rate_limit_storage
from .jsonio import loads
from .outlook.verify import looks_like_jwt
from .pages import CONTENT_SECURITY_POLICY
from .problems import problem
from .shared_state import limiter_storage

log = logging.getLogger(__name__)

EXTENSION = "draftlint.limits"

DEFAULTS = {
    "RATE_LIMIT_STORAGE": "memory://",
    "RATE_LIMIT_API": "600/minute",
    "RATE_LIMIT_GMAIL": "300/minute",
    "RATE_LIMIT_SIGN_IN": "10/minute",
}
# Seconds to reach Redis and for it to answer: a stalled Redis costs a request this once, then
# the process counts in memory until Redis answers again.
REDIS_TIMEOUT = 0.5
# Redis keys start with this (after limits' own "LIMITS:"): one Redis can serve other apps.
# Tests give each app its own through the `RATE_LIMIT_KEY_PREFIX` key of create_app's dict.
KEY_PREFIX = "draftlint"

# The admin sign-in endpoints counted (server/admin/sign_in.py); the plain sign-in page, opening
# a link (`confirm_link`, which spends nothing) and sign-out are not.
SIGN_IN_ENDPOINTS = frozenset(
    {
        "admin_auth.redeem_link",
        "admin_auth.microsoft",
        "admin_auth.microsoft_callback",
        "admin_auth.google",
        "admin_auth.google_callback",
    }
)
# Beyond these a Gmail event's user ID token is not looked for (Google's are about 1 KB).
MAX_USER_TOKEN = 8192
MAX_GMAIL_EVENT = 256 * 1024

_PAGE_HEADERS = {
    "Referrer-Policy": "no-referrer",  # the link's token is in the URL
    "Cache-Control": "no-store",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
}


def init_app(app: Flask) -> Limiter:
    """Install the limits on `app`'s blueprints; call once every blueprint is registered, so
    that CORS preflights and the request timer come first."""
    settings = {}
    for name, default in DEFAULTS.items():
        if name == "RATE_LIMIT_STORAGE" and app.config.get("REDIS_URL"):
            default = limiter_storage(app.config["REDIS_URL"])
        value = app.config.get(name) or default
        check = rate_limit_storage if name == "RATE_LIMIT_STORAGE" else rate_limit
        try:
            settings[name] = check(value)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
    storage = settings["RATE_LIMIT_STORAGE"]
    shared = urlsplit(storage).scheme != "memory"
    options = {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT}
    # Digests of the configured API keys: a bearer credential that is one of them is a caller.
    known_keys = frozenset(_digest(key) for key in app.config.get("API_KEYS") or {})

    limiter = Limiter(
        key_func=client_address,
        storage_uri=storage,
        storage_options=options if shared else {},
        strategy="fixed-window",
        key_prefix=app.config.get("RATE_LIMIT_KEY_PREFIX") or KEY_PREFIX,
        headers_enabled=False,  # Retry-After on the 429 only: no storage read on other answers
        swallow_errors=True,
        in_memory_fallback_enabled=shared,  # Redis down: count in this process meanwhile
    )
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    # Flask-Limiter logs every refused request at INFO with its key (a client address or a
    # digest): the access log already has each 429, and names no client. Its warnings (Redis
    # unreachable) and errors stay.
    limiter_log = logging.getLogger("flask-limiter")
    if limiter_log.level == logging.NOTSET:
        limiter_log.setLevel(logging.WARNING)

    def api_caller() -> str:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            digest = _digest(token)
            if digest in known_keys or looks_like_jwt(token):
                return "credential:" + digest
        return client_address()

    surfaces = (
        ("v1", "RATE_LIMIT_API", api_caller, None),
        ("gmail", "RATE_LIMIT_GMAIL", gmail_user, None),
        ("admin_auth", "RATE_LIMIT_SIGN_IN", client_address, _not_sign_in),
    )
    for blueprint, name, key_func, exempt_when in surfaces:
        rate = settings[name]
        if rate == OFF:
            continue
        limiter.shared_limit(
            rate,
            scope=blueprint,
            key_func=_never_raises(key_func),
            exempt_when=exempt_when,
            error_message=f"The rate limit ({_describe(rate)}) is used up.",
        )(app.blueprints[blueprint])
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    return limiter


# --- who is counted -------------------------------------------------------------------------


def client_address() -> str:
    return "address:" + (request.remote_addr or "unknown")


def gmail_user() -> str:
    token = _gmail_user_token()
    return "user:" + _digest(token) if token else client_address()


def _gmail_user_token() -> str | None:
    """The event's user ID token, read from a JSON body of sensible size (the endpoint reads the
    cached body again itself, and refuses what this skips)."""
    length = request.content_length
    if not request.is_json or length is None or length > MAX_GMAIL_EVENT:
        return None
    event = loads(request.get_data(cache=True))
    auth = event.get("authorizationEventObject") if isinstance(event, dict) else None
    token = auth.get("userIdToken") if isinstance(auth, dict) else None
    if isinstance(token, str) and 0 < len(token) <= MAX_USER_TOKEN:
        return token
    return None


def _digest(secret: str) -> str:
    data = b"draftlint rate limit\0" + secret.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:32]


def _never_raises(key_func: Callable[[], str]) -> Callable[[], str]:
    # Flask-Limiter takes any error while checking for its storage failing, and would count in
    # memory for a while: a body that cannot be read counts against the address instead.
    def key() -> str:
        try:
            return key_func()
        except Exception as error:
            log.debug("Rate limit key fell back to the address: %s", type(error).__name__)
            return client_address()

    return key


def _not_sign_in() -> bool:
    return request.endpoint not in SIGN_IN_ENDPOINTS


# --- the answer -----------------------------------------------------------------------------


def _too_many_requests(error: RateLimitExceeded):
    seconds = _retry_after(error)
    headers = [("Retry-After", str(seconds))]
    if request.blueprint == "admin_auth":
        return _sign_in_page(seconds, headers)
    detail = f"{error.description} Try again in {seconds} s."
    return problem(429, detail, headers=headers)


def _retry_after(error: RateLimitExceeded) -> int:
    """Seconds until the window that was used up ends (its full length if the storage cannot
    say)."""
    window = error.limit.limit.get_expiry()
    try:
        current = current_app.extensions[EXTENSION].current_limit
        if current is not None and current.breached:
            window = current.window[0] - time.time()
    except Exception as failure:
        log.warning(
            "The rate limit storage did not say when the window ends: %s", type(failure).__name__
        )
    return max(1, math.ceil(window))


def _sign_in_page(seconds: int, headers: list[tuple[str, str]]):
    html = render_template(
        "admin/sign_in.html",
        providers=providers(),
        next=DEFAULT_NEXT,
        error=f"Too many sign-in attempts from your network. Try again in {seconds} seconds.",
    )
    return html, 429, {**_PAGE_HEADERS, **dict(headers)}


def _describe(rate: str) -> str:
    return ", ".join(str(item) for item in parse_many(rate))
