"""Admin sign-in: one-time links, Microsoft Entra ID (MSAL) and Google, both OpenID Connect
authorization code flows with PKCE, and sign-out.

Who may sign in:
- the organisation comes from the ID token: Entra's tenant id (`tid`, alias kind "entra-tenant")
  or Google Workspace's hosted domain (`hd`, alias kind "google-domain"); a tenant or domain that
  no organisation claims is refused, and so is a personal Google account (no `hd`);
- the role comes from the token's app roles (Entra: `roles` holding "Draftlint.Owner",
  "Draftlint.Editor" or "Draftlint.Viewer"; the highest wins) or else from the organisation's
  admin list in the store; nobody else gets in.

ID tokens are verified here, signature included: MSAL (since 1.38) hands back the ID token's
claims without validating them, so the Entra token is checked with PyJWT against Entra's signing
keys (`verify_jwt` of server/keys.py: signature, audience, expiry and issue time, as google-auth's
`verify_token` checks an ID token), and its issuer against the tenant. Google's token goes through
the same function with Google's certificates, and its issuer is checked as `verify_oauth2_token`
does. The keys are fetched and kept by the rules of server/keys.py, shared with the add-ins: one
cache per provider, built with the app (`SignInKeys`), so a sign-in costs no round trip for keys;
when they cannot be had, the sign-in is answered 503 ("try again"), not refused.

Configuration:
- `ENTRA_CLIENT_ID`, `ENTRA_CLIENT_SECRET`: the app registration; Microsoft sign-in is offered
  only when both are set (also read from `$DRAFTLINT_ENTRA_CLIENT_ID`, `..._SECRET`).
- `ENTRA_AUTHORITY` (default https://login.microsoftonline.com/organizations: any work account).
- `ENTRA_JWKS_URI` (default https://login.microsoftonline.com/common/discovery/v2.0/keys; https
  only) and `ENTRA_ISSUER` (default https://login.microsoftonline.com/{tenantid}/v2.0).
- `ENTRA_OIDC_AUTHORITY`: a non-Entra OpenID provider for MSAL (`oidc_authority`, no instance
  discovery); the tests' stand-in uses it.
- `GOOGLE_CLIENT_ID`, `GOOGLE_CLIENT_SECRET` (also `$DRAFTLINT_GOOGLE_CLIENT_ID`, `..._SECRET`),
  and `GOOGLE_AUTH_URI`, `GOOGLE_TOKEN_URI`, `GOOGLE_CERTS_URL` (https only), `GOOGLE_ISSUERS`
  (Google's by default; the tests point them at the stand-in).
- `OIDC_CA_BUNDLE`: a CA file to trust for the calls to the identity providers (the stand-in's
  self-signed certificate); the system's CAs otherwise.
- `PUBLIC_BASE_URL`: the server's public URL, for the redirect URIs behind a proxy; the request's
  host otherwise.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import msal
import requests
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from google_auth_oauthlib.flow import Flow
from sqlalchemy.exc import DBAPIError

from ..engine import current_storage
from ..keys import KeyCache, KeysUnavailable, verify_jwt
from ..pages import CONTENT_SECURITY_POLICY
from ..store import (
    AliasKind,
    NotFound,
    Role,
    get_admin,
    get_org,
    org_for_alias,
    redeem_sign_in_token,
)
from ..store.audit import record as audit_record
from .session import (
    AdminUser,
    SessionsUnavailable,
    csrf_matches,
    current_admin,
    require_admin,
    session_id,
    sign_in,
    sign_out,
    sign_out_everywhere,
)

log = logging.getLogger(__name__)

# MSAL recommends response_mode=form_post, but a cross-site POST does not carry our SameSite=Lax
# session cookie, so the flow (state, PKCE verifier, nonce) kept in it would be lost. The code
# comes back in the query instead, is single-use and PKCE-bound, and the callback answers with a
# redirect under Referrer-Policy: no-referrer, so it does not leak onwards.
warnings.filterwarnings(
    "ignore", message="response_mode='form_post' is recommended", category=UserWarning
)

admin_auth = Blueprint("admin_auth", __name__, url_prefix="/admin")

DEFAULT_NEXT = "/admin/"
ENTRA_DEFAULTS = {
    "ENTRA_AUTHORITY": "https://login.microsoftonline.com/organizations",
    "ENTRA_JWKS_URI": "https://login.microsoftonline.com/common/discovery/v2.0/keys",
    "ENTRA_ISSUER": "https://login.microsoftonline.com/{tenantid}/v2.0",
}
GOOGLE_DEFAULTS = {
    "GOOGLE_AUTH_URI": "https://accounts.google.com/o/oauth2/auth",
    "GOOGLE_TOKEN_URI": "https://oauth2.googleapis.com/token",
    "GOOGLE_CERTS_URL": "https://www.googleapis.com/oauth2/v1/certs",
    "GOOGLE_ISSUERS": ("accounts.google.com", "https://accounts.google.com"),
}
GOOGLE_SCOPES = ["openid", "https://www.googleapis.com/auth/userinfo.email"]
APP_ROLES = {
    "Draftlint.Owner": Role.OWNER,
    "Draftlint.Editor": Role.EDITOR,
    "Draftlint.Viewer": Role.VIEWER,
}
ROLE_ORDER = (Role.OWNER, Role.EDITOR, Role.VIEWER)
HTTP_TIMEOUT = 10  # seconds, for every call to an identity provider

# Session keys for a sign-in in progress (cleared by `sign_in`, which starts a new session).
_ENTRA_FLOW = "entra_flow"
_GOOGLE_FLOW = "google_flow"
_NEXT = "sign_in_next"

# The sign-in pages carry tokens and codes in their URLs: never pass them on, never cache them.
_PAGE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
}

NO_ACCESS = "You are not an admin of an organisation on this draftlint server."


class Refused(Exception):
    """A sign-in that must not succeed; the message is shown to the person."""


@dataclass(frozen=True)
class Provider:
    name: str
    endpoint: str


def _config(key: str, defaults: dict | None = None, config: Mapping | None = None):
    value = (current_app.config if config is None else config).get(key)
    if value is None and defaults:
        value = defaults.get(key)
    return value


def entra_configured() -> bool:
    return bool(_config("ENTRA_CLIENT_ID") and _config("ENTRA_CLIENT_SECRET"))


def google_configured() -> bool:
    return bool(_config("GOOGLE_CLIENT_ID") and _config("GOOGLE_CLIENT_SECRET"))


def providers() -> list[Provider]:
    found = []
    if entra_configured():
        found.append(Provider("Microsoft", "admin_auth.microsoft"))
    if google_configured():
        found.append(Provider("Google", "admin_auth.google"))
    return found


# --- pages ---------------------------------------------------------------------------------


@admin_auth.get("/sign-in")
def sign_in_page():
    return _sign_in_page()


@admin_auth.get("/sign-in/<token>")
def confirm_link(token: str):
    """A one-time link from `draftlint admin create`, opened: a page with one button. Opening
    it spends nothing, so the scanners that mail systems run over links cannot burn it."""
    html = render_template(
        "admin/sign_in_link.html", token=token, next=_safe_next(request.args.get("next"))
    )
    return html, 200, _PAGE_HEADERS


@admin_auth.post("/sign-in/<token>")
def redeem_link(token: str):
    """The button of that page: signs the link's admin in, once."""
    if not csrf_matches(request.form.get("csrf_token")):
        return _sign_in_page("That page had expired. Open the link again.", status=400)
    try:
        with current_storage().sessions.begin() as db:
            admin = redeem_sign_in_token(db, token)
            user = AdminUser(org=admin.org.slug, email=admin.email, role=Role(admin.role))
            _audit_sign_in(db, admin.org, user, "link")
            sign_in(db, admin.org, user, method="link")
    except NotFound:
        return _sign_in_page(
            "This sign-in link is unknown, used or expired. Ask for a new one.", status=404
        )
    except DBAPIError as error:  # our outage: the link is not spent, "try again" (a 503 page)
        log.warning("Sign-in by link could not reach the database: %s", type(error).__name__)
        raise SessionsUnavailable from None
    nxt = _safe_next(request.form.get("next"))
    return _no_referrer(redirect(nxt, code=303))


