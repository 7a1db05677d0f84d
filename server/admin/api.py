"""The admin JSON API under /v1/admin: the draft policy and its lifecycle, the audit log, the
statistics. In /openapi.json like the rest of /v1.

Every route takes the organisation from the signed-in admin (`current_admin()`), never from the
URL or the body, so one organisation can never name another's data. Roles: a viewer reads; an
editor also edits, validates, previews, publishes and rolls back; an owner does everything.

The draft's ETag (`"draft-7"`) is sent as `ETag` on reads and required as `If-Match` on every
write (PUT of the draft, YAML import, publish, rollback): missing, 428; stale, 412 and nothing is
written. State-changing requests also need the session's CSRF token in `X-CSRF-Token`
(see `session.py`); `GET /v1/admin/session` hands it out.

Previews lint a draft the admin brings, under the draft policy and under the published one; the
draft is not stored and not logged.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Response, request
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy.orm import Session

from linters import Policy, lint
from linters.schema import DraftSchema, ReportSchema, load_draft

from .. import store
from ..api import JSONBlueprint
from ..eml import eml_to_draft
from ..engine import current_engine, current_storage
from ..problems import ProblemSchema, http_error, problem
from ..store import Organisation, Outcome, Role
from .session import csrf_token, current_admin, require_admin, sign_out_everywhere

admin_api = JSONBlueprint(
    "admin_api",
    __name__,
    url_prefix="/v1/admin",
    description="Tune the organisation's policy: edit, preview, publish, roll back; read the "
    "audit log and statistics. Needs an admin session (sign in at /admin/sign-in).",
)

SECURITY = [{"adminSession": []}]
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")
EML_TYPES = ("message/rfc822", "application/octet-stream")
MAX_AUDIT_PAGE = 500
MAX_STATS_DAYS = 366
DEFAULT_STATS_DAYS = 30
MAX_COMMENT = 1000
MAX_ID = 2**31 - 1  # version numbers and entry ids: what every database backend stores


# --- schemas -------------------------------------------------------------------------------


class PolicyDocumentSchema(Schema):
    """A policy document, as the CLI's --policy file holds it; validated by the store."""

    class Meta:
        unknown = INCLUDE  # passed on, so the store's validation names the unknown field

    rules = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        metadata={"description": "Rule id -> options (severity, thresholds, phrases, ...)."},
    )
    exemptions = fields.Dict(metadata={"description": "subjects / senders patterns (RE2)."})
    unknown_group_size = fields.Integer(strict=True)


class DraftPolicySchema(Schema):
    document = fields.Dict(metadata={"description": "The draft policy document."})
    etag = fields.String(metadata={"description": "Send it back as If-Match to change it."})
    revision = fields.Integer()
    updated_by = fields.String(allow_none=True)
    updated_at = fields.DateTime()


class ValidationResultSchema(Schema):
    valid = fields.Boolean()
    errors = fields.Dict(metadata={"description": "Messages keyed by field, when not valid."})


class PreviewSchema(Schema):
    draft = fields.Nested(ReportSchema, metadata={"description": "Under the draft policy."})
    published = fields.Nested(
        ReportSchema,
        metadata={"description": "Under the published policy (the defaults if none is)."},
    )


class CommentSchema(Schema):
    comment = fields.String(load_default="", validate=validate.Length(max=MAX_COMMENT))


class RollbackSchema(CommentSchema):
    version = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"example": 3},
    )


class VersionSummarySchema(Schema):
    number = fields.Integer()
    author = fields.String()
    created_at = fields.DateTime()
    comment = fields.String()
    restored_from = fields.Integer(allow_none=True)


class VersionSchema(VersionSummarySchema):
    document = fields.Dict()


class VersionListSchema(Schema):
    versions = fields.List(
        fields.Nested(VersionSummarySchema), metadata={"description": "Newest first."}
    )


class ChangeSchema(Schema):
    path = fields.List(fields.String())
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class DiffQuerySchema(Schema):
    from_ = fields.Integer(
        data_key="from",
        required=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"example": 1},
    )
    to = fields.String(
        load_default="draft",
        validate=validate.Regexp(r"^(draft|[1-9][0-9]{0,8})$", error="A version number or draft."),
        metadata={"description": "A version number, or `draft` (the default)."},
    )


