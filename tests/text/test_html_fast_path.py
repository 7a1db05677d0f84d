"""The short-head fast path reads HTML exactly as the lexbor path does, wherever it is taken."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from linters.text import html

SHARED = Path(__file__).resolve().parents[3] / "shared"


def _same_reading(source: str) -> None:
    if not html._is_simple(source):
        return
    dom, fast = html._render(source), html._render_simple(source)
    assert (fast.text, fast.cut, fast.quotes) == (dom.text, dom.cut, dom.quotes), source


def test_every_corpus_html_head_reads_the_same():
    taken = 0
    for path in sorted((SHARED / "corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            body = json.loads(line)["draft"]["body"]
            if body["type"] != "html":
                continue
            start = html._raw_thread_start(body["content"])
            head = body["content"] if start is None else body["content"][:start]
            taken += html._is_simple(head)
            _same_reading(head)
    assert taken > 50  # the fast path is really exercised


TAGS = ["div", "p", "span", "b", "i", "a", "br", "font", "u", "li", "ul", "h2", "DIV", "Br"]
PIECES = [*"ab OK,.!\n\t", "&amp;", "&nbsp;", "&#8217;"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)


@st.composite
def fragments(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        choice = draw(st.integers(0, 3 if depth < 3 else 1))
        if choice <= 1:
            parts.append(draw(TEXT))
        elif choice == 2:
            parts.append(f"<{draw(st.sampled_from(['br', 'BR', 'br/', 'hr']))}>")
        else:
            tag = draw(st.sampled_from(TAGS))
            style = draw(st.sampled_from(["", ' style="color:red"', " class='x'", ' dir="ltr"']))
            parts.append(f"<{tag}{style}>{draw(fragments(depth + 1))}</{tag}>")
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(fragments())
def test_generated_simple_html_reads_the_same(source):
    _same_reading(source)


def test_what_needs_a_dom_takes_the_dom_path():
    for source in (
        "<blockquote>q</blockquote>",
        '<div style="display:none">x</div>',
        "x < y",
        '<a title="a>b">t</a>',
        "<table><tr><td>a</td></tr></table>",
        "a" * 3000,
    ):
        assert not html._is_simple(source)
