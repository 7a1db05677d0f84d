"""Plain-text segmentation: one pass over the lines, top to bottom.

Each line is checked with a few anchored, bounded patterns (see `lexicon`). The first line that
opens a quoted thread for good — a header block ("From:/Sent:/To:/Subject:", Lotus Notes' name,
date and "To:/cc:" lines), an "-----Original Message-----" or forwarded-message separator, an
"On … wrote:" line not followed by ">" lines — ends the scan: the rest is quote (top-posting).
Lines quoted with ">" (or inside an HTML blockquote) are quote, with the attribution line above
them, and the scan goes on after them, so text between or below quoted parts stays the author's
(inline and bottom posting). Signatures ("-- ", device footers, list footers, disclaimers) run
until a quote starts. A second pass over the author's lines finds the greeting and the sign-off.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import accumulate, compress, groupby, repeat
from operator import is_, is_not, not_

from .closings import Author, is_closing, is_dashed_name, is_greeting, is_name
from .lexicon import (
    ATTRIBUTION_QUOTING,
    ATTRIBUTION_START,
    ATTRIBUTION_VERB,
    COLONS,
    DECORATION,
    DEVICE_FOOTER,
    DEVICE_FOOTER_ENDINGS,
    DEVICE_FOOTER_MAX_WORDS,
    DEVICE_FOOTER_STARTS,
    DISCLAIMER,
    DISCLAIMER_LABEL_CHARS,
    DISCLAIMER_MIN_WORDS,
    DISCLAIMER_SUBJECT,
    DISCLAIMER_TERM,
    FOOTER_LINE,
    HEADER_LINE,
    LIST_FOOTER,
    MAX_LINE,
    MAYBE_ATTRIBUTION_START,
    MAYBE_DISCLAIMER_SUBJECT,
    MAYBE_HEADER_LINE,
    MAYBE_NOT_PROSE,
    MAYBE_SEPARATOR,
    MAYBE_SIGNATURE_PHRASE,
    NAME_PARTICLES,
    SENDER_HEADERS,
    SEPARATOR,
)
from .segmentation import Block, Kind, Segmentation

_DATE = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}:\d{2}")
_NUMERIC_DATE = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}[/.-]\d{1,2}[/.-]\d|\d{4}年")
_TIME = re.compile(r"(?<!\d)\d{1,2}[:.h]\d{2}(?!\d)")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_EMAIL = re.compile(r"\S@\S")
# What makes a line ending in ":" above a quote its attribution: a date, a time, a year, an address.
_ATTRIBUTION_EVIDENCE = re.compile(
    r"\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}:\d{2}|(?<!\d)(?:19|20)\d\d(?!\d)|\S@\S"
)
# ">", and Supercite's "ABC>" (initials before the marker).
_QUOTE_PREFIX = re.compile(r"[ \t]{0,8}(?:>|[A-Za-z]\w{0,7}>(?=[ \t>]|$))")
# A quote prefix some mailers use instead of ">" ("|", "=>", "--]"): learnt from the first line
# after an attribution.
_OTHER_PREFIX = re.compile(r"[ \t]{0,4}([^\w\s\"'(\[<*-]{1,2}|--\]|=>)")
_LAZY_WRAP_CHARS = 40  # a quoted line's overflow that lost its ">" when it was re-wrapped
_RULE = re.compile(r"[-_=*~]{5,}")  # a line drawn with dashes, underscores, …
_RULE_CHARS = "-_=*~"
_PHONE = re.compile(r"\+?\(?\d[\d ()./-]{6,}\d")
_WEB_OR_MAIL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+")

_HEADER_WINDOW = 12  # lines a header block may span (wrapped "To:" lists, blank lines)
# Header-like lines that are not a header block are rare in real mail; past this many, a text is
# built to be slow, and the rest of its header-like lines are taken as text.
_MAX_HEADER_PROBES = 200
# No one writes 5,000 lines of new text above a thread: past them, a text is taken as quoted, so a
# body built of millions of short lines costs no more than a long real mail.
_MAX_SCANNED_LINES = 5000
_LOOKBACK_BLANKS = 2
_LIST_FOOTER_WINDOW = 3
_FOOTER_RULE_CHARS = 20
_FOOTER_LINES = 4
_MAX_CONTACT_LINES = 6  # lines after a sign-off's name that can still be a contact block
_MAX_CONTACT_CHARS = 80
_CLOSING_SEARCH = 8  # how far from the end of the author's text a closing phrase may be
_MAX_SIGNATURE_LINES = 12  # lines of a signature block under the author's name
_CONTACT_FIELD_SEPARATORS = (" | ", " · ", " • ")
_MAX_ATTRIBUTION_LINES = 3  # "On Mon, 1 Jan 2024 at 10:00\nAnn Lee <a@x>\nwrote:"
_MAX_ATTRIBUTION_CHARS = 400  # of all its lines together
_MAX_WRAPPED_LINE = 160  # a mailer wraps an attribution's first line at 72 to 80 characters
_MIN_WRAPPED_LINE = 24  # … so a short line without "On", "Am", … does not start one
_MAX_ATTRIBUTION_NAME_TOKENS = 6  # "Ann Lee wrote:", "Dr. Ann M. Lee <a@x> wrote:"
_SHORT_RULES = frozenset({"--", "-- ", "—", "---", "__", "___", "____"})
# A ">" quote prefix ends within this many characters: up to 8 blanks, then ">" or up to 8 word
# characters and ">".
_QUOTE_PREFIX_REACH = 17
_ASCII_DIGIT = re.compile(r"[0-9]")
_PLUS_ONE = (1).__add__


class _Lines:
    """The text split into lines, with each line's start offset.

    Built with C-level passes (map, accumulate, compress): a long body's lines cost no Python
    bytecode each here.
    """

    __slots__ = (
        "_evidence",
        "_header_words",
        "blanks",
        "header_probes",
        "starts",
        "text",
        "values",
    )

    def __init__(self, text: str) -> None:
        self.text = text
        values = self.values = text.split("\n")
        # `not value.strip()`: empty, or whitespace only.
        blanks = self.blanks = list(map(str.isspace, values))
        for i in compress(range(len(values)), map(not_, values)):
            blanks[i] = True
        self._header_words: dict[int, str | None] = {}
        self._evidence: dict[int, bool] = {}
        self.header_probes = 0
        starts = self.starts = list(accumulate(map(_PLUS_ONE, map(len, values)), initial=0))
        starts.pop()  # where a line after the last would start

    def __len__(self) -> int:
        return len(self.values)

    def head(self, i: int) -> str:
        """The line, capped: every classifier only needs its beginning."""
        return self.values[i][:MAX_LINE]

    def blank(self, i: int) -> bool:
        return self.blanks[i]

    def header_word(self, i: int) -> str | None:
        """The header name a line starts with ("from", "betreff"), or None; each line is matched
        once, however many header-block windows look at it."""
        line = self.values[i]
        start = line[:40]
        if ":" not in start and "\uff1a" not in start:
            return None  # most lines: no header, and nothing worth remembering
        words = self._header_words
        if i in words:
            return words[i]
        head = line[:MAX_LINE]
        match = HEADER_LINE.match(head) if MAYBE_HEADER_LINE(head) else None
        word = words[i] = match.group("word").lower() if match else None
        return word

    def has_address_or_time(self, i: int) -> bool:
        if i not in self._evidence:
            line = self.values[i][:MAX_LINE]
            self._evidence[i] = bool(_EMAIL.search(line) or _DATE.search(line))
        return self._evidence[i]


def segment_text(
    text: str,
    *,
    cut: int | None = None,
    quotes: Sequence[tuple[int, int]] = (),
    author: Author | None = None,
) -> Segmentation:
    """Segment plain text; `cut` and `quotes` are quote positions already known (from HTML)."""
    head = text if cut is None else text[:cut]
    lines = _Lines(head)
    quoted = _quoted_lines(lines, quotes)
    labels: list[Kind | None] = [None] * len(lines)
    thread = _scan(lines, quoted, labels)
    if thread is None and len(lines) > _MAX_SCANNED_LINES:
        thread = _MAX_SCANNED_LINES
    if thread is not None:
        labels[thread:] = [None] * (len(labels) - thread)
        cut = lines.starts[thread]
    _frame(lines, labels, author)
    blocks = _blocks(lines, labels)
    if cut is not None and text[cut:].strip():
        start = cut + (len(text[cut:]) - len(text[cut:].lstrip()))
        blocks.append(Block(Kind.QUOTE, start, len(text.rstrip())))
    return Segmentation(text, tuple(blocks))


def _quoted_lines(lines: _Lines, quotes: Sequence[tuple[int, int]]) -> list[bool]:
    if ">" in lines.text:
        match = _QUOTE_PREFIX.match
        reach = _QUOTE_PREFIX_REACH
        quoted = [">" in line[:reach] and match(line) is not None for line in lines.values]
    else:
        quoted = [False] * len(lines)
    if not quotes:
        return quoted
    ranges = iter(sorted(quotes))
    current = next(ranges, None)
    for i, start in enumerate(lines.starts):
        while current is not None and start >= current[1]:
            current = next(ranges, None)
        if current is not None and current[0] <= start:
            quoted[i] = True
    return quoted


def _scan(lines: _Lines, quoted: list[bool], labels: list[Kind | None]) -> int | None:
    """Label quote and signature lines; return the line where the quoted thread starts, if any."""
    in_signature = False
    learnt_prefix: list[str] = []
    skip_until = -1
    said_something = False
    blanks, values = lines.blanks, lines.values
    for i in range(min(len(lines), _MAX_SCANNED_LINES)):
        if blanks[i] or i <= skip_until:
            continue
        if quoted[i] or (quoted[i - 1] and _lazy_wrapped(lines, quoted, i)):
            if _groupwise_attribution(lines, quoted, i):
                return i
            labels[i] = Kind.QUOTE
            _claim_attribution(lines, quoted, labels, i)
            in_signature = False  # text below a quote is a new (inline or bottom-posted) reply
            continue
        line = values[i]
        if len(line) > MAX_LINE:
            line = line[:MAX_LINE]  # lines.head(i)
        if not MAYBE_NOT_PROSE(line) and _prose(line, len(values[i])):
            # What the checks below would say of it, without asking each.
            if in_signature:
                labels[i] = Kind.SIGNATURE
            else:
                labels[i] = Kind.BODY
                said_something = True
            continue
        top = _thread_top(lines, i, line)
        if top is not None:
            return top
        last = _strong_attribution(lines, i, line)
        if last is not None:
            following = _next_nonblank(lines, last)
            if (
                following is not None
                and not quoted[following]
                and not learnt_prefix
                and _learn_prefix(lines, quoted, following)
            ):
                learnt_prefix.append(lines.head(following).strip()[:3])
            top = _attribution_top(lines, labels, i)
            if following is not None and quoted[following]:
                # The attribution of a ">" quote: inline or bottom posting goes on below it.
                labels[top : last + 1] = [Kind.QUOTE] * (last + 1 - top)
                skip_until = last
                continue
            if said_something and (top == i or any(labels[k] is Kind.BODY for k in range(top))):
                return top  # top-posted quote without any prefix
            # An attribution with nothing new above it: the author deleted the quote and wrote
            # below it, so only the attribution is quote.
            if following is None:
                return top
            labels[top : last + 1] = [Kind.QUOTE] * (last + 1 - top)
            skip_until = last
            continue
        if _opens_signature(lines, i, line):
            in_signature = True
        if in_signature or _is_device_footer(line):
            labels[i] = Kind.SIGNATURE
        else:
            labels[i] = Kind.BODY
            said_something = True
    return None


def _prose(line: str, length: int) -> bool:
    """Whether a line that `MAYBE_NOT_PROSE` turned away (it starts with a word that opens no
    separator, attribution, disclaimer or footer) is prose for certain: no header word, no
    attribution that ends in a colon or is wrapped over the next lines, no short rule, no device
    footer. `_thread_top` and `_strong_attribution` then find nothing, `_opens_signature` says no
    and `_is_device_footer` too. `line` is the line's head, `length` the whole line's length."""
    start = line[:40]
    if ":" in start or "\uff1a" in start:
        return False  # a header line, maybe; and a disclaimer's label ("NOTICE: This e-mail …")
    stripped = line.rstrip()
    if not stripped or stripped.endswith(COLONS) or stripped in _SHORT_RULES:
        return False
    if (
        stripped[-1] not in ".!?"
        and length <= _MAX_WRAPPED_LINE
        and len(stripped) >= _MIN_WRAPPED_LINE
        and _wrap_evidence(stripped)
    ):
        return False  # the first line of an attribution wrapped over several, maybe
    return len(line) > 100 or not _is_device_footer(line)


def _lazy_wrapped(lines: _Lines, quoted: list[bool], i: int) -> bool:
    """A short line between two quoted lines that continues the first one's unfinished sentence."""
    if not (0 < i < len(lines) - 1 and quoted[i - 1] and quoted[i + 1]):
        return False
    above = lines.head(i - 1).rstrip()
    return (
        len(lines.values[i].strip()) <= _LAZY_WRAP_CHARS
        and len(above) >= 50
        and above[-1] not in ".?!:"
    )


