"""Phrase lists for text isolation, loaded once from `linters/data/segment/*.yaml`.

Each language file contributes to the same keys; this module merges them and compiles the few
patterns the line classifiers need. Every pattern is anchored and either literal alternation or a
bounded character class, so matching a line costs time linear in the (capped) line length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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

ATTRIBUTION_START = re.compile(
    r"[ \t]{0,4}(?:" + _alternation(_WORDS["attribution.starts"]) + r")\s", _I
)
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
DISCLAIMER_TERM = re.compile(r"(?<!\w)(?:" + _alternation(_WORDS["disclaimer_terms"]) + r")", _I)
FOOTER_LINE = re.compile(r"[ \t]{0,4}(?:" + _alternation(_WORDS["footer_lines"]) + r")", _I)
LIST_FOOTER = re.compile(r"(?:" + _alternation(_WORDS["list_footers"]) + r")", _I)

GREETING = re.compile(r"(?:" + _alternation(_WORDS["greetings"]) + r")(?!\w)", _I)
GREETING_AUDIENCE = words("audience")
CLOSING = re.compile(r"(?:" + _alternation(_WORDS["closings"]) + r")(?!\w)", _I)
CLOSING_EXTRAS = frozenset(w for p in _WORDS["closing_extras"] for w in p.split())
NAME_PARTICLES = words("name_particles")
NOT_NAMES = words("not_names") | words("closings") | words("greetings")
