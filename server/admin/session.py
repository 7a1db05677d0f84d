"""Admin sessions: who is signed in, for how long, and the CSRF token of their session.

Sessions are kept server-side, in the store's `admin_sessions` table (server/store/
admin_sessions.py), so that they can be ended: the browser's cookie (Flask's signed cookie) holds
only a random session id and the CSRF token, the table only the id's SHA-256 with the
organisation, the e-mail address, the role, how the admin signed in and when the session
expires: 8 hours after sign-in, whatever the browser does with the cookie. Never anything of a
draft. Every admin request looks its session up (one query by primary key, once per request); a
session that was ended or has expired is no session. A session begun from the admin list takes
the list's role of the moment, and ends when its admin is taken off the list; one begun from an
Entra app role keeps the role its ID token granted until it ends.

- `current_admin()` is the signed-in admin, or None. In dev mode (`DEV_MODE`, which
  `draftlint serve --dev` sets only on loopback) and for a request from loopback, an owner of
  the organisation "local" is signed in without any sign-in; the organisation and its admin
  `admin@local` are created in the store on first use, so the console works out of the box.
- `sign_in(db, org, user, method=)` starts a new session (everything in the old one is dropped
  and its row deleted, so a session id planted before sign-in is worth nothing after it) with a
  new CSRF token; `sign_out()` ends it; `sign_out_everywhere()` ends every session of the
  signed-in admin in their organisation, on every browser (`draftlint admin remove` ends someone
  else's).
- The database unreachable while a session is looked up: 503 (a page, or problem JSON), not a
  500 and not "signed out".
- `require_admin(min_role)` guards a view. Not signed in: HTML pages redirect to
  /admin/sign-in?next=<path>, the JSON API under /v1/admin answers 401 problem JSON. Signed in
  with too low a role: 403 (a page, or problem JSON).
- `init_app(app)` sets the cookie up (Secure except in dev mode, HttpOnly, SameSite=Lax), picks
  the secret key (`SECRET_KEY` or `$DRAFTLINT_SECRET_KEY`; a random one in dev mode and tests;
  in production without one the admin side answers 503 while linting carries on), registers
  `csrf_token()` as a Jinja global and checks the CSRF token of every POST/PUT/PATCH/DELETE to
  /admin/* and /v1/admin/* by a signed-in admin (form field `csrf_token` or header
  `X-CSRF-Token`); a request with no admin gets its 401 or redirect from `require_admin`.

Every admin route takes the organisation from `current_admin()`, never from the URL or the body.
"""

from __future__ import annotations

import functools
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Flask, current_app, g, redirect, render_template, request, session
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from .. import store
from ..engine import current_storage
from ..identity import dev_request
from ..pages import CONTENT_SECURITY_POLICY
from ..problems import problem
from ..store import AlreadyExists, Organisation, Role, add_admin, create_org, get_admin, get_org
from ..store.audit import record as audit_record
from ..store.errors import NotFound

log = logging.getLogger(__name__)

SESSION_LIFETIME = store.ADMIN_SESSION_LIFETIME  # 8 hours from sign-in
RETRY_AFTER_S = 30  # what a 503 for an unreachable database suggests
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ADMIN_PREFIXES = ("/admin/", "/v1/admin/")
API_PREFIX = "/v1/admin"
SIGN_IN_PATH = "/admin/sign-in"

DEV_ORG = "local"
DEV_EMAIL = "admin@local"
_DEV_READY = "draftlint.admin.dev-ready"
_DISABLED = "draftlint.admin.disabled"
SESSION_COOKIE = "draftlint_session"

# Cookie keys: the session id (its row in the store holds who and until when), the CSRF token.
_CSRF = "csrf"
_SID = "sid"
# Per-request memo (flask.g) of the session lookup: the admin, and the session's row.
_G_ADMIN = "draftlint_admin"
_G_SESSION = "draftlint_admin_session"

_now = time.time  # the clock sessions are timed by (tests move it)

RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}


@dataclass(frozen=True, slots=True)
class AdminUser:
    org: str  # organisation slug, e.g. "corp.example"
    email: str
    role: Role  # owner > editor > viewer
    app_role: bool = False  # the role came from the ID token's app roles, not the admin list

    def can(self, role: Role) -> bool:
        """Whether this admin's role is at least `role`."""
        return RANK[self.role] >= RANK[Role(role)]


class SessionsUnavailable(Exception):
    """The store could not be asked whether this request's session is live: a 503."""


