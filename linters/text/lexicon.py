"""Phrase lists for text isolation, loaded once from `linters/data/segment/*.yaml`.

Each language file contributes to the same keys; this module merges them and compiles the few
patterns the line classifiers need. Every pattern is anchored and either literal alternation or a
bounded character class, so matching a line costs time linear in the (capped) line length.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "segment"

# Longest line a classifier looks at: headers, footers, greetings and sign-offs are short lines, so
# a 1 MB line costs no more than a 300-character one.
MAX_LINE = 300


# libyaml's safe loader when PyYAML was built with it: the same result, several times faster.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(directory: Path) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), _SAFE_LOADER) or {}
        for key, value in _flatten(data):
            for phrase in value or ():
                # YAML reads a bare yes/no/on as a boolean: such words must be quoted.
                if not isinstance(phrase, str):
                    raise ValueError(f"{path.name}: {key}: {phrase!r} is not a string")
                merged.setdefault(key, []).append(phrase.lower())
    return merged


def _flatten(data: dict, prefix: str = "") -> Iterable[tuple[str, list]]:
    for key, value in data.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _alternation(phrases: Iterable[str]) -> str:
    """Literal alternation, longest first so "best regards" wins over "best"."""
    unique = sorted(set(phrases), key=lambda p: (-len(p), p))
    return "|".join(re.escape(p).replace(r"\ ", r"\s") for p in unique)


def _atoms(phrase: str) -> list[str]:
    """`_alternation`'s pattern for one phrase, one single-character atom per character."""
    return [r"\s" if char == " " else re.escape(char) for char in phrase]


# How many leading characters a `could_start` filter compares, and how many distinct beginnings it
# remembers (each is at most that many characters).
_START_CHARS = 3
_START_MEMO = 1 << 16


def could_start(phrases: Iterable[str], lead: str = "", unsure: str = "") -> Callable[..., bool]:
    """A cheap necessary condition for `[lead]{0,n}(?:<phrases>)…` (case-insensitive) to match a
    line: False means the pattern cannot match it, True that it may.

    It matches the first `_START_CHARS` atoms of every phrase, with the same flags, against the
    first characters after any `lead` characters, and remembers the answer per beginning: most
    lines of a long mail start like another, so most lines cost a dict lookup instead of a failed
    alternation of a hundred phrases. Exact by construction (the regex engine itself decides every
    beginning); `lead` must hold every character the pattern's leading repeat allows, and no phrase
    may start with one of them. `pos` starts the line there, as `Pattern.match(line, pos)` does.

    With `unsure`, the answer is also True for a line that starts with whitespace or with one of
    those characters (or is empty): the caller then knows the line starts with a word.
    """
    phrases = set(phrases)
    if (
        not phrases
        or any(not p or p[0] in lead or p[0].isspace() for p in phrases)
        or any("".join(_atoms(p)) != _alternation([p]) for p in phrases)
    ):
        return lambda line, pos=0: True  # no shortcut is safe: always ask the pattern
    starts = sorted({"".join(_atoms(p)[:_START_CHARS]) for p in phrases})
    match = re.compile("|".join(starts), _I).match
    memo: dict[str, bool] = {}

    def check(line: str, pos: int = 0) -> bool:
        key = (line[pos:] if pos else line).lstrip(lead)[:_START_CHARS]
        known = memo.get(key)
        if known is None:
            first = key[:1]
            known = match(key) is not None or (
                bool(unsure) and (not first or first in unsure or first.isspace())
            )
            if len(memo) < _START_MEMO:
                memo[key] = known
        return known

    return check


_WORDS = _load(DATA_DIR)


def words(key: str) -> frozenset[str]:
    return frozenset(_WORDS.get(key, ()))


_I = re.IGNORECASE

# The colons a header or an attribution ends with: ASCII, and the full-width one of CJK mailers.
COLONS = (":", "\uff1a")
# "From:", "*Sent:*", "Betreff :", "De\xa0:", "发件人：", "\t\tcc:" — a header word, optionally bold
# in markdown.
HEADER_LINE = re.compile(
    r"[ \t]{0,12}[*_]{0,2}(?P<word>"
    + _alternation(_WORDS["headers.sender"] + _WORDS["headers.other"])
    + r")[ \t\xa0]{0,2}[*_]{0,2}[ \t\xa0]{0,2}[:\uff1a]",
    _I,
)
SENDER_HEADERS = words("headers.sender")
MAYBE_HEADER_LINE = could_start(_WORDS["headers.sender"] + _WORDS["headers.other"], " \t*_")

