"""HTML to plain text with selectolax (lexbor), keeping track of where quoted content sits.

The DOM is only touched with lexbor's C-level operations (parse, css, insert, decompose, text);
there is no Python walk over the nodes. Line structure is encoded with private-use marker
characters that a few regex passes (also C-level) turn into newlines afterwards:

- before every block-level tag (open or close) a *soft break*: start a new line unless already at
  the start of one, so `<div>a</div><div>b</div>` is two lines, not two paragraphs;
- before every `<br>` a *hard break*: always end the line, so `<div><br></div>` is an empty line;
- around quote containers (blockquote, Thunderbird's cite prefix) an open/close pair, and before the
  first container that starts the quoted thread (Gmail's `gmail_quote`, Outlook's `appendonsend`,
  a Word header block, …) a cut: everything from there on is the quoted thread.

Quote markers are placed on lines of their own, so removing them at the end yields offsets that sit
at line starts of the final text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from itertools import accumulate

from selectolax.lexbor import LexborHTMLParser

from .lexicon import HEADER_LINE

SOFT = "\ue000"
HARD = "\ue001"
CUT = "\ue002"
OPEN = "\ue003"
CLOSE = "\ue004"
_MARKERS = SOFT + HARD + CUT + OPEN + CLOSE
# Our markers must not come from the input; NUL and invisible format characters (zero-width space,
# bidi marks, BOM, soft hyphen) carry nothing and would break words and phrase matching. The
# invisible ones are removed again from the rendered text: the source may spell them as character
# references (`&#8203;`, `&shy;`), decoded only by the parser.
_INVISIBLE_CHARS = "\x00\u00ad\u200b\u200e\u200f\u2060\ufeff"
_STRIPPED_CHARS = _MARKERS + _INVISIBLE_CHARS
_STRIP_INPUT = str.maketrans(dict.fromkeys(map(ord, _STRIPPED_CHARS)))
_STRIP_INVISIBLE = str.maketrans(dict.fromkeys(map(ord, _INVISIBLE_CHARS)))

_BLOCK_TAGS = (
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h[1-6]", "blockquote", "pre", "hr", "table",
    "center", "section", "article", "header", "footer", "address", "form", "fieldset",
)  # fmt: skip


def _any_case(tag: str) -> str:
    """Spell `tag` in any case ("div" -> "[dD][iI][vV]"): far faster than re.IGNORECASE."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in tag)


# A marker before a tag lands where the tag is. Inside a table, text outside a cell is moved in
# front of the table by the parser, so cells get their break just before they close.
_BEFORE_BLOCK = re.compile(
    r"<(?=(?:/?(?:"
    + "|".join(map(_any_case, _BLOCK_TAGS))
    + r")|/(?:"
    + _any_case("td")
    + "|"
    + _any_case("th")
    + r"))[\s/>])"
)
_BEFORE_BR = re.compile(r"<(?=" + _any_case("br") + r"[\s/>])")

_DROPPED_TAGS = frozenset({"style", "script", "template", "noscript", "title"})
_REMOVE = (
    "style, script, template, noscript, title, [hidden], "
    '[style*="display:none"], [style*="display: none"], [style*="DISPLAY: none"]'
)
# Containers that start the quoted thread: everything from the first of them on is quote.
_CUT_SELECTORS = (
    "div.gmail_quote",
    "div.gmail_quote_container",
    "#appendonsend",
    '[id$="divRplyFwdMsg"]',
    "#mail-editor-reference-message-container",
    "#OLK_SRC_BODY_SECTION",
    '[class*="yahoo_quoted"]',
)
_QUOTE = ", ".join((*_CUT_SELECTORS, "blockquote", ".moz-cite-prefix", 'div[style*="border-top"]'))
_SELECTOR = f"{_REMOVE}, {_QUOTE}"
_CUT_IDS = frozenset(
    {"appendonsend", "mail-editor-reference-message-container", "OLK_SRC_BODY_SECTION"}
)
# A div with a top border is Word's / Windows Mail's reply header only if it starts with one.
_BORDERED_CHECKS = 8
# Enough blockquotes for any real thread; a 10,000-deep nest only needs its outermost ones.
_MAX_BLOCKQUOTES = 500


