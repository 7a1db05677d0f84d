"""missing-attachment: the new text says something is attached, and nothing is.

"Please find attached the signed contract" with no file is the most common slip in e-mail, and the
one every recipient has to answer ("you forgot the attachment"). The rule reads only the author's
new text (never the quoted thread or the signature), looks for a statement that something is
attached or enclosed *now* ("attached is", "I've attached", "anbei", "ci-joint", "te adjunto",
"em anexo", "in allegato", "bijgevoegd", …) and fires when the draft has no attachment other than
inline images (a signature logo is not the file the text means).

A trigger is cancelled by what surrounds it in the same clause: a future or a condition before it
("I'll attach it once legal is done", "ich schicke es später als Anhang"), a negation ("I haven't
attached"), someone else's attachment ("the file you attached", "attached to your email"), or
another sense ("attached to the wall"). Those cues are data beside the phrases.

`TriggerMatcher` is the trigger-plus-context technique shared with `unsubscribe-reply-all`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from marshmallow import fields, validate

from ..context import LintContext
from ..model import Finding, Severity, Span
from ..phrases import EMOJI, LANGUAGES, QUESTION, load_lexicon, tokenise
from ..registry import Options, Rule, clean, trips
from ..text import NEW_KINDS

# --- the shared technique: trigger phrases cancelled by cues in their clause ---

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
MAX_EXCERPT = 120


@dataclass(frozen=True, slots=True)
class Hit:
    start: int  # offsets into the text scanned
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


# --- the rule ---


class MissingAttachmentOptions(Options):
    extra_phrases = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGES)),
        values=fields.List(fields.String(validate=validate.Length(min=1, max=200))),
        metadata={
            "description": "More phrases that say something is attached, per language: "
            "{en: [herewith the file]}."
        },
    )


@lru_cache(maxsize=64)
def _matcher(extra: tuple[str, ...]) -> TriggerMatcher:
    """One matcher per distinct set of extra phrases, built once (not on every lint)."""
    lexicon = dict(load_lexicon(MissingAttachment.id))
    if extra:
        lexicon[TRIGGER] = lexicon.get(TRIGGER, ()) + extra
    return TriggerMatcher(lexicon)


def _extra(options: Mapping) -> tuple[str, ...]:
    return tuple(sorted({p for ps in options.get("extra_phrases", {}).values() for p in ps}))


class MissingAttachment(Rule):
    id = "missing-attachment"
    summary = "The new text says something is attached, and nothing is."
    default_severity = Severity.WARNING
    options = MissingAttachmentOptions
    defaults = {"extra_phrases": {}}
    docs = "docs/rules/missing-attachment.md"

    def check(self, ctx: LintContext, options: Mapping):
        if any(not a.inline for a in ctx.draft.attachments):
            return
        seg = ctx.segmentation
        matcher = _matcher(_extra(options))
        budget = MAX_CHARS
        for block in seg.of(*NEW_KINDS):
            hit = matcher.find(seg.text[block.start : block.end], limit=budget)
            if hit is not None:
                yield self._finding(seg.text, block.start + hit.start, block.start + hit.end, hit)
                return
            budget -= block.end - block.start
            if budget <= 0:
                return

    def _finding(self, text: str, start: int, end: int, hit: Hit) -> Finding:
        excerpt = " ".join(text[start:end].split())[:MAX_EXCERPT]
        return Finding(
            rule=self.id,
            severity=self.default_severity,
            message=f'You wrote "{excerpt}", but nothing is attached.',
            explanation=(
                "The text says a file comes with this message, and the draft has no attachment "
                "(inline images such as a signature logo don't count). Attach the file before "
                "sending, or reword the sentence if it is coming later."
            ),
            excerpt=excerpt,
            span=Span(start, end),
            data={"phrase": hit.phrase},
        )

    examples = (
        trips(
            "English, plain statement, only a signature logo inline",
            {
                "compose_type": "reply_all",
                "to": [{"email": "nina@corp.example"}],
                "body": {
                    "type": "html",
                    "content": "<div>Nina,</div><div>The report is attached.</div>"
                    '<div><img src="cid:logo"></div>',
                },
                "attachments": [{"name": "logo.png", "size": 3120, "inline": True}],
            },
        ),
        trips(
            "English, 'please find attached' in a new message",
            {"body": {"content": "Hi all,\n\nPlease find attached the Q3 numbers.\n\nBest,\nPaul"}},
        ),
        trips(
            "German 'anbei'",
            {"body": {"content": "Hallo Luca,\n\nanbei die Präsentation.\n\nViele Grüße\nSara"}},
        ),
        trips(
            "French 'ci-joint'",
            {"body": {"content": "Bonjour,\n\nVous trouverez ci-joint le contrat.\n\nNina"}},
        ),
        trips("Spanish 'te adjunto'", {"body": {"content": "Te adjunto el contrato."}}),
        trips("Portuguese 'segue em anexo'", {"body": {"content": "Segue em anexo o relatório."}}),
        trips("Italian 'in allegato'", {"body": {"content": "In allegato trovi il contratto."}}),
        trips("Dutch 'bijgevoegd'", {"body": {"content": "Bijgevoegd het contract."}}),
        trips(
            "an admin's extra phrase",
            {"body": {"content": "Herewith the signed copy."}},
            options={"extra_phrases": {"en": ["herewith the"]}},
        ),
        clean(
            "the file is attached",
            {
                "body": {"content": "The report is attached."},
                "attachments": [{"name": "report.pdf", "size": 91234}],
            },
        ),
        clean(
            "future: attached later",
            {"body": {"content": "I'll attach the signed copy once legal is done."}},
        ),
        clean(
            "German future: later as an attachment",
            {"body": {"content": "Ich schicke dir die Datei später als Anhang."}},
        ),
        clean(
            "someone else's attachment",
            {"body": {"content": "Thanks, the file you attached is fine."}},
        ),
        clean(
            "another sense of 'attached'",
            {"body": {"content": "The label is attached to the box."}},
        ),
        clean(
            "only the quoted thread mentions an attachment",
            {
                "compose_type": "reply",
                "body": {
                    "type": "html",
                    "content": '<div>Looks good to me.</div><div class="gmail_quote">'
                    "<blockquote>Please find attached the draft.</blockquote></div>",
                },
            },
        ),
    )
