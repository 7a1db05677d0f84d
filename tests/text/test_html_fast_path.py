"""The short-head fast path reads HTML exactly as the lexbor path does, wherever it is taken."""

from __future__ import annotations

import json
from collections import Counter
from html import escape
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from linters.text import html

TESTS = Path(__file__).resolve().parents[1]
# Replies written for this project (text, subject, quoted message), seven languages.
REPLIES = TESTS / "linters" / "samples" / "independent-replies.jsonl"
# Real clients' HTML: our own samples and the vendored reply-isolation fixtures.
CLIENT_HTML = sorted((TESTS / "text" / "samples").glob("*.html")) + sorted(
    (TESTS / "vendor" / "reply-isolation").rglob("*.html")
)


def _same_reading(source: str) -> None:
    if not html._is_simple(source):
        return
    dom, fast = html._render(source), html._render_simple(source)
    assert (fast.text, fast.cut, fast.quotes) == (dom.text, dom.cut, dom.quotes), source


def _head(source: str) -> tuple[str, bool]:
    """The part above the quoted thread, as html_to_text reads it; whether a thread was found."""
    start = html._raw_thread_start(source)
    return (source, False) if start is None else (source[:start], True)


# How clients wrap what the author typed (`lines`, already escaped) above the quoted message.
_HEADER = (
    "<b>From:</b> Sam Boss &lt;sam.boss@corp.example&gt;<br><b>Sent:</b> Monday, 3 March 2025"
    " 09:12<br><b>To:</b> Team &lt;team@corp.example&gt;<br><b>Subject:</b> {subject}"
)
_META = '<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>'
_OUTLOOK_DIV = '<div style="font-family:Aptos,sans-serif;font-size:12pt">'


def _gmail(lines, subject, quote):
    return (
        f'<div dir="ltr">{"<br>".join(lines)}</div><br><div class="gmail_quote">'
        '<div dir="ltr" class="gmail_attr">On Mon, 3 Mar 2025 at 09:12, Sam Boss &lt;<a href='
        '"mailto:sam.boss@corp.example">sam.boss@corp.example</a>&gt; wrote:<br></div><blockquote'
        ' class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid'
        f' rgb(204,204,204);padding-left:1ex"><div dir="ltr">{quote}</div></blockquote></div>'
    )


def _gmail_divs(lines, subject, quote):
    body = "".join(f"<div>{line or '<br>'}</div>" for line in lines)
    return _gmail([], subject, quote).replace(
        '<div dir="ltr"></div>', f'<div dir="ltr">{body}</div>'
    )


def _outlook(lines, subject, quote):
    body = "".join(f"{_OUTLOOK_DIV}{line or '<br>'}</div>" for line in lines)
    return (
        f'<html>{_META}<body>{body}<div id="appendonsend"></div><hr style="display:inline-block;'
        'width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri,'
        f' sans-serif" style="font-size:11pt" color="#000000">{_HEADER.format(subject=subject)}'
        f"</font><div>&nbsp;</div></div><div>{quote}</div></body></html>"
    )


def _word(lines, subject, quote):
    body = "".join(
        f"<p class=MsoNormal><span lang=EN-US>{line or '&nbsp;'}<o:p></o:p></span></p>"
        for line in lines
    )
    return (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-'
        'com:office:word"><head><meta name=Generator content="Microsoft Word 15 (filtered medium)">'
        '<style><!-- p.MsoNormal {margin:0cm;font-size:11.0pt;font-family:"Calibri",sans-serif;}'
        ' --></style></head><body lang=EN-GB link="#0563C1"><div class=WordSection1>'
        f"{body}<p class=MsoNormal><o:p>&nbsp;</o:p></p><div style='border:none;border-top:solid"
        " #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'><p class=MsoNormal>"
        f"{_HEADER.format(subject=subject)}<o:p></o:p></p></div><p class=MsoNormal>{quote}"
        "<o:p></o:p></p></div></body></html>"
    )


def _outlook_mac(lines, subject, quote):
    return (
        f'<html>{_META}<body><div dir="auto" style="font-size:12pt">{"<br>".join(lines)}</div>'
        '<div id="mail-editor-reference-message-container"><div style="border:none;border-top:'
        f'solid #B5C4DF 1.0pt;padding:3.0pt 0in 0in 0in">{_HEADER.format(subject=subject)}</div>'
        f"<div>{quote}</div></div></body></html>"
    )