ATTRIBUTION_START = re.compile(
    r"[ \t]{0,4}(?:" + _alternation(_WORDS["attribution.starts"]) + r")\s", _I
)
MAYBE_ATTRIBUTION_START = could_start(_WORDS["attribution.starts"], " \t")
# Verbs are whole words ("wrote", "schrieb"); suffixes are written without spaces in their
# language, so they need no word boundary ("…10:00写道：", "…<j@x>のメッセージ:").
ATTRIBUTION_VERB = re.compile(
    r"(?<!\w)(?:"
    + _alternation(_WORDS["attribution.verbs"])
    + r")(?!\w)|(?:"
    + _alternation(_WORDS["attribution.suffixes"])
    + r")",
    _I,
)
# "Quoting Ann Lee <a@x>:" (Horde): the verb comes first.
ATTRIBUTION_QUOTING = re.compile(
    r"[ \t]{0,4}(?:" + _alternation(_WORDS["attribution.quoting"]) + r")\s", _I
)

# Separator lines are compared after trimming decoration ("-----", "___", "*") and a final colon.
SEPARATOR = re.compile(r"(?:" + _alternation(_WORDS["separators"]) + r")(?!\w)", _I)
MAYBE_SEPARATOR = could_start(_WORDS["separators"])
DECORATION = " \t-_=*~<>:"

# "{x}" is the device or app: up to 60 characters without sentence punctuation; the caller also
# limits the line to a few words, so "Sent from my desk, is much easier…" stays the author's text.
DEVICE_FOOTER_MAX_WORDS = 12
# What a device footer can start with (its first word) or end with (when it starts with the device:
# "iPhoneから送信"): a line with neither is not matched against the whole list.
_FOOTERS = [p.split("{x}") for p in _WORDS["device_footers"]]
DEVICE_FOOTER_STARTS = tuple(sorted({head.split()[0] for head, *_ in _FOOTERS if head.strip()}))
DEVICE_FOOTER_ENDINGS = tuple(
    sorted({tail.strip() for head, *rest in _FOOTERS if not head.strip() for tail in rest[-1:]})
)
DEVICE_FOOTER = re.compile(
    r"(?:"
    + _alternation(_WORDS["device_footers"]).replace(r"\{x\}", r"[^,;!\n]{1,60}?")
    + r")[ \t.]*",
    _I,
)

DISCLAIMER = re.compile(r"[ \t*]{0,4}(?:" + _alternation(_WORDS["disclaimers"]) + r")", _I)
# A disclaimer said otherwise: a long line that starts by naming this mail, maybe after a label
# ("NOTICE: This e-mail …"), and calls it confidential or meant for its addressee. Anchored, so a
# line of prose costs one failed match, not a search.
DISCLAIMER_MIN_WORDS = 8
DISCLAIMER_LABEL_CHARS = 40  # "CONFIDENTIALITY NOTICE:" before the subject
DISCLAIMER_SUBJECT = re.compile(
    r"[ \t*>(\[]{0,4}(?:" + _alternation(_WORDS["disclaimer_subjects"]) + r")(?!\w)", _I
)
MAYBE_DISCLAIMER_SUBJECT = could_start(_WORDS["disclaimer_subjects"], " \t*>([")
DISCLAIMER_TERM = re.compile(r"(?<!\w)(?:" + _alternation(_WORDS["disclaimer_terms"]) + r")", _I)
FOOTER_LINE = re.compile(r"[ \t]{0,4}(?:" + _alternation(_WORDS["footer_lines"]) + r")", _I)
# Whether DISCLAIMER, FOOTER_LINE or DISCLAIMER_SUBJECT may match at a line's start: one lookup
# for the three patterns every line of the author's text is asked about.
MAYBE_SIGNATURE_PHRASE = could_start(
    _WORDS["disclaimers"] + _WORDS["footer_lines"] + _WORDS["disclaimer_subjects"], " \t*>(["
)
# Whether a line may start anything but prose: a separator, an attribution's first word, a
# disclaimer, a footer line or a disclaimer's subject, or does not start with a word (whitespace,
# a decoration or any character those patterns let lead): `plain` reads the rest of a line only
# when this says it may.
MAYBE_NOT_PROSE = could_start(
    _WORDS["separators"]
    + _WORDS["attribution.starts"]
    + _WORDS["disclaimers"]
    + _WORDS["footer_lines"]
    + _WORDS["disclaimer_subjects"],
    unsure=DECORATION + " \t*>([_",
)
LIST_FOOTER = re.compile(r"(?:" + _alternation(_WORDS["list_footers"]) + r")", _I)

GREETING = re.compile(r"(?:" + _alternation(_WORDS["greetings"]) + r")(?!\w)", _I)
GREETING_AUDIENCE = words("audience")
CLOSING = re.compile(r"(?:" + _alternation(_WORDS["closings"]) + r")(?!\w)", _I)
CLOSING_EXTRAS = frozenset(w for p in _WORDS["closing_extras"] for w in p.split())
NAME_PARTICLES = words("name_particles")
NOT_NAMES = words("not_names") | words("closings") | words("greetings")