class DiffSchema(Schema):
    from_ = fields.Integer(data_key="from")
    to = fields.Raw(metadata={"description": "A version number or `draft`."})
    changes = fields.List(fields.Nested(ChangeSchema))


class AuditQuerySchema(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_AUDIT_PAGE))
    before = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "An entry id: list only older entries (the next page)."},
    )


class AuditEntrySchema(Schema):
    id = fields.Integer()
    actor = fields.String()
    action = fields.String()
    target = fields.String()
    change = fields.Dict()
    created_at = fields.DateTime()


class AuditPageSchema(Schema):
    entries = fields.List(
        fields.Nested(AuditEntrySchema), metadata={"description": "Newest first."}
    )
    next_before = fields.Integer(
        allow_none=True, metadata={"description": "Pass as `before` for the next page."}
    )


class StatsQuerySchema(Schema):
    from_ = fields.Date(
        data_key="from",
        metadata={
            "description": f"First day (default: 30 days ago); at most {MAX_STATS_DAYS} days "
            "before `to`."
        },
    )
    to = fields.Date(metadata={"description": "Last day, inclusive (default: today, UTC)."})
    outcome = fields.String(
        load_default=Outcome.SHOWN.value,
        validate=validate.OneOf([o.value for o in Outcome]),
        metadata={"description": "The outcome `per_rule_per_day` counts (default: shown)."},
    )

    @validates_schema
    def _span(self, data, **_):
        start, end = _stats_span(data)
        if start > end:
            raise ValidationError("Must not be after `to`.", "from")
        if (end - start).days >= MAX_STATS_DAYS:
            raise ValidationError(f"At most {MAX_STATS_DAYS} days at once.", "from")


class DayCountSchema(Schema):
    day = fields.Date()
    rule = fields.String()
    count = fields.Integer()


class StatsSchema(Schema):
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    outcome = fields.String()
    per_rule_per_day = fields.List(fields.Nested(DayCountSchema))
    per_outcome = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "Totals."}
    )


class SessionSchema(Schema):
    org = fields.String()
    email = fields.String()
    role = fields.String()
    csrf_token = fields.String(metadata={"description": "Send it as X-CSRF-Token on writes."})


class SignedOutSchema(Schema):
    ended = fields.Integer(metadata={"description": "How many sessions were ended."})


# --- errors --------------------------------------------------------------------------------


@admin_api.errorhandler(store.StaleWrite)
def _stale(error):
    return problem(412, "The draft has changed since you read it; read it again and retry.")


@admin_api.errorhandler(store.NotFound)
def _not_found(error):
    return problem(404, str(error))


@admin_api.errorhandler(store.AlreadyExists)
def _exists(error):
    return problem(409, str(error))


@admin_api.errorhandler(ValidationError)
def _invalid(error: ValidationError):
    return problem(422, "The policy is not valid; see errors.", error.messages)


# --- helpers -------------------------------------------------------------------------------

READ = require_admin(Role.VIEWER)
WRITE = require_admin(Role.EDITOR)
_RESPONSES_401_403 = (
    (401, "Not signed in."),
    (403, "Role too low, or the CSRF token is missing or wrong."),
)


# The draft's ETag guards every change to it: the operations that take it say so.
IF_MATCH = admin_api.doc(
    parameters=[
        {
            "in": "header",
            "name": "If-Match",
            "required": True,
            "schema": {"type": "string", "minLength": 1},
            "description": "The draft's ETag as last read: 428 without it, 412 when stale.",
        }
    ]
)


def _doc(blueprint_view):
    """Document the shared error responses and the session security on a view."""
    for status, description in _RESPONSES_401_403:
        blueprint_view = admin_api.alt_response(
            status, schema=ProblemSchema, description=description
        )(blueprint_view)
    return admin_api.doc(security=SECURITY)(blueprint_view)


def _org(db: Session) -> Organisation:
    admin = current_admin()
    if admin is None:  # the view is guarded; this is a second lock on the door
        raise http_error(401, "Sign in as an admin first.")
    return store.get_org(db, admin.org)


def _actor() -> str:
    admin = current_admin()
    assert admin is not None
    return admin.email


