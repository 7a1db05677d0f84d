"""The JSON API: `/v1/*` (authenticated unless in dev mode) and the `/healthz`, `/readyz` probes.

Request and response bodies are declared with the core's marshmallow schemas, which flask-smorest
turns into /openapi.json; the Segmentation and rule catalogue schemas below only document output
that has no schema in the core.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from linters import lint
from linters.schema import DraftSchema, ReportSchema
from linters.text import segment

from .catalog import describe_registry
from .engine import current_engine
from .identity import authenticate, resolve_policy
from .problems import ProblemSchema
from .request_body import JSONBodyParser

SECURITY = [{"apiKey": []}]


class JSONBlueprint(Blueprint):
    ARGUMENTS_PARSER = JSONBodyParser()


v1 = JSONBlueprint(
    "v1", __name__, url_prefix="/v1", description="Lint drafts and describe the rules."
)
probes = JSONBlueprint("probes", __name__, description="Liveness and readiness for orchestrators.")


class BlockSchema(Schema):
    kind = fields.String(metadata={"description": "greeting | body | signoff | signature | quote"})
    start = fields.Integer()
    end = fields.Integer()


class SegmentationSchema(Schema):
    new_text = fields.String(metadata={"description": "The author's own text, quotes removed."})
    greeting = fields.String(allow_none=True)
    body = fields.String()
    signoff = fields.String(allow_none=True)
    signature = fields.String(allow_none=True)
    quote = fields.String(allow_none=True)
    blocks = fields.List(fields.Nested(BlockSchema))


class RuleSchema(Schema):
    id = fields.String()
    summary = fields.String()
    default_severity = fields.String()
    preview = fields.Boolean(metadata={"description": "Off unless a policy turns it on."})
    options = fields.Dict(metadata={"description": "OpenAPI 3.0 schema of the rule's options."})
    defaults = fields.Dict()
    docs = fields.String(metadata={"description": "Path of the rule's docs page in the repo."})


class PluginErrorSchema(Schema):
    source = fields.String(metadata={"description": "The entry point or module that failed."})
    error = fields.String()


class CatalogSchema(Schema):
    rules = fields.List(fields.Nested(RuleSchema))
    errors = fields.List(
        fields.Nested(PluginErrorSchema),
        metadata={"description": "Rule plugins that failed to load and were skipped."},
    )


class StatusSchema(Schema):
    status = fields.String()


@v1.before_request
def _authenticate():
    g.identity = authenticate(
        request,
        dev_mode=current_app.config["DEV_MODE"],
        api_keys=current_app.config["API_KEYS"],
    )


@v1.route("/lint", methods=["POST"])
@v1.arguments(DraftSchema, description="The draft being written.")
@v1.response(200, ReportSchema, description="The findings, loudest first.")
@v1.alt_response(401, schema=ProblemSchema, description="Missing or unknown API key.")
@v1.doc(security=SECURITY)
def lint_draft(draft):
    """Lint a draft."""
    policy = resolve_policy(g.identity, current_engine().default_policy)
    return lint(draft, policy)


@v1.route("/parse", methods=["POST"])
@v1.arguments(DraftSchema, description="The draft whose body to segment.")
@v1.response(200, SegmentationSchema, description="The body cut into typed blocks.")
@v1.alt_response(401, schema=ProblemSchema, description="Missing or unknown API key.")
@v1.doc(security=SECURITY)
def parse_draft(draft):
    """Show how a draft's body is segmented: new text, greeting, sign-off, signature, quote."""
    return segment(draft.body, author=draft.sender).as_dict()


@v1.route("/rules", methods=["GET"])
@v1.response(200, CatalogSchema)
@v1.alt_response(401, schema=ProblemSchema, description="Missing or unknown API key.")
@v1.doc(security=SECURITY)
def list_rules():
    """List the rules with their options schemas, and any rule plugins that failed to load."""
    return describe_registry(current_engine().registry)


@probes.route("/healthz", methods=["GET"])
@probes.response(200, StatusSchema)
def healthz():
    """Liveness: the process answers."""
    return {"status": "ok"}


@probes.route("/readyz", methods=["GET"])
@probes.response(200, StatusSchema)
@probes.alt_response(503, schema=ProblemSchema, description="The rules failed to load.")
def readyz():
    """Readiness: the rules are loaded and requests can be linted."""
    current_engine()
    return {"status": "ready"}
