"""server/jsonio.py: JSON bodies decoded by msgspec where it can, by json.loads where it cannot,
with one result either way: the same Python values as json.loads, or the same worded error."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.jsonio import JSONInputError, loads

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def by_json(raw: bytes):
    return json.loads(raw.decode("utf-8-sig"))


def same(a, b) -> bool:
    """Equal, and of the same types all the way down (1 is not 1.0, True is not 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


@settings(max_examples=300, deadline=None)
@given(values, st.booleans())
def test_any_json_document_decodes_as_json_loads_decodes_it(value, ascii_only):
    raw = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert same(loads(raw), by_json(raw))


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": 1, "a": 2}',  # the last one wins
        b"\xef\xbb\xbf{}",  # a byte-order mark
        b"[NaN, Infinity, -Infinity]",
        b"1e400",
        b'{"subject": "Re: x\\ud800"}',  # a lone surrogate, left for the schema to refuse
        b"123456789012345678901234567890123456789",
        b"-0.0",
        b" \n[1, 2.5, true, null]\n ",
    ],
)
def test_what_msgspec_leaves_to_json_loads_decodes_the_same(raw):
    assert same(loads(raw), by_json(raw))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "Empty input"),
        (b"  \n", "Empty input"),
        (b'{"a": 1', "Malformed JSON"),
        (b'{"a": 1}\x00', "NUL byte"),
        (b'"\xff"', "Invalid UTF-8 at byte 1"),
        (b'{"n": ' + b"9" * 5000 + b"}", "too many digits"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_what_neither_decodes_is_a_worded_error(raw, message):
    with pytest.raises(JSONInputError, match=message):
        loads(raw)