def current_admin() -> AdminUser | None:
    """The signed-in admin of this request, or None. Looked up once per request; raises
    `SessionsUnavailable` (answered 503) when the database cannot be reached."""
    if _G_ADMIN in g:
        return g.get(_G_ADMIN)
    user = _session_admin()
    if user is None and dev_request():
        try:
            ensure_dev_org()
        except DBAPIError as error:
            log.warning("The dev-mode organisation could not be made: %s", type(error).__name__)
            raise SessionsUnavailable from None
        user = AdminUser(org=DEV_ORG, email=DEV_EMAIL, role=Role.OWNER)
    setattr(g, _G_ADMIN, user)
    return user


def current_session() -> store.ActiveSession | None:
    """The signed-in admin's session (how and when they signed in, until when), or None: not
    signed in, or the dev-mode admin, who has none."""
    current_admin()
    return g.get(_G_SESSION)


def sign_in(db: Session, org: Organisation, user: AdminUser, *, method: str) -> None:
    """Start a fresh session for `user`, in `db`'s transaction: nothing of the previous session
    survives, in the cookie or in the store. Expired sessions are purged on the way."""
    now = _clock()
    store.purge_expired_admin_sessions(db, now=now)
    previous = session.get(_SID)
    if isinstance(previous, str) and previous:
        store.end_admin_session(db, previous)
    sid = store.start_admin_session(
        db, org, user.email, user.role, method=method, app_role=user.app_role, now=now
    )
    session.clear()
    session.permanent = True
    session[_SID] = sid
    session[_CSRF] = secrets.token_urlsafe(32)
    _forget_lookup()
    setattr(g, _G_ADMIN, user)


def sign_out(db: Session | None = None) -> None:
    """End this browser's session: its row (in `db`'s transaction, or one of its own) and the
    cookie."""
    sid = session.get(_SID)
    if isinstance(sid, str) and sid:
        if db is None:
            with current_storage().sessions.begin() as own:
                store.end_admin_session(own, sid)
        else:
            store.end_admin_session(db, sid)
    session.clear()
    _forget_lookup()


def sign_out_everywhere() -> int:
    """End every session of the signed-in admin in their organisation, this one included, on
    every browser, and audit it; how many sessions were live."""
    user = current_admin()
    if user is None:
        raise RuntimeError("sign_out_everywhere needs a signed-in admin (use require_admin)")
    with current_storage().sessions.begin() as db:
        org = get_org(db, user.org)
        ended = store.end_admin_sessions(db, org, user.email, now=_clock())
        audit_record(
            db,
            org,
            user.email,
            "admin.sign-out-everywhere",
            f"admin/{user.email}",
            {"sessions": ended},
        )
    session.clear()
    _forget_lookup()
    return ended


def session_id() -> str | None:
    """The random id of the current session (new at every sign-in); for tests and logs."""
    return session.get(_SID)