def _if_match() -> str:
    value = request.headers.get("If-Match")
    if not value:
        raise http_error(428, "Send the draft's ETag as If-Match (read the draft first).")
    return value


def _registry():
    return current_engine().registry


def _draft_body(draft) -> dict:
    return {
        "document": draft.document,
        "etag": draft.etag,
        "revision": draft.revision,
        "updated_by": draft.updated_by,
        "updated_at": draft.updated_at,
    }


def _published_policy(db: Session, org: Organisation) -> Policy:
    version = store.current_version(db, org)
    if version is None:
        return current_engine().default_policy
    return Policy.build(
        version.document, registry=_registry(), org=org.slug, version=version.number
    )


def _stats_span(data: dict) -> tuple[date, date]:
    end = data.get("to") or datetime.now(UTC).date()
    # date.min (0001-01-01) is as early as a date goes: a default start before it is date.min.
    earliest = date.min + timedelta(days=DEFAULT_STATS_DAYS - 1)
    start = data.get("from_") or (
        end - timedelta(days=DEFAULT_STATS_DAYS - 1) if end >= earliest else date.min
    )
    return start, end


# --- session -------------------------------------------------------------------------------


@admin_api.route("/session", methods=["GET"])
@READ
@admin_api.response(200, SessionSchema)
@_doc
def who_am_i():
    """The signed-in admin, and the CSRF token to send with writes."""
    admin = current_admin()
    return {
        "org": admin.org,
        "email": admin.email,
        "role": admin.role.value,
        "csrf_token": csrf_token(),
    }


@admin_api.route("/session/sign-out-everywhere", methods=["POST"])
@READ
@admin_api.response(200, SignedOutSchema)
@_doc
def sign_out_everywhere_op():
    """End every session of the signed-in admin in their organisation, on every browser, this
    one included: each has to sign in again."""
    return {"ended": sign_out_everywhere()}


# --- the draft -----------------------------------------------------------------------------


@admin_api.route("/policy/draft", methods=["GET"])
@READ
@admin_api.response(200, DraftPolicySchema, headers={"ETag": {"schema": {"type": "string"}}})
@_doc
def get_draft():
    """The draft policy, with its ETag."""
    with current_storage().sessions() as db:
        draft = store.get_draft(db, _org(db))
        return _draft_body(draft), 200, {"ETag": draft.etag}


@admin_api.route("/policy/draft", methods=["PUT"])
@WRITE
@admin_api.arguments(PolicyDocumentSchema, description="The whole new draft document.")
@admin_api.response(200, DraftPolicySchema)
@admin_api.alt_response(412, schema=ProblemSchema, description="If-Match is stale.")
@admin_api.alt_response(422, schema=ProblemSchema, description="Invalid; errors name fields.")
@admin_api.alt_response(428, schema=ProblemSchema, description="If-Match is missing.")
@IF_MATCH
@_doc
def put_draft(document):
    """Replace the draft policy (If-Match: the ETag you read)."""
    if_match = _if_match()
    with current_storage().sessions.begin() as db:
        draft = store.save_draft(
            db, _org(db), document, if_match=if_match, actor=_actor(), registry=_registry()
        )
        return _draft_body(draft), 200, {"ETag": draft.etag}


@admin_api.route("/policy/draft/validate", methods=["POST"])
@WRITE
@admin_api.arguments(PolicyDocumentSchema, description="A policy document to check.")
@admin_api.response(200, ValidationResultSchema)
@_doc
def validate_draft(document):
    """Check a policy document without saving it: every bad option is named."""
    try:
        Policy.build(document, registry=_registry())
    except ValidationError as exc:
        return {"valid": False, "errors": exc.messages}
    return {"valid": True}


@admin_api.route("/policy/draft.yaml", methods=["GET"])
@READ
@admin_api.doc(
    responses={"200": {"description": "The draft as YAML.", "content": {"application/yaml": {}}}}
)
@_doc
def export_yaml():
    """The draft policy as YAML: the same format as the CLI's --policy file."""
    with current_storage().sessions() as db:
        org = _org(db)
        text = store.export_draft_yaml(db, org)
        etag = store.get_draft(db, org).etag
    response = Response(text, mimetype="application/yaml")
    response.headers["ETag"] = etag
    response.headers["Content-Disposition"] = 'attachment; filename="draftlint-policy.yaml"'
    return response


