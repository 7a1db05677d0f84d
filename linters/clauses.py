"""Clause analysis: what each part of the author's new text *does*.

The text rules that ask "did the author say anything?" (content-free-reply-all, vague-confusion,
empty-check-in) share this reading. The body is cut into clauses (sentences, and the parts between
commas, dashes, colons and semicolons); each clause gets one role:

- *stance*: acknowledges, thanks, agrees/approves/piles on, praises, congratulates, welcomes, wishes
  well, laughs, or is emoji. Stance heads take free complements: what follows "thanks for",
  "congrats on", "welcome", "+1 to", or precedes "looks good to me" / "works for me", names what is
  thanked or approved and adds nothing.
- *confusion*: says it does not understand, or asks to clarify, naming nothing specific.
- *chase*: only asks for progress.
- *content*: anything else: a fact, a question, a request, a condition or contrast, a reason, a new
  number, date, link or name, a negation or doubt.
- *neutral*: only a name or a word of address ("Raj", "team"): says nothing either way.

How a clause is read: its words are matched, longest first, against vocabulary by role and
language (`linters/data/clauses/`, the heads in the rules' own lexicons), on lemmas, so "looked
good" is "look good". A content signal vetoes stance (fixed idioms such as "couldn't agree more"
stay stance). Words that already stand in the subject, the quoted message or the participants'
names are not new ("+1 for 1.6" when 1.6 is proposed). A stance clause may carry at most
`allowance` words that nothing explains; the policy's sensitivity sets it.

Vocabulary is data; this module is the one reader of it. Cost is linear in the text and bounded:
only the first `MAX_TOKENS` words are read (a reply that long says something).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources
from itertools import product

import yaml

from .phrases import EMOJI, LANGUAGES, QUESTION, Token, extra_phrases, iter_tokens, normalise

MAX_TOKENS = 80  # words of one body read at most: a longer reply is not "only thanks"
MAX_CHARS = 2000  # characters read at most, for the same reason
THREAD_CHARS = 64_000  # of the quoted thread searched for words the author repeats
MAX_FINDS = 64  # occurrences of one word in the thread looked at
MAX_SPELLINGS = 256  # inflected spellings of one phrase at most
MAX_EXCLAMATION = 4  # words of an exclamation read as a reaction without a stance word
MIN_STEM = 3  # letters left of a verb once a pronoun is taken off it
MAX_INSERTED = 2  # intensifiers inside one phrase: "looks really very good"

# libyaml's loader when PyYAML was built with it; BaseLoader keeps "yes", "no", "on" strings.
_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class Role(StrEnum):
    STANCE = "stance"
    CONFUSION = "confusion"
    CHASE = "chase"
    CONTENT = "content"
    NEUTRAL = "neutral"


class Part(StrEnum):
    """What a matched word or phrase is, in order of precedence when two readings tie."""

    IDIOM = "idiom"  # stance that holds a negation: "couldn't agree more"
    CONFUSION = "confusion"
    CHASE = "chase"
    HEAD = "head"  # stance head, complement on its right: "thanks (for ...)"
    APPROVAL = "approval"  # complement on its left: "(...) looks good to me"
    UNDERSTAND = "understand"  # a verb of understanding: confusion where the clause negates it
    SIGNAL = "signal"  # content: but, if, because, please note, not ...
    EVALUATIVE = "evaluative"  # great, lovely, proud
    EXCLAMATIVE = "exclamative"  # "what a ...!"
    TAG = "tag"  # "isn't it?"
    INTENSIFIER = "intensifier"
    GENERIC = "generic"  # plan, idea, team, this
    FUNCTION = "function"  # I, the, to, is


PRECEDENCE = {part: rank for rank, part in enumerate(Part)}
FIXED_PARTS = frozenset({Part.FUNCTION, Part.INTENSIFIER, Part.TAG})  # not inflected
FREE_PARTS = frozenset({Part.INTENSIFIER, Part.GENERIC, Part.FUNCTION, Part.TAG})
STANCE_PARTS = frozenset({Part.IDIOM, Part.HEAD, Part.APPROVAL, Part.EVALUATIVE})
THANKS = "thanks"
REQUEST = "request"  # the signal kind that asking to clarify or for news is made of
NEGATION = "negation"
DOUBT = "doubt"
CONTRAST = "contrast"
# Signals that may frame a request to clarify or for news before it: "I wonder whether there is
# any news", "Je me permets de revenir vers vous afin de savoir où en est ce dossier".
FRAMING = frozenset({"condition", DOUBT, REQUEST, "reason"})
NOTICE = "notice"  # "FYI", "heads-up", "note": content, unless it is what is thanked for
ACK = "ack"  # the one stance kind whose head takes no complement: "Noted" says all it says
PRAISE = "social"  # kind of evaluative words and exclamations (praise is social stance)
TIME = "time"  # the signal kind that a thread may already hold: "Thursday works for me"

# Sensitivity -> words nothing explains that a stance clause may still hold.
ALLOWANCE = {"low": 0, "normal": 1, "high": 2}

# Links and addresses are content; numbers are, unless the thread already has them.
_LINK = re.compile(r"(?:https?://|www\.)\S|\S@\S")
_NUMBER = re.compile(r"(?<![+\-\w])\d{1,12}(?:[.,:/h]\d{1,4}){0,3}")
# Where a clause ends. A full stop or comma ends one only before a space ("1.6", "1,000" stay), a
# colon only after a word ("(:" is a smile).
_BOUNDARY = re.compile(r"[.!?…;]+(?=\s|$)|,(?=\s|$)|(?<=\w):(?=\s|$)|\s[-–—]{1,2}\s|[–—]|\n")
_SENTENCE_END = re.compile(r"[.!?\n]")
_SIGNATURE_SEPARATOR = re.compile(r"\s*[,|–—]\s*|\s-\s")
MAX_NAME_LINE = 60
_DRAWN_OUT = re.compile(r"([^\W\d_])\1{2,}")  # a letter three times or more: "thanksss"
_ELIDED = re.compile(r"([^\W\d_]{1,4}')([^\W\d_].*)")
_ELISION = re.compile(r"[^\W\d_]{1,4}['’]")


@dataclass(frozen=True, slots=True)
class Reading:
    part: Part
    kind: str  # the stance, confusion or chase kind, or the signal kind


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause of the body: where it is, what it does and why (for people reading a finding)."""

    start: int
    end: int
    role: Role
    kind: str = ""
    why: str = ""

    def as_dict(self, text: str) -> dict:
        return {
            "text": " ".join(text[self.start : self.end].split()),
            "role": self.role.value,
            "kind": self.kind,
            "why": self.why,
        }