def csrf_token() -> str:
    """This session's CSRF token, made on first use (also before sign-in, for the sign-in form)."""
    token = session.get(_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        session[_CSRF] = token
    return token


def csrf_matches(given: str | None) -> bool:
    """`given` is this session's CSRF token (for forms posted before anyone is signed in)."""
    expected = session.get(_CSRF)
    return bool(expected and given) and hmac.compare_digest(given.encode(), expected.encode())


def require_admin(min_role: Role = Role.VIEWER):
    """Decorator: the view runs only for a signed-in admin whose role is at least `min_role`."""
    min_role = Role(min_role)

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            user = current_admin()
            if user is None:
                if _is_api_request():
                    return problem(401, "Sign in as an admin first.")
                return redirect(f"{SIGN_IN_PATH}?{urlencode({'next': _next_target()})}")
            if not user.can(min_role):
                detail = f"This needs the {min_role.value} role; you are {user.role.value}."
                return forbidden(detail)
            return view(*args, **kwargs)

        return guarded

    return decorate


def forbidden(detail: str):
    """A 403: problem JSON for the API, a page for the console."""
    if _is_api_request():
        return problem(403, detail)
    return _page("admin/forbidden.html", 403, detail=detail)


def init_app(app: Flask) -> None:
    dev_mode = bool(app.config.get("DEV_MODE"))
    key = _secret_key(app)
    if key is None:
        # Fail open: the lint API must keep working, so the process starts, but no admin session
        # can be signed (or forged) without a key: the admin side answers 503 until one is set.
        log.error("No DRAFTLINT_SECRET_KEY: the admin console and /v1/admin are disabled.")
        app.extensions[_DISABLED] = True
        app.before_request(_refuse_while_disabled)
    else:
        app.config["SECRET_KEY"] = key
    app.config["SESSION_COOKIE_NAME"] = SESSION_COOKIE
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # Browsers accept Secure cookies from http://127.0.0.1 and http://localhost, but not every
    # client does; dev mode is loopback-only, so it can do without.
    app.config["SESSION_COOKIE_SECURE"] = not dev_mode
    app.config["PERMANENT_SESSION_LIFETIME"] = SESSION_LIFETIME
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_admin"] = current_admin
    app.register_error_handler(SessionsUnavailable, _sessions_unavailable)
    app.before_request(_check_csrf)


def _secret_key(app: Flask) -> str | bytes | None:
    key = app.config.get("SECRET_KEY")
    if key:
        return key
    if app.config.get("DEV_MODE") or app.config.get("TESTING"):
        return secrets.token_bytes(32)  # sessions end with the process; that is fine here
    return None


def _refuse_while_disabled():
    if not _is_admin_path(request.path):
        return None
    detail = (
        "The admin console is disabled: the operator must set DRAFTLINT_SECRET_KEY (a long "
        "random string, the same on every replica)."
    )
    if _is_api_request():
        return problem(503, detail)
    return _page("admin/forbidden.html", 503, detail=detail)


def _is_admin_path(path: str) -> bool:
    return path.startswith(ADMIN_PREFIXES) or path in ("/admin", API_PREFIX)


def _check_csrf():
    if request.method not in UNSAFE_METHODS:
        return None
    if not _is_admin_path(request.path):
        return None
    if current_admin() is None:
        return None  # nobody to act for: the view answers 401 or redirects to sign-in
    expected = session.get(_CSRF)
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        given = request.form.get(CSRF_FIELD)
    if expected and given and hmac.compare_digest(given.encode(), expected.encode()):
        return None
    detail = "The CSRF token is missing or wrong. Reload the page and try again."
    if _is_api_request():
        return problem(403, detail)
    return _page("admin/forbidden.html", 403, detail=detail)


def _session_admin() -> AdminUser | None:
    sid = session.get(_SID)
    if not isinstance(sid, str) or not sid:
        return None
    try:
        with current_storage().sessions() as db:
            found = store.find_admin_session(db, sid, now=_clock())
    except DBAPIError as error:
        log.warning("Admin session lookup failed: %s", type(error).__name__)
        raise SessionsUnavailable from None
    if found is None:  # ended (signed out, removed) or expired: forget it
        session.pop(_SID, None)
        return None
    setattr(g, _G_SESSION, found)
    return AdminUser(org=found.org, email=found.email, role=found.role, app_role=found.app_role)


def _forget_lookup() -> None:
    g.pop(_G_ADMIN, None)
    g.pop(_G_SESSION, None)


def _clock() -> datetime:
    return datetime.fromtimestamp(_now(), UTC)


def _sessions_unavailable(error: SessionsUnavailable):
    detail = "The admin console cannot reach its database right now. Try again in a minute."
    if _is_api_request():
        return problem(503, detail, headers=[("Retry-After", str(RETRY_AFTER_S))])
    html = render_template("admin/unavailable.html", user=None, detail=detail)
    return (
        html,
        503,
        {
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Cache-Control": "no-store",
            "Retry-After": str(RETRY_AFTER_S),
        },
    )


def ensure_dev_org() -> None:
    """Create the dev-mode organisation "local" and its owner admin@local, once per app."""
    if current_app.extensions.get(_DEV_READY):
        return
    try:
        with current_storage().sessions.begin() as db:
            try:
                org = get_org(db, DEV_ORG)
            except NotFound:
                org = create_org(db, DEV_ORG, "Local (dev mode)", actor="dev-mode")
            if get_admin(db, org, DEV_EMAIL) is None:
                add_admin(db, org, DEV_EMAIL, Role.OWNER, actor="dev-mode")
    except AlreadyExists:  # another worker made it at the same moment
        pass
    current_app.extensions[_DEV_READY] = True


def _page(template: str, status: int, **context):
    html = render_template(template, user=current_admin(), **context)
    return html, status, {"Content-Security-Policy": CONTENT_SECURITY_POLICY}


def _is_api_request() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def _next_target() -> str:
    path = request.full_path if request.query_string else request.path
    return path.rstrip("?")
