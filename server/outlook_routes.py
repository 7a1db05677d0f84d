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

The icons the manifests reference are static files (server/static/outlook/); the task pane and
the event runtime's page and script come with issue 5's front end.
"""

from __future__ import annotations

import os

from flask import Blueprint, current_app, jsonify, request

from .manifests import allowed_add_in_scripts

outlook = Blueprint("outlook", __name__)

ALLOWED_ADD_INS_PATH = "/.well-known/microsoft-officeaddins-allowed.json"


def public_base_url() -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or os.environ.get("DRAFTLINT_PUBLIC_BASE_URL")
    return (base or request.url_root).rstrip("/")


@outlook.route(ALLOWED_ADD_INS_PATH)
def allowed_add_ins():
    response = jsonify({"allowed": allowed_add_in_scripts(public_base_url())})
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