@dataclass(frozen=True, slots=True)
class Analysis:
    text: str
    clauses: tuple[Clause, ...]
    language: str
    complete: bool  # False when the text was longer than what is read: it then says something

    def only(self, role: Role, *also: Role) -> bool:
        """Every clause that does something does `role` (or one of `also`), and one does `role`."""
        doing = [c for c in self.clauses if c.role is not Role.NEUTRAL]
        allowed = {role, *also}
        return (
            self.complete
            and any(c.role is role for c in doing)
            and all(c.role in allowed for c in doing)
        )

    def kinds(self, role: Role) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.kind for c in self.clauses if c.role is role))

    def described(self) -> list[dict]:
        return [c.as_dict(self.text) for c in self.clauses]


class Vocabulary:
    """One language's words by role, as a trie over the words' written forms.

    Vocabulary is written in base forms; each base form also stands for its inflections
    (`linters/data/clauses-forms/`, made from simplemma's dictionaries by `tools/vocabulary.py`),
    added when the trie is built, so "look good" also matches "looks good" and "looked good".
    Keying the trie by written forms rather than lemmatising the text keeps an entry from
    capturing another word's forms ("done" stays an acknowledgement, "does" a function word) and
    costs a lint nothing.
    """

    def __init__(
        self,
        language: str,
        entries: list[tuple[str, Reading]],
        forms: Mapping,
        enclitics: Iterable[str] = (),
    ):
        self.language = language
        self.enclitics = sorted((normalise(e) for e in enclitics), key=len, reverse=True)
        self.forms = {normalise(lemma): [normalise(f) for f in fs] for lemma, fs in forms.items()}
        # Elided articles and pronouns ("l'", "n'", "dell'") are split off the word they lean on.
        self.elisions = {normalise(p.strip()) for p, _ in entries if _ELISION.fullmatch(p.strip())}
        self.fixed = {
            normalise(p) for p, r in entries if r.part in FIXED_PARTS and " " not in p.strip()
        }
        self.intensifiers = {
            normalise(p) for p, r in entries if r.part is Part.INTENSIFIER and " " not in p.strip()
        }
        self.words: set[str] = set()  # every form this vocabulary knows: for guessing the language
        self.trie: dict = {}
        self.understood: set[tuple[str, ...]] = set()  # "make sense" is also an acknowledgement
        self.longest = 1
        for phrase, reading in entries:
            self._add(phrase, reading)

    def keys_of(self, word: str) -> list[str]:
        """A normalised word as trie keys: an elided article split off first ("l'équipe" is "l'"
        and "équipe"), a word drawn out for emphasis cut back ("sooo" is "so", "kkkk" is "k")."""
        if word not in self.words and _DRAWN_OUT.search(word):
            word = _DRAWN_OUT.sub(r"\1", word)
        if "'" in word:
            match = _ELIDED.fullmatch(word)
            if match and match.group(1) in self.elisions:
                return [match.group(1), match.group(2)]
        if self.enclitics and word not in self.words:
            return [self._without_enclitic(word)]
        return [word]

    def _without_enclitic(self, word: str) -> str:
        """The verb a pronoun is written onto, when only the verb is known: "aclarármelo" is
        "aclarar", "spiegarmelo" is "spiegare" (the infinitive's "e" falls before the pronoun)."""
        for suffix in self.enclitics:
            stem = word[: -len(suffix)]
            if len(stem) >= MIN_STEM and word.endswith(suffix):
                plain = _without_acute(stem)
                for candidate in (stem, plain, plain + "e"):
                    if candidate in self.words:
                        return candidate
        return word

    def _add(self, phrase: str, reading: Reading) -> None:
        phrase = normalise(phrase.strip())
        if phrase in self.elisions:
            words = [phrase]
        else:
            words = [k for t in iter_tokens(phrase) for k in self.keys_of(t.text)]
        if not words:
            return
        # Inside a phrase, function words keep their spelling ("like" in "sounds like a plan" is
        # not "liked"), so that the inflected spellings of its other words all fit.
        fixed = self.fixed if len(words) > 1 else ()
        variants = [[w, *(() if w in fixed else self.forms.get(w, ()))] for w in words]
        for n, spelled in enumerate(product(*variants)):
            if n == MAX_SPELLINGS:
                break
            self.words.update(spelled)
            node = self.trie
            for word in spelled:
                node = node.setdefault(word, {})
            if reading.part is Part.UNDERSTAND:
                self.understood.add(spelled)
            readings = node.setdefault(None, [])
            if reading not in readings:
                readings.append(reading)
                readings.sort(key=lambda r: PRECEDENCE[r.part])
        self.longest = max(self.longest, len(words))

    def longest_match(self, keys: list[str], at: int) -> tuple[int, Reading] | None:
        """The longest entry starting at `keys[at]`, as (words it spans, reading). Inside an entry
        an intensifier may stand between its words: "looks really good", "vielen herzlichen Dank"
        (at most `MAX_INSERTED` of them)."""
        found: tuple[int, Reading] | None = None
        # Paths still open: (trie node, next key, intensifiers skipped). An intensifier may be a
        # word of the entry too ("not really following") or stand inside it ("not really sure
        # what you mean"): both readings are followed.
        paths = [(self.trie, at, 0)]
        while paths:
            node, j, inserted = paths.pop()
            if j >= len(keys):
                continue
            step = node.get(keys[j])
            if step is not None:
                readings = step.get(None)
                if readings and (found is None or j + 1 - at > found[0]):
                    found = (j + 1 - at, readings[0])
                paths.append((step, j + 1, inserted))
            if j > at and inserted < MAX_INSERTED and keys[j] in self.intensifiers:
                paths.append((node, j + 1, inserted + 1))
        return found