@admin_auth.get("/sign-in/microsoft")
def microsoft():
    if not entra_configured():
        return _sign_in_page("Microsoft sign-in is not configured on this server.", status=404)
    try:
        flow = _msal_app().initiate_auth_code_flow(
            scopes=[],
            redirect_uri=_external_url("admin_auth.microsoft_callback"),
            prompt="select_account",
            response_mode="query",
        )
    except Exception as error:  # the provider is unreachable or misconfigured
        log.warning("Microsoft sign-in could not start: %s", type(error).__name__)
        return _sign_in_page("Microsoft sign-in is unavailable right now.", status=502)
    session[_ENTRA_FLOW] = flow
    session[_NEXT] = _safe_next(request.args.get("next"))
    return redirect(flow["auth_uri"])


@admin_auth.get("/auth/microsoft/callback")
def microsoft_callback():
    flow = session.pop(_ENTRA_FLOW, None)
    nxt = session.pop(_NEXT, DEFAULT_NEXT)
    if not entra_configured() or not isinstance(flow, dict):
        return _sign_in_page("That sign-in has expired. Please start again.", status=400)
    try:
        result = _msal_app().acquire_token_by_auth_code_flow(flow, request.args.to_dict())
        if "id_token" not in result:
            log.info("Microsoft sign-in refused by the provider: %s", result.get("error"))
            raise Refused("Microsoft did not sign you in.")
        # MSAL has checked the state and the nonce; the token itself is checked here.
        claims = _verify_entra_token(result["id_token"])
    except Refused as refused:
        return _refused(str(refused))
    except KeysUnavailable as unavailable:  # our outage: try again, not "you may not"
        log.warning("Microsoft sign-in: %s", unavailable)
        return _sign_in_page("Microsoft sign-in is unavailable right now; try again.", status=503)
    except Exception as error:  # state mismatch, bad token, provider down: all refused
        log.warning("Microsoft sign-in failed: %s", type(error).__name__)
        return _refused("We could not verify your Microsoft sign-in.")
    return _finish(_entra_user, claims, "entra", nxt)


