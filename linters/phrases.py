"""Phrase-only text: does a short text consist of nothing but phrases of known kinds?

The matching technique shared by rules whose trigger is "the author said only X" (Vale's check
kinds, for us): lexicons are data (`linters/data/<lexicon>/<lang>.yaml`, one per language,
phrases grouped by kind), and a `PhraseMatcher` decides whether a text is covered end to end by
phrases, fillers ("all", "guys", "so much") and names. Any word outside them — a fact, a
condition, a date, a question — means the text says something.

Tokenising is one pass of a linear regex; covering is dynamic programming over at most
`max_tokens` tokens with a trie of phrases, so cost stays linear and tiny.

Admins extend a lexicon through policy, not code: a rule declares `extra_phrases_field(...)` in its
options and asks `matcher_for(...)` for a matcher with those phrases joined to one of its kinds,
built once per distinct set of extras. `linters.triggers` matches with the same lexicons and
helpers.
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
from marshmallow import fields, validate

LANGUAGES = ("en", "de", "fr", "es", "pt", "it", "nl")
FILLER = "filler"  # words that may pad a phrase but say nothing on their own
EMOJI = "emoji"
NAME = "name"
QUESTION = "?"
NAMES_FOLLOW = "names-follow"  # phrases after which a capitalised word is a person: "agree with"
MAX_PHRASE_CHARS = 200  # of one extra phrase from a policy
MAX_EXTRA = 500  # extra phrases per language

# Emoticons as people type them: ":)", ":-D", ";-)", "(:", "8-)", "<g>", "^^", "xD".
# Alternatives of fixed, bounded pieces: no nested quantifier, so matching stays linear.
_EMOTICON = (
    r"(?<![\w:])(?:[:;=8][-o^']?[)(\]\[dpo/|*3>]|[)(][-']?[:;=]|<[gG]>|\^\^|\^_\^|[xX][dD]"
    r"|<3)(?![\w)(])"
)
_TOKEN = re.compile(
    _EMOTICON
    + r"|(?P<plus>\+\d{1,4}(?!\d)|-1\b)"  # a vote: "+1", "+100" (said louder), "-1"
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
        if m.lastgroup == "word":
            yield Token(normalise(raw), "word", m.start(), m.end())
        elif m.lastgroup == "plus":
            yield Token("+1" if raw[0] == "+" else raw, "word", m.start(), m.end())
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


MATCH_TOKENS = 64  # more than any matcher reads: max_tokens + 1


@lru_cache(maxsize=32)
def leading_tokens(text: str) -> tuple[Token, ...]:
    """The first MATCH_TOKENS tokens of a text, made once: several rules match the same body
    text in one lint, and tokenising is most of what matching costs."""
    return tuple(islice(iter_tokens(text), MATCH_TOKENS))


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
        if max_tokens >= MATCH_TOKENS:
            raise ValueError(f"max_tokens must be below {MATCH_TOKENS}")
        self.max_tokens = max_tokens
        self.questions = questions
        self._walkable = ("word", QUESTION) if questions else ("word",)
        self._trie: dict = {}
        self._vocabulary: set[str] = set()
        self._longest = 1
        self._names_follow: set[tuple[str, ...]] = set()
        # The cover search keeps kinds as bits of an int, which unite far faster than sets.
        self._bits: dict[str, int] = {}
        for kind in (FILLER, NAME, EMOJI):
            self._bit(kind)
        for kind, phrases in lexicon.items():
            for phrase in phrases:
                words = tuple(t.text for t in tokenise(phrase) if questions or t.kind != QUESTION)
                if not words:
                    continue
                if kind == NAMES_FOLLOW:
                    self._names_follow.add(words[-3:])
                else:
                    self._add(words, kind)
        # Per kind: its bit, whether it counts as a phrase.
        self._steps = {kind: (bit, kind not in (FILLER, NAME)) for kind, bit in self._bits.items()}

    def _bit(self, kind: str) -> int:
        return self._bits.setdefault(kind, 1 << len(self._bits))

    def _add(self, words: tuple[str, ...], kind: str) -> None:
        node = self._trie
        self._vocabulary.update(words)
        for word in words:
            node = node.setdefault(word, {})
        # A phrase's end holds its kinds and its text, so a match never rebuilds the text.
        kinds, _ = node.setdefault(None, ([], " ".join(words)))
        if kind not in kinds:
            kinds.append(kind)
        self._bit(kind)
        self._longest = max(self._longest, len(words))

    def match(self, text: str, names: Callable[[], frozenset[str]] = frozenset) -> Match | None:
        """Return the kinds if `text` is only phrases, fillers, names and emoji; else None.

        `names` (people on the thread) is called only when a word is outside every phrase: most
        texts never need it. A capitalised word the text addresses ("FYI, Harsh", "See below,
        Morris") counts as a name too.
        """
        # Read token by token and give up at the first that rules a cover out (a symbol, a "?"
        # that counts as content, one token too many): a text with something to say is
        # usually rejected after a few words, however long it is.
        tokens: list[Token] = []
        known_names: frozenset[str] | None = None
        addressed: set[int] = set()
        for token in leading_tokens(text):
            if len(tokens) == self.max_tokens:
                return None
            if token.kind == "other" or (token.kind == QUESTION and not self.questions):
                return None
            if token.kind == "word" and token.text not in self._vocabulary:
                if self._addressed(text, tokens, token):  # decided by position alone: cheap
                    addressed.add(len(tokens))
                    tokens.append(token)
                    continue
                if known_names is None:
                    known_names = names()
                if token.text not in known_names:
                    return None  # a word of its own: the text says something
            tokens.append(token)
        if not tokens:
            return None
        known_names = known_names or frozenset()
        n = len(tokens)
        # best[i]: the best cover of tokens[:i] as (-phrases, kind bits, phrases), where phrases
        # is a linked list (last phrase, rest): most phrases win.
        best: list[tuple | None] = [None] * (n + 1)
        best[0] = (0, 0, None)
        steps = self._steps

        def relax(at: int, here: tuple, kind: str, phrase: str) -> None:
            bit, counted = steps[kind]
            phrases = here[0] - counted
            current = best[at]
            if current is None or phrases < current[0]:
                best[at] = (phrases, here[1] | bit, (phrase, here[2]))

        for i in range(n):
            here = best[i]
            if here is None:
                continue
            token = tokens[i]
            if token.kind == EMOJI:
                relax(i + 1, here, EMOJI, token.text)
                continue
            if token.kind == QUESTION:  # only reached with `questions`: skip it as punctuation
                current = best[i + 1]
                if current is None or here[0] < current[0]:
                    best[i + 1] = here
                continue
            if token.text in known_names or i in addressed:
                relax(i + 1, here, NAME, token.text)
            node = self._trie
            for j in range(i, min(n, i + self._longest)):
                node = node.get(tokens[j].text) if tokens[j].kind in self._walkable else None
                if node is None:
                    break
                end = node.get(None)
                if end is not None:
                    kinds, phrase = end
                    for kind in kinds:
                        relax(j + 1, here, kind, phrase)
        final = best[n]
        if final is None:
            return None
        kinds = frozenset(kind for kind, bit in self._bits.items() if final[1] & bit)
        substantive = kinds - {FILLER, NAME}
        if not substantive:
            return None
        if substantive != {EMOJI}:
            substantive -= {EMOJI}  # an emoji beside words is decoration, not a kind of its own
        phrases: list[str] = []
        link = final[2]
        while link is not None:
            phrases.append(link[0])
            link = link[1]
        return Match(frozenset(substantive), tuple(reversed(phrases)))

    def _addressed(self, text: str, before: list[Token], token: Token) -> bool:
        """A capitalised word spoken to or about someone: after a comma ("OK with me, Peter") or
        after a phrase that names a person ("I agree with Morris"), and before a pause or the
        end. Acronyms and words that start a sentence do not count."""
        raw = text[token.start : token.end]
        if len(raw) < 2 or not (raw[0].isupper() and raw[1:].islower()):
            return False
        following = text[token.end : token.end + 3].lstrip()[:1]
        if following and following not in ",.!;:" and not following.isupper():
            return False
        gap = text[before[-1].end : token.start] if before else ""
        if "," in gap:
            return True
        preceding = tuple(t.text for t in before[-3:])
        return any(preceding[-k:] in self._names_follow for k in (1, 2, 3) if len(preceding) >= k)


# libyaml's loader when PyYAML was built with it: the same result, several times faster.
_STRING_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


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
        data = yaml.load(source.read_text(encoding="utf-8"), _STRING_LOADER) or {}
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


def extra_phrases_field(
    description: str, *, max_per_language: int | None = MAX_EXTRA
) -> fields.Dict:
    """The `extra_phrases` option of a phrase rule: more phrases per language, {en: [...]}.

    Each phrase is 1 to `MAX_PHRASE_CHARS` characters; a language holds at most
    `max_per_language` of them (`None`: no bound).
    """
    per_language = validate.Length(max=max_per_language) if max_per_language is not None else None
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGES)),
        values=fields.List(
            fields.String(validate=validate.Length(min=1, max=MAX_PHRASE_CHARS)),
            validate=per_language,
        ),
        metadata={"description": description},
    )


def extra_phrases(options: Mapping) -> tuple[str, ...]:
    """The policy's extra phrases in every language, sorted: one cache key per distinct set."""
    extra = options.get("extra_phrases")
    if not extra:
        return ()  # the usual case, asked by every phrase rule on every lint
    return tuple(sorted({p for ps in extra.values() for p in ps}))


@lru_cache(maxsize=256)  # the six phrase rules each kept 64 before sharing this cache
def matcher_for(
    lexicon: str,
    kind: str,
    extra: tuple[str, ...] = (),
    *,
    factory: Callable[..., object] = PhraseMatcher,
    **flags,
):
    """The matcher of lexicon `lexicon` with the `extra` phrases (see `extra_phrases`) joined to
    its `kind`: built once per distinct lexicon, kind, extras, factory and flags, not on every lint.

    `factory` is the matcher class, called as `factory(phrases, **flags)`:
    `matcher_for(rule.id, "chase", extra, questions=True)` is a `PhraseMatcher`,
    `matcher_for(rule.id, TRIGGER, extra, factory=TriggerMatcher)` a `linters.triggers` one.
    """
    phrases = dict(load_lexicon(lexicon))
    if extra:
        phrases[kind] = phrases.get(kind, ()) + extra
    return factory(phrases, **flags)
