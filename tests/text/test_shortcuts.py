"""The segmenter's shortcuts decide exactly what the checks they stand in front of decide.

`linters.text.plain` asks a cheap question first where a long body has thousands of lines (may a
phrase pattern start this line? is there a ">" near its start?), builds its line tables and blocks
with C-level passes, and `linters.text.html` renders with ASCII control characters as markers
when the input allows: each is checked here against the plain form it replaced.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linters.text import html, lexicon, plain
from linters.text.segmentation import Block, Kind

# Every phrase of the patterns that have a shortcut, their beginnings, and the characters that
# make case-insensitive matching unusual (ſ and K match s and k; ı and İ match i).
_PHRASES = sorted(
    {
        phrase
        for key in (
            "headers.sender",
            "headers.other",
            "attribution.starts",
            "separators",
            "disclaimers",
            "footer_lines",
            "disclaimer_subjects",
        )
        for phrase in lexicon._WORDS[key]
    }
)
_PIECES = st.one_of(
    st.sampled_from(_PHRASES),
    st.sampled_from(_PHRASES).map(str.upper),
    st.sampled_from(_PHRASES).map(lambda p: p[:2]),
    st.sampled_from([*" \t*_>([-=~<:", "ſ", "K", "ı", "İ", "\xa0", "：", "x", "Th", "—"]),
    st.text(max_size=3),
)
_LINES = st.lists(_PIECES, max_size=6).map("".join)

_SHORTCUTS = [
    (lexicon.MAYBE_HEADER_LINE, lexicon.HEADER_LINE),
    (lexicon.MAYBE_ATTRIBUTION_START, lexicon.ATTRIBUTION_START),
    (lexicon.MAYBE_SEPARATOR, lexicon.SEPARATOR),
    (lexicon.MAYBE_SIGNATURE_PHRASE, lexicon.DISCLAIMER),
    (lexicon.MAYBE_SIGNATURE_PHRASE, lexicon.FOOTER_LINE),
    (lexicon.MAYBE_SIGNATURE_PHRASE, lexicon.DISCLAIMER_SUBJECT),
    (lexicon.MAYBE_DISCLAIMER_SUBJECT, lexicon.DISCLAIMER_SUBJECT),
]


@settings(max_examples=1500, deadline=None)
@given(_LINES, st.integers(0, 5))
def test_a_line_the_shortcut_turns_away_never_matches(line, pos):
    for maybe, pattern in _SHORTCUTS:
        if pattern.match(line):
            assert maybe(line), (line, pattern.pattern[:60])
        if pattern.match(line, pos):
            assert maybe(line, pos), (line, pos, pattern.pattern[:60])


@pytest.mark.parametrize("phrase", _PHRASES)
def test_every_phrase_gets_past_its_shortcut(phrase):
    for maybe, pattern in _SHORTCUTS:
        for line in (phrase, phrase.upper(), f"  {phrase}: x", f"*{phrase} x"):
            if pattern.match(line):
                assert maybe(line)


def test_the_shortcuts_are_shortcuts():
    # A filter that says "may match" to everything would pass the tests above, and save nothing.
    line = "Thanks Julie, the revised plan looks good to me."
    for maybe, _ in _SHORTCUTS:
        assert not maybe(line)


def test_no_shortcut_when_a_phrase_starts_with_a_leading_character():
    maybe = lexicon.could_start(["*bold", "plain"], " \t*")
    assert maybe("xyz") and maybe("")  # always asks the pattern


_QUOTING = st.lists(
    st.sampled_from([" ", "\t", "a", "Z", "_", "9", "é", ">", "x", "ABC", "abcdefgh", " > "]),
    max_size=12,
).map("".join)


@settings(max_examples=1000, deadline=None)
@given(_QUOTING)
def test_a_quote_prefix_ends_within_its_reach(line):
    if plain._QUOTE_PREFIX.match(line):
        assert ">" in line[: plain._QUOTE_PREFIX_REACH]


_TEXT = st.lists(
    st.sampled_from(["", " ", "\t", "\xa0", "\u3000", "\x1c", "a", "> b", "From: x", " c "]),
    max_size=30,
).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_line_tables(text):
    lines = plain._Lines(text)
    values = text.split("\n")
    assert lines.blanks == [not value.strip() for value in values]
    starts, offset = [], 0
    for value in values:
        starts.append(offset)
        offset += len(value) + 1
    assert lines.starts == starts
    assert plain._quoted_lines(lines, ()) == [
        plain._QUOTE_PREFIX.match(value) is not None for value in values
    ]


def reference_blocks(lines, labels) -> list[Block]:
    """`plain._blocks` as it was: one pass over every line."""
    blocks: list[Block] = []
    kind = None
    start = end = 0
    for i, label in enumerate(labels):
        if label is None:
            continue
        value = lines.values[i]
        line_start = lines.starts[i] + len(value) - len(value.lstrip())
        line_end = lines.starts[i] + len(value.rstrip())
        if label is kind:
            end = line_end
            continue
        if kind is not None:
            blocks.append(Block(kind, start, end))
        kind, start, end = label, line_start, line_end
    if kind is not None:
        blocks.append(Block(kind, start, end))
    return blocks


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["x", " y ", "", "  ", "zz"]), st.sampled_from([None, *Kind]))
    )
)
def test_blocks_give_what_the_reference_gives(rows):
    text = "\n".join(value for value, _ in rows)
    lines = plain._Lines(text)
    labels = [label for _, label in rows] or [None]
    assert plain._blocks(lines, labels) == reference_blocks(lines, labels)


# --- HTML: control characters as markers -------------------------------------------------------

_HTML = st.lists(
    st.sampled_from(
        [
            "<div>",
            "</div>",
            "<p>",
            "</p>",
            "<br>",
            "<blockquote type=cite>",
            "</blockquote>",
            '<blockquote style="border:none">',
            '<div class="moz-cite-prefix">On Mon, Ann wrote:</div>',
            '<div style="border-top:solid #E1E1E1 1.0pt"><p>From: a</p></div>',
            '<div class="gmail_quote">',
            "<b>",
            "</b>",
            "text",
            " more  text ",
            "\xa0",
            "&nbsp;",
            "&amp;",
            "<table><tr><td>",
            "</td></tr></table>",
            "<style>x{}</style>",
            '<span style="display:none">hidden</span>',
            "<!--c-->",
            "<pre>a\n  b</pre>",
            "<a title='<div>'>",
            "<x<div>",
            "\r\n",
            "é",
            "😀",
        ]
    ),
    max_size=50,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(_HTML)
def test_control_markers_render_what_private_ones_render(source):
    assert html._marks_for(source) is html._CONTROL
    private, control = html._render(source, html.PRIVATE), html._render(source, html._CONTROL)
    assert (control.text, control.cut, control.quotes) == (
        private.text,
        private.cut,
        private.quotes,
    )
    if html._is_simple(source):
        private = html._render_simple(source, html.PRIVATE)
        control = html._render_simple(source, html._CONTROL)
        assert (control.text, control.cut, control.quotes) == (
            private.text,
            private.cut,
            private.quotes,
        )


@pytest.mark.parametrize("source", ["<div>a\x01b</div>", "<div>\x05</div>"])
def test_input_that_holds_a_control_marker_keeps_the_private_ones(source):
    assert html._marks_for(source) is html.PRIVATE


@pytest.mark.parametrize(
    "reference",
    [
        "&#1;",
        "&#x0005;",
        "&#57344;",  # U+E000, the private soft break
        "&#xE002",  # the private cut, without its ";"
        "&#xe003;",
        "&#x110000001;",
        "&#0000000000001;",
    ],
)
@pytest.mark.parametrize("quote", ["", "<blockquote>quoted</blockquote>"])  # simple, DOM path
def test_a_reference_to_a_marker_cannot_inject_one(reference, quote):
    source = f"<div>a{reference}z</div><div>y{reference}</div>{quote}<div>x</div>"
    assert html.html_to_text(source) == html.html_to_text(source.replace(reference, ""))


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "&#8203;", "&#x200B;", "&ZeroWidthSpace;", "&shy;", "&#xad;", "&lrm;", "&#xFEFF;"],
)
@pytest.mark.parametrize("quote", ["", "<blockquote>quoted</blockquote>"])  # simple, DOM path
def test_invisible_characters_are_removed_however_they_are_spelled(invisible, quote):
    source = f"<div>OK{invisible} with me{invisible}, Pe{invisible}ter</div>{quote}<div>x</div>"
    assert html.html_to_text(source) == html.html_to_text(source.replace(invisible, ""))


@pytest.mark.parametrize("quote", ["", "<blockquote>quoted</blockquote>"])
def test_ordinary_references_are_kept(quote):
    source = f"<div>&#233;t&#xE9; &#x1F600;&#10;!</div>{quote}"
    assert html.html_to_text(source).text.split("\n")[0] == "été 😀 !"


def test_marker_references_are_what_lexbor_and_unescape_make_of_them():
    # The references `_MARKER_REFERENCE` matches are the ones that become a marker character.
    from html import unescape

    from selectolax.lexbor import LexborHTMLParser

    markers = set(html.PRIVATE.all + html._CONTROL.all)
    for code in [*range(0, 300), *range(0xDFF0, 0xE010)]:
        for reference in (f"&#{code};", f"&#x{code:x};", f"&#{code}", f"&#x{code:X} "):
            dom = LexborHTMLParser(f"<div>{reference}</div>").body.text()
            made = set(dom) | set(unescape(reference))
            if made & markers:
                assert re.search(html._MARKER_REFERENCE, reference), reference