def _without_acute(word: str) -> str:
    """ "aclarár" -> "aclarar": the accent a pronoun added to the verb."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", word).replace("\u0301", ""))


def _read(path) -> dict:
    if not path.is_file():
        return {}
    return yaml.load(path.read_text(encoding="utf-8"), _LOADER) or {}


def vocabulary_entries(language: str) -> list[tuple[str, Reading]]:
    data = resources.files("linters") / "data"
    roles = _read(data / "clauses" / f"{language}.yaml")
    entries: list[tuple[str, Reading]] = []

    def add(part: Part, kind: str, phrases) -> None:
        entries.extend((p, Reading(part, kind)) for p in phrases or ())

    add(Part.APPROVAL, "agreement", roles.get("approval"))
    add(Part.EXCLAMATIVE, PRAISE, roles.get("exclamative"))
    add(Part.TAG, "", roles.get("tags"))
    add(Part.INTENSIFIER, "", roles.get("intensifier"))
    add(Part.EVALUATIVE, PRAISE, roles.get("evaluative"))
    add(
        Part.EVALUATIVE,
        PRAISE,
        _read(data / "clauses-evaluative" / f"{language}.yaml").get("evaluative"),
    )
    add(Part.GENERIC, "", roles.get("generic"))
    add(Part.FUNCTION, "", roles.get("function"))
    for kind, phrases in (roles.get("signals") or {}).items():
        add(Part.SIGNAL, kind, phrases)
    for kind, phrases in (roles.get("idioms") or {}).items():
        add(Part.IDIOM, kind, phrases)
    for lexicon, part in (
        ("content-free-reply-all", Part.HEAD),
        ("vague-confusion", Part.CONFUSION),
        ("empty-check-in", Part.CHASE),
    ):
        for kind, phrases in _read(data / lexicon / f"{language}.yaml").items():
            add(Part.UNDERSTAND if kind == Part.UNDERSTAND.value else part, kind, phrases)
    return entries


@cache
def _forms(language: str) -> dict:
    return _read(resources.files("linters") / "data" / "clauses-forms" / f"{language}.yaml")


@lru_cache(maxsize=64)
def vocabularies(extra: tuple[tuple[str, str, str], ...] = ()) -> dict[str, Vocabulary]:
    """Every language's vocabulary, with a policy's extra heads (part, kind, phrase) added to all:
    built once per distinct set of extras."""
    added = [(phrase, Reading(Part(part), kind)) for part, kind, phrase in extra]
    data = resources.files("linters") / "data" / "clauses"
    return {
        lang: Vocabulary(
            lang,
            vocabulary_entries(lang) + added,
            _forms(lang),
            _read(data / f"{lang}.yaml").get("enclitics") or (),
        )
        for lang in LANGUAGES
    }


def extra_heads(options: Mapping, part: Part, kind: str) -> tuple[tuple[str, str, str], ...]:
    """A policy's `extra_phrases` as vocabulary: (part, kind, phrase), one cache key per set."""
    return tuple((part.value, kind, phrase) for phrase in extra_phrases(options))