def _groupwise_attribution(lines: _Lines, quoted: list[bool], i: int) -> bool:
    """GroupWise's ">>> Ann Lee <ann@x> 11/07/01 10:12 AM >>>" above an unprefixed quote."""
    line = lines.head(i)
    if not line.startswith(">>>") or not _ATTRIBUTION_EVIDENCE.search(line):
        return False
    following = _next_nonblank(lines, i)
    return following is not None and not quoted[following]


def _previous_nonblank(lines: _Lines, i: int, max_blanks: int = _LOOKBACK_BLANKS) -> int | None:
    j = i - 1
    while j >= 0 and lines.blank(j) and i - j <= max_blanks + 1:
        j -= 1
    if j < 0 or lines.blank(j):
        return None
    return j


def _next_nonblank(lines: _Lines, i: int, max_blanks: int = _LOOKBACK_BLANKS) -> int | None:
    j = i + 1
    while j < len(lines) and lines.blank(j) and j - i <= max_blanks + 1:
        j += 1
    if j >= len(lines) or lines.blank(j):
        return None
    return j


# --- attribution lines: "On … wrote:", "Am … schrieb …:", "2013/9/28 Ann <a@x>" -----------------


def _ends_attribution(line: str) -> bool:
    """The (last) line of an attribution above a quote."""
    stripped = line.rstrip()
    if not stripped.endswith(COLONS):
        return bool(_EMAIL.search(line) and _DATE.match(stripped))  # "2013/9/28 Ann <a@x>"
    return bool(ATTRIBUTION_VERB.search(line) or _ATTRIBUTION_EVIDENCE.search(line))


