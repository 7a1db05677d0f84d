"""An HTML quote header wrapped over two or three lines is still the quote header.

Gmail, Outlook and Apple Mail wrap a long "On … wrote:" line, in HTML as two <div>s, a <br> inside
the line, or two Word paragraphs; the parts must be read as one attribution, so the new text
(what `draftlint parse` prints and the rules read) leaves all of it out, with or without a
blockquote below, and with the author's text above it or below it.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from linters.model import Body, BodyType
from linters.text import segment

NEW = {
    "en": "Thanks, the new dates work for me.",
    "de": "Danke, die neuen Termine passen mir.",
    "fr": "Merci, les nouvelles dates me conviennent.",
    "nl": "Bedankt, de nieuwe data komen mij goed uit.",
}
ORIGINAL = {
    "en": ["Can you check the new dates by Friday?", "Jane"],
    "de": ["Kannst du die neuen Termine bis Freitag prüfen?", "Jane"],
    "fr": ["Peux-tu vérifier les nouvelles dates d'ici vendredi ?", "Jane"],
    "nl": ["Kun je de nieuwe data voor vrijdag nakijken?", "Jane"],
}
_MAILTO = '&lt;<a href="mailto:jane@x.example">jane@x.example</a>&gt;'
# The attribution as the client wrapped it: each tuple is its lines.
HEADERS = [
    ("en", ("On Mon, 3 Mar 2025 at 10:00, Jane Doe &lt;jane@x.example&gt;", "wrote:")),
    ("en", (f"On Mon, Mar 3, 2025 at 10:00 AM Jane Doe {_MAILTO}", "wrote:")),
    ("en", ("On Mon, 3 Mar 2025 at 10:00, Jane Doe", "&lt;jane@x.example&gt; wrote:")),
    ("en", ("On Mon, 3 Mar 2025 at 10:00,", "Jane Doe &lt;jane@x.example&gt; wrote:")),
    ("en", ("On Mon, 3 Mar 2025 at 10:00", "Jane Doe &lt;jane@x.example&gt;", "wrote:")),
    ("en", ("On 3 Mar 2025, at 10:00, Jane Doe &lt;jane@x.example&gt;", "wrote:")),
    ("de", ("Am Mo., 3. März 2025 um 10:00 Uhr schrieb Jane Doe &lt;", "jane@x.example&gt;:")),
    ("de", ("Am Mo., 3. März 2025 um 10:00 Uhr schrieb Jane Doe", "&lt;jane@x.example&gt;:")),
    ("de", (f"Am 03.03.2025 um 10:00 schrieb Jane Doe {_MAILTO}", ":")),
    ("de", ("Jane Doe &lt;jane@x.example&gt; schrieb am Mo., 3. März 2025,", "10:00:")),
    ("fr", ("Le lun. 3 mars 2025 à 10:00, Jane Doe &lt;jane@x.example&gt; a", "écrit :")),
    ("nl", ("Op ma 3 mrt 2025 om 10:00 schreef Jane Doe", "&lt;jane@x.example&gt;:")),
]


def _divs(lines):
    return "".join(f"<div>{line}</div>" for line in lines)


def _br(lines):
    return f"<div>{'<br>'.join(lines)}<br></div>"


def _word(lines):
    return "".join(f'<p class="MsoNormal">{line}<o:p></o:p></p>' for line in lines)


def _gmail_attr(lines):
    return f'<div dir="ltr" class="gmail_attr">{"<br>".join(lines)}<br></div>'


WRAPS = {"divs": _divs, "br": _br, "word": _word, "gmail-attr-no-container": _gmail_attr}


def _reply(lang, header, wrap, quote):
    new, original = NEW[lang], ORIGINAL[lang]
    if quote == "blockquote":
        quoted = f'<blockquote style="margin:0 0 0 .8ex">{_divs(original)}</blockquote>'
        return f"<div>{new}</div><div><br></div>{wrap(header)}{quoted}", new
    if quote == "unquoted":  # top posting, the original below without any marker
        return f"<div>{new}</div><div><br></div>{wrap(header)}<div><br></div>{_divs(original)}", new
    if quote == "deleted":  # the author removed the original and kept its header
        return f"<div>{new}</div><div><br></div>{wrap(header)}", new
    # inline: the author answers below the quote
    quoted = f"<blockquote>{_divs(original)}</blockquote>"
    return f"<div>Hi Jane,</div><div><br></div>{wrap(header)}{quoted}<div>{new}</div>", (
        f"Hi Jane,\n\n{new}"
    )


def squash(text):
    return "".join((text or "").split())


def as_text(line):
    return unescape(re.sub(r"<[^>]*>", "", line))


@pytest.mark.parametrize("quote", ["blockquote", "unquoted", "deleted", "inline"])
@pytest.mark.parametrize("wrap", list(WRAPS))
@pytest.mark.parametrize(("lang", "header"), HEADERS)
def test_a_wrapped_html_header_is_quote_not_new_text(lang, header, wrap, quote):
    content, expected = _reply(lang, header, WRAPS[wrap], quote)
    result = segment(Body(content, BodyType.HTML))
    assert squash(result.new_text) == squash(expected), result.as_dict()
    assert squash("".join(map(as_text, header))) in squash(result.quote_text)


def test_the_issues_example():
    content = (
        "<div>Works for me.</div><div>On Mon, 3 Mar 2025 at 10:00, Jane Doe "
        "&lt;jane@x.example&gt;</div><div>wrote:</div><blockquote><div>Can we move the call?"
        "</div></blockquote>"
    )
    parsed = segment(Body(content, BodyType.HTML)).as_dict()
    assert parsed["new_text"] == "Works for me."
    assert parsed["quote"].startswith(
        "On Mon, 3 Mar 2025 at 10:00, Jane Doe <jane@x.example>\nwrote:"
    )