def guess_language(words: list[str], vocabularies: Mapping[str, Vocabulary], hint: str = "") -> str:
    """The language whose vocabulary knows most of the words (the locale's, then English, on a
    tie)."""
    order = sorted(vocabularies, key=lambda lang: (lang != hint, lang != "en"))
    return max(order, key=lambda lang: sum(w in vocabularies[lang].words for w in words))


@dataclass(frozen=True, slots=True)
class Thread:
    """What the reader already has: the subject, the quoted message, the participants' names."""

    text: Callable[[], str]  # casefolded subject and quote, made only when a word needs it
    names: Callable[[], frozenset[str]]

    def has(self, word: str) -> bool:
        if word in self.names():
            return True
        text = self.text()
        # A word of five letters or more counts when its stem starts a word of the thread
        # ("deck" / "decks", "revised" / "revision"); a short one must stand whole.
        # A number counts before a unit ("2" in "2pm"), never inside a longer one ("2" in "25").
        number = word[-1].isdigit()
        needle = word if len(word) < 5 or number else word[: max(4, len(word) - 3)]
        start = text.find(needle)
        for _ in range(MAX_FINDS):  # a string found this often is the thread's, whole or not
            if start == -1:
                return False
            end = start + len(needle)
            before = text[start - 1] if start else " "
            after = text[end] if end < len(text) else " "
            stem_goes_on = len(needle) < len(word)
            ends = not after.isdigit() if number else stem_goes_on or not after.isalnum()
            if ends and not before.isalnum():
                return True
            start = text.find(needle, start + 1)
        return True


NO_THREAD = Thread(text=str, names=frozenset)


