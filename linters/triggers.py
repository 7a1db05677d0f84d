"""Trigger plus context: does a text state something, in a clause nothing around it cancels?

The matching technique shared by rules whose trigger is "the author says X here" and whose check is
a missing fact (Vale's check kinds, for us): `missing-attachment` ("attached is…" with no file),
`unsubscribe-reply-all` ("remove me from this list" sent to the list). Lexicons are data
(`linters/data/<lexicon>/<lang>.yaml`, as for `linters.phrases`), grouped by what each phrase does:

- `trigger`: the statement itself ("please find attached", "anbei", "remove me from this list");
- cues that cancel a trigger in the same clause: `block_before` (a future, a condition, a negation
  earlier in the clause: "I'll attach", "if you want to be removed"), `block_prev` (right before
  it: someone else's, "the file you attached"), `block_next` (right after it: another sense,
  "attached to the wall"), `block_after` (shortly after: "… you sent");
- exceptions to the cues: `unblock_before` (a request, not a cue: "could you review the
  attached"), `allow_next` (overrides `block_next`: "attached to this email").

A phrase may spell choices, "(me|mij) (graag |)uitschrijven", and may be anchored to the start
(`^`) or end (`$`) of a clause. Clauses end at punctuation, line breaks and free-standing dashes, so
a cue in another sentence cancels nothing. A text without one anchor word of a trigger (most
texts) is rejected by a set lookup; otherwise only the clauses holding an anchor are tokenised, and
at most `MAX_CHARS` characters and `MAX_TOKENS` tokens are read: cost stays linear and small.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .phrases import EMOJI, QUESTION, tokenise
from .text import NEW_KINDS, Segmentation

TRIGGER = "trigger"
BLOCK_BEFORE = "block_before"  # earlier in the clause: a future, a condition, a negation
UNBLOCK_BEFORE = "unblock_before"  # a request, not a cue, where a block_before starts: "could you"
BLOCK_PREV = "block_prev"  # right before the trigger: someone else's ("you attached", "your")
BLOCK_NEXT = "block_next"  # right after the trigger: another sense ("attached to")
ALLOW_NEXT = "allow_next"  # right after, and overrides block_next ("attached to this email")
BLOCK_AFTER = "block_after"  # shortly after, in the clause: someone else's ("you sent")
CLAUSE_START = "^"  # in a phrase: must start a clause
CLAUSE_END = "$"  # in a phrase: must end a clause
_END = None  # trie key marking a complete phrase
_STOPS = '.,;:!?\n\r…•|()\\[\\]<>"“”«»'
# Clauses end at these characters and at a free-standing dash ("ok - attached is …").
_BOUNDARY = re.compile(f"[{_STOPS}]|\\s[-–—]\\s|\\s[-–—]$|^[-–—]\\s")
_CLAUSE = re.compile(f"[^{_STOPS}]+")  # a coarse cut at the same characters, dashes aside
_EDGES = ".,;:!?…•|()[]<>{}\"'“”‘’«»*_~=+#&@%$^`"

MAX_CHARS = 20_000  # of new text looked at: a huge body costs no more than a long one
MAX_TOKENS = 400  # tokenised in candidate clauses, all told: a bound on the slow path


@dataclass(frozen=True, slots=True)
class Hit:
    start: int  # offsets into the text scanned (`seg.text` for `find_in_new_text`)
    end: int
    phrase: str  # the trigger phrase as matched (normalised words)


_CHOICE = re.compile(r"\(([^()]*)\)")
MAX_EXPANSIONS = 10_000  # per phrase: a typo in the data can't explode memory


def expand(phrase: str) -> list[str]:
    """A phrase with choices, "(me|mij) (graag |)uitschrijven", as the phrases it stands for.

    An empty choice makes a part optional. Lexicons stay short and readable this way.
    """
    done: list[str] = []
    todo = [phrase]
    while todo and len(done) + len(todo) <= MAX_EXPANSIONS:
        current = todo.pop()
        m = _CHOICE.search(current)
        if m is None:
            done.append(" ".join(current.split()))
            continue
        todo.extend(
            current[: m.start()] + choice + current[m.end() :] for choice in m.group(1).split("|")
        )
    return done


def _trie(phrases: Iterable[str]) -> dict:
    root: dict = {}
    for phrase in (p for source in phrases for p in expand(source)):
        words = [t.text for t in tokenise(phrase) if t.kind != QUESTION]
        if not words or words in ([CLAUSE_START], [CLAUSE_END]):
            continue
        node = root
        for word in words:
            node = node.setdefault(word, {})
        node[_END] = True
    return root


def _words(text: str) -> list[str]:
    """The words of a text as `tokenise` would normalise them, cheaply and without offsets.

    Only for the prefilter: str methods run in C, so a text without any anchor word costs a few
    microseconds however the rest of the matcher is written.
    """
    folded = unicodedata.normalize("NFC", text.casefold())
    for separator in ("’", "-", "–", "/", "\\"):
        if separator in folded:
            folded = folded.replace(separator, "'" if separator == "’" else " ")
    return [w.strip(_EDGES) for w in folded.split()]


# Words too common to be a phrase's anchor when the phrase has a rarer one: picking "stop" over
# "sending" in "stop sending me" keeps most texts off the slow path. Only speed depends on this.
_COMMON = frozenset(
    """
    the this that these those there then than them they you your yours i me my we us our it its he
    she his her a an and or but not no don't do does did is are was were be been being am to of in
    on at for from with by as about into over please could would should can will shall may might
    must need want wish like get getting got take make send sending include including included
    copying receive receiving received more any some all other how what when where who sure email
    emails e mail mails message messages address document file
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def _anchors(phrases: Iterable[str]) -> frozenset[str]:
    """One word of each phrase: a text holding none of them matches no phrase.

    The longest uncommon word is picked, so the anchor set catches few ordinary texts.
    """
    anchors = set()
    for phrase in (p for source in phrases for p in expand(source)):
        words = [w for t in tokenise(phrase) if t.kind == "word" for w in _words(t.text) if w]
        if words:
            rare = [w for w in words if w not in _COMMON] or words
            anchors.add(max(rare, key=len))
    return frozenset(anchors)


