"""The Flask application factory.

`create_app()` wires the adapters together: the JSON API (flask-smorest, which also serves
/openapi.json generated from the core's marshmallow schemas), the front page, problem-JSON error
handling and a privacy-safe access log.

Configuration (a dict passed to `create_app`, over these defaults):
- `DEV_MODE`: no authentication. Only `draftlint serve --dev` sets it, and only on loopback.
- `API_KEYS`: API key -> organisation; defaults to the JSON object in `$DRAFTLINT_API_KEYS`.
- `MAX_CONTENT_LENGTH`: larger request bodies get a 413 (default 2 MB).
- `DATABASE_URL`: where organisations and their policies live; defaults to `$DATABASE_URL`, else
  a SQLite file in the instance folder. Dev mode migrates it to the newest schema on start.
- `SECRET_KEY`: signs admin session cookies; defaults to `$DRAFTLINT_SECRET_KEY`, random in dev
  mode and tests. Without one in production the admin side answers 503 and linting carries on.
- Admin sign-in (`ENTRA_*`, `GOOGLE_*`, `OIDC_CA_BUNDLE`, `PUBLIC_BASE_URL`): see
  server/admin/sign_in.py.
- `POLICY_REFRESH_SECONDS`: how often each process rechecks an organisation's published policy
  version (default 2): a publish reaches every worker within that.
- State the processes share (`REDIS_URL`, `REPLICAS`): see server/shared_state.py.
- Outlook add-in identity (`OUTLOOK_CLIENT_ID`, `OUTLOOK_CLIENT_SECRET`, `OUTLOOK_APP_ID_URI`,
  `OUTLOOK_OPENID_CONFIG`, `OUTLOOK_JWKS_URI`, `OUTLOOK_ISSUER`, `OUTLOOK_AUTHORITY`,
  `OUTLOOK_OIDC_AUTHORITY`, `OUTLOOK_GRAPH_URL`, `OUTLOOK_GRAPH_SCOPES`, `OUTLOOK_GRAPH_TIMEOUT`,
  `OUTLOOK_GRAPH_BUDGET`, `OUTLOOK_GROUP_CACHE_SECONDS`; each also `$DRAFTLINT_<KEY>`): Entra
  access tokens on /v1 and Graph look-ups on behalf of the user; see server/outlook/verify.py.
- Gmail add-on (`GMAIL_MODE`, `GMAIL_ADDON_SERVICE_ACCOUNT`, `GMAIL_OAUTH_CLIENT_ID`,
  `GMAIL_DIRECTORY_CREDENTIALS`, `GMAIL_DIRECTORY_ADMINS`, ...): see server/gmail/settings.py.
- Metrics (`METRICS_TOKEN`): /metrics for Prometheus; see server/metrics.py.
- Rate limits on /v1, /gmail and admin sign-in (`RATE_LIMIT_API`, `RATE_LIMIT_GMAIL`,
  `RATE_LIMIT_SIGN_IN`, `RATE_LIMIT_STORAGE`): see server/limits.py.
"""

from __future__ import annotations

import logging
import time
import traceback

from flask import Flask, current_app, g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from linters.registry import Registry

from . import metrics
from .admin import session as admin_session
from .admin.api import admin_api
from .admin.pages import admin_pages
from .admin.sign_in import admin_auth
from .api import probes, v1
from .catalog import OPENAPI_VERSION
from .config import configure
from .engine import EXTENSION, STORAGE, load_engine, open_storage
from .gmail.routes import init_app as init_gmail
from .limits import init_app as init_limits
from .openapi import ProblemApi, declare_rule_ids, tidy_nullable_refs
from .outlook.enrich import EXTENSION as OUTLOOK
from .outlook.routes import init_app as init_outlook
from .pages import pages
from .problems import from_http_exception, problem
from .shared_state import PublishSignal
from .shared_state import init_app as init_shared_state
from .store import resolve_url
from .store.cache import DEFAULT_REFRESH_SECONDS
from .thread_activity import init_app as init_thread_activity

log = logging.getLogger(__name__)
access_log = logging.getLogger("server.access")

DEFAULTS = {
    "DEV_MODE": False,
    "API_KEYS": {},
    "PROXY_HOPS": 0,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "POLICY_REFRESH_SECONDS": DEFAULT_REFRESH_SECONDS,
    "API_TITLE": "draftlint",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": OPENAPI_VERSION,
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {"description": "Lints e-mail drafts against low-effort mail."},
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer"},
                "entraToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An Entra ID v2.0 access token for this API with the "
                    "access_as_user scope, as the Outlook add-in sends it.",
                },
                "adminSession": {"type": "apiKey", "in": "cookie", "name": "draftlint_session"},
            },
        },
    },
}


