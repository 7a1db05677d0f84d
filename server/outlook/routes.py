"""What the Outlook add-in needs from this server besides the API.

`/.well-known/microsoft-officeaddins-allowed.json` lists the add-in JavaScript files of this origin
that may get single sign-on tokens and make CORS requests from the JavaScript-only runtime of
classic Outlook on Windows: `{"allowed": [absolute URLs]}`, at the origin's root, as Microsoft
documents in "Use single sign-on (SSO) or cross-origin resource sharing (CORS) in your event-based
or spam-reporting Office Add-in"
(https://learn.microsoft.com/office/dev/add-ins/develop/use-sso-in-event-based-activation).

The URLs are absolute, so they use the public base URL (`PUBLIC_BASE_URL`, or
`$DRAFTLINT_PUBLIC_BASE_URL`, as for admin sign-in) when one is configured — behind a proxy the
request's own URL may say http — and the request's root URL otherwise.

The front end Outlook loads is served from here too, anonymously (Outlook fetches the pages
without credentials; the API calls they make carry the user's token):
- `/outlook/taskpane.html`: live findings while the person writes, with one-click fixes;
- `/outlook/commands.html`: the event runtime's page (Outlook on the web, new Outlook, Mac);
- `/outlook/launchevent.js`: the event handlers (Smart Alerts on send, recipients changed), one
  classic script with no imports because classic Outlook on Windows runs it alone in its
  JavaScript-only runtime. The two pages load it too, so the draft is read and linted by one
  piece of code everywhere. It starts with this deployment's settings (API origin, Entra client
  id and API scope, the task pane's command id), rendered in: that runtime has no page to read
  them from.
The JSON API answers cross-origin requests from the add-in's own origin (and no other): classic
Outlook on Windows preflights the handler script's calls to /v1 from its JavaScript-only runtime.
The icons, the pane's script and style and the vendored MSAL.js (nested app authentication) are
static files in server/static/outlook/. Nothing comes from a CDN except Office.js itself, which
Microsoft requires to be loaded from its own URL.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, render_template, request

from ..identity import FALLBACK_NOTES
from ..public_url import public_base_url
from .enrich import init_app as init_enrichment
from .manifest import (
    COMMANDS_PATH,
    LAUNCHEVENT_PATH,
    RECIPIENTS_HANDLER,
    SEND_HANDLER,
    TASKPANE_COMMAND_ID,
    TASKPANE_PATH,
    allowed_add_in_scripts,
)
from .settings import OutlookSettings

outlook = Blueprint("outlook", __name__)

ALLOWED_ADD_INS_PATH = "/.well-known/microsoft-officeaddins-allowed.json"
OFFICE_JS = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"

# Scripts from this origin and Office.js's own (it loads its host-specific parts from there);
# nothing inline. No frame-ancestors: Outlook on the web hosts the pane in its own frame.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' https://appsforoffice.microsoft.com; "
    "style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)
# The pages and the handler script change with a deploy; Outlook should pick that up soon.
CACHE_CONTROL = "public, max-age=300"


@outlook.route(ALLOWED_ADD_INS_PATH)
def allowed_add_ins():
    response = jsonify({"allowed": allowed_add_in_scripts(public_base_url())})
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def front_end_config() -> dict:
    """What the handler script needs to know about this deployment. With the add-in's Entra app
    registration (`OUTLOOK_CLIENT_ID`, the one the server accepts tokens for) the add-in uses
    nested app authentication, asking for `access_as_user` on our application ID URI
    (`OUTLOOK_APP_ID_URI`, default `api://<host>/<client id>` as the manifests' resource);
    without it, it asks Office for a token (`Office.auth.getAccessToken`), which needs neither."""
    base = public_base_url()
    # The settings the server verifies tokens with.
    settings = OutlookSettings.from_config(current_app.config)
    client_id = settings.client_id
    scope = None
    if client_id:
        app_id_uri = settings.app_id_uri or f"api://{urlsplit(base).netloc}/{client_id}"
        scope = f"{app_id_uri.rstrip('/')}/access_as_user"
    return {
        "apiBase": base,
        "clientId": client_id,
        "apiScope": scope,
        "commandId": TASKPANE_COMMAND_ID,
        "sendHandler": SEND_HANDLER,
        "recipientsHandler": RECIPIENTS_HANDLER,
    }


def _page(template: str, **context):
    html = render_template(template, office_js=OFFICE_JS, **context)
    return (
        html,
        200,
        {
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Cache-Control": CACHE_CONTROL,
        },
    )


@outlook.route(TASKPANE_PATH)
def taskpane():
    return _page("outlook/taskpane.html", fallback_notes=FALLBACK_NOTES)


@outlook.route(COMMANDS_PATH)
def commands():
    return _page("outlook/commands.html")


@outlook.route(LAUNCHEVENT_PATH)
def launchevent():
    script = render_template("outlook/launchevent.js", config=front_end_config())
    return (
        script,
        200,
        {
            "Content-Type": "text/javascript; charset=utf-8",
            "Cache-Control": CACHE_CONTROL,
        },
    )


# --- CORS for the JavaScript-only runtime ----------------------------------------------------

API_PREFIX = "/v1/"
CORS_HEADERS = "Authorization, Content-Type"
CORS_MAX_AGE = "600"  # seconds a preflight answer may be reused


def _add_in_origin() -> str | None:
    """The request's `Origin` when it is the add-in's own (the public base URL's origin)."""
    origin = request.headers.get("Origin")
    if not origin or not request.path.startswith(API_PREFIX):
        return None
    base = urlsplit(public_base_url())
    return origin if origin == f"{base.scheme}://{base.netloc}" else None


def init_app(app) -> None:
    """Build the shared clients (token verifier, Graph look-ups); register the pages and CORS."""
    init_enrichment(app)
    app.register_blueprint(outlook)
    _init_cors(app)


def _init_cors(app) -> None:
    """Answer the add-in origin's preflights before authentication (they carry no token) and
    mark its API answers readable by it; any other origin gets no CORS headers at all."""

    @app.before_request
    def _preflight():
        if request.method != "OPTIONS" or _add_in_origin() is None:
            return None
        response = app.make_default_options_response()
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
        return response

    @app.after_request
    def _allow_origin(response):
        origin = _add_in_origin()
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
            # A 429 or 503 says when to come back; the add-in's script may read it.
            response.headers["Access-Control-Expose-Headers"] = "Retry-After"
            response.vary.add("Origin")
        return response