class _Marks:
    """The five marker characters one rendering uses, and the patterns made of them."""

    __slots__ = ("all", "close", "cut", "hard", "kept", "kept_split", "open", "quote_mark", "soft")

    def __init__(self, soft: str, hard: str, cut: str, open_: str, close: str) -> None:
        self.soft, self.hard, self.cut, self.open, self.close = soft, hard, cut, open_, close
        self.all = soft + hard + cut + open_ + close
        self.kept = frozenset((cut, open_, close))
        self.kept_split = re.compile(f"([{re.escape(cut + open_ + close)}])")
        self.quote_mark = re.compile(f"[{re.escape(open_ + close)}]\n?")


# Private-use characters: never in the input, which is stripped of them.
PRIVATE = _Marks(SOFT, HARD, CUT, OPEN, CLOSE)
# ASCII control characters, used instead when the input holds none of them: the same rendering, but
# an ASCII or Latin-1 body stays one byte a character through the regex passes, lexbor (no UTF-8
# encoding of the whole body, which private-use characters force) and the layout, instead of two.
# lexbor keeps both kinds of character as text, and neither is whitespace to it or to Python.
_CONTROL = _Marks("\x01", "\x02", "\x03", "\x04", "\x05")
# A numeric character reference to U+0001…U+0005 or U+E000…U+E004, or one too long to judge
# (leading zeros allowed, with or without its ";"): lexbor or `unescape` would make it one of our
# markers, so it is removed with the marker characters themselves (it names nothing visible).
_MARKER_REFERENCE = re.compile(
    r"&#(?:[xX]0*(?:[1-5]|[eE]00[0-4]|[0-9a-fA-F]{7,})(?![0-9a-fA-F])"
    r"|0*(?:[1-5]|5734[4-8]|[0-9]{8,})(?![0-9]));?"
)


def _marks_for(html: str) -> _Marks:
    return PRIVATE if any(char in html for char in _CONTROL.all) else _CONTROL


@dataclass(frozen=True, slots=True)
class HtmlText:
    """Visible text of an HTML body and where its quoted parts are (offsets into `text`)."""

    text: str
    cut: int | None  # the quoted thread starts here and runs to the end
    quotes: tuple[tuple[int, int], ...]  # quoted ranges before the cut (blockquotes)
    thread_html: str | None = None  # the marked quoted thread below `text`, not yet rendered

    def thread(self) -> str:
        return plain_view(self.thread_html) if self.thread_html else ""


# The attribute that marks where a client put the quoted thread, found in the raw HTML before
# parsing: only the part above it needs line layout, the thread below is only shown.
# Plain words, found with str.find (far faster than a regex alternation); a hit counts only
# inside a tag, as an id or a class.
_RAW_THREAD_MARKERS = (
    "appendonsend",
    "divRplyFwdMsg",
    "gmail_quote",
    "yahoo_quoted",
    "OLK_SRC_BODY_SECTION",
    "mail-editor-reference-message-container",
)
# lexbor checks the open-element stack for each block start tag, so parsing n nested blocks costs
# n²: 10,000 nested divs take a third of a second, 100,000 take a minute. Deeper HTML than any
# mail client writes is read as tag-stripped text instead.
_MAX_DEPTH = 1500
# Matched in lower-cased HTML: re.IGNORECASE makes the search several times slower.
_NESTING_TAG = re.compile(
    r"<(/?)(?:div|blockquote|section|article|aside|center|table|ul|ol|dl|form|fieldset|span|font)"
    r"[\s/>]"
)
_DEPTH_STEP = {"": 1, "/": -1}
_TAG = re.compile(r"<[^>]*>")
# Word's reply header: a block with a top border ("border:none;border-top:solid #E1E1E1 1.0pt"),
# matched in lower-cased HTML only where "border-top" occurs (str.find), from the "<" before it.
_BORDER_TOP = "border-top"
_RAW_BORDERED_DIV = re.compile(r"<(?:div|p)\s[^>]{0,300}?border-top:\s?solid[^>]{0,300}>")
_BORDERED_REACH = 310  # how far before "border-top" its tag can start: "<div " + 300
_SPACE_AROUND_NEWLINES = re.compile(r"[ \t\r\f\v\xa0]*\n\s*")


