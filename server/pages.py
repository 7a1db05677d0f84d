"""The front page: what draftlint is, and a playground that calls the API from the browser."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

pages = Blueprint("pages", __name__)

SAMPLE_DRAFT = "static/sample-reply-all.json"

# Everything the page needs is served from here; nothing inline, nothing from a CDN.
CONTENT_SECURITY_POLICY = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'"


@pages.route("/")
def index():
    with current_app.open_resource(SAMPLE_DRAFT, "r", encoding="utf-8") as sample:
        sample_draft = sample.read()
    html = render_template(
        "index.html", sample_draft=sample_draft, dev_mode=current_app.config["DEV_MODE"]
    )
    return html, 200, {"Content-Security-Policy": CONTENT_SECURITY_POLICY}
