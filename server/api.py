"""The JSON API: `/v1/*` (authenticated unless in dev mode) and the `/healthz`, `/readyz` probes.

Request and response bodies are declared with the core's marshmallow schemas, which flask-smorest
turns into /openapi.json; the Segmentation and rule catalogue schemas below only document output
that has no schema in the core.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from flask import current_app, g, request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import ServiceUnavailable

from linters import Severity
from linters.schema import DRAFT_SCHEMA, DraftSchema, ReportSchema, load_draft
from linters.text import segment

from . import metrics, store
from .admin.session import ensure_dev_org
from .catalog import describe_registry
from .eml import eml_to_draft, not_a_message
from .engine import current_engine, current_storage
from .identity import authenticate, dev_request, resolve_policy
from .outlook.enrich import services as outlook_services
from .problems import ProblemSchema, http_error
from .request_body import JSONBodyParser
from .thread_activity import lint_in_thread

SECURITY = [{"apiKey": []}, {"entraToken": []}]  # either one
UNAUTHORIZED = "No credentials, or an unknown API key or an invalid Entra access token."
PROBLEM = "application/problem+json"
# What /v1 answers besides success, for the OpenAPI document: every error is problem JSON.
ERRORS = {
    400: "The body is not a JSON document: malformed, empty, nested too deeply, NUL bytes, "
    "invalid UTF-8 or a number of too many digits.",
    401: UNAUTHORIZED,
    413: "Larger than the request size limit.",
    415: "Not sent as application/json.",
    422: "The body failed validation; `errors` names each field.",
    429: "Too many requests from this caller; retry after `Retry-After` (server/limits.py).",
    503: "Credentials cannot be checked right now (Microsoft's signing keys are unreachable), "
    "the rules failed to load, or (/v1/events) the database is unavailable and the events were "
    "not counted; retry after `Retry-After`.",
}
JSON_BODY_ERRORS = (400, 401, 413, 415, 422, 429, 503)


def documents_errors(*statuses: int):
    """Declare the problem answers of a /v1 operation in the OpenAPI document."""

    def declare(view):
        documented = view
        for status in statuses:
            documented = v1.alt_response(
                status, schema=ProblemSchema, description=ERRORS[status], content_type=PROBLEM
            )(documented)
        # alt_response wraps the view once per status: keep the documentation, not six calls
        # more on every request.
        view._apidoc = documented._apidoc
        return view

    return declare


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
    text = fields.String(
        metadata={"description": "The body as plain text; `blocks` are offsets into it."}
    )
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
    docs = fields.String(
        metadata={
            "description": "Where the rule's docs page is served: /docs/rules/<id>, or a "
            "plugin's own URL."
        }
    )


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
        dev_mode=dev_request(),
        api_keys=current_app.config["API_KEYS"],
        entra=outlook_services().verifier,
    )


@v1.route("/lint", methods=["POST"])
@v1.arguments(DRAFT_SCHEMA, description="The draft being written.")
@v1.response(200, ReportSchema, description="The findings, loudest first.")
@documents_errors(*JSON_BODY_ERRORS)
@v1.doc(security=SECURITY)
def lint_draft(draft):
    """Lint a draft.

    With an Entra access token (the Outlook add-in), the sizes of groups sent without
    `member_count`, and the message replied to when only its `message_id` is given, are looked
    up in Microsoft Graph first; if Graph fails or is slow, the draft is linted without them.

    When the organisation's current policy cannot be read (the database is down), the draft is
    linted under the last version this server saw, else the defaults, and `policy.fallback`
    (`last-known` | `defaults`) and `policy.reason` say so.

    For a reply with a `thread_id`, the server fills in `thread_activity` from its own counts of
    the thread's reply-alls (the reply-all-storm rule), counting this one if it goes to all; when
    those counts cannot be had, `failed_rules` names `reply-all-storm`.
    """
    if g.identity.method == "entra":
        draft = outlook_services().enricher.enrich(draft, g.identity)
    resolved = resolve_policy(g.identity, current_engine().default_policy)
    report = lint_in_thread(draft, g.identity.org, resolved)  # logs rules that failed
    metrics.count_lint(report)
    return report


@v1.route("/parse", methods=["POST"])
@v1.arguments(DRAFT_SCHEMA, description="The draft whose body to segment.")
@v1.response(200, SegmentationSchema, description="The body cut into typed blocks.")
@documents_errors(*JSON_BODY_ERRORS)
@v1.doc(security=SECURITY)
def parse_draft(draft):
    """Show how a draft's body is segmented: new text, greeting, sign-off, signature, quote."""
    segmentation = segment(draft.body, author=draft.sender)
    return {**segmentation.as_dict(), "text": segmentation.text}


@v1.route("/rules", methods=["GET"])
@v1.response(200, CatalogSchema)
@documents_errors(401, 429, 503)
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


EML_TYPES = ("message/rfc822", "application/octet-stream")
RAW_MESSAGE = {"schema": {"type": "string", "format": "binary"}}