def _starts_attribution(line: str) -> bool:
    """The first of two lines an attribution was wrapped over."""
    stripped = line.rstrip()
    if not stripped or stripped[-1] in ".!?":
        return False
    return _opens_with_attribution_word(line) or bool(_ATTRIBUTION_EVIDENCE.search(line))


def _opens_with_attribution_word(line: str) -> bool:
    """`ATTRIBUTION_START` ("On …", "Am …", "Le …"), asked only of lines that may start so."""
    return MAYBE_ATTRIBUTION_START(line) and ATTRIBUTION_START.match(line) is not None


def _claim_attribution(
    lines: _Lines, quoted: list[bool], labels: list[Kind | None], i: int
) -> None:
    j = _previous_nonblank(lines, i)
    if j is None or labels[j] is Kind.QUOTE or not _ends_attribution(lines.head(j)):
        return
    labels[j] = Kind.QUOTE
    above = j - 1
    if (
        above >= 0
        and labels[above] is not Kind.QUOTE
        and not lines.blank(above)
        and not _opens_with_attribution_word(lines.head(j))
        and _starts_attribution(lines.head(above))
    ):
        labels[above] = Kind.QUOTE


def _strong_attribution(lines: _Lines, i: int, line: str) -> int | None:
    """For an attribution line ("On <date>, <name> wrote:", "Am … schrieb <name>:", "<name>
    <address> 于<date>写道：", "<date>, <name> <address>:", "Ann Lee wrote:"), maybe wrapped over
    up to three lines, the index of its last line. `line` is `lines.head(i)`."""
    stripped = line.rstrip()
    if stripped.endswith(COLONS):
        return i if _is_attribution(line, _opens_with_attribution_word(line)) else None
    if stripped[-1:] in (".", "!", "?") or len(lines.values[i]) > _MAX_WRAPPED_LINE:
        return None
    started = _opens_with_attribution_word(line)
    if not started and (len(stripped) < _MIN_WRAPPED_LINE or not _wrap_evidence(stripped)):
        return None
    for j in range(i + 1, min(len(lines), i + _MAX_ATTRIBUTION_LINES)):
        following = lines.values[j].rstrip()
        if not following or len(following) > _MAX_WRAPPED_LINE:
            return None
        if following.endswith(COLONS):
            joined = " ".join(lines.values[k].strip() for k in range(i, j + 1))
            return j if _is_attribution(joined, started) else None
        if following[-1] in ".!?":
            return None
    return None