@admin_auth.get("/sign-in/google")
def google():
    if not google_configured():
        return _sign_in_page("Google sign-in is not configured on this server.", status=404)
    flow = _google_flow()
    nonce = secrets.token_urlsafe(16)
    auth_uri, state = flow.authorization_url(
        access_type="online", prompt="select_account", nonce=nonce
    )
    session[_GOOGLE_FLOW] = {"state": state, "code_verifier": flow.code_verifier, "nonce": nonce}
    session[_NEXT] = _safe_next(request.args.get("next"))
    return redirect(auth_uri)


@admin_auth.get("/auth/google/callback")
def google_callback():
    pending = session.pop(_GOOGLE_FLOW, None)
    nxt = session.pop(_NEXT, DEFAULT_NEXT)
    if not google_configured() or not isinstance(pending, dict):
        return _sign_in_page("That sign-in has expired. Please start again.", status=400)
    try:
        if "error" in request.args:
            raise Refused("Google did not sign you in.")
        state = request.args.get("state", "")
        if not hmac.compare_digest(state.encode(), str(pending.get("state", "")).encode()):
            raise Refused("That sign-in does not belong to this browser. Please start again.")
        flow = _google_flow(state=state, code_verifier=pending["code_verifier"])
        flow.fetch_token(
            code=request.args.get("code", ""), verify=_ca_bundle(), timeout=HTTP_TIMEOUT
        )
        token = flow.oauth2session.token.get("id_token")
        if not token:
            raise Refused("Google did not send an ID token.")
        claims = _verify_google_token(token, pending["nonce"])
    except Refused as refused:
        return _refused(str(refused))
    except KeysUnavailable as unavailable:
        log.warning("Google sign-in: %s", unavailable)
        return _sign_in_page("Google sign-in is unavailable right now; try again.", status=503)
    except Exception as error:
        log.warning("Google sign-in failed: %s", type(error).__name__)
        return _refused("We could not verify your Google sign-in.")
    return _finish(_google_user, claims, "google", nxt)


@admin_auth.post("/sign-out")
def sign_out_route():
    user = current_admin()
    if user is not None and session_id() is not None:  # a session, not the dev-mode admin
        with current_storage().sessions.begin() as db:
            org = _org_or_none(db, user.org)
            if org is not None:
                audit_record(db, org, user.email, "admin.sign-out", f"admin/{user.email}", {})
            sign_out(db)
    else:
        sign_out()
    return redirect(url_for("admin_auth.sign_in_page"))


