"""The pages a person reads: the front page with its playground, and the rule docs.

The playground is plain HTML, CSS and one script, all served from here: nothing inline (the
Content-Security-Policy forbids it) and nothing from a CDN. The script calls the public API
(`/v1/lint`, `/v1/parse`, `/v1/drafts/from-eml`) exactly as any other client would.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from .docs_pages import rule_doc
from .engine import current_engine

pages = Blueprint("pages", __name__)

SAMPLE_DRAFT = "static/sample-reply-all.json"

# Everything the pages need is served from here; nothing inline, nothing from a CDN.
CONTENT_SECURITY_POLICY = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'"


def _page(template: str, **context):
    html = render_template(template, **context)
    return html, 200, {"Content-Security-Policy": CONTENT_SECURITY_POLICY}


@pages.route("/")
def index():
    with current_app.open_resource(SAMPLE_DRAFT, "r", encoding="utf-8") as sample:
        sample_draft = sample.read()
    return _page("index.html", sample_draft=sample_draft, dev_mode=current_app.config["DEV_MODE"])


@pages.route("/docs/rules/")
def rules_index():
    rules = sorted(current_engine().registry.rules.values(), key=lambda rule: rule.id)
    listed = [(rule, rule_doc(rule.id) is not None) for rule in rules]
    return _page("rules.html", rules=listed)


@pages.route("/docs/rules/<rule_id>")
def rule_page(rule_id: str):
    doc = rule_doc(rule_id)
    if doc is None:
        abort(404, description="There is no docs page for that rule.")
    title, html = doc
    return _page("rule.html", title=title, body=html)