class TriggerMatcher:
    """Finds the first trigger phrase in a text that no cue around it cancels.

    Cheap first: a text without one anchor word of a trigger (most texts) is rejected by a set
    lookup over its words. Otherwise only the clauses that hold an anchor are tokenised and walked
    with a trie of the triggers; cues are looked at only around a trigger. Every step is linear.
    Clauses end at punctuation, line breaks and dashes: a cue in another clause ("I'll be out
    tomorrow. Attached is…") cancels nothing.
    """

    def __init__(self, lexicon: Mapping[str, Iterable[str]], lookback: int = 8, lookahead: int = 5):
        self.lookback = lookback
        self.lookahead = lookahead
        self._anchors = _anchors(lexicon.get(TRIGGER, ()))
        self._triggers = _trie(lexicon.get(TRIGGER, ()))
        self._before = _trie(lexicon.get(BLOCK_BEFORE, ()))
        self._next = _trie(lexicon.get(BLOCK_NEXT, ()))
        self._allow_next = _trie(lexicon.get(ALLOW_NEXT, ()))
        self._after = _trie(lexicon.get(BLOCK_AFTER, ()))
        self._unblock = _trie(lexicon.get(UNBLOCK_BEFORE, ()))
        self._prev = _trie(lexicon.get(BLOCK_PREV, ()))

    def find(self, text: str, limit: int = MAX_CHARS) -> Hit | None:
        """The first uncancelled trigger in `text[:limit]`, with offsets into `text`."""
        text = text[:limit]
        anchors = self._anchors
        if anchors.isdisjoint(_words(text)):
            return None
        budget = MAX_TOKENS
        for clause in _CLAUSE.finditer(text):
            piece = clause.group()
            if anchors.isdisjoint(_words(piece)):
                continue
            hit, used = self._find_in(piece, budget)
            if hit is not None:
                offset = clause.start()
                return Hit(offset + hit.start, offset + hit.end, hit.phrase)
            budget -= used
            if budget <= 0:
                return None
        return None

    def find_in_new_text(self, seg: Segmentation) -> Hit | None:
        """The first uncancelled trigger in the author's new text (greeting, body, sign-off: never
        the quote or the signature), within its first `MAX_CHARS`; offsets into `seg.text`."""
        budget = MAX_CHARS
        for block in seg.of(*NEW_KINDS):
            hit = self.find(seg.text[block.start : block.end], limit=budget)
            if hit is not None:
                return Hit(block.start + hit.start, block.start + hit.end, hit.phrase)
            budget -= block.end - block.start
            if budget <= 0:
                return None
        return None

    def _find_in(self, text: str, limit: int) -> tuple[Hit | None, int]:
        words, starts, ends, clause = self._tokens(text, limit)
        n = len(words)
        root = self._triggers
        anchored = root.get(CLAUSE_START)
        for i in range(n):
            at_start = i == 0 or clause[i] != clause[i - 1]
            if words[i] not in root and not (anchored is not None and at_start):
                continue
            end = self._longest(root, words, clause, i)
            if anchored is not None and at_start:
                end = max(end, self._longest(anchored, words, clause, i))
            if end <= i or self._cancelled(words, clause, i, end):
                continue
            return Hit(starts[i], ends[end - 1], " ".join(words[i:end])), n
        return None, n

    @staticmethod
    def _tokens(text: str, limit: int) -> tuple[list[str], list[int], list[int], list[int]]:
        words: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        clause: list[int] = []
        current = 0
        previous_end = 0
        for token in tokenise(text, limit=limit):
            if token.kind in (QUESTION, EMOJI):
                current += 1
                previous_end = token.end
                continue
            if words and _BOUNDARY.search(text, previous_end, token.start):
                current += 1
            words.append(token.text)
            starts.append(token.start)
            ends.append(token.end)
            clause.append(current)
            previous_end = token.end
        return words, starts, ends, clause

    @staticmethod
    def _longest(node: dict, words: list[str], clause: list[int], i: int) -> int:
        """End (exclusive) of the longest phrase of `node`'s trie starting at token i, or i."""
        n = len(words)
        best = i
        j = i
        while True:
            if _END in node:
                best = j
            at_clause_end = j == n or clause[j] != clause[j - 1]
            if at_clause_end and _END in node.get(CLAUSE_END, {}):
                best = j
            if j == n or (j > i and clause[j] != clause[i]):
                return best
            node = node.get(words[j])
            if node is None:
                return best
            j += 1

    def _cancelled(self, words: list[str], clause: list[int], i: int, end: int) -> bool:
        n = len(words)
        here = clause[i]
        if end < n and clause[end] == here:
            allowed = self._longest(self._allow_next, words, clause, end) > end
            if not allowed and self._longest(self._next, words, clause, end) > end:
                return True
            for k in range(end, min(n, end + self.lookahead)):
                if clause[k] != here:
                    break
                if self._longest(self._after, words, clause, k) > k:
                    return True
        k = max(0, i - self.lookback)
        while k < i:
            if clause[k] != here:
                k += 1
                continue
            if self._ends_at(self._prev, words, k, i):
                return True
            cue_end = self._longest(self._before, words, clause, k)
            request_end = self._longest(self._unblock, words, clause, k)
            if request_end > k and request_end >= cue_end:
                k = request_end  # "could you review the attached": a request, not a cue
                continue
            if k < cue_end <= i:
                return True
            k += 1
        return False

    @staticmethod
    def _ends_at(node: dict, words: list[str], k: int, i: int) -> bool:
        """Whether a phrase of `node`'s trie covers exactly tokens k..i-1."""
        for j in range(k, i):
            node = node.get(words[j])
            if node is None:
                return False
        return _END in node