@admin_auth.post("/sign-out-everywhere")
@require_admin()
def sign_out_everywhere_route():
    """End every session of the signed-in admin, on every browser (a lost laptop, a shared
    computer): the console's "Sign out everywhere" button."""
    sign_out_everywhere()
    return redirect(url_for("admin_auth.sign_in_page"))


# --- the providers -------------------------------------------------------------------------


class _ProviderSession(requests.Session):
    """A requests session for calls to identity providers: a timeout on every call, and the
    configured CA bundle passed per request (a session-wide `verify` loses to the
    REQUESTS_CA_BUNDLE variable, psf/requests#3829)."""

    def __init__(self, verify: str | bool):
        super().__init__()
        self._verify = verify

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        if kwargs.get("verify") is None:
            kwargs["verify"] = self._verify
        return super().request(method, url, *args, **kwargs)


def _http() -> requests.Session:
    return _ProviderSession(_ca_bundle())


def _ca_bundle() -> str | bool:
    return current_app.config.get("OIDC_CA_BUNDLE") or True


KEYS = "draftlint.sign_in_keys"


@dataclass(frozen=True)
class SignInKeys:
    """The providers' signing keys, one cache each (server/keys.py), shared by every sign-in."""

    entra: KeyCache
    google: KeyCache

    @classmethod
    def from_config(
        cls, config: Mapping, *, clock: Callable[[], float] = time.monotonic
    ) -> SignInKeys:
        """ValueError naming the setting when a keys URL is not https."""
        ca_bundle = config.get("OIDC_CA_BUNDLE") or True
        return cls(
            entra=KeyCache(
                _config("ENTRA_JWKS_URI", ENTRA_DEFAULTS, config),
                setting="ENTRA_JWKS_URI",
                ca_bundle=ca_bundle,
                name="Microsoft's signing keys",
                clock=clock,
            ),
            google=KeyCache(
                _config("GOOGLE_CERTS_URL", GOOGLE_DEFAULTS, config),
                setting="GOOGLE_CERTS_URL",
                ca_bundle=ca_bundle,
                name="Google's signing keys",
                clock=clock,
            ),
        )


def _build_keys(state) -> None:
    """Once per app, when it registers this blueprint: a bad keys URL stops the start."""
    state.app.extensions[KEYS] = SignInKeys.from_config(state.app.config)


admin_auth.record_once(_build_keys)


def _keys() -> SignInKeys:
    return current_app.extensions[KEYS]


def _msal_app() -> msal.ConfidentialClientApplication:
    """A fresh MSAL client per sign-in: its token cache then never outlives the request."""
    options: dict = {
        "client_id": _config("ENTRA_CLIENT_ID"),
        "client_credential": _config("ENTRA_CLIENT_SECRET"),
        "http_client": _http(),
        "timeout": HTTP_TIMEOUT,
    }
    oidc_authority = _config("ENTRA_OIDC_AUTHORITY")
    if oidc_authority:
        options.update(oidc_authority=oidc_authority, instance_discovery=False)
    else:
        options["authority"] = _config("ENTRA_AUTHORITY", ENTRA_DEFAULTS)
    return msal.ConfidentialClientApplication(**options)


def _verify_entra_token(token: str) -> dict:
    claims = verify_jwt(token, _keys().entra, audience=_config("ENTRA_CLIENT_ID"))
    tid = claims.get("tid")
    if not isinstance(tid, str) or not tid:
        raise Refused("Your Microsoft account has no tenant: sign in with a work account.")
    expected = _config("ENTRA_ISSUER", ENTRA_DEFAULTS).replace("{tenantid}", tid)
    if claims.get("iss") != expected:
        raise Refused("That token was not issued by your organisation's tenant.")
    return claims


def _entra_user(db, claims: dict) -> AdminUser:
    org = org_for_alias(db, AliasKind.ENTRA_TENANT, claims["tid"])
    email = claims.get("preferred_username") or claims.get("email")
    if org is None or not isinstance(email, str) or "@" not in email:
        raise Refused(NO_ACCESS)
    email = email.strip().lower()
    roles = claims.get("roles") or []
    granted = {APP_ROLES[r] for r in roles if isinstance(r, str) and r in APP_ROLES}
    role = next((r for r in ROLE_ORDER if r in granted), None)
    if role is not None:
        return AdminUser(org=org.slug, email=email, role=role, app_role=True)
    admin = get_admin(db, org, email)
    if admin is None:
        raise Refused(NO_ACCESS)
    return AdminUser(org=org.slug, email=email, role=Role(admin.role))