@admin_api.route("/policy/draft.yaml", methods=["PUT"])
@WRITE
@admin_api.doc(
    requestBody={
        "required": True,
        "description": "A policy document in YAML (the CLI's --policy format).",
        "content": {
            "application/yaml": {"schema": {"$ref": "#/components/schemas/PolicyDocument"}}
        },
    }
)
@admin_api.response(200, DraftPolicySchema)
@admin_api.alt_response(412, schema=ProblemSchema, description="If-Match is stale.")
@admin_api.alt_response(415, schema=ProblemSchema, description="Not sent as YAML.")
@admin_api.alt_response(422, schema=ProblemSchema, description="Invalid; errors name fields.")
@admin_api.alt_response(428, schema=ProblemSchema, description="If-Match is missing.")
@IF_MATCH
@_doc
def import_yaml():
    """Replace the draft policy with a YAML document (If-Match: the ETag you read)."""
    if request.mimetype not in YAML_TYPES:
        raise http_error(415, "Send the policy as application/yaml.")
    if_match = _if_match()
    try:
        text = request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError:
        raise http_error(400, "The YAML is not UTF-8.") from None
    with current_storage().sessions.begin() as db:
        draft = store.import_draft_yaml(
            db, _org(db), text, if_match=if_match, actor=_actor(), registry=_registry()
        )
        return _draft_body(draft), 200, {"ETag": draft.etag}


# --- preview -------------------------------------------------------------------------------


def _preview(draft) -> dict:
    with current_storage().sessions() as db:
        org = _org(db)
        under_draft = store.draft_policy(db, org, registry=_registry())
        under_published = _published_policy(db, org)
    return {"draft": lint(draft, under_draft), "published": lint(draft, under_published)}


@admin_api.route("/policy/preview", methods=["POST"])
@WRITE
@admin_api.arguments(DraftSchema, description="A draft (Draft JSON, as for /v1/lint).")
@admin_api.response(200, PreviewSchema)
@_doc
def preview(draft):
    """Lint a draft under the draft policy and under the published one. Nothing is kept."""
    return _preview(draft)


@admin_api.route("/policy/preview-eml", methods=["POST"])
@WRITE
@admin_api.doc(
    requestBody={
        "required": True,
        "description": "A raw message, as an .eml file holds it.",
        "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in EML_TYPES},
    }
)
@admin_api.response(200, PreviewSchema)
@admin_api.alt_response(400, schema=ProblemSchema, description="Empty.")
@admin_api.alt_response(415, schema=ProblemSchema, description="Not message/rfc822.")
@_doc
def preview_eml():
    """Preview an uploaded .eml: lint it under the draft and the published policy."""
    if request.mimetype not in EML_TYPES:
        raise http_error(415, "Send the raw message as message/rfc822.")
    data = request.get_data(cache=False)
    if not data.strip():
        raise http_error(400, "The body is empty; send the raw message.")
    try:
        draft = load_draft(eml_to_draft(data))
    except ValidationError as exc:
        raise http_error(422, "The message could not be read as a draft.", exc.messages) from None
    return _preview(draft)


# --- publish, versions, rollback -----------------------------------------------------------


def _version_body(version, *, document: bool = True) -> dict:
    body = {
        "number": version.number,
        "author": version.author,
        "created_at": version.created_at,
        "comment": version.comment,
        "restored_from": version.restored_from,
    }
    if document:
        body["document"] = version.document
    return body


@admin_api.route("/policy/publish", methods=["POST"])
@WRITE
@admin_api.arguments(CommentSchema, description="Why: shown in the version history.")
@admin_api.response(201, VersionSchema, description="The new version; ETag: the draft's new one.")
@admin_api.alt_response(412, schema=ProblemSchema, description="If-Match is stale.")
@admin_api.alt_response(422, schema=ProblemSchema, description="The draft is not valid.")
@admin_api.alt_response(428, schema=ProblemSchema, description="If-Match is missing.")
@IF_MATCH
@_doc
def publish(body):
    """Publish the draft as the next version (If-Match: the draft's ETag)."""
    if_match = _if_match()
    with current_storage().sessions.begin() as db:
        org = _org(db)
        version = store.publish(
            db,
            org,
            if_match=if_match,
            actor=_actor(),
            comment=body["comment"],
            registry=_registry(),
        )
        etag = store.get_draft(db, org).etag
        return _version_body(version), 201, {"ETag": etag}


