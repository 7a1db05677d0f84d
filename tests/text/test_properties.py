"""Never crash, never hang: arbitrary and adversarial input, checked for errors and for growth."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from linters.model import Body, BodyType
from linters.text import segment

# Text with the characters that matter to the segmenter, plus NUL and lone surrogates.
MAIL_ALPHABET = st.one_of(
    st.sampled_from([*"> \n\t-_:,.!@<>/\"'*|=", "\x00", "\ud800", "\udfff", "\xa0", "\u200e"]),
    st.characters(),
)
MAIL_TEXT = st.text(MAIL_ALPHABET, max_size=400)
LINES = st.lists(
    st.sampled_from(
        [
            "> quoted",
            "On Mon, 1 Jan 2024, Ann <a@x.example> wrote:",
            "From: Ann <a@x.example>",
            "Sent: Monday",
            "To: Bob",
            "Subject: x",
            "-- ",
            "Thanks,",
            "Peter",
            "Hi Anna,",
            "Sent from my iPhone",
            "_______________",
            "-----Original Message-----",
            "",
            "text",
        ]
    ),
    max_size=40,
).map("\n".join)
HTML = st.lists(
    st.sampled_from(
        [
            "<div>",
            "</div>",
            "<p>",
            "</p>",
            "<br>",
            "<blockquote type=cite>",
            "</blockquote>",
            '<div class="gmail_quote">',
            '<div id="appendonsend"></div>',
            "<b>",
            "</b>",
            "text",
            "<table><tr><td>",
            "</td></tr></table>",
            "<style>x{}</style>",
            "<!--c-->",
            "\x00",
            '<div style="border-top:solid #E1E1E1 1.0pt">From: a</div>',
            "&nbsp;",
            "\ud800",
        ]
    ),
    max_size=60,
).map("".join)


def check(body: Body) -> None:
    result = segment(body)
    end = 0
    for block in result.blocks:
        assert end <= block.start < block.end <= len(result.text)
        end = block.end
    assert isinstance(result.as_dict(), dict)


@settings(max_examples=300, deadline=None)
@given(st.one_of(MAIL_TEXT, LINES))
def test_plain_text_never_raises(text: str) -> None:
    check(Body(text, BodyType.TEXT))


@settings(max_examples=300, deadline=None)
@given(st.one_of(MAIL_TEXT, HTML))
def test_html_never_raises(html: str) -> None:
    check(Body(html, BodyType.HTML))


def test_deeply_nested_html() -> None:
    for tag in ("div", "blockquote", "b"):
        html = f"<{tag}>" * 10_000 + "deep" + f"</{tag}>" * 10_000
        check(Body(html, BodyType.HTML))


def test_huge_single_line() -> None:
    check(Body("x" * 1_000_000, BodyType.TEXT))
    check(Body("<p>" + "x" * 1_000_000 + "</p>", BodyType.HTML))


def _seconds(body: Body) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        segment(body)
        best = min(best, time.perf_counter() - start)
    return best


ADVERSARIAL = {
    "quote markers": "> > > >\n",
    "attributions": "On Mon, 1 Jan 2024 Ann\n",
    "wrapped attributions": "On Mon\nwrote:\n",
    "headers": "To: a\ncc: b\n",
    "closings": "Thanks,\n",
    "rules": "__________\n",
    "blank-ish": " \t \n",
    "long lines": "word " * 200 + "\n",
}


def test_time_grows_linearly() -> None:
    for name, unit in ADVERSARIAL.items():
        for body_type, wrap in ((BodyType.TEXT, "{}"), (BodyType.HTML, "<div>{}</div>")):
            small = Body(wrap.format(unit) * (10_000 // len(unit) + 1), body_type)
            large = Body(wrap.format(unit) * (100_000 // len(unit) + 1), body_type)
            ratio = _seconds(large) / max(_seconds(small), 1e-4)
            # 10x the input: linear work gives ~10x; quadratic would give ~100x.
            assert ratio < 30, f"{name} ({body_type}): {ratio:.1f}x"
