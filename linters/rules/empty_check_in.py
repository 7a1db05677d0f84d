"""empty-check-in: a chase that only asks for progress, with no what, by when or why.

"Any update?" makes the reader dig through the thread to work out which of the five open items is
meant, how urgent it is and who is waiting for it. The rule fires when the new text is only a chase
("Any update?", "Just checking in", "Following up", "bump", "Gibt es schon Neuigkeiten?",
"Des nouvelles ?", "¿Alguna novedad?"), with fillers, courtesy and names around it. Naming the item,
a deadline or a reason ("Any update on the Q3 budget? Finance needs it by Friday.") makes it a
specific request, and the rule stays quiet.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from marshmallow import fields, validate

from ..context import LintContext
from ..model import ComposeType, Finding, Severity, Span
from ..phrases import LANGUAGES, PhraseMatcher, load_lexicon, name_tokens
from ..registry import Options, Rule, clean, trips
from ..text import Kind

KINDS = frozenset({"chase", "nudge"})
MAX_EXCERPT = 200
MAX_NAMED = 200  # people whose names may stand in the text ("Anna, any update?")
MAX_EXTRA = 500  # extra phrases per language


class EmptyCheckInOptions(Options):
    compose_types = fields.List(
        fields.String(validate=validate.OneOf([t.value for t in ComposeType])),
        validate=validate.Length(min=1),
        metadata={"description": "Which drafts to check: new, reply, reply_all, forward."},
    )
    extra_phrases = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGES)),
        values=fields.List(
            fields.String(validate=validate.Length(min=1, max=200)),
            validate=validate.Length(max=MAX_EXTRA),
        ),
        metadata={"description": "More chasing phrases per language: {en: [any joy]}."},
    )


@lru_cache(maxsize=64)
def _matcher(extra: tuple[str, ...]) -> PhraseMatcher:
    """One matcher per distinct set of extra phrases, built once (not on every lint)."""
    lexicon = dict(load_lexicon(EmptyCheckIn.id))
    if extra:
        lexicon["chase"] = lexicon.get("chase", ()) + extra
    return PhraseMatcher(lexicon, questions=True)


class EmptyCheckIn(Rule):
    id = "empty-check-in"
    summary = "Only chases progress ('Any update?', 'Just checking in') with no specifics."
    default_severity = Severity.HINT
    options = EmptyCheckInOptions
    defaults = {
        "compose_types": [t.value for t in ComposeType],
        "extra_phrases": {},
    }
    docs = "docs/rules/empty-check-in.md"

    def check(self, ctx: LintContext, options: Mapping):
        draft = ctx.draft
        if draft.compose_type.value not in options["compose_types"]:
            return
        if any(not a.inline for a in draft.attachments):
            return  # the attached document is the "what"
        seg = ctx.segmentation
        blocks = seg.of(Kind.BODY)
        if not blocks:
            return
        if any(b.kind is Kind.QUOTE and b.start < blocks[-1].start for b in seg.blocks):
            return  # answered inline: the quoted line above it says what is meant
        extra = tuple(p for phrases in options["extra_phrases"].values() for p in phrases)
        original = draft.in_reply_to
        people = (
            draft.sender,
            *draft.recipients[:MAX_NAMED],
            *(
                (original.sender, *original.to[:MAX_NAMED], *original.cc[:MAX_NAMED])
                if original
                else ()
            ),
        )
        match = _matcher(extra).match(seg.body_text, lambda: name_tokens(*people))
        if match is None or not (match.kinds & KINDS):
            return
        start, end = blocks[0].start, blocks[-1].end
        excerpt = " ".join(seg.text[start:end].split())
        if len(excerpt) > MAX_EXCERPT:
            excerpt = excerpt[: MAX_EXCERPT - 1] + "…"
        yield Finding(
            rule=self.id,
            severity=self.default_severity,
            message=f'"{excerpt}" chases without saying what you need, by when or why.',
            explanation=(
                'Name the item you are waiting for, when you need it and why, e.g. "Any update '
                'on the Q3 budget? Finance needs it by Friday." Then they can answer at once '
                "instead of digging through the thread."
            ),
            excerpt=excerpt,
            span=Span(start, end),
            data={
                "kind": "chase" if "chase" in match.kinds else "nudge",
                "kinds": sorted(match.kinds),
                "phrases": list(match.phrases),
            },
        )

    examples = (
        trips(
            "English: any update?",
            {
                "compose_type": "reply_all",
                "from": {"email": "claire@corp.example", "name": "Claire Roux"},
                "to": [{"email": "kate.wilson@corp.example", "name": "Kate Wilson"}],
                "cc": [{"email": "tom@corp.example"}],
                "body": {"content": "Hi Kate,\n\nAny update?\n\nRegards,\nClaire"},
            },
        ),
        trips(
            "just checking in, in HTML",
            {
                "compose_type": "reply",
                "to": [{"email": "a@corp.example"}],
                "body": {"type": "html", "content": "<div>Just checking in on this :)</div>"},
            },
        ),
        trips("bump", {"compose_type": "reply", "body": {"content": "bump"}}),
        trips(
            "German",
            {"compose_type": "reply", "body": {"content": "Gibt es schon Neuigkeiten?"}},
        ),
        trips("French", {"compose_type": "reply", "body": {"content": "Des nouvelles ?"}}),
        trips("Spanish", {"compose_type": "reply", "body": {"content": "¿Alguna novedad?"}}),
        trips("Portuguese", {"compose_type": "reply", "body": {"content": "Alguma novidade?"}}),
        trips("Italian", {"compose_type": "reply", "body": {"content": "Novità?"}}),
        trips("Dutch", {"compose_type": "reply", "body": {"content": "Is er al nieuws?"}}),
        clean(
            "says what, by when and why",
            {
                "compose_type": "reply",
                "body": {"content": "Any update on the Q3 budget? Finance needs it by Friday."},
            },
        ),
        clean(
            "a specific question after the check-in",
            {
                "compose_type": "reply_all",
                "body": {"content": "Checking in: did legal approve the scope document?"},
            },
        ),
        clean(
            "thanks is not a chase",
            {"compose_type": "reply", "body": {"content": "Thanks for the update!"}},
        ),
        clean(
            "compose_types can leave forwards alone",
            {"compose_type": "forward", "body": {"content": "Any update?"}},
            options={"compose_types": ["reply", "reply_all"]},
        ),
    )