@admin_api.route("/policy/rollback", methods=["POST"])
@WRITE
@admin_api.arguments(RollbackSchema)
@admin_api.response(201, VersionSchema, description="The new version; ETag: the draft's new one.")
@admin_api.alt_response(404, schema=ProblemSchema, description="No such version.")
@admin_api.alt_response(412, schema=ProblemSchema, description="If-Match is stale.")
@admin_api.alt_response(428, schema=ProblemSchema, description="If-Match is missing.")
@IF_MATCH
@_doc
def rollback(body):
    """Publish a copy of an earlier version as a new one, and make it the draft too."""
    if_match = _if_match()
    with current_storage().sessions.begin() as db:
        org = _org(db)
        version = store.rollback(
            db,
            org,
            body["version"],
            if_match=if_match,
            actor=_actor(),
            comment=body["comment"],
            registry=_registry(),
        )
        etag = store.get_draft(db, org).etag
        return _version_body(version), 201, {"ETag": etag}


@admin_api.route("/policy/versions", methods=["GET"])
@READ
@admin_api.response(200, VersionListSchema)
@_doc
def list_versions():
    """Every published version, newest (the one in force) first."""
    with current_storage().sessions() as db:
        versions = store.list_versions(db, _org(db))
        return {"versions": [_version_body(v, document=False) for v in versions]}


@admin_api.route("/policy/versions/<int:number>", methods=["GET"])
@READ
@admin_api.response(200, VersionSchema)
@admin_api.alt_response(404, schema=ProblemSchema, description="No such version.")
@_doc
def get_version(number: int):
    """One published version, with its document."""
    if number > MAX_ID:  # no database stores it: a SQLite integer overflows
        raise http_error(404, f"No version {number}.")
    with current_storage().sessions() as db:
        return _version_body(store.get_version(db, _org(db), number))


@admin_api.route("/policy/diff", methods=["GET"])
@READ
@admin_api.arguments(DiffQuerySchema, location="query")
@admin_api.response(200, DiffSchema)
@admin_api.alt_response(404, schema=ProblemSchema, description="No such version.")
@_doc
def diff(query):
    """What changed from one version to another, or to the draft."""
    with current_storage().sessions() as db:
        org = _org(db)
        before = store.get_version(db, org, query["from_"]).document
        if query["to"] == "draft":
            after, to = store.get_draft(db, org).document, "draft"
        else:
            to = int(query["to"])
            after = store.get_version(db, org, to).document
        return {"from_": query["from_"], "to": to, "changes": store.diff_documents(before, after)}


# --- audit log and statistics --------------------------------------------------------------


@admin_api.route("/audit", methods=["GET"])
@READ
@admin_api.arguments(AuditQuerySchema, location="query")
@admin_api.response(200, AuditPageSchema)
@_doc
def audit(query):
    """The audit log, newest first, a page at a time."""
    with current_storage().sessions() as db:
        entries = store.list_entries(
            db, _org(db), limit=query["limit"], before_id=query.get("before")
        )
        page = [
            {
                "id": e.id,
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "change": e.change,
                "created_at": e.created_at,
            }
            for e in entries
        ]
    full = len(page) == query["limit"]
    return {"entries": page, "next_before": page[-1]["id"] if full and page else None}


@admin_api.route("/stats", methods=["GET"])
@READ
@admin_api.arguments(StatsQuerySchema, location="query")
@admin_api.response(200, StatsSchema)
@_doc
def stats(query):
    """Findings per rule per day (or another outcome), and each outcome's total, for at most
    366 days at once (422 for a longer span)."""
    start, end = _stats_span(query)
    with current_storage().sessions() as db:
        org = _org(db)
        rows = store.counts_per_rule_per_day(db, org, start, end, outcome=query["outcome"])
        totals = store.counts_per_outcome(db, org, start, end)
    return {
        "from_": start,
        "to": end,
        "outcome": query["outcome"],
        "per_rule_per_day": [{"day": d, "rule": r, "count": c} for d, r, c in rows],
        "per_outcome": totals,
    }
