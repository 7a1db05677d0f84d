"""Marshmallow schemas for the Draft and Report JSON of DESIGN.md.

They are the single definition of the wire format: the server validates requests with them, the CLI
reads files with them and the OpenAPI document is generated from them. Errors name the field
(`{"to": {"0": {"email": ["Missing data for required field."]}}}`).
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, post_dump, post_load, validate

from .model import (
    Address,
    Attachment,
    Body,
    BodyType,
    Client,
    ComposeType,
    Draft,
    Original,
    Recipient,
    RecipientType,
    Report,
    Severity,
)

# Generous caps: they bound memory and time per request, not what real mail needs.
MAX_EMAIL = 320  # RFC 5321 path limit
MAX_NAME = 1000
MAX_SUBJECT = 10_000
MAX_RECIPIENTS = 100_000
MAX_ATTACHMENTS = 1000


class Text(fields.String):
    """A string that is valid Unicode: JSON can spell an unpaired surrogate ("\\ud800"), which
    no mail client sends and which text matching (RE2) cannot encode."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValidationError(
                f"Unpaired surrogate at character {exc.start}: not valid Unicode text."
            ) from None
        return text


def _enum(enum, **kwargs):
    return fields.Enum(enum, by_value=True, **kwargs)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class AddressSchema(_Strict):
    email = Text(required=True, validate=validate.Length(min=1, max=MAX_EMAIL))
    name = Text(allow_none=True, validate=validate.Length(max=MAX_NAME))

    @post_load
    def _make(self, data, **_):
        return Address(**data)


class RecipientSchema(AddressSchema):
    type = _enum(RecipientType, load_default=RecipientType.USER)
    member_count = fields.Integer(
        allow_none=True, strict=True, validate=validate.Range(min=0, max=10_000_000)
    )

    @post_load
    def _make(self, data, **_):
        return Recipient(**data)


def _recipients(**kwargs):
    return fields.List(
        fields.Nested(RecipientSchema),
        load_default=(),
        validate=validate.Length(max=MAX_RECIPIENTS),
        **kwargs,
    )


class BodySchema(_Strict):
    content = Text(load_default="")
    type = _enum(BodyType, load_default=BodyType.TEXT)

    @post_load
    def _make(self, data, **_):
        return Body(**data)


class AttachmentSchema(_Strict):
    name = Text(load_default="", validate=validate.Length(max=MAX_NAME))
    size = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0))
    inline = fields.Boolean(load_default=False)

    @post_load
    def _make(self, data, **_):
        return Attachment(**data)


class OriginalSchema(_Strict):
    sender = fields.Nested(AddressSchema, data_key="from", allow_none=True)
    to = _recipients()
    cc = _recipients()
    bcc = _recipients()
    subject = Text(load_default="", validate=validate.Length(max=MAX_SUBJECT))
    message_id = Text(allow_none=True, validate=validate.Length(max=MAX_NAME))

    @post_load
    def _make(self, data, **_):
        return Original(**_tupled(data))


class DraftSchema(_Strict):
    client = _enum(Client, load_default=Client.API)
    compose_type = _enum(ComposeType, load_default=ComposeType.NEW)
    subject = Text(load_default="", validate=validate.Length(max=MAX_SUBJECT))
    sender = fields.Nested(AddressSchema, data_key="from", allow_none=True)
    to = _recipients()
    cc = _recipients()
    bcc = _recipients()
    body = fields.Nested(BodySchema, load_default=Body)
    attachments = fields.List(
        fields.Nested(AttachmentSchema),
        load_default=(),
        validate=validate.Length(max=MAX_ATTACHMENTS),
    )
    in_reply_to = fields.Nested(OriginalSchema, allow_none=True)
    thread_id = Text(allow_none=True, validate=validate.Length(max=MAX_NAME))
    locale = Text(allow_none=True, validate=validate.Length(max=35))

    @post_load
    def _make(self, data, **_):
        return Draft(**_tupled(data))


def _tupled(data: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


# --- Report (dump only) -------------------------------------------------------------------


class SpanSchema(Schema):
    start = fields.Integer()
    end = fields.Integer()


class FixSchema(Schema):
    id = Text()
    title = Text()
    set = fields.Dict(metadata={"description": "Draft fields to replace, e.g. to/cc/bcc."})


class FindingSchema(Schema):
    rule = Text()
    severity = _enum(Severity)
    message = Text()
    explanation = Text()
    excerpt = Text(allow_none=True)
    span = fields.Nested(SpanSchema, allow_none=True)
    fixes = fields.List(fields.Nested(FixSchema))
    data = fields.Dict()


class PolicyRefSchema(Schema):
    org = Text(allow_none=True)
    version = fields.Integer(allow_none=True)


class ReportSchema(Schema):
    findings = fields.List(fields.Nested(FindingSchema))
    audience = fields.Integer()
    policy = fields.Nested(PolicyRefSchema)
    elapsed_ms = fields.Float()
    failed_rules = fields.List(
        Text(),
        metadata={"description": "Rules that failed on this draft and were skipped."},
    )

    @post_dump
    def _round(self, data, **_):
        data["elapsed_ms"] = round(data["elapsed_ms"], 3)
        return data


DRAFT_SCHEMA = DraftSchema()
REPORT_SCHEMA = ReportSchema()


def load_draft(data: object) -> Draft:
    """Validate Draft JSON (already decoded); raises `marshmallow.ValidationError` naming fields."""
    return DRAFT_SCHEMA.load(data)


def dump_report(report: Report) -> dict:
    return REPORT_SCHEMA.dump(report)