def _wrap_evidence(line: str) -> bool:
    """A line without an attribution's first word can still open one wrapped over more lines
    when it carries an address or a full date: "Ann Lee <a@x>, 4 Mar 2025, 09:12 tarihinde"."""
    if "@" in line and _EMAIL.search(line):
        return True
    if _ASCII_DIGIT.search(line) is None:
        return False
    return bool(_NUMERIC_DATE.search(line) or (_TIME.search(line) and _YEAR.search(line)))


def _is_attribution(text: str, started: bool) -> bool:
    """Whether `text`, ending with a colon, is a whole attribution."""
    if len(text) > _MAX_ATTRIBUTION_CHARS:
        return False
    verb = ATTRIBUTION_VERB.search(text)
    if verb is not None:
        if _ATTRIBUTION_EVIDENCE.search(text):
            return True
        if started:  # "On Monday I said:" opens a list, not a quote; "On Tue, Ann wrote:" is rare
            return False
        # "Ann Lee wrote:": only a name before the verb, nothing after it.
        return not text[verb.end() :].strip(" \t:\uff1a") and _is_sender(text[: verb.start()])
    if ATTRIBUTION_QUOTING.match(text):  # "Quoting Ann Lee <a@x>:"
        rest = text[ATTRIBUTION_QUOTING.match(text).end() :].rstrip().rstrip(":\uff1a")
        return _is_sender(rest)
    # Gmail in some languages has no verb: "<date>, Ann Lee <a@x>:". An address right before the
    # colon and a date or time make it one.
    core = text.rstrip().rstrip(":\uff1a").rstrip()
    last_word = core.rsplit(None, 1)[-1] if core else ""
    return "@" in last_word and bool(_DATE.search(core) or _NUMERIC_DATE.search(core))