def html_to_text(html: str) -> HtmlText:
    if any(char in html for char in _STRIPPED_CHARS):
        html = html.translate(_STRIP_INPUT)
    # "&" first: str.find of one character is a memchr, a regex search much slower.
    if "&" in html:
        html = _MARKER_REFERENCE.sub("", html)
    lowered = lower_same_length(html)
    start = _raw_thread_start(html, lowered)
    head = html if start is None else html[:start]
    if _too_deep(html, len(head), lowered):
        return HtmlText(_strip_tags(head), None, (), html[start:] if start is not None else None)
    marks = _marks_for(head)
    rendered = _render_simple(head, marks) if _is_simple(head) else _render(head, marks)
    if start is None:
        return rendered
    return HtmlText(rendered.text, rendered.cut, rendered.quotes, html[start:])


def _raw_thread_start(html: str, lowered: str | None = None) -> int | None:
    """Where the quoted thread starts in the raw HTML: the tag carrying a client's thread marker
    (inside a tag, not in text or a style sheet), or Word's bordered reply-header block.
    `lowered` is `lower_same_length(html)`, when the caller has it."""
    bordered = _bordered_header_start(html, lowered)
    marker = _marker_start(html, len(html) if bordered is None else bordered)
    return bordered if marker is None else marker


def _marker_start(html: str, limit: int) -> int | None:
    """The first tag before `limit` that carries a thread marker."""
    found = None
    for marker in _RAW_THREAD_MARKERS:
        at = html.find(marker, 0, limit)
        while at >= 0:
            tag_start = html.rfind("<", 0, at)
            if tag_start >= 0 and html.rfind(">", tag_start, at) < 0:
                found = limit = tag_start  # only a marker before this one can still matter
                break
            at = html.find(marker, at + len(marker), limit)
    return found


def _bordered_header_start(html: str, lowered: str | None = None) -> int | None:
    """The first of Word's bordered blocks that starts with a header line ("From: …")."""
    if lowered is None:
        lowered = lower_same_length(html)
    checked = last_tag = 0
    at = lowered.find(_BORDER_TOP)
    while at >= 0 and checked < _BORDERED_CHECKS:
        tag_start = lowered.rfind("<", max(last_tag, at - _BORDERED_REACH), at)
        bordered = _RAW_BORDERED_DIV.match(lowered, tag_start) if tag_start >= 0 else None
        if bordered is not None:
            checked += 1
            last_tag = bordered.end()
            following = _TAG.sub("", html[bordered.end() : bordered.end() + 1000]).lstrip()
            if HEADER_LINE.match(unescape(following[:200]).lstrip(" \t\r\n\xa0")):
                return tag_start
        at = lowered.find(_BORDER_TOP, at + len(_BORDER_TOP))
    return None


def lower_same_length(text: str) -> str:
    """`text.lower()`, one character for one, so offsets in it are offsets in `text`: U+0130
    (İ) is the only character whose lower case is two."""
    return text.replace("\u0130", "I").lower() if "\u0130" in text else text.lower()


def plain_view(html: str) -> str:
    """The quoted thread as text, for showing only: lines per text node, no layout work."""
    if _too_deep(html):
        return _strip_tags(html)
    root = LexborHTMLParser(html).body
    if root is None:
        return ""
    for node in root.css(_REMOVE):
        node.decompose()
    return _SPACE_AROUND_NEWLINES.sub("\n", root.text(deep=True, separator="\n")).strip()