def _google_flow(**kwargs) -> Flow:
    config = {
        "web": {
            "client_id": _config("GOOGLE_CLIENT_ID"),
            "client_secret": _config("GOOGLE_CLIENT_SECRET"),
            "auth_uri": _config("GOOGLE_AUTH_URI", GOOGLE_DEFAULTS),
            "token_uri": _config("GOOGLE_TOKEN_URI", GOOGLE_DEFAULTS),
        }
    }
    return Flow.from_client_config(
        config,
        scopes=GOOGLE_SCOPES,
        redirect_uri=_external_url("admin_auth.google_callback"),
        **kwargs,
    )


def _verify_google_token(token: str, nonce: str) -> dict:
    # What `google.oauth2.id_token.verify_oauth2_token` checks, with the certificates URL and the
    # issuers configurable so the tests can run it against their stand-in.
    claims = verify_jwt(token, _keys().google, audience=_config("GOOGLE_CLIENT_ID"))
    issuers = _config("GOOGLE_ISSUERS", GOOGLE_DEFAULTS)
    if isinstance(issuers, str):  # from the environment: a comma-separated list
        issuers = [issuer.strip() for issuer in issuers.split(",")]
    if claims.get("iss") not in issuers:
        raise Refused("That token was not issued by Google.")
    if not hmac.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
        raise Refused("That sign-in does not belong to this browser. Please start again.")
    if claims.get("email_verified") is not True:
        raise Refused("Your Google account's e-mail address is not verified.")
    return claims


def _google_user(db, claims: dict) -> AdminUser:
    domain = claims.get("hd")
    email = claims.get("email")
    if not isinstance(domain, str) or not isinstance(email, str):
        raise Refused(NO_ACCESS)  # a personal Google account belongs to no organisation
    org = org_for_alias(db, AliasKind.GOOGLE_DOMAIN, domain)
    admin = get_admin(db, org, email) if org is not None else None
    if admin is None:
        raise Refused(NO_ACCESS)
    return AdminUser(org=org.slug, email=admin.email, role=Role(admin.role))


# --- helpers -------------------------------------------------------------------------------


def _finish(make_user, claims: dict, method: str, nxt: str):
    """Map the verified claims to an admin (or refuse), audit, and start the session."""
    try:
        with current_storage().sessions.begin() as db:
            user = make_user(db, claims)
            org = _org_or_none(db, user.org)
            if org is None:
                raise Refused(NO_ACCESS)
            _audit_sign_in(db, org, user, method)
            sign_in(db, org, user, method=method)
    except Refused as refused:
        return _refused(str(refused))
    except DBAPIError as error:  # our outage: "try again" (a 503 page), not "you may not"
        log.warning("Sign-in could not reach the database: %s", type(error).__name__)
        raise SessionsUnavailable from None
    return _no_referrer(redirect(_safe_next(nxt)))


def _audit_sign_in(db, org, user: AdminUser, method: str) -> None:
    if org is not None:
        audit_record(
            db,
            org,
            user.email,
            "admin.sign-in",
            f"admin/{user.email}",
            {"method": method, "role": user.role.value},
        )


def _org_or_none(db, slug: str):
    try:
        return get_org(db, slug)
    except NotFound:
        return None


def _refused(message: str):
    return render_template("admin/forbidden.html", detail=message), 403, _PAGE_HEADERS


def _sign_in_page(error: str | None = None, *, status: int = 200):
    html = render_template(
        "admin/sign_in.html",
        providers=providers(),
        next=_safe_next(request.args.get("next")),
        error=error,
    )
    return html, status, _PAGE_HEADERS


def _no_referrer(response):
    response.headers.update(_PAGE_HEADERS)
    return response


def _safe_next(target: str | None) -> str:
    """Only a path of this server's admin console: never another site (an open redirect)."""
    if not target or not isinstance(target, str):
        return DEFAULT_NEXT
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or "\\" in target
        or not (parts.path == "/admin" or parts.path.startswith("/admin/"))
        or parts.path.startswith("/admin/sign-")
    ):
        return DEFAULT_NEXT
    return target


def _external_url(endpoint: str) -> str:
    base = _config("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint)
    return url_for(endpoint, _external=True)