def _is_sender(text: str) -> bool:
    """A name and/or an address: "Ann Lee", '"Lee, Ann" <a@x>', "a@x"."""
    tokens = text.replace('"', " ").replace(",", " ").split()
    if not tokens or len(tokens) > _MAX_ATTRIBUTION_NAME_TOKENS:
        return False
    for token in tokens:
        bare = token.strip("<>()[]'")
        if "@" in bare or (bare[:1].isupper() and is_name(bare, None)):
            continue
        if bare.lower() in NAME_PARTICLES or (len(bare) <= 3 and bare.rstrip(".").isalpha()):
            continue  # "van", "Dr.", "M."
        return False
    return True


def _attribution_top(lines: _Lines, labels: list[Kind | None], i: int) -> int:
    """An attribution whose first line was wrapped before its address ("Ann Lee\n<a@x> wrote:")
    starts on the line above."""
    first = lines.head(i).lstrip()[:1]
    above = i - 1
    if first not in ("<", "(", "[") or above < 0 or labels[above] is not Kind.BODY:
        return i
    line = lines.head(above).rstrip()
    if line[-1:] in (".", "!", "?", ":") or len(line.split()) > _MAX_ATTRIBUTION_NAME_TOKENS * 2:
        return i
    return above


# --- where the quoted thread starts ---------------------------------------------------------------


