"""html._layout and html._too_deep give what their former, simpler forms gave.

Both were rewritten for speed (a 1 MB body spent most of its time in string passes): _layout
now walks the pieces between markers once, _too_deep finds tags in lower-cased HTML. The former
forms are kept here as the reference.
"""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linters.text import html
from linters.text.html import CLOSE, CUT, HARD, OPEN, SOFT

_MARKERS = SOFT + HARD + CUT + OPEN + CLOSE


def reference_layout(raw: str) -> str:
    text = " ".join(raw.split())
    for marker in _MARKERS:
        text = text.replace(" " + marker, marker).replace(marker + " ", marker)
    while SOFT + SOFT in text:
        text = text.replace(SOFT + SOFT, SOFT)
    text = text.replace(HARD + SOFT, HARD)
    text = text.replace(SOFT, "\n").replace(HARD, "\n")
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


_NESTING = re.compile(
    r"<(/?)(?:div|blockquote|section|article|aside|center|table|ul|ol|dl|form|fieldset|span|font)"
    r"[\s/>]",
    re.IGNORECASE,
)


def reference_too_deep(source: str) -> bool:
    if source.count("<") < html._MAX_DEPTH:
        return False
    depth = 0
    for match in _NESTING.finditer(source):
        depth += -1 if match.group(1) else 1
        if depth > html._MAX_DEPTH:
            return True
    return False


# Words, every kind of whitespace (non-breaking, line separator, tabs, CR), characters that are
# not printable but are no whitespace (zero-width joiner, a control), and the markers, often.
_PIECES = [
    "a", "Thanks", "é", "Ж", "😀", "\u200d", "\x07", " ", "  ", "\n", "\r\n", "\t", "\xa0",
    "\u2028", "\u3000", "\x1c", "\x0b", "\x0c", "\x1f", *_MARKERS, *_MARKERS, *_MARKERS,
]  # fmt: skip
marked_text = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(marked_text)
def test_layout_gives_what_the_reference_gives(raw):
    assert html._layout(raw) == reference_layout(raw)


@settings(max_examples=200, deadline=None)
@given(marked_text)
def test_layout_of_long_pieces_gives_what_the_reference_gives(raw):
    # Every piece is "long": the line-break shortcut is tried on each.
    saved = html._LONG_PIECE
    html._LONG_PIECE = 0
    try:
        assert html._layout(raw) == reference_layout(raw)
    finally:
        html._LONG_PIECE = saved


# Soft breaks only: the shortcut for bodies of <div>s and <p>s, which joins the pieces.
soft_text = st.lists(
    st.sampled_from([p for p in _PIECES if p not in (HARD, CUT, OPEN, CLOSE)]), max_size=40
).map("".join)


@settings(max_examples=400, deadline=None)
@given(soft_text)
def test_layout_of_soft_breaks_gives_what_the_reference_gives(raw):
    assert html._layout(raw) == reference_layout(raw)


@settings(max_examples=100, deadline=None)
@given(marked_text)
def test_layout_with_control_markers_gives_what_it_gives_with_private_ones(raw):
    to_control = str.maketrans(html.PRIVATE.all, html._CONTROL.all)
    to_private = str.maketrans(html._CONTROL.all, html.PRIVATE.all)
    laid_out = html._layout(raw.translate(to_control), html._CONTROL)
    assert laid_out.translate(to_private) == html._layout(raw)  # kept markers stay in it


@pytest.mark.parametrize(
    "raw",
    [
        "",
        SOFT * 5,
        f"{SOFT}a b{SOFT}{SOFT}c{SOFT} {SOFT}d  e{SOFT}",
        SOFT.join(["word " * 120] * 4),
        f"{SOFT}  Hi Anna,{SOFT}{SOFT}\n{HARD}{SOFT}{HARD}{HARD}{HARD}{SOFT}Thanks{SOFT}",
        f"{OPEN}{SOFT}quoted {HARD} line{SOFT}{CLOSE} mine",
        ("word " * 300 + "\n") * 5,  # a long piece wrapped by the HTML source
        ("word " * 300 + "\r\n  ") * 5,
        "word\xa0" * 200,
    ],
)
def test_layout_examples(raw):
    assert html._layout(raw) == reference_layout(raw)


def test_every_whitespace_character_but_the_space_is_unprintable():
    # What _layout's shortcut relies on to leave a piece as it is.
    assert all(
        not chr(c).isprintable()
        for c in range(sys.maxunicode + 1)
        if chr(c).isspace() and c != ord(" ")
    )


_TAGS = ["<div>", "</div>", "<DIV class=x>", "</Div >", "<span>", "</span>", "<p>", "<br>", "x"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(_TAGS), max_size=60), st.integers(0, 2000))
def test_too_deep_gives_what_the_reference_gives(tags, depth):
    source = "<div>" * depth + "".join(tags) + "</div>" * (depth // 2)
    assert html._too_deep(source) == reference_too_deep(source)
    lowered = html.lower_same_length(source)
    assert html._too_deep(source, len(source), lowered) == reference_too_deep(source)
    half = len(source) // 2
    assert html._too_deep(source, half, lowered) == reference_too_deep(source[:half])


@pytest.mark.parametrize("depth", [html._MAX_DEPTH - 1, html._MAX_DEPTH, html._MAX_DEPTH + 1])
def test_too_deep_at_its_bound(depth):
    source = "<div>" * depth + "x" + "</div>" * depth
    assert html._too_deep(source) == reference_too_deep(source) == (depth > html._MAX_DEPTH)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1fab.", max_size=60))
def test_ascii_collapse_is_split_and_join(text):
    assert html._collapse_ascii(text) == " ".join(text.split())