def analyse(
    text: str,
    thread: Thread = NO_THREAD,
    *,
    allowance: int = 1,
    language: str = "",
    extra: tuple[tuple[str, str, str], ...] = (),
) -> Analysis:
    """Cut `text` into clauses and give each its role."""
    vocab = vocabularies(extra)
    complete = len(text) <= MAX_CHARS
    text = text[:MAX_CHARS]
    spans = list(_clause_spans(text))
    tokens = list(iter_tokens(text))  # once for the whole text; each clause takes its share
    words = [t.text for t in tokens if t.kind == "word"]
    if len(words) > MAX_TOKENS:
        complete = False
    lang = guess_language(words[:MAX_TOKENS], vocab, language[:2].lower())
    reader = _ClauseReader(vocab[lang], thread, allowance)
    signed = _name_line(text, vocab[lang])
    starts = [t.start for t in tokens]
    clauses: list[Clause] = []
    for start, end in spans:
        if start >= signed:
            break
        clause = reader.read(
            text, start, end, tokens[bisect_left(starts, start) : bisect_left(starts, end)]
        )
        clauses.append(clause)
        after_comma = len(clauses) > 1 and text[clauses[-2].end : start].strip() == ","
        if clause.role is Role.CONTENT and (clause.why != NO_STANCE or not after_comma):
            # One clause of content is enough for every rule that reads this: the text says
            # something. (A clause without a stance word after a comma may still be what the
            # head before it is about, so reading goes on past those.)
            return Analysis(text, _rejoin_complements(clauses, text), lang, complete)
    if signed < len(text):
        end = len(text.rstrip())
        clauses.append(Clause(signed, end, Role.NEUTRAL, "", "a name under the text"))
    return Analysis(text, _rejoin_complements(clauses, text), lang, complete)


def _exclaimed(text: str, start: int, end: int) -> bool:
    """The clause belongs to an exclamation: its sentence ends in "!" or opens with "¡"
    ("¡Qué grandes los pibes, felicitaciones a todos!")."""
    stop = _SENTENCE_END.search(text, end - 1 if end else 0)
    return text[start] == "¡" or (stop is not None and stop.group().startswith("!"))


def _name_line(text: str, vocab: Vocabulary) -> int:
    """Where a last line that only signs the text starts ("Kev – Store 212 Wigan", "Sophie, IDE
    cardio"): one to three capitalised words no vocabulary knows, then maybe a separator and a
    few words of role or place. `len(text)` when there is none."""
    body = text.rstrip()
    cut = body.rfind("\n")
    line = body[cut + 1 :].strip()
    if cut <= 0 or not body[:cut].strip() or len(line) > MAX_NAME_LINE or line[-1] in ".!?:":
        return len(text)
    name, role = (part.strip() for part in _SIGNATURE_SEPARATOR.split(line + " | ", maxsplit=1))
    names = name.split()
    if not 1 <= len(names) <= 3 or len(role.split()) > 6:
        return len(text)
    for word in names:
        if not word[0].isupper() or normalise(word.strip(".")) in vocab.words:
            return len(text)
    return body.index(line, cut)


def _rejoin_complements(clauses: list[Clause], text: str) -> tuple[Clause, ...]:
    """A stance head, a name, a comma, then what the head is about: "Thanks, Sabine, for the
    summary", "Veel sterkte Joost, voor jou en je familie". The name cut the head from its
    complement; the clause after it is the complement when it is only words without stance
    (never a signal or a question)."""
    for n in range(1, len(clauses)):
        rest = clauses[n]
        if rest.why != NO_STANCE or text[clauses[n - 1].end : rest.start].strip() != ",":
            continue
        head, name = clauses[n - 1], None
        if head.role is Role.NEUTRAL and n >= 2:  # the name is a clause of its own
            head, name = clauses[n - 2], head
            if text[head.end : name.start].strip() != ",":
                continue
        elif not _ends_with_a_name(text[head.start : head.end]):
            continue
        if head.role is Role.STANCE and head.kind not in (ACK, EMOJI):
            clauses[n] = Clause(rest.start, rest.end, Role.STANCE, head.kind, COMPLEMENT)
    return tuple(clauses)


def _ends_with_a_name(clause: str) -> bool:
    """ "Veel sterkte Joost": the clause's last word, not its first, is capitalised."""
    words = clause.split()
    return len(words) > 1 and words[-1][:1].isupper() and words[-1][1:].islower()