def _thread_top(lines: _Lines, i: int, line: str) -> int | None:
    """Where a thread starts at a separator ("-----Original Message-----") or a header block
    ("From:/Sent:/To:", with the rule or Lotus Notes' lines above it), if line `i` (`line` is
    `lines.head(i)`) opens one."""
    if _is_separator(line):
        return i
    if lines.header_word(i) is not None and lines.header_probes < _MAX_HEADER_PROBES:
        lines.header_probes += 1
        top, dated = _header_block_top(lines, i)
        if dated or _header_block(lines, i):
            return top
    return None


def _learn_prefix(lines: _Lines, quoted: list[bool], first: int) -> bool:
    """Mark the lines quoted with the prefix the line after an attribution starts with."""
    match = _OTHER_PREFIX.match(lines.head(first))
    if match is None:
        return False
    prefix = match.group(1)
    for j in range(first, len(lines)):
        if lines.values[j].lstrip(" \t").startswith(prefix):
            quoted[j] = True
    return True


def _is_separator(line: str) -> bool:
    """A separator: "-----Original Message-----", "Begin forwarded message:", "-- Forwarded by"."""
    if len(line) > 200:
        return False
    core = line.strip(DECORATION)
    if not core or not MAYBE_SEPARATOR(core):
        return False
    match = SEPARATOR.match(core)
    if match is None:
        return False
    # Undecorated, only a whole line ending in a colon counts: "Begin forwarded message:", but
    # not a sentence that starts with "Original message".
    decorated = line.lstrip()[:2] in ("--", "__", "==", "**")
    return decorated or (match.end() == len(core) and line.rstrip().endswith(":"))


def _header_block(lines: _Lines, i: int) -> bool:
    """At least three header lines close together, or a sender and an address or a time."""
    seen: set[str] = set()
    header_lines = []
    blanks = 0
    blank = lines.blanks
    for j in range(i, min(len(lines), i + _HEADER_WINDOW)):
        if blank[j]:
            blanks += 1
            if blanks > 1:
                break
            continue
        blanks = 0
        word = lines.header_word(j)
        if word is not None:
            seen.add(word)
            header_lines.append(j)
    if len(seen) >= 3:
        return True
    return (
        len(seen) == 2
        and bool(seen & SENDER_HEADERS)
        and any(lines.has_address_or_time(j) for j in header_lines)
    )


def _header_block_top(lines: _Lines, i: int) -> tuple[int, bool]:
    """Extend a header block upwards over its separator, or over Lotus Notes' sender and date
    lines ("Richard Shapiro\n08/16/2000 08:42 AM\nTo: …"); say whether a date line was found,
    which on its own is enough to take a "To:" line for a header block."""
    above = _previous_nonblank(lines, i)
    if above is None:
        return i, False
    line = lines.head(above).strip()
    if _RULE.fullmatch(line) or _is_separator(line):
        return above, False
    if len(line) > 120 or not _DATE.search(line) or line.endswith((".", "!", "?", ":")):
        return i, False
    top = above
    name = _previous_nonblank(lines, above)
    if name is not None and line[:1].isdigit():  # a bare date line: the sender is above
        candidate = lines.head(name).strip()
        if 0 < len(candidate) <= 60 and not candidate.endswith((".", "!", "?", ",", ":")):
            top = name
    return top, True


# --- signatures and footers -------------------------------------------------------------------


def _is_device_footer(line: str) -> bool:
    if len(line) > 100:
        return False
    words = line.split()
    if not words or len(words) > DEVICE_FOOTER_MAX_WORDS:
        return False
    stripped = line.strip()
    lowered = stripped.lower()
    if not lowered.startswith(DEVICE_FOOTER_STARTS) and not lowered.rstrip(" .").endswith(
        DEVICE_FOOTER_ENDINGS
    ):
        return False
    return DEVICE_FOOTER.fullmatch(stripped) is not None


