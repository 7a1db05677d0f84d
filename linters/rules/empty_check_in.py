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

from ..clauses import Part, Role, extra_heads
from ..context import LintContext
from ..model import ComposeType, Finding, Severity, Span
from ..phrases import extra_phrases_field
from ..registry import Options, Rule, clean, compose_types_field, trips


class EmptyCheckInOptions(Options):
    compose_types = compose_types_field()
    extra_phrases = extra_phrases_field("More chasing phrases per language: {en: [any joy]}.")


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
        if ctx.draft.compose_type.value not in options["compose_types"]:
            return
        blocks = ctx.standalone_body
        if not blocks:
            return
        seg = ctx.segmentation
        analysis = ctx.clauses(extra=extra_heads(options, Part.CHASE, "chase"))
        if not analysis.only(Role.CHASE, Role.STANCE):
            return
        kinds = analysis.kinds(Role.CHASE)
        start, end = blocks[0].start, blocks[-1].end
        excerpt = seg.excerpt(start, end)
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
                "kind": "chase" if "chase" in kinds else "nudge",
                "kinds": sorted(kinds),
                "clauses": analysis.described(),
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