def _too_deep(html: str, end: int | None = None, lowered: str | None = None) -> bool:
    """Whether blocks in `html` (up to `end`) nest deeper than `_MAX_DEPTH`; `lowered` is
    `lower_same_length(html)`, when the caller has it."""
    end = len(html) if end is None else end
    if html.count("<", 0, end) < _MAX_DEPTH:
        return False
    if lowered is None:
        lowered = lower_same_length(html)
    slashes = _NESTING_TAG.findall(lowered, 0, end)  # "/" for a closing tag, "" for an opening one
    if len(slashes) - slashes.count("/") <= _MAX_DEPTH:
        return False  # not even that many opened
    return max(accumulate(map(_DEPTH_STEP.__getitem__, slashes))) > _MAX_DEPTH


def _strip_tags(html: str) -> str:
    return _SPACE_AROUND_NEWLINES.sub("\n", unescape(_TAG.sub("\n", html))).strip()


# The author's part of a reply is usually a few lines in <div>s and <p>s. Building a lexbor
# document costs a fixed ~0.1 ms however small the input, a quarter of a typical lint, so a short
# head with none of the constructs only a DOM handles well (quotes, tables, hidden or bordered
# blocks, scripts, preformatted text) is read with the same markers and two linear regexes.
# tests/text/test_html_fast_path.py checks both readings agree on every sample.
_SIMPLE_MAX = 2048
# Searched in lower-cased HTML: re.IGNORECASE would make this search four times slower.
_NEEDS_DOM = re.compile(
    r"<(?:blockquote|table|script|noscript|template|pre|textarea|iframe|svg|math)\b|hidden"
    r"|display\s*:\s*none|border-top|moz-cite|<!\[|<\?|<(?![a-z/!])"
    r"""|=\s*"[^"]*>|=\s*'[^']*>"""  # a ">" inside an attribute value
)
# What lexbor drops with its content: the document head, style sheets and comments.
_INVISIBLE = re.compile(
    r"<head\b.*?</head\s*>|<style\b.*?</style\s*>|<title\b.*?</title\s*>|<!--.*?-->",
    re.IGNORECASE | re.DOTALL,
)
_ELEMENT_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def _is_simple(html: str) -> bool:
    return len(html) <= _SIMPLE_MAX and _NEEDS_DOM.search(html.lower()) is None


def _render_simple(html: str, marks: _Marks = PRIVATE) -> HtmlText:
    html = _INVISIBLE.sub("", html)
    html = _BEFORE_BLOCK.sub(marks.soft + "<", html)
    html = _BEFORE_BR.sub(marks.hard + "<", html)
    return _finish(unescape(_ELEMENT_TAG.sub("", html)), marks)


def _render(html: str, marks: _Marks = PRIVATE) -> HtmlText:
    html = _BEFORE_BLOCK.sub(marks.soft + "<", html)
    html = _BEFORE_BR.sub(marks.hard + "<", html)
    tree = LexborHTMLParser(html)
    root = tree.body
    if root is None:
        return HtmlText("", None, ())
    # One selector pass finds both what to drop and where quotes are.
    hidden = []
    containers = []
    for node in root.css(_SELECTOR):
        (hidden if _is_hidden(node) else containers).append(node)
    _mark_quotes(containers, marks)
    # Reverse document order removes descendants before their ancestors.
    for node in reversed(hidden):
        node.decompose()
    return _finish(root.text(deep=True, separator=""), marks)


def _is_hidden(node) -> bool:
    if node.tag in _DROPPED_TAGS or "hidden" in node.attributes:
        return True
    style = node.attributes.get("style") or ""
    return "display:none" in style.replace(" ", "").lower()