def _opens_signature(lines: _Lines, i: int, line: str) -> bool:
    """Whether line `i` (`line` is `lines.head(i)`) starts a signature or footer."""
    stripped = line.rstrip()
    if stripped in _SHORT_RULES:
        return True
    phrase = MAYBE_SIGNATURE_PHRASE(line)
    if phrase and (DISCLAIMER.match(line) or FOOTER_LINE.match(line)):
        return True
    if line.count(" ") >= DISCLAIMER_MIN_WORDS - 1 and _is_disclaimer(line, phrase):
        return True
    rule = stripped.lstrip()
    if rule[:1] in _RULE_CHARS and _RULE.fullmatch(rule):
        following = _next_nonblank(lines, i)
        if following is not None and _is_device_footer(lines.head(following)):
            return True
        end = min(len(lines), i + 1 + _LIST_FOOTER_WINDOW)
        if any(LIST_FOOTER.search(lines.head(j)) for j in range(i + 1, end)):
            return True
        return len(stripped) >= _FOOTER_RULE_CHARS and _only_short_lines_follow(lines, i)
    return False


def _is_disclaimer(line: str, may_start: bool = True) -> bool:
    """A long line that starts by naming this mail and calls it confidential or meant for its
    addressee only: "The information in this email is confidential and may be …".

    `may_start` False: `MAYBE_SIGNATURE_PHRASE` said no subject starts the line."""
    if not (may_start and DISCLAIMER_SUBJECT.match(line)):
        colon = line.find(":", 0, DISCLAIMER_LABEL_CHARS)
        if colon < 0 or not (
            MAYBE_DISCLAIMER_SUBJECT(line, colon + 1) and DISCLAIMER_SUBJECT.match(line, colon + 1)
        ):
            return False
    return DISCLAIMER_TERM.search(line) is not None


def _only_short_lines_follow(lines: _Lines, i: int) -> bool:
    """A long rule with a few short lines after it, then the end: an advertising footer."""
    seen = 0
    for j in range(i + 1, len(lines)):
        if lines.blank(j):
            continue
        seen += 1
        if seen > _FOOTER_LINES or len(lines.values[j]) > _MAX_CONTACT_CHARS:
            return False
    return True


# --- greeting and sign-off ---------------------------------------------------------------------


def _frame(lines: _Lines, labels: list[Kind | None], author: Author | None) -> None:
    """Relabel the greeting at the top and the sign-off at the bottom of the author's text."""
    own = list(compress(range(len(labels)), map(is_, labels, repeat(Kind.BODY))))
    if not own:
        return
    if len(own) > 1 and is_greeting(lines.head(own[0]), author):
        labels[own[0]] = Kind.GREETING
        own = own[1:]
    last_run = _last_run(labels, own)
    last = last_run[-1]
    if is_dashed_name(lines.head(last), author) and not (
        len(last_run) > 1 and lines.head(last_run[-2]).lstrip()[:1] in "-–—"
    ):
        labels[last] = Kind.SIGNATURE
        last_run = last_run[:-1]
        own = own[: own.index(last)]
        if not last_run:
            return
    block = _signature_block(lines, last_run)
    if block:
        for k in last_run[-block:]:
            labels[k] = Kind.SIGNATURE
        own = own[: own.index(last_run[-block])]
        last_run = last_run[:-block]
    contact = _contact_block(lines, last_run)
    if contact and contact < len(last_run):
        for k in last_run[-contact:]:
            labels[k] = Kind.SIGNATURE
        own = own[: own.index(last_run[-contact])]
        last_run = last_run[:-contact]
    _sign_off(lines, labels, own, last_run, author)


