"""Marshmallow schemas for the Draft and Report JSON of DESIGN.md.

They are the single definition of the wire format: the server validates requests with them, the CLI
reads files with them and the OpenAPI document is generated from them. Errors name the field
(`{"to": {"0": {"email": ["Missing data for required field."]}}}`).
"""

from __future__ import annotations

from itertools import repeat
from operator import attrgetter

import msgspec
from marshmallow import RAISE, Schema, ValidationError, fields, post_dump, post_load, validate

from .model import (
    FALLBACK_REASONS,
    FALLBACKS,
    MAX_EMAIL,
    MAX_MEMBER_COUNT,
    MAX_NAME,
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
    ThreadActivity,
)

# Generous caps: they bound memory and time per request, not what real mail needs. A recipient's
# (MAX_EMAIL, MAX_NAME, MAX_MEMBER_COUNT) are linters/model.py's, where msgspec reads them.
MAX_SUBJECT = 10_000
MAX_RECIPIENTS = 100_000
MAX_ATTACHMENTS = 1000
MAX_LOCALE = 35
MAX_REPLIERS = 10_000_000
MAX_AUDIENCE = 10**12  # a sum of group sizes: above any one group's MAX_MEMBER_COUNT
MAX_WINDOW_MINUTES = 7 * 24 * 60


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