def _mark_quotes(containers: list, marks: _Marks = PRIVATE) -> None:
    soft = marks.soft
    bordered = blockquotes = 0
    for node in containers:
        if _starts_thread(node) or _is_reply_header(node, bordered, marks):
            node.insert_before(f"{soft}{marks.cut}{soft}")
            return
        classes = node.attributes.get("class") or ""
        if node.tag == "div" and "moz-cite-prefix" not in classes:
            bordered += 1
            continue
        style = (node.attributes.get("style") or "").replace(" ", "").lower()
        if node.tag == "blockquote" and "border:none" in style:
            continue  # Gmail's "indent" button, not a quote
        blockquotes += 1
        if blockquotes > _MAX_BLOCKQUOTES:
            continue
        node.insert_before(f"{soft}{marks.open}{soft}")
        node.insert_after(f"{soft}{marks.close}{soft}")


def _starts_thread(node) -> bool:
    attributes = node.attributes
    node_id = attributes.get("id") or ""
    if node_id in _CUT_IDS or node_id.endswith("divRplyFwdMsg"):
        return True
    classes = attributes.get("class") or ""
    if "yahoo_quoted" in classes:
        return True
    return node.tag == "div" and (
        "gmail_quote" in classes.split() or "gmail_quote_container" in classes.split()
    )


def _is_reply_header(node, bordered_seen: int, marks: _Marks = PRIVATE) -> bool:
    if node.tag != "div" or bordered_seen >= _BORDERED_CHECKS:
        return False
    head = node.text(deep=True, separator="")[:200].lstrip(marks.all + " \t\r\n\xa0")
    return HEADER_LINE.match(head) is not None


def _finish(raw: str, marks: _Marks = PRIVATE) -> HtmlText:
    if any(char in raw for char in _INVISIBLE_CHARS):
        raw = raw.translate(_STRIP_INVISIBLE)
    cut = raw.find(marks.cut)
    if cut < 0:
        return _extract_quote_marks(_layout(raw, marks), marks)
    head = _extract_quote_marks(_layout(raw[:cut], marks), marks)
    # The quoted thread is only shown, never analysed: a rougher layout, at a fraction of the cost.
    tail = raw[cut + 1 :].replace(marks.open, "").replace(marks.close, "").replace(marks.cut, "")
    tail = tail.replace(marks.soft, "\n").replace(marks.hard, "\n").strip()
    text = f"{head.text}\n\n{tail}" if head.text else tail
    return HtmlText(text, len(text) - len(tail), head.quotes)


def _layout(raw: str, marks: _Marks = PRIVATE) -> str:
    """Markers to line breaks, the source's own whitespace collapsed (it is not layout).

    All whitespace is collapsed to single spaces and none is kept next to a marker; a run of soft
    breaks is one; a soft break right after a hard one adds nothing (a <br> ending a block adds no
    empty line); each break left is a newline, at most two in a row; the ends are stripped.

    One pass over the pieces between breaks, so it is linear however the markers fall. A piece
    holds no marker, so Python stores most of them one byte a character where the whole text
    takes two, and collapsing their whitespace costs a fraction of doing it on the whole text
    (which was a 1 MB body's largest cost). A piece without runs of whitespace is kept as it is,
    and a long ASCII one is collapsed with a few whole-string passes, not a string per word.
    """
    hard, cut, open_, close = marks.hard, marks.cut, marks.open, marks.close
    if hard not in raw and cut not in raw and open_ not in raw and close not in raw:
        return _layout_soft(raw, marks.soft)
    kept, kept_split = marks.kept, marks.kept_split
    out: list[str] = []
    breaks = 0  # newlines owed before the next text: 1, or 2 (an empty line) at most
    after_text = False  # leading breaks would be stripped anyway
    for piece in raw.split(marks.soft):
        if after_text:  # the soft break before this piece (one after another break adds nothing)
            breaks += 1
            after_text = False
        if not piece:
            continue
        for index, line in enumerate(piece.split(hard) if hard in piece else (piece,)):
            if index:  # a hard break before this line
                breaks += 1
                after_text = False
            if not line:
                continue
            if cut in line or open_ in line or close in line:
                parts = kept_split.split(line)
            else:
                parts = (line,)
            for part in parts:
                if not part:
                    continue
                if part in kept:
                    text = part
                elif len(part) > _LONG_PIECE and part.isascii():
                    text = _collapse_ascii(part)
                elif _single_spaced(part):
                    text = part
                else:
                    text = " ".join(part.split())
                if not text:
                    continue
                if breaks:
                    out.append("\n\n" if breaks > 1 else "\n")
                    breaks = 0
                out.append(text)
                after_text = True
    return "".join(out).strip()