def _signature_block(lines: _Lines, run: list[int]) -> int:
    """How many lines at the end of `run` are a signature under the author's name: short lines
    (title, company, address) with at least one contact line (phone, address, web site) among
    them, after a name line that is not the first thing said. The name itself stays (a sign-off)."""
    first = 0
    has_contact = False
    for pos in range(len(run) - 1, max(0, len(run) - 1 - _MAX_SIGNATURE_LINES), -1):
        value = lines.values[run[pos]]
        if has_contact and is_name(value[:MAX_LINE], None):
            first = pos + 1  # the earliest name wins: "Leiter Vertrieb" below it looks like one
        stripped = value.strip()
        if len(stripped) > _MAX_CONTACT_CHARS or stripped.endswith("?"):
            break
        if stripped.endswith((".", "!")) and stripped.count(" ") >= 2:
            break  # a sentence: the author's text
        has_contact = has_contact or _is_contact_line(value)
    return len(run) - first if first else 0


def _contact_block(lines: _Lines, run: list[int]) -> int:
    """How many lines at the end of `run` are a contact block: "Ann Lee | Analyst", a phone, …"""
    count = 0
    for k in reversed(run[-_MAX_CONTACT_LINES:]):
        if not _is_contact_line(lines.values[k]):
            break
        count += 1
    return count


def _is_contact_line(line: str) -> bool:
    stripped = line.strip()
    if len(stripped) > _MAX_CONTACT_CHARS:
        return False
    if any(sep in stripped for sep in _CONTACT_FIELD_SEPARATORS):
        return True
    if len(stripped) <= 40 and _PHONE.search(stripped):
        return True
    if _WEB_OR_MAIL.fullmatch(stripped.strip("<>()[]")) is not None:
        return True
    # "E-Mail: ann@x.example", "Web: www.x.example"
    return stripped.count(" ") <= 2 and _WEB_OR_MAIL.search(stripped) is not None


def _last_run(labels: list[Kind | None], own: list[int]) -> list[int]:
    """The author's lines after the last quote or signature line between them."""
    run = [own[-1]]
    for i in reversed(own[:-1]):
        if any(labels[k] is not None for k in range(i + 1, run[0])):
            break
        run.insert(0, i)
        if len(run) > _CLOSING_SEARCH + _MAX_CONTACT_LINES:
            break
    return run


def _sign_off(
    lines: _Lines,
    labels: list[Kind | None],
    own: list[int],
    run: list[int],
    author: Author | None,
) -> None:
    for pos in range(len(run) - 1, max(-1, len(run) - 1 - _CLOSING_SEARCH), -1):
        closing = run[pos]
        if not is_closing(lines.head(closing), author):
            continue
        tail = run[pos + 1 :]
        if len(tail) > _MAX_CONTACT_LINES or any(
            len(lines.values[k]) > _MAX_CONTACT_CHARS for k in tail
        ):
            return
        said_more = own.index(closing) > 0
        if tail and not is_name(lines.head(tail[0]), author):
            return
        if not tail and not (said_more or lines.head(closing).rstrip().endswith(",")):
            return
        # "Thanks!" or "Thanks,\nPeter" alone is the message, not its frame.
        labels[closing] = Kind.SIGNOFF if said_more else Kind.BODY
        if tail:
            labels[tail[0]] = Kind.SIGNOFF
            for k in tail[1:]:
                labels[k] = Kind.SIGNATURE
        return
    if len(own) > 1 and is_name(lines.head(run[-1]), author):
        labels[run[-1]] = Kind.SIGNOFF


# --- blocks ------------------------------------------------------------------------------------


def _blocks(lines: _Lines, labels: list[Kind | None]) -> list[Block]:
    """One block per run of lines of one kind (unlabelled lines between them do not break it),
    from the first line's first character to the last line's last one."""
    blocks: list[Block] = []
    values, starts = lines.values, lines.starts
    labelled = list(compress(range(len(labels)), map(is_not, labels, repeat(None))))
    position = 0
    for kind, run in groupby(map(labels.__getitem__, labelled)):
        first = labelled[position]
        position += len(list(run))
        last = labelled[position - 1]
        value = values[first]
        start = starts[first] + len(value) - len(value.lstrip())
        blocks.append(Block(kind, start, starts[last] + len(values[last].rstrip())))
    return blocks