class StrictBoolean(fields.Boolean):
    """JSON's true or false only: marshmallow's Boolean also takes 0, 1, "yes" and "on"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if type(value) is not bool:
            raise self.make_error("invalid", input=value)
        return value


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
        allow_none=True, strict=True, validate=validate.Range(min=0, max=MAX_MEMBER_COUNT)
    )

    @post_load
    def _make(self, data, **_):
        return Recipient(**data)


class RecipientList(fields.List):
    """A list of `RecipientSchema` objects; when every one is plainly valid it is read by the fast
    path below (a recipient costs marshmallow ~10 µs), else by marshmallow, whole."""

    def __init__(self, **kwargs):
        super().__init__(
            fields.Nested(RecipientSchema),
            load_default=(),
            validate=validate.Length(max=MAX_RECIPIENTS),
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        if type(value) is list and not kwargs.get("partial"):
            recipients = well_formed_recipients(value)
            if recipients is not None:
                return recipients
        return super()._deserialize(value, attr, data, **kwargs)


def _recipients(**kwargs):
    return RecipientList(**kwargs)


class BodySchema(_Strict):
    content = Text(load_default="")
    type = _enum(BodyType, load_default=BodyType.TEXT)

    @post_load
    def _make(self, data, **_):
        return Body(**data)


class AttachmentSchema(_Strict):
    name = Text(load_default="", validate=validate.Length(max=MAX_NAME))
    size = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0))
    inline = StrictBoolean(load_default=False)

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


class ThreadActivitySchema(_Strict):
    repliers = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=MAX_REPLIERS),
        metadata={"description": "Distinct people besides the author who replied to all."},
    )
    audience = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=MAX_AUDIENCE),
        metadata={"description": "The most recipients one of those reply-alls reached."},
    )
    window_minutes = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=MAX_WINDOW_MINUTES),
        metadata={"description": "How far back they were counted."},
    )

    @post_load
    def _make(self, data, **_):
        return ThreadActivity(**data)


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
    locale = Text(allow_none=True, validate=validate.Length(max=MAX_LOCALE))
    thread_activity = fields.Nested(
        ThreadActivitySchema,
        allow_none=True,
        metadata={
            "description": "Recent reply-alls on this thread (the reply-all-storm rule). For a "
            "reply with a thread_id the server counts them itself, replacing what was sent."
        },
    )

    @post_load
    def _make(self, data, **_):
        return Draft(**_tupled(data))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The fast path reads the schema as declared: not a subset, a partial or a list of drafts.
        self._fast = not (
            self.many or self.partial or self.only is not None or self.exclude or self.dump_only
        )

    def load(self, data, *, many=None, partial=None, unknown=None):
        if self._fast and many is None and partial is None and unknown is None:
            draft = well_formed_draft(data)
            if draft is not None:
                return draft
        return super().load(data, many=many, partial=partial, unknown=unknown)


def _tupled(data: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


# --- the fast path ------------------------------------------------------------------------
#
# marshmallow spends several microseconds on each field it loads: a typical draft cost as much to
# validate as to lint. A draft that plain checks find valid is built here directly, equal to what
# the schemas above make of it; anything they do not plainly accept (a wrong type, a bound
# exceeded, an unknown key, a null where none is allowed, a lone surrogate, "true" for a boolean,
# a tuple for a list) goes through marshmallow, which words every error. The checks accept a
# subset of what the schemas accept, never more; tests/linters/test_schema_fast_path.py holds the
# two equal. Each key set is checked against its schema's fields at import, so a field added to a
# schema and not here fails loudly instead of being dropped by the fast path (a changed bound or
# default is the tests' to catch).

_ADDRESS_KEYS = frozenset({"email", "name"})
# What msgspec reads into a Recipient: its fields but the computed key.
_RECIPIENT_KEYS = frozenset(f.encode_name for f in msgspec.structs.fields(Recipient)) - {"key"}
_BODY_KEYS = frozenset({"content", "type"})
_ATTACHMENT_KEYS = frozenset({"name", "size", "inline"})
_ORIGINAL_KEYS = frozenset({"from", "to", "cc", "bcc", "subject", "message_id"})
_THREAD_ACTIVITY_KEYS = frozenset({"repliers", "audience", "window_minutes"})
_DRAFT_KEYS = frozenset(
    {"client", "compose_type", "subject", "from", "to", "cc", "bcc", "body", "attachments"}
    | {"in_reply_to", "thread_id", "locale", "thread_activity"}
)
_ABSENT = object()
_CLIENTS = {kind.value: kind for kind in Client}
_COMPOSE_TYPES = {kind.value: kind for kind in ComposeType}
_BODY_TYPES = {kind.value: kind for kind in BodyType}


def _check_field_names() -> None:
    for keys, schema in (
        (_ADDRESS_KEYS, AddressSchema),
        (_RECIPIENT_KEYS, RecipientSchema),
        (_BODY_KEYS, BodySchema),
        (_ATTACHMENT_KEYS, AttachmentSchema),
        (_ORIGINAL_KEYS, OriginalSchema),
        (_THREAD_ACTIVITY_KEYS, ThreadActivitySchema),
        (_DRAFT_KEYS, DraftSchema),
    ):
        wire = {field.data_key or name for name, field in schema().fields.items()}
        if keys != wire:
            raise AssertionError(f"the fast path reads {sorted(keys)}, {schema.__name__} {wire}")


_check_field_names()


def _valid_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _Recipients(msgspec.Struct, gc=False):
    """What `msgspec.convert` reads a recipient list into: a Struct's type is analysed once,
    a bare `list[Recipient]` on every call (a few microseconds, as long as reading one)."""

    items: list[Recipient]


_EMAIL, _NAME = attrgetter("email"), attrgetter("name")


def well_formed_recipients(items: list) -> list[Recipient] | None:
    """The recipients `RecipientSchema` would load from `items`, when every one is plainly
    valid; None as soon as one needs marshmallow (to be refused, or read in a way the checks
    here do not cover).

    msgspec reads them in C, bounds included (linters/model.py): objects with only the four
    fields, a string email, a string or null name, a known type, an integer (not a boolean) or
    null member count, into Recipients with their `key` set. Valid Unicode is then checked for
    all of them at once: a draft can carry thousands of recipients, and a Python loop over their
    fields was most of the cost of linting one."""
    if not items:
        return []
    try:
        recipients = msgspec.convert({"items": items}, _Recipients).items
    except (msgspec.ValidationError, ValueError, TypeError, OverflowError):
        # ValueError: msgspec encodes a key or an enum value to UTF-8 to look it up, and a lone
        # surrogate cannot be. Whatever it refuses, marshmallow reads and words.
        return None
    if any(map(dict.__contains__, items, repeat("key"))):  # the Struct's, not the wire's
        return None
    # A lone surrogate stays one when joined: one check for all addresses, one for all names.
    emails = "".join(map(_EMAIL, recipients))
    names = "".join(filter(None, map(_NAME, recipients)))
    if not (emails.isascii() or _valid_unicode(emails)):
        return None
    return recipients if names.isascii() or _valid_unicode(names) else None


def _text(value, limit: int | None, *, nullable: bool = False) -> bool:
    """A string marshmallow's `Text` with `Length(max=limit)` takes as it is (or None, when
    `nullable`)."""
    if value is None:
        return nullable
    return (
        type(value) is str
        and (limit is None or len(value) <= limit)
        and (value.isascii() or _valid_unicode(value))
    )


def _address(value) -> Address | bool | None:
    """The Address, None for null, False when marshmallow must read it."""
    if value is None:
        return None
    if type(value) is not dict or not value.keys() <= _ADDRESS_KEYS:
        return False
    email = value.get("email")
    name = value.get("name")
    if not (_text(email, MAX_EMAIL) and email and _text(name, MAX_NAME, nullable=True)):
        return False
    return Address(email=email, name=name)


def _recipient_list(data: dict, key: str) -> tuple[Recipient, ...] | None:
    value = data.get(key, _ABSENT)
    if value is _ABSENT:
        return ()
    if type(value) is not list or len(value) > MAX_RECIPIENTS:
        return None
    recipients = well_formed_recipients(value)
    return None if recipients is None else tuple(recipients)


def _body(data: dict) -> Body | None:
    if "body" not in data:
        return Body()
    value = data["body"]
    if type(value) is not dict or not value.keys() <= _BODY_KEYS:
        return None
    content = value.get("content", "")
    kind = value.get("type", "text")
    if not _text(content, None) or type(kind) is not str or kind not in _BODY_TYPES:
        return None
    return Body(content=content, type=_BODY_TYPES[kind])


def _attachments(data: dict) -> tuple[Attachment, ...] | None:
    value = data.get("attachments", _ABSENT)
    if value is _ABSENT:
        return ()
    if type(value) is not list or len(value) > MAX_ATTACHMENTS:
        return None
    attachments = []
    for item in value:
        if type(item) is not dict or not item.keys() <= _ATTACHMENT_KEYS:
            return None
        name = item.get("name", "")
        size = item.get("size")
        inline = item.get("inline", False)
        if (
            not _text(name, MAX_NAME)
            or (size is not None and (type(size) is not int or size < 0))
            or type(inline) is not bool
        ):
            return None
        attachments.append(Attachment(name=name, size=size, inline=inline))
    return tuple(attachments)


def _original(data: dict) -> Original | bool | None:
    """The Original, None for null or absent, False when marshmallow must read it."""
    value = data.get("in_reply_to")
    if value is None:
        return None
    if type(value) is not dict or not value.keys() <= _ORIGINAL_KEYS:
        return False
    sender = _address(value.get("from"))
    to = _recipient_list(value, "to")
    cc = _recipient_list(value, "cc")
    bcc = _recipient_list(value, "bcc")
    subject = value.get("subject", "")
    message_id = value.get("message_id")
    if (
        sender is False
        or to is None
        or cc is None
        or bcc is None
        or not _text(subject, MAX_SUBJECT)
        or not _text(message_id, MAX_NAME, nullable=True)
    ):
        return False
    return Original(sender=sender, to=to, cc=cc, bcc=bcc, subject=subject, message_id=message_id)


def _count(value, low: int, high: int) -> bool:
    """A JSON integer (not a boolean) marshmallow's strict Integer with `Range(low, high)` takes."""
    return type(value) is int and low <= value <= high


