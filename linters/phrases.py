"""Phrase-only text: does a short text consist of nothing but phrases of known kinds?

The matching technique shared by rules whose trigger is "the author said only X" (Vale's check
kinds, for us): lexicons are data (`linters/data/<lexicon>/<lang>.yaml`, one per language,
phrases grouped by kind), and a `PhraseMatcher` decides whether a text is covered end to end by
phrases, fillers ("all", "guys", "so much") and names. Any word outside them — a fact, a
condition, a date, a question — means the text says something.

Tokenising is one pass of a linear regex; covering is dynamic programming over at most
`max_tokens` tokens with a trie of phrases, so cost stays linear and tiny.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import islice
from typing import NamedTuple

import yaml

LANGUAGES = ("en", "de", "fr", "es", "pt", "it", "nl")
FILLER = "filler"  # words that may pad a phrase but say nothing on their own
EMOJI = "emoji"
NAME = "name"
QUESTION = "?"

# Emoticons as people type them: ":)", ":-D", ";-)", "(:", "8-)", "<g>", "^^", "xD".
# Alternatives of fixed, bounded pieces: no nested quantifier, so matching stays linear.
_EMOTICON = (
    r"(?<![\w:])(?:[:;=8][-o^']?[)(\]\[dpo/|*3>]|[)(][-']?[:;=]|<[gG]>|\^\^|\^_\^|[xX][dD]"
    r"|<3)(?![\w)(])"
)
_TOKEN = re.compile(
    _EMOTICON
    + r"|(?P<plus>[+-]1)\b"
    + r"|(?P<word>[^\W_](?:[^\W_]|['’](?=[^\W_]))*)"  # apostrophes only inside: "i'm"
    + r"|(?P<q>[?¿？])"  # Spanish opens a question with "¿": the same mark
    # Symbols (punctuation is skipped), in runs of at most 32 characters: a megabyte of emoji is
    # many tokens, and a reader that stops at its limit never looks at the rest.
    + r"|(?P<other>[^\s\w.,;:!¡…'\"“”‘’«»()\[\]{}\-–—*~/\\]{1,32})"
)
# Where a character is an emoji picture rather than a letter.
_EMOJI_RANGES = (
    (0x2600, 0x27BF),
    (0x1F000, 0x1FAFF),
    (0x2B00, 0x2BFF),
)
_EMOJI_JOINERS = {0x200D, 0xFE0F, 0xFE0E, 0x20E3}


def is_emoji(char: str) -> bool:
    code = ord(char)
    return code in _EMOJI_JOINERS or any(lo <= code <= hi for lo, hi in _EMOJI_RANGES)


def normalise(word: str) -> str:
    return unicodedata.normalize("NFC", word.casefold().replace("’", "'"))


class Token(NamedTuple):  # a tuple: made per word of every text, and ~5x cheaper to build
    text: str  # normalised
    kind: str  # "word", "emoji", "?", "other"
    start: int
    end: int


def iter_tokens(text: str) -> Iterator[Token]:
    """Tokens in order, made one at a time: a reader that stops early pays only for what it read."""
    for m in _TOKEN.finditer(text):
        raw = m.group()
        if m.lastgroup == "word" or m.lastgroup == "plus":
            yield Token(normalise(raw), "word", m.start(), m.end())
        elif m.lastgroup == "q":
            yield Token(QUESTION, QUESTION, m.start(), m.end())
        elif m.lastgroup == "other":
            if all(is_emoji(c) for c in raw):
                yield Token(raw, EMOJI, m.start(), m.end())
            else:
                yield Token(normalise(raw), "other", m.start(), m.end())
        else:
            yield Token(raw, EMOJI, m.start(), m.end())


def tokenise(text: str, limit: int | None = None) -> list[Token]:
    """Tokens in order; stops after `limit` tokens so a huge text costs no more than a short one."""
    return list(islice(iter_tokens(text), limit))


@dataclass(frozen=True, slots=True)
class Match:
    """A text covered end to end: the kinds of phrases it used and where the first one starts."""

    kinds: frozenset[str]
    phrases: tuple[str, ...]


class PhraseMatcher:
    """Decides whether a text is only phrases of a lexicon's kinds (plus fillers, names, emoji).

    By default a question mark is content: "Thanks, which room?" asks for something. A rule whose
    phrases are themselves questions ("Any update?", "Can you clarify?") passes `questions=True`:
    then a phrase may contain "?" ("what?" matches "What?" but not "What."), and a mark that no
    phrase uses is skipped like other punctuation.
    """

    def __init__(
        self,
        lexicon: Mapping[str, Iterable[str]],
        max_tokens: int = 40,
        *,
        questions: bool = False,
    ):
        self.max_tokens = max_tokens
        self.questions = questions
        self._walkable = ("word", QUESTION) if questions else ("word",)
        self._trie: dict = {}
        self._vocabulary: set[str] = set()
        self._longest = 1
        for kind, phrases in lexicon.items():
            for phrase in phrases:
                words = tuple(t.text for t in tokenise(phrase) if questions or t.kind != QUESTION)
                if words:
                    self._add(words, kind)

    def _add(self, words: tuple[str, ...], kind: str) -> None:
        node = self._trie
        self._vocabulary.update(words)
        for word in words:
            node = node.setdefault(word, {})
        node.setdefault(None, set()).add(kind)
        self._longest = max(self._longest, len(words))

    def match(self, text: str, names: Callable[[], frozenset[str]] = frozenset) -> Match | None:
        """Return the kinds if `text` is only phrases, fillers, names and emoji; else None.

        `names` is called only when a word is outside every phrase: most texts never need it.
        """
        # Read token by token and give up at the first that rules a cover out (a symbol, a "?"
        # that counts as content, a word neither in a phrase nor a name, one token too many):
        # a text with something to say is rejected after a few words, however long it is.
        tokens: list[Token] = []
        known_names: frozenset[str] | None = None
        for token in iter_tokens(text):
            if len(tokens) == self.max_tokens:
                return None
            if token.kind == "other" or (token.kind == QUESTION and not self.questions):
                return None
            if token.kind == "word" and token.text not in self._vocabulary:
                if known_names is None:
                    known_names = names()
                if token.text not in known_names:
                    return None
            tokens.append(token)
        if not tokens:
            return None
        if known_names is None:
            known_names = frozenset()
        n = len(tokens)
        # best[i]: (number of non-filler phrases, kinds, phrases) for a cover of tokens[:i]
        best: list[tuple[int, frozenset, tuple] | None] = [None] * (n + 1)
        best[0] = (0, frozenset(), ())
        for i in range(n):
            here = best[i]
            if here is None:
                continue
            token = tokens[i]
            if token.kind == EMOJI:
                self._relax(best, i + 1, here, EMOJI, token.text)
                continue
            if token.kind == QUESTION:  # only reached with `questions`: skip it as punctuation
                current = best[i + 1]
                if current is None or here[0] > current[0]:
                    best[i + 1] = here
            if token.text in known_names:
                self._relax(best, i + 1, here, NAME, token.text)
            node = self._trie
            for j in range(i, min(n, i + self._longest)):
                node = node.get(tokens[j].text) if tokens[j].kind in self._walkable else None
                if node is None:
                    break
                for kind in node.get(None, ()):
                    phrase = " ".join(t.text for t in tokens[i : j + 1])
                    self._relax(best, j + 1, here, kind, phrase)
        final = best[n]
        if final is None:
            return None
        _, kinds, phrases = final
        substantive = kinds - {FILLER, NAME}
        if not substantive:
            return None
        if substantive != {EMOJI}:
            substantive -= {EMOJI}  # an emoji beside words is decoration, not a kind of its own
        return Match(frozenset(substantive), phrases)

    @staticmethod
    def _relax(best, at, here, kind, phrase) -> None:
        counted = here[0] + (kind not in (FILLER, NAME))
        current = best[at]
        if current is None or counted > current[0]:
            best[at] = (counted, here[1] | {kind}, (*here[2], phrase))


@cache
def load_lexicon(name: str) -> dict[str, tuple[str, ...]]:
    """A lexicon's phrases in every language, merged by kind (read once per process).

    Lexicons live in `linters/data/<name>/<lang>.yaml`. A reply may mix languages, and a phrase
    must cover the whole text to count, so merging languages costs no precision.
    """
    merged: dict[str, list[str]] = {}
    root = resources.files("linters") / "data" / name
    for lang in LANGUAGES:
        source = root / f"{lang}.yaml"
        if not source.is_file():
            continue
        # BaseLoader keeps every phrase a string: YAML 1.1 would read "yes" or "on" as booleans.
        data = yaml.load(source.read_text(encoding="utf-8"), yaml.BaseLoader) or {}
        for kind, phrases in data.items():
            merged.setdefault(kind, []).extend(phrases)
    return {kind: tuple(phrases) for kind, phrases in merged.items()}


@lru_cache(maxsize=16)
def name_tokens(*people) -> frozenset[str]:
    """Words that name someone on the thread: display names and the parts of mail addresses.

    Cached (people are frozen dataclasses): every phrase rule of one lint asks for the same
    people, and hashing them is much cheaper than splitting their names again.
    """
    words: set[str] = set()
    for person in people:
        if person is None:
            continue
        local = person.email.split("@", 1)[0]
        for piece in re.split(r"[._\-+]", local):
            if len(piece) > 1 and piece.isalpha():
                words.add(normalise(piece))
        if person.name:
            words.update(t.text for t in tokenise(person.name) if t.kind == "word")
    return frozenset(words)
