"""Generated request bodies for the fuzz tests of the JSON endpoints (tests/server, tests/gmail):
valid drafts with one part replaced by something hostile, hostile JSON of any shape, and raw
bytes that are not JSON at all. Each is a `bytes` body, sent as application/json.

The hostile parts are the ones that have broken JSON services before: integers past Python's
4,300-digit conversion limit, floats that overflow, lone UTF-16 surrogates, nesting deeper than
the recursion limit, invalid UTF-8, NUL bytes, very long strings and lists.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

__all__ = ["bodies", "st"]

HUGE_DIGITS = 5_000  # past Python's default int_max_str_digits (4,300)

SURROGATES = st.sampled_from(["\ud800", "\udfff", "x\udc00y", "\ud83d"])
HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    SURROGATES,
    st.just("\x00"),
    st.just("A" * 70_000),
    st.just("\u202e\u0000\ufeff"),
)
HOSTILE_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    HOSTILE_TEXT,
)


def _json_values(scalars=HOSTILE_SCALARS):
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.text(max_size=12) | SURROGATES, children, max_size=4),
        ),
        max_leaves=12,
    )


VALUES = _json_values()


def _encode(value) -> bytes:
    # ensure_ascii keeps lone surrogates as \ud800 escapes: what a hostile client would send.
    return json.dumps(value, ensure_ascii=True).encode("ascii")


def _raw_texts():
    """Bodies no JSON encoder would produce."""
    digits = "9" * HUGE_DIGITS
    return st.sampled_from(
        [
            b"",
            b"{",
            b"null",
            b"[]",
            b'"just a string"',
            b"\xff\xfe\x00{",
            b'{"subject": "\xc3\x28"}',  # invalid UTF-8 inside a string
            b'{"subject": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8 (invalid)
            ("{" + '"a":' * 1 + "[" * 50_000 + "]" * 50_000 + "}").encode(),
            ("[" * 200_000).encode(),
            ('{"to": [' + ",".join(["{}"] * 20_000) + "]}").encode(),
            ('{"body": {"content": "x", "type": "text"}, "audience": ' + digits + "}").encode(),
            ('{"to": [{"email": "a@b.example", "member_count": ' + digits + "}]}").encode(),
            b'{"body": {"content": "x"}, "n": 1e999999}',
            b'{"body": {"content": "x"}, "n": NaN}',
            b'{"a": 1, "a": 2}',
        ]
    )


def bodies(valid: dict, *, min_size: int = 1) -> st.SearchStrategy[bytes]:
    """Hostile bodies around `valid` (a request body that the endpoint accepts)."""

    @st.composite
    def mutated(draw):
        document = json.loads(json.dumps(valid))
        paths = list(_paths(document))
        path = draw(st.sampled_from(paths))
        replacement = draw(VALUES)
        _replace(document, path, replacement)
        return _encode(document)

    @st.composite
    def huge_number_in_place(draw):
        text = json.dumps(valid)
        # Any JSON number position works; a field value is the most likely to reach code.
        document = json.loads(text)
        path = draw(st.sampled_from(list(_paths(document))))
        _replace(document, path, "__HUGE__")
        return json.dumps(document).replace('"__HUGE__"', "9" * HUGE_DIGITS).encode()

    return st.one_of(
        mutated(),
        huge_number_in_place(),
        VALUES.map(_encode),
        _raw_texts(),
        st.binary(min_size=min_size, max_size=200),
    )


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _replace(document, path, replacement):
    if not path:
        document.clear() if isinstance(document, dict | list) else None
        if isinstance(document, dict):
            document["body"] = replacement
        return
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = replacement