def _thread_activity(data: dict) -> ThreadActivity | bool | None:
    """The ThreadActivity, None for null or absent, False when marshmallow must read it."""
    value = data.get("thread_activity")
    if value is None:
        return None
    if type(value) is not dict or value.keys() != _THREAD_ACTIVITY_KEYS:
        return False
    repliers, audience, window = value["repliers"], value["audience"], value["window_minutes"]
    if not (
        _count(repliers, 0, MAX_REPLIERS)
        and _count(audience, 0, MAX_AUDIENCE)
        and _count(window, 1, MAX_WINDOW_MINUTES)
    ):
        return False
    return ThreadActivity(repliers=repliers, audience=audience, window_minutes=window)


def well_formed_draft(data: object) -> Draft | None:
    """The Draft `DraftSchema` would load from decoded JSON `data`, when all of it is plainly
    valid; None when marshmallow must read it (to refuse it, or for what these checks leave)."""
    if type(data) is not dict or not data.keys() <= _DRAFT_KEYS:
        return None
    client = data.get("client", "api")
    compose_type = data.get("compose_type", "new")
    if (
        type(client) is not str
        or client not in _CLIENTS
        or type(compose_type) is not str
        or compose_type not in _COMPOSE_TYPES
    ):
        return None
    subject = data.get("subject", "")
    thread_id = data.get("thread_id")
    locale = data.get("locale")
    if not (
        _text(subject, MAX_SUBJECT)
        and _text(thread_id, MAX_NAME, nullable=True)
        and _text(locale, MAX_LOCALE, nullable=True)
    ):
        return None
    sender = _address(data.get("from"))
    in_reply_to = _original(data)
    thread_activity = _thread_activity(data)
    if sender is False or in_reply_to is False or thread_activity is False:
        return None
    to = _recipient_list(data, "to")
    cc = _recipient_list(data, "cc")
    bcc = _recipient_list(data, "bcc")
    body = _body(data)
    attachments = _attachments(data)
    if to is None or cc is None or bcc is None or body is None or attachments is None:
        return None
    return Draft(
        client=_CLIENTS[client],
        compose_type=_COMPOSE_TYPES[compose_type],
        subject=subject,
        sender=sender,
        to=to,
        cc=cc,
        bcc=bcc,
        body=body,
        attachments=attachments,
        in_reply_to=in_reply_to,
        thread_id=thread_id,
        locale=locale,
        thread_activity=thread_activity,
    )


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
    fallback = Text(
        validate=validate.OneOf(FALLBACKS),
        metadata={
            "description": "Only when the draft was not linted under the organisation's current "
            "policy: `last-known` (its policy as last seen; `version` says which) or `defaults` "
            "(the built-in rules)."
        },
    )
    reason = Text(
        validate=validate.OneOf(FALLBACK_REASONS),
        metadata={
            "description": "With `fallback`, why: `database-unavailable` (the current policy or "
            "the caller's organisation could not be read) or `policy-invalid` (the published "
            "policy does not fit the loaded rules)."
        },
    )

    @post_dump
    def _only_when_falling_back(self, data, **_):
        # A report under the current policy keeps the contract's {"org", "version"}.
        if data.get("fallback") is None:
            data.pop("fallback", None)
            data.pop("reason", None)
        return data


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