def _clause_spans(text: str):
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end() if text[m.start()] in "!?" else m.start()
        if text[start:end].strip():
            yield _trim(text, start, end)
        start = m.end()
    if text[start:].strip():
        yield _trim(text, start, len(text))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class _ClauseReader:
    def __init__(self, vocab: Vocabulary, thread: Thread, allowance: int):
        self.vocab = vocab
        self.thread = thread
        self.allowance = allowance
        # German capitalises every noun: there a capital inside a clause does not mark a name.
        self.capitals_name = vocab.language != "de"

    def read(self, text: str, start: int, end: int, tokens: list[Token]) -> Clause:
        raw = text[start:end]
        if _LINK.search(raw):
            return Clause(start, end, Role.CONTENT, "link", "a link or an address")
        words = _Words(text, tokens, self.vocab, self.capitals_name)
        parts = list(self._parts(words))
        clause = self._role(Clause(start, end, Role.CONTENT), parts, _exclaimed(text, start, end))
        if clause.role is Role.CONTENT:
            return clause
        # Numbers and days are new unless the thread has them ("Thursday at 2 works for me"):
        # looked up only for a clause that would otherwise say nothing, so a reply with
        # something to say never renders its quote.
        for m in _NUMBER.finditer(raw):
            if not self.thread.has(m.group().casefold()):
                return Clause(start, end, Role.CONTENT, "number", f'a number: "{m.group()}"')
        for piece in parts:
            is_day = piece.part == Part.SIGNAL and piece.kind == TIME
            if is_day and not all(self.thread.has(w) for w in piece.words):
                return Clause(start, end, Role.CONTENT, TIME, f'a day or time: "{piece.text}"')
        if text[end : end + 1] == ":" and clause.role is not Role.NEUTRAL:
            # "Here is what I found:" announces content; "Estimados compañeros:" only greets.
            return Clause(start, end, Role.CONTENT, "colon", "announces what follows")
        return clause

    def _parts(self, words: _Words):
        """The clause as a run of parts: vocabulary matches, longest first, and single tokens."""
        keys, shapes = words.keys, words.shapes
        i = 0
        while i < len(keys):
            shape = shapes[i]
            found = self.vocab.longest_match(keys, i) if shape in WORD_SHAPES else None
            if found:
                length, reading = found
                yield _Piece(reading.part, reading.kind, keys[i : i + length])
                i += length
                continue
            word = keys[i]
            if shape in (EMOJI, QUESTION):
                yield _Piece(shape, shape, [word])
            elif shape == "other":
                part = SYMBOL if not _CONTENT_SYMBOL.isdisjoint(word) else Part.FUNCTION
                yield _Piece(part, word, [word])
            elif word in self.thread.names():
                yield _Piece(NAME, word, [word])
            elif word.isdigit():  # numbers are checked on the raw text: "1.6", "2pm"
                yield _Piece(GIVEN, word, [word])
            elif shape != "word":  # someone or something not on the thread: "Fiona", "Kev"
                yield _Piece(PROPER, word, [word], initial=shape == "initial")
            else:
                yield _Piece(NEW, word, [word])
            i += 1

    def _role(self, clause: Clause, parts: list[_Piece], exclaims: bool) -> Clause:
        def said(role: Role, kind: str, why: str) -> Clause:
            return Clause(clause.start, clause.end, role, kind, why)

        if all(p.part == QUESTION for p in parts):
            return said(Role.CONFUSION, "puzzled", "only question marks")
        if len(parts) == 1 and parts[0].part in (Part.FUNCTION, Part.INTENSIFIER):
            return said(Role.NEUTRAL, "", 'a word that leads on: "And," "So,"')
        # A capital that only starts the clause marks a name when the clause is only names
        # ("Sophie", "Frau Krüger"); elsewhere it is an ordinary word.
        if not all(p.part in ADDRESS_PARTS for p in parts):
            parts = [_Piece(NEW, p.kind, p.words) if p.initial else p for p in parts]
        parts, asking = self._asking(parts)
        veto = self._veto(parts, asking)
        if veto is not None:
            return said(Role.CONTENT, *veto)
        # A day the thread proposed is what is agreed to: "Thursday works for me".
        parts = [
            _Piece(GIVEN, p.kind, p.words) if p.part == Part.SIGNAL and p.kind == TIME else p
            for p in parts
        ]
        if asking is not None:
            # What the thread holds names what is meant as much as a new word: "the budget".
            named = [p for p in parts if p.part in (NEW, GIVEN, PROPER, Part.UNDERSTAND)]
            if named:
                return said(Role.CONTENT, "specific", f'names what: "{named[0].text}"')
            role = Role.CONFUSION if asking.part == Part.CONFUSION else Role.CHASE
            return said(role, asking.kind, f'"{asking.text}" naming nothing specific')
        if any(p.part == QUESTION for p in parts) and not any(p.part == Part.TAG for p in parts):
            if all(p.part in ADDRESS_PARTS or p.part == QUESTION for p in parts):
                return said(Role.NEUTRAL, "", "only courtesy and a question mark")
            return said(Role.CONTENT, "question", "a question")
        leads = _leads(parts, exclaims)
        if not leads:
            if all(p.part in ADDRESS_PARTS for p in parts):
                return said(Role.NEUTRAL, "", "only names or words of address")
            rest = [p for p in parts if p.part not in ADDRESS_PARTS]
            if all(p.part == NEW for p in rest) and all(self.thread.has(p.text) for p in rest):
                return said(Role.NEUTRAL, "", "only names and words of the thread")
            # A short exclamation that names at most one thing is a reaction: "Get in!!!",
            # "You smashed it!", "That was quick!" ("Server is down!" names two).
            short = len(parts) <= MAX_EXCLAMATION and not any(p.part == QUESTION for p in parts)
            if exclaims and short and sum(p.part == NEW for p in parts) <= self.allowance:
                return said(Role.STANCE, PRAISE, "a short exclamation")
            return said(Role.CONTENT, "", NO_STANCE)
        free = set().union(*(_complement(parts, n) for n in leads))
        unexplained = [p.text for n, p in enumerate(parts) if p.part == NEW and n not in free]
        if len(unexplained) > self.allowance:  # words the thread has are not new: "the deck"
            unexplained = [w for w in unexplained if not self.thread.has(w)]
        if len(unexplained) > self.allowance:
            listed = ", ".join(f'"{w}"' for w in unexplained[:3])
            return said(Role.CONTENT, "", f"words no stance explains: {listed}")
        lead = parts[leads[0]]
        kind = IDIOM_KINDS.get(lead.kind, lead.kind) if lead.part != EMOJI else EMOJI
        return said(Role.STANCE, kind, f'{LEAD_LABELS[lead.part]}: "{lead.text}"')

    def _asking(self, parts: list[_Piece]) -> tuple[list[_Piece], _Piece | None]:
        """The part that makes the clause ask to clarify or for news, if any, with the parts.

        "Thanks for the update" thanks for news ("Sorry, I'm lost" is still lost), and a negated
        or doubted verb of understanding asks wherever the negation stands ("Ich verstehe es
        leider nicht", "j'ai rien compris", "no sé si te sigo"): the two become one part."""
        asking = next((p for p in parts[: _thanked(parts)] if p.part in ASKING_PARTS), None)
        if asking is not None:
            return parts, asking
        understood = self.vocab.understood
        verb = next(
            (p for p in parts if p.part == Part.UNDERSTAND or tuple(p.words) in understood), None
        )
        denials = [p for p in parts if p.part == Part.SIGNAL and p.kind in (NEGATION, DOUBT)]
        if verb is None or not denials:
            return parts, None
        # "ne ... pas", "non ... niente": every word of the denial goes with the verb.
        asking = _Piece(Part.CONFUSION, "confusion", [*denials[0].words, *verb.words])
        return [asking if p is verb else p for p in parts if p not in denials], asking

    def _veto(self, parts: list[_Piece], asking: _Piece | None) -> tuple[str, str] | None:
        """(kind, why) of the first content signal that counts, or None.

        Not counted: what a thanks head thanks for ("thanks for the heads-up"); in a clause that
        asks to clarify or for news, the words that frame the asking ("Could you ...", "I wonder
        whether ...", "Sorry, but ..."); a day the thread already holds."""
        at = next((n for n, p in enumerate(parts) if p is asking), len(parts))
        thanked = _thanked(parts)
        for n, piece in enumerate(parts):
            if piece.part == SYMBOL:
                return "symbol", f'"{piece.text}"'
            if piece.part != Part.SIGNAL:
                continue
            kind = piece.kind
            if kind == NOTICE and n > thanked:
                continue
            if asking is not None and (
                kind == REQUEST
                or (n < at and kind in FRAMING)
                or (kind == CONTRAST and _quiet(parts[:n]))
            ):
                continue
            if kind != TIME:  # a day is looked up in the thread once the clause is read
                return kind, f'a {kind} word: "{piece.text}"'
        return None