def _yahoo(lines, subject, quote):
    body = "".join(f'<div dir="ltr" data-setdir="false">{line or "<br>"}</div>' for line in lines)
    return (
        '<html><head></head><body><div class="ydp1a2b3c4dyahoo-style-wrap" style="font-family:'
        f'Helvetica Neue, Helvetica, Arial, sans-serif;font-size:13px;">{body}</div><div id='
        '"ydp5e6f7a8byahoo_quoted_2025030309" class="ydp5e6f7a8byahoo_quoted"><div>On Monday, 3'
        f" March 2025, 09:12, Sam Boss wrote:</div><div>{quote}</div></div></body></html>"
    )


def _apple(lines, subject, quote):
    # No thread marker: Apple Mail's quote is a blockquote, which only the DOM path reads.
    body = "".join(f"<div>{line or '<br>'}</div>" for line in lines)
    return (
        f'<html>{_META}<body style="overflow-wrap: break-word; -webkit-nbsp-mode: space;">{body}'
        '<div><br><blockquote type="cite">On 3 Mar 2025, at 09:12, Sam Boss &lt;sam.boss@corp'
        f'.example&gt; wrote:<br><br></blockquote></div><blockquote type="cite"><div dir="ltr">'
        f"{quote}</div></blockquote></body></html>"
    )


CLIENTS = {
    "gmail": _gmail,
    "gmail-divs": _gmail_divs,
    "outlook": _outlook,
    "word": _word,
    "outlook-mac": _outlook_mac,
    "yahoo": _yahoo,
    "apple": _apple,
}
GREETINGS = ("", "Hi all,", "Hallo zusammen,", "Bonjour à tous,")
SIGNOFFS = ((), ("Thanks,", "Sam"), ("Best,", "Ana Sousa"), ("Groetjes", "Sanne"))
SIGNATURES = (
    (),
    ("Sent from my iPhone",),
    ("-- ", "Ana Sousa | Ops & Finance", "+44 20 7946 0000"),
)


def own_html_mail():
    """Each of our own replies as each client sends it, with a rotating greeting, sign-off and
    signature; text escaped as clients escape it (&#x27;, &amp;, and &nbsp; for some spaces)."""
    for i, line in enumerate(REPLIES.read_text(encoding="utf-8").splitlines()):
        case = json.loads(line)
        typed = case["text"]
        if i % 3 == 1:  # some clients send the space after a word as &nbsp;
            typed = typed.replace(" ", "\xa0", 1)
        parts = [
            *([GREETINGS[i % 4], ""] if GREETINGS[i % 4] else []),
            *typed.splitlines(),
            *(["", *SIGNOFFS[i % 4]] if SIGNOFFS[i % 4] else []),
            *(["", *SIGNATURES[i % 3]] if SIGNATURES[i % 3] else []),
        ]
        lines = [escape(part).replace("\xa0", "&nbsp;") for part in parts]
        quote = "<br>".join(map(escape, case["quote"].splitlines()))
        subject = escape(case["subject"])
        for client, wrap in CLIENTS.items():
            yield client, wrap(lines, subject, quote)


def test_every_own_html_head_reads_the_same():
    fast, threads = Counter(), Counter()
    for client, source in own_html_mail():
        head, threaded = _head(source)
        fast[client] += html._is_simple(head)
        threads[client] += threaded
        _same_reading(head)
    replies = sum(1 for _ in REPLIES.open(encoding="utf-8"))
    # The wrappers are shaped as the clients send them: the thread marker is found ...
    assert threads == Counter({c: replies for c in CLIENTS if c != "apple"}), threads
    # ... and the fast path is really exercised, on every client whose head it can take.
    assert all(fast[c] == replies for c in CLIENTS if c != "apple"), fast
    assert fast["apple"] == 0  # a blockquote in the head needs the DOM


def test_every_client_html_head_reads_the_same():
    taken = 0
    for path in CLIENT_HTML:
        head, _ = _head(path.read_text(encoding="utf-8", errors="replace"))
        taken += html._is_simple(head)
        _same_reading(head)
    assert len(CLIENT_HTML) >= 20
    assert taken >= 5  # gmail, yahoo and word samples at least


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