_LONG_PIECE = 500
_RARE_ASCII_SPACE = "\x0b\x0c\x1c\x1d\x1e\x1f"  # what str.split() also splits ASCII text at


def _layout_soft(raw: str, soft: str = SOFT) -> str:
    """`_layout` of text whose only markers are soft breaks (a body of <div>s and <p>s): each
    run of them between two texts is one newline, so the pieces between them, collapsed, are
    joined by newlines. ASCII pieces that are already collapsed, as most are, are found so with a
    few C-level passes over all of them, instead of a check per piece."""
    pieces = list(filter(None, raw.split(soft)))
    if not pieces:
        return ""
    # Joined by spaces, a piece that starts or ends with one makes a run of two.
    spaced = " ".join(pieces)
    if (
        spaced.isascii()
        and _DOUBLE_SPACE.search(spaced) is None
        and spaced[0] != " "
        and spaced[-1] != " "
        and not any(char in spaced for char in _ASCII_SPACE_BUT_SPACE)
    ):
        return "\n".join(pieces)
    return "\n".join(filter(None, map(_collapse, pieces)))


_ASCII_SPACE_BUT_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"  # what str.split() splits ASCII at
_DOUBLE_SPACE = re.compile("  ")  # in a long text, faster than `"  " in text`


def _collapse(text: str) -> str:
    """`" ".join(text.split())`, the cheapest way for `text` (not empty, no marker)."""
    if len(text) > _LONG_PIECE and text.isascii():
        return _collapse_ascii(text)
    if _single_spaced(text):
        return text
    return " ".join(text.split())


def _single_spaced(text: str) -> bool:
    """Whether `" ".join(text.split()) == text` (text not empty): every whitespace character but
    the space is unprintable."""
    return text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " "


def _collapse_ascii(text: str) -> str:
    """`" ".join(text.split())` for ASCII text, in a few C-level passes instead of a string per
    word: a long paragraph, as the HTML source wrapped it, is most of a big body's text."""
    if any(char in text for char in _RARE_ASCII_SPACE):
        return " ".join(text.split())
    for char in "\n\r\t":  # the ASCII whitespace left: each becomes a space, then runs are one
        text = text.replace(char, " ")
    while "  " in text:
        text = text.replace("  ", " ")
    return text.strip(" ")


def _extract_quote_marks(text: str, marks: _Marks = PRIVATE) -> HtmlText:
    """Remove the quote open/close markers, keeping the outermost ranges they enclose."""
    opening = marks.open
    if opening not in text and marks.close not in text:
        return HtmlText(text, None, ())
    pieces: list[str] = []
    length = last = depth = opened = 0
    quotes: list[tuple[int, int]] = []
    for match in marks.quote_mark.finditer(text):
        piece = text[last : match.start()]
        pieces.append(piece)
        length += len(piece)
        last = match.end()
        if match.group()[0] == opening:
            if depth == 0:
                opened = length
            depth += 1
        elif depth > 0:
            depth -= 1
            if depth == 0 and length > opened:
                quotes.append((opened, length))
    pieces.append(text[last:])
    length += len(pieces[-1])
    if depth > 0:  # unclosed: an absurdly deep nest cut short
        quotes.append((opened, length))
    return HtmlText("".join(pieces), None, tuple(quotes))