def _thanked(parts: list[_Piece]) -> int:
    """Where the first thanks head stands (`len(parts)` when none): what follows is thanked for."""
    return next(
        (n for n, p in enumerate(parts) if p.part == Part.HEAD and p.kind == THANKS), len(parts)
    )


NO_STANCE = "no word of stance"
COMPLEMENT = "what the stance before the name is about"

# Parts that are not vocabulary: single tokens read by their shape or by the thread.
SYMBOL, GIVEN, NAME, PROPER, NEW = "symbol", "given", "name", "proper", "new"
WORD_SHAPES = frozenset({"word", "capital", "initial"})
_CONTENT_SYMBOL = frozenset("£$€¥%#@§°=<>")  # money, shares, tickets, handles: facts
ASKING_PARTS = frozenset({Part.CONFUSION, Part.CHASE})
IDIOM_KINDS = {"praise": PRAISE}  # the data's name for it; rules call praise "social"
ADDRESS_PARTS = frozenset({GIVEN, NAME, PROPER, EMOJI, Part.GENERIC, Part.INTENSIFIER, Part.TAG})
QUIET_PARTS = FREE_PARTS | {NAME, PROPER, EMOJI}
ENDING_PARTS = frozenset(
    {Part.FUNCTION, Part.INTENSIFIER, Part.TAG, NAME, PROPER, EMOJI}
)  # may stand around a stance word without a meaning
LEAD_LABELS = {
    Part.HEAD: "stance",
    Part.IDIOM: "idiom",
    Part.APPROVAL: "approves",
    Part.EVALUATIVE: "judges",
    Part.EXCLAMATIVE: "exclaims",
    EMOJI: "emoji",
}


