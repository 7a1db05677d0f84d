"""The schema's fast path reads a draft exactly as marshmallow does, or leaves it to marshmallow.

`linters.schema` builds a plainly valid draft (and a plainly valid recipient list) without
marshmallow; everything else goes through marshmallow, which words the errors. These tests hold
the two readings equal: a valid draft gives the same Draft (recipient keys and enum members
included), and any input, valid or not, gives the same Draft or the same error messages as
marshmallow alone.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from linters import schema
from linters.model import Client, Draft, Recipient, RecipientType
from linters.schema import DraftSchema, load_draft, well_formed_draft, well_formed_recipients

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def marshmallow_only():
    saved = schema.well_formed_draft, schema.well_formed_recipients
    schema.well_formed_draft = schema.well_formed_recipients = lambda _: None
    try:
        yield
    finally:
        schema.well_formed_draft, schema.well_formed_recipients = saved


def by_marshmallow(data):
    with marshmallow_only():
        try:
            return DraftSchema().load(data)
        except ValidationError as error:
            return ("errors", error.messages)


def by_load_draft(data):
    try:
        return load_draft(data)
    except ValidationError as error:
        return ("errors", error.messages)


def recipients_of(draft: Draft) -> list[Recipient]:
    found = [*draft.recipients]
    if draft.in_reply_to is not None:
        found += [*draft.in_reply_to.to, *draft.in_reply_to.cc, *draft.in_reply_to.bcc]
    return found


def assert_same_draft(fast: Draft, slow: Draft) -> None:
    assert fast == slow
    # What equality does not look at: the mailbox key, and that values are the enum members.
    for a, b in zip(recipients_of(fast), recipients_of(slow), strict=True):
        assert a.key == b.key
        assert type(a.type) is RecipientType and a.type is b.type
    assert fast.client is slow.client and fast.compose_type is slow.compose_type
    assert fast.body.type is slow.body.type
    assert all(type(field) is tuple for field in (fast.to, fast.cc, fast.bcc, fast.attachments))


# --- strategies ---------------------------------------------------------------------------------

texts = st.text(max_size=12)
emails = st.one_of(
    st.sampled_from(["anna@corp.example", " Anna.Lee@Corp.Example ", "all-staff@corp.example"]),
    st.text(min_size=1, max_size=12),
    st.text(min_size=318, max_size=320),  # up to the bound
)
names = st.one_of(st.none(), texts, st.text(min_size=999, max_size=1000))
member_counts = st.one_of(st.none(), st.integers(0, 20), st.just(10_000_000))

valid_recipient = st.fixed_dictionaries(
    {"email": emails},
    optional={
        "name": names,
        "type": st.sampled_from(["user", "group", "external"]),
        "member_count": member_counts,
    },
)
valid_address = st.fixed_dictionaries({"email": emails}, optional={"name": names})
valid_recipients = st.lists(valid_recipient, max_size=4)
valid_body = st.fixed_dictionaries(
    {}, optional={"content": st.text(max_size=40), "type": st.sampled_from(["html", "text"])}
)
valid_attachment = st.fixed_dictionaries(
    {},
    optional={
        "name": texts,
        "size": st.one_of(st.none(), st.integers(0, 10**12)),
        "inline": st.booleans(),
    },
)
valid_original = st.fixed_dictionaries(
    {},
    optional={
        "from": st.one_of(st.none(), valid_address),
        "to": valid_recipients,
        "cc": valid_recipients,
        "bcc": valid_recipients,
        "subject": texts,
        "message_id": st.one_of(st.none(), texts),
    },
)
counts = st.one_of(st.integers(0, 30), st.just(10_000_000))
valid_thread_activity = st.fixed_dictionaries(
    {
        "repliers": counts,
        "audience": st.one_of(counts, st.just(10**12)),
        "window_minutes": st.one_of(st.integers(1, 120), st.just(7 * 24 * 60)),
    }
)
VALID_FIELDS = {
    "client": st.sampled_from(["outlook", "gmail", "api", "cli"]),
    "compose_type": st.sampled_from(["new", "reply", "reply_all", "forward"]),
    "subject": texts,
    "from": st.one_of(st.none(), valid_address),
    "to": valid_recipients,
    "cc": valid_recipients,
    "bcc": valid_recipients,
    "body": valid_body,
    "attachments": st.lists(valid_attachment, max_size=2),
    "in_reply_to": st.one_of(st.none(), valid_original),
    "thread_id": st.one_of(st.none(), texts),
    "locale": st.one_of(st.none(), st.sampled_from(["en-GB", "de", "x" * 35])),
    "thread_activity": st.one_of(st.none(), valid_thread_activity),
}
valid_drafts = st.fixed_dictionaries({}, optional=VALID_FIELDS)

# Values marshmallow refuses somewhere, or reads in ways the fast path leaves to it.
odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.just(10_000_001),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "\ud800", "a\udfffb", "true", "USER", "x" * 321, "x" * 1001]),
    st.sampled_from(["user", "group", "html", "reply_all", "outlook", "yes", "1"]),
    st.tuples(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["email", "name", "extra"]), st.integers(), max_size=2),
)


def maybe_odd(strategy):
    return st.one_of(strategy, strategy, odd)


def with_odd_keys(required: dict, optional: dict):
    return st.fixed_dictionaries(
        {k: maybe_odd(v) for k, v in required.items()},
        optional={**{k: maybe_odd(v) for k, v in optional.items()}, "extra": odd},
    )


any_recipient = maybe_odd(
    with_odd_keys(
        {"email": emails},
        {
            "name": names,
            "type": st.sampled_from(["user", "group", "external"]),
            "member_count": member_counts,
        },
    )
)
any_recipients = maybe_odd(st.lists(any_recipient, max_size=4))
any_address = maybe_odd(with_odd_keys({"email": emails}, {"name": names}))
any_drafts = st.one_of(
    odd,
    with_odd_keys(
        {},
        {
            **VALID_FIELDS,
            "from": any_address,
            "to": any_recipients,
            "cc": any_recipients,
            "bcc": any_recipients,
            "body": with_odd_keys(
                {}, {"content": st.text(max_size=20), "type": st.sampled_from(["html", "text"])}
            ),
            "attachments": maybe_odd(
                st.lists(
                    with_odd_keys(
                        {},
                        {
                            "name": texts,
                            "size": st.integers(0, 5),
                            "inline": st.booleans(),
                        },
                    ),
                    max_size=2,
                )
            ),
            "in_reply_to": with_odd_keys(
                {},
                {"from": any_address, "to": any_recipients, "subject": texts},
            ),
            "thread_activity": maybe_odd(
                with_odd_keys(
                    {},
                    {
                        "repliers": st.integers(-1, 3),
                        "audience": st.one_of(st.integers(0, 3), st.just(10**12 + 1)),
                        "window_minutes": st.integers(0, 3),
                    },
                )
            ),
        },
    ),
)


# --- the properties -----------------------------------------------------------------------------


@FAST
@given(valid_drafts)
def test_a_valid_draft_is_read_by_the_fast_path_as_marshmallow_reads_it(data):
    fast = well_formed_draft(data)
    assert fast is not None
    assert_same_draft(fast, by_marshmallow(data))


@FAST
@given(valid_recipients)
def test_valid_recipients_are_read_as_marshmallow_reads_them(items):
    fast = well_formed_recipients(items)
    slow = by_marshmallow({"to": items}).to
    assert fast is not None and tuple(fast) == slow
    for a, b in zip(fast, slow, strict=True):
        assert a.key == b.key and a.type is b.type


@FAST
@given(any_drafts)
def test_any_input_gives_marshmallows_draft_or_marshmallows_errors(data):
    expected = by_marshmallow(data)
    got = by_load_draft(data)
    if isinstance(expected, Draft):
        assert_same_draft(got, expected)
    else:
        assert got == expected
    fast = well_formed_draft(data)
    assert fast is None or isinstance(expected, Draft)


@FAST
@given(st.lists(any_recipient, max_size=5))
def test_a_recipient_list_is_read_whole_by_one_path_or_the_other(items):
    expected = by_marshmallow({"cc": items})
    # A draft the fast path leaves to marshmallow still reads its list through the list's own
    # fast path: an odd subject must not change what the recipients give.
    got = by_load_draft({"cc": items, "subject": None})
    expected_with_subject = by_marshmallow({"cc": items, "subject": None})
    assert got == expected_with_subject
    if isinstance(expected, Draft):
        assert well_formed_recipients(items) in (None, list(expected.cc))


# --- every kind of invalid recipient keeps marshmallow's wording --------------------------------

GOOD = {"email": "anna@corp.example", "name": "Anna"}
OUT_OF_RANGE = "Must be greater than or equal to 0 and less than or equal to 10000000."


@pytest.mark.parametrize(
    ("recipient", "message"),
    [
        ({"name": "Anna"}, {"email": ["Missing data for required field."]}),
        ({"email": None}, {"email": ["Field may not be null."]}),
        ({"email": ""}, {"email": ["Length must be between 1 and 320."]}),
        ({"email": "x" * 321}, {"email": ["Length must be between 1 and 320."]}),
        ({"email": 5}, {"email": ["Not a valid string."]}),
        (
            {"email": "a\ud800@x"},
            {"email": ["Unpaired surrogate at character 1: not valid Unicode text."]},
        ),
        ({**GOOD, "name": 5}, {"name": ["Not a valid string."]}),
        ({**GOOD, "name": "x" * 1001}, {"name": ["Longer than maximum length 1000."]}),
        ({**GOOD, "type": "team"}, {"type": ["Must be one of: user, group, external."]}),
        ({**GOOD, "type": None}, {"type": ["Field may not be null."]}),
        ({**GOOD, "member_count": "12"}, {"member_count": ["Not a valid integer."]}),
        ({**GOOD, "member_count": True}, {"member_count": ["Not a valid integer."]}),
        ({**GOOD, "member_count": 1.5}, {"member_count": ["Not a valid integer."]}),
        ({**GOOD, "member_count": -1}, {"member_count": [OUT_OF_RANGE]}),
        ({**GOOD, "colour": "red"}, {"colour": ["Unknown field."]}),
        # The Recipient's computed mailbox key is no wire field.
        ({**GOOD, "key": "anna@corp.example"}, {"key": ["Unknown field."]}),
        ("anna@corp.example", {"_schema": ["Invalid input type."]}),
        (None, ["Field may not be null."]),
    ],
)
@pytest.mark.parametrize("field", ["to", "cc", "bcc"])
def test_each_invalid_recipient_is_worded_by_marshmallow(recipient, message, field):
    # Valid recipients around the bad one: the fast path reads them, then gives up.
    data = {field: [GOOD] * 3 + [recipient] + [GOOD] * 3}
    with pytest.raises(ValidationError) as error:
        load_draft(data)
    assert error.value.messages == {field: {3: message}}
    assert ("errors", error.value.messages) == by_marshmallow(data)


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"to": "anna@corp.example"}, {"to": ["Not a valid list."]}),
        ({"to": None}, {"to": ["Field may not be null."]}),
        ({"in_reply_to": {"cc": [{"name": "x"}]}}, None),
        ({"from": {"email": ""}}, None),
        ({"body": {"content": None}}, None),
        ({"attachments": [{"inline": "maybe"}]}, None),
        ({"attachments": [{"size": -1}]}, None),
        ({"locale": "x" * 36}, {"locale": ["Longer than maximum length 35."]}),
        (
            {"thread_activity": {"repliers": 3, "audience": 40}},
            {"thread_activity": {"window_minutes": ["Missing data for required field."]}},
        ),
        ({"thread_activity": {"repliers": True, "audience": 4, "window_minutes": 60}}, None),
        ({"thread_activity": {"repliers": 3, "audience": 4, "window_minutes": 0}}, None),
        ({"thread_activity": [3, 40, 60]}, None),
        ([{"email": "a@x"}], {"_schema": ["Invalid input type."]}),
    ],
)
def test_other_invalid_drafts_keep_marshmallows_wording(data, errors):
    with pytest.raises(ValidationError) as error:
        load_draft(data)
    assert ("errors", error.value.messages) == by_marshmallow(data)
    if errors is not None:
        assert error.value.messages == errors


def test_too_many_recipients_keeps_marshmallows_wording():
    data = {"to": [GOOD] * (schema.MAX_RECIPIENTS + 1)}
    with pytest.raises(ValidationError) as error:
        load_draft(data)
    assert error.value.messages == {"to": ["Longer than maximum length 100000."]}


def test_marshmallow_alone_reads_what_the_fast_path_does_not_cover():
    # Readings marshmallow allows and the fast path leaves to it: a tuple for a list, bytes for
    # text, an enum member for its value.
    data = {
        "to": ({"email": b"anna@corp.example"},),
        "client": Client.OUTLOOK,
        "attachments": [{"name": "a.pdf", "inline": True}],
    }
    assert well_formed_draft(data) is None
    draft = load_draft(data)
    assert draft.to[0].email == "anna@corp.example" and draft.attachments[0].inline is True
    assert draft.client is Client.OUTLOOK


@pytest.mark.parametrize("value", ["true", 1, 0, "on"])
def test_a_boolean_is_json_true_or_false_only(value):
    # The document says boolean: marshmallow's own Boolean would read these as one.
    with pytest.raises(ValidationError) as error:
        load_draft({"attachments": [{"name": "a.pdf", "inline": value}]})
    assert error.value.messages == {"attachments": {0: {"inline": ["Not a valid boolean."]}}}


def test_a_schema_that_is_not_the_whole_draft_skips_the_fast_path():
    assert DraftSchema()._fast
    for options in ({"partial": True}, {"only": ["subject"]}, {"exclude": ["subject"]}):
        assert not DraftSchema(**options)._fast
    assert DraftSchema(only=["subject"]).load({"subject": "Hi"}) == Draft(subject="Hi")


def test_the_mailbox_key_is_set_as_the_dataclass_sets_it():
    [fast] = well_formed_recipients([{"email": " Anna.Lee@Corp.EXAMPLE "}])
    assert fast.key == Recipient(" Anna.Lee@Corp.EXAMPLE ").key == "anna.lee@corp.example"
    assert fast == Recipient(" Anna.Lee@Corp.EXAMPLE ")
