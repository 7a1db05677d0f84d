"""vague-confusion: says the author does not understand, or asks to clarify, without saying what.

"I am not sure I understand" sends the writer back to re-read the whole message and guess which
part lost the reader; the answer is usually a second long mail that still misses the point. The
rule fires when the new text is only confusion ("I'm confused", "Ich verstehe nicht"), a request
to clarify ("Can you clarify?", "Pouvez-vous préciser ?") or a bare "???"/"Huh?", with fillers,
courtesy and names around it. Any other word — a quoted phrase, an item, a date, a specific
question ("What do you mean by 'phase 2'?") — says what is unclear, and the rule stays quiet.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..clauses import Part, Role, extra_heads
from ..context import LintContext
from ..model import ComposeType, Finding, Severity, Span
from ..phrases import extra_phrases_field
from ..registry import Options, Rule, clean, compose_types_field, trips

KINDS = frozenset({"confusion", "clarify", "puzzled"})
# Emoji that on their own say "I'm lost": thinking face, confused face, shrug, question marks.
PUZZLED_EMOJI = frozenset("🤔😕🫤🤷😵❓❔🧐♂♀\u200d\ufe0f🏻🏼🏽🏾🏿")  # with joiners, skin tones


class VagueConfusionOptions(Options):
    compose_types = compose_types_field()
    extra_phrases = extra_phrases_field("More phrases of confusion per language: {en: [no clue]}.")


def _only_puzzled_emoji(text: str) -> bool:
    """ "🤔", "🤷‍♀️": emoji that on their own say "I'm lost"."""
    marks = {c for c in text if not c.isspace()}
    return bool(marks) and marks <= PUZZLED_EMOJI


class VagueConfusion(Rule):
    id = "vague-confusion"
    summary = "Says it does not understand, or asks to clarify, without saying what."
    default_severity = Severity.WARNING
    options = VagueConfusionOptions
    defaults = {
        "compose_types": [t.value for t in ComposeType],
        "extra_phrases": {},
    }
    docs = "docs/rules/vague-confusion.md"

    def check(self, ctx: LintContext, options: Mapping):
        if ctx.draft.compose_type.value not in options["compose_types"]:
            return
        blocks = ctx.standalone_body
        if not blocks:
            return
        seg = ctx.segmentation
        analysis = ctx.clauses(extra=extra_heads(options, Part.CONFUSION, "confusion"))
        if analysis.only(Role.CONFUSION, Role.STANCE):
            kinds = analysis.kinds(Role.CONFUSION)
            kind = next(k for k in ("confusion", "clarify", "puzzled") if k in kinds)
        elif analysis.only(Role.STANCE) and _only_puzzled_emoji(seg.body_text):
            kind, kinds = "puzzled", ("puzzled",)
        else:
            return
        start, end = blocks[0].start, blocks[-1].end
        excerpt = seg.excerpt(start, end)
        if kind == "clarify":
            message = f'"{excerpt}" asks for clarification without saying of what.'
        else:
            message = f'"{excerpt}" says something is unclear without saying what.'
        yield Finding(
            rule=self.id,
            severity=self.default_severity,
            message=message,
            explanation=(
                "Name the part you don't follow (quote the sentence, name the item or number) "
                "or ask the exact question you need answered, so the reply can be the answer "
                "instead of another round trip."
            ),
            excerpt=excerpt,
            span=Span(start, end),
            data={"kind": kind, "kinds": sorted(kinds), "clauses": analysis.described()},
        )

    examples = (
        trips(
            "English: not sure I understand",
            {
                "compose_type": "reply",
                "from": {"email": "peter@corp.example", "name": "Peter Smith"},
                "to": [{"email": "anna@corp.example", "name": "Anna Boss"}],
                "body": {"content": "Hi Anna,\n\nI am not sure I understand.\n\nThanks,\nPeter"},
            },
        ),
        trips(
            "only question marks",
            {
                "compose_type": "reply_all",
                "to": [{"email": "a@corp.example"}, {"email": "b@corp.example"}],
                "body": {"type": "html", "content": "<div>???</div>"},
            },
        ),
        trips(
            "a bare request to clarify, in a new mail",
            {"compose_type": "new", "body": {"content": "Can you clarify?"}},
        ),
        trips(
            "apology plus confusion, with a name from the thread",
            {
                "compose_type": "reply",
                "to": [{"email": "sanne.visser@corp.example"}],
                "body": {"content": "Sorry Sanne, I'm confused."},
            },
        ),
        trips(
            "German",
            {"compose_type": "reply", "body": {"content": "Ich verstehe leider nicht ganz."}},
        ),
        trips(
            "French",
            {"compose_type": "reply", "body": {"content": "Pouvez-vous préciser ?"}},
        ),
        trips(
            "Spanish",
            {"compose_type": "reply", "body": {"content": "Perdona, no lo entiendo."}},
        ),
        trips(
            "Portuguese",
            {"compose_type": "reply", "body": {"content": "Não ficou claro para mim."}},
        ),
        trips(
            "Italian",
            {"compose_type": "reply", "body": {"content": "Scusa, cosa intendi?"}},
        ),
        trips(
            "Dutch",
            {"compose_type": "reply", "body": {"content": "Ik snap het niet helemaal."}},
        ),
        clean(
            "says why it does not follow",
            {
                "compose_type": "reply",
                "body": {
                    "content": "I don't get why dinner is at 7 when the last session ends at 7:30."
                },
            },
        ),
        clean(
            "quotes the phrase that is unclear",
            {"compose_type": "reply", "body": {"content": "What do you mean by 'phase 2'?"}},
        ),
        clean(
            "asks a specific question",
            {"compose_type": "reply", "body": {"content": "Can you clarify the budget for Q3?"}},
        ),
        clean(
            "understanding is not confusion",
            {"compose_type": "reply", "body": {"content": "Understood, thanks!"}},
        ),
        clean(
            "German with the item named",
            {
                "compose_type": "reply",
                "body": {"content": "Ich verstehe nicht, ob das Budget die Reisekosten enthält."},
            },
        ),
        clean(
            "compose_types can leave new mail alone",
            {"compose_type": "new", "body": {"content": "Can you clarify?"}},
            options={"compose_types": ["reply", "reply_all"]},
        ),
    )