def _too_large(error: RequestEntityTooLarge):
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    return problem(413, f"The request body is larger than the limit of {limit} bytes.")


def _unexpected_error(error: Exception):
    # The exception's message and the traceback's locals may quote the draft, so the log gets
    # only the exception type and where it was raised; the client gets neither.
    frames = traceback.extract_tb(error.__traceback__)[-5:]
    where = " <- ".join(f"{f.filename}:{f.lineno} in {f.name}" for f in reversed(frames))
    log.error("%s in %s %s at %s", type(error).__name__, request.method, request.path, where)
    return problem(500, "Something went wrong on our side. The error has been logged.")


def organisations_missing_for_keys(app: Flask) -> list[str]:
    """The organisations `API_KEYS` names that the store does not hold: a key for one would lint
    with the built-in defaults instead of its organisation's policy, so `serve` refuses to start."""
    from .store import NotFound, get_org

    wanted = sorted(set(app.config["API_KEYS"].values()))
    missing = []
    storage = app.extensions[STORAGE]
    try:
        with storage.sessions() as db:
            for slug in wanted:
                try:
                    get_org(db, slug)
                except NotFound:
                    missing.append(slug)
    finally:
        # This runs in gunicorn's parent: a pooled connection left open would be inherited,
        # one socket shared, by every forked worker.
        storage.database.dispose()
    return missing


def default_instance_path() -> str:
    """The instance folder `create_app` uses (it holds the default SQLite file), for commands
    that need it without building the whole app."""
    return Flask(__name__).instance_path


def create_app(config: dict | None = None, *, registry: Registry | None = None) -> Flask:
    """Build the app; `registry` replaces the discovered rules (tests use it)."""
    app = Flask(__name__)
    configure(app, DEFAULTS, config)
    if app.config["PROXY_HOPS"]:
        # The client's address (rate limits, dev mode's loopback check) and scheme as the
        # trusted proxies saw them; without it every caller would be the proxy.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    app.extensions[EXTENSION] = load_engine(registry)
    app.config["DATABASE_URL"] = resolve_url(app.config.get("DATABASE_URL"), app.instance_path)
    shared = init_shared_state(app)
    app.extensions[STORAGE] = open_storage(
        app.config["DATABASE_URL"],
        migrate=app.config["DEV_MODE"],
        refresh_seconds=app.config["POLICY_REFRESH_SECONDS"],
        signal=PublishSignal(shared) if shared.shared else None,
    )
    init_thread_activity(app, shared)
    admin_session.init_app(app)
    api = ProblemApi(app)
    app.register_error_handler(HTTPException, from_http_exception)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(Exception, _unexpected_error)
    api.register_blueprint(v1)
    api.register_blueprint(probes)
    api.register_blueprint(admin_api)
    engine = app.extensions[EXTENSION]
    if engine is not None:  # None: the rules failed to load (503s)
        declare_rule_ids(api.spec, engine.registry)
    tidy_nullable_refs(api.spec)
    app.register_blueprint(pages)
    app.register_blueprint(admin_auth)
    app.register_blueprint(admin_pages)
    init_gmail(app)
    init_outlook(app)
    metrics.init_app(app)  # /metrics, not rate-limited
    entra_accepted = app.extensions[OUTLOOK].settings.accepts_tokens
    if not app.config["DEV_MODE"] and not app.config["API_KEYS"] and not entra_accepted:
        log.warning(
            "No API keys and no Entra client id configured: "
            "every /v1 request will be refused with 401."
        )

    @app.before_request
    def _start_timer():
        g.started = time.perf_counter()

    @app.after_request
    def _log_access(response):
        # Method, path, status and duration only: never the body, the query or the headers.
        started = g.get("started")  # none when a request failed before the timer started
        elapsed_ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        # A one-time sign-in token stands in its path: log the route, not the secret.
        secret = request.url_rule is not None and "token" in (request.view_args or {})
        path = request.url_rule.rule if secret else request.path
        where = metrics.observe_request(response.status_code, elapsed_ms / 1000)
        access_log.info(
            "%s %s %s %.1fms",
            request.method,
            path,
            response.status_code,
            elapsed_ms,
            extra={  # the same, as fields of a JSON log line (server/logs.py)
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": round(elapsed_ms, 1),
                "surface": where,
            },
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    init_limits(app)  # last: CORS preflights and the request timer come before the limits
    return app