@dataclass(frozen=True, slots=True)
class _Piece:
    part: Part | str
    kind: str
    words: list[str]
    initial: bool = False  # a capitalised word that starts the clause

    @property
    def text(self) -> str:
        return " ".join(self.words)


class _Words:
    """A clause's tokens as vocabulary keys with their shapes: "word", "capital" (a capital that
    may mark a name), "initial" (a capital that starts the clause), EMOJI, QUESTION or "other"
    (a symbol)."""

    def __init__(self, text: str, tokens: list[Token], vocab: Vocabulary, capitals_name: bool):
        self.keys: list[str] = []
        self.shapes: list[str] = []
        for token in tokens:
            if token.kind != "word":
                self.keys.append(token.text)
                self.shapes.append(token.kind)
                continue
            keys = vocab.keys_of(token.text)
            shape = "word"
            if text[token.start].isupper():
                # In German every noun has a capital: there, as at the start of a clause, a
                # capital marks a name only in a clause of names ("Liebe Lisi").
                shape = "capital" if self.keys and capitals_name else "initial"
            self.keys.extend(keys)
            self.shapes.extend(["word"] * (len(keys) - 1) + [shape])


def _quiet(parts: list[_Piece]) -> bool:
    """Nothing here but words that may stand around stance: function words, names, emoji."""
    return all(p.part in QUIET_PARTS or p.part in STANCE_PARTS for p in parts)


def _ends(parts: list[_Piece], n: int) -> bool:
    """The part at `n` ends the clause: only function words, names or emoji follow ("looks good
    to me, Ana 👍"), so what comes before is what it is about."""
    return all(p.part in ENDING_PARTS for p in parts[n + 1 :])


def _leads(parts: list[_Piece], exclaims: bool) -> list[int]:
    """Indexes of the parts that make the clause stance, each where its kind of word leads one: a
    head after nothing but quiet words ("Many thanks for ..."), an approval that ends the clause
    ("... looks good to me"), an evaluative word, an exclamation's opener ("What a result!"; one
    of two words or more needs no "!": "What an achievement."), an emoji."""
    leads = []
    for n, piece in enumerate(parts):
        part = piece.part
        if (
            (part in (Part.HEAD, Part.IDIOM) and (_quiet(parts[:n]) or _ends(parts, n)))
            or (part == Part.APPROVAL and _ends(parts, n))
            or part in (Part.EVALUATIVE, EMOJI)
            or (part == Part.EXCLAMATIVE and n == 0 and (exclaims or len(piece.words) > 1))
        ):
            leads.append(n)
    return leads


def _complement(parts: list[_Piece], n: int) -> range | set[int]:
    """Indexes of the parts that the stance word at `n` covers: what it thanks, approves, judges."""
    piece = parts[n]
    if piece.part in (Part.HEAD, Part.IDIOM):
        if not _quiet(parts[:n]) and _ends(parts, n):
            return range(n)  # a head that ends the clause: "<the new deck> looks good to me"
        return range(n + 1, len(parts)) if piece.kind != ACK else set()
    if piece.part == Part.APPROVAL:
        return range(n)  # what is approved: "<the new layout> looks good to me"
    if piece.part == Part.EVALUATIVE:
        if _quiet(parts[n + 1 :]):
            return range(n + 2)  # judged at the end: "Riverside Hall is perfect"
        return {n + 1}  # what is judged: "fantastic total"
    if piece.part == Part.EXCLAMATIVE:
        return range(len(parts))  # "Quel week-end !"
    return set()