@v1.route("/drafts/from-eml", methods=["POST"])
@v1.doc(
    requestBody={
        "required": True,
        "description": "The raw message, as an .eml file holds it (RFC 5322, MIME).",
        "content": dict.fromkeys(EML_TYPES, RAW_MESSAGE),
    },
    security=SECURITY,
)
@v1.response(200, DraftSchema, description="The message as Draft JSON, ready for /v1/lint.")
@v1.alt_response(400, schema=ProblemSchema, description="Empty, or not an e-mail message.")
@v1.alt_response(401, schema=ProblemSchema, description=UNAUTHORIZED)
@v1.alt_response(413, schema=ProblemSchema, description="Larger than the request size limit.")
@v1.alt_response(415, schema=ProblemSchema, description="Not sent as message/rfc822.")
@v1.alt_response(422, schema=ProblemSchema, description="Read, but not as a valid draft.")
def draft_from_eml():
    """Turn an .eml file into Draft JSON: recipients, subject, compose type, body, attachments."""
    if request.mimetype not in EML_TYPES:
        raise http_error(415, "Send the raw message as message/rfc822.")
    data = request.get_data(cache=False)
    if not data.strip():
        raise http_error(400, "The body is empty; send the raw message.")
    if not_a_message(data):
        raise http_error(400, "This is not an e-mail message: it has no header lines.")
    try:
        return load_draft(eml_to_draft(data))
    except ValidationError as exc:  # eml_to_draft clamps to the schema; this is a safety net
        raise http_error(422, "The message could not be read as a draft.", exc.messages) from None


# --- outcome events -------------------------------------------------------------------------

MAX_EVENTS = 500  # per request
MAX_EVENT_COUNT = 10_000  # per event
EVENT_PAST_DAYS = 7  # how late a client may report a day
REPORTED_SEVERITIES = [s.value for s in Severity if s is not Severity.OFF]


class EventSchema(Schema):
    rule = fields.String(required=True, validate=validate.Length(min=1, max=100))
    severity = fields.String(required=True, validate=validate.OneOf(REPORTED_SEVERITIES))
    outcome = fields.String(
        required=True, validate=validate.OneOf([o.value for o in store.Outcome])
    )
    count = fields.Integer(
        load_default=1, strict=True, validate=validate.Range(min=1, max=MAX_EVENT_COUNT)
    )
    day = fields.Date(metadata={"description": "UTC day it happened (default: today)."})

    @validates("rule")
    def _known_rule(self, value: str, **_):
        if value not in current_engine().registry:
            raise ValidationError("Unknown rule id.")

    @validates("day")
    def _recent(self, value, **_):
        today = datetime.now(UTC).date()
        if not today - timedelta(days=EVENT_PAST_DAYS) <= value <= today + timedelta(days=1):
            raise ValidationError(f"Must be within the last {EVENT_PAST_DAYS} days.")


class EventsSchema(Schema):
    events = fields.List(
        fields.Nested(EventSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_EVENTS),
    )


class EventsRecordedSchema(Schema):
    recorded = fields.Integer(metadata={"description": "How many events were counted."})


@v1.route("/events", methods=["POST"])
@v1.arguments(EventsSchema, description="What people did after findings, as counts.")
@v1.response(200, EventsRecordedSchema)
@documents_errors(*JSON_BODY_ERRORS)
@v1.alt_response(
    404, schema=ProblemSchema, description="The organisation is not set up.", content_type=PROBLEM
)
@v1.doc(security=SECURITY)
def record_events(body):
    """Report outcomes (shown, changed_recipients, edited, sent_anyway, dismissed) as counts.

    Only counts are kept: rule, severity, outcome and day; never anything of the draft. While
    the database is unavailable the answer is 503 with `Retry-After`: nothing was counted.
    """
    today = datetime.now(UTC).date()
    events = [
        (e.get("day") or today, e["rule"], e["severity"], e["outcome"], e["count"])
        for e in body["events"]
    ]
    breaker = current_storage().breaker
    # A stand-in organisation: the database was down when the caller's tenant was looked up.
    if not g.identity.org_known or not breaker.allows():
        raise _events_not_counted(breaker.retry_after())
    try:
        counted = _count(g.identity, events)
    except SQLAlchemyError as error:  # the breaker logs the outage, once
        breaker.failed(error)
        raise _events_not_counted(breaker.retry_after()) from None
    breaker.succeeded()
    if not counted:
        raise http_error(404, "Your organisation is not set up on this server.")
    metrics.count_events(events)
    return {"recorded": len(events)}


def _count(identity, events) -> bool:
    """Add `events` to the organisation's counters; False when it is not set up."""
    if identity.method == "dev":
        ensure_dev_org()
    with current_storage().sessions.begin() as db:
        try:
            org = store.get_org(db, identity.org)
        except store.NotFound:
            return False
        store.record_events(db, org, events)
    return True


def _events_not_counted(retry_after: float) -> ServiceUnavailable:
    return ServiceUnavailable(
        "The statistics database is unavailable: these events were not counted. "
        "Send them again later.",
        retry_after=max(1, math.ceil(retry_after)),
    )
