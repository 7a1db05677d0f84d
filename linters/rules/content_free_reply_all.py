"""content-free-reply-all: a reply to many people that only acknowledges, thanks or agrees.

"OK with me, Peter" to forty people costs forty readers a context switch and tells them nothing;
only the original sender needed it. The rule fires when a reply reaching at least `min_audience`
people has new text whose every clause is stance (`linters.clauses`): acknowledgement, thanks,
agreement or pile-on ("+1", "me too"), praise, congratulations, welcome, good wishes, laughter or
emoji, with whatever those name ("Thanks for pulling these together, Raj"). One clause that says
something — a fact, a condition, a correction, a link, a question, a request — makes the reply
worth sending to all, however short.
"""

from __future__ import annotations

from collections.abc import Mapping

from marshmallow import fields, validate

from ..clauses import ACK, ALLOWANCE, Part, Role, extra_heads
from ..context import LintContext
from ..model import Finding, Severity, Span
from ..phrases import EMOJI, extra_phrases_field
from ..registry import Options, Rule, clean, trips
from ..text import Kind

KINDS = ("ack", "thanks", "agreement", "pile-on", "social", EMOJI)  # stance kinds of clauses


class ContentFreeReplyAllOptions(Options):
    min_audience = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=1_000_000),
        metadata={"description": "Fire only when the reply reaches at least this many people."},
    )
    allow_kinds = fields.List(
        fields.String(validate=validate.OneOf(KINDS)),
        metadata={"description": "Kinds that may go to all, e.g. [social] for 'Congrats!'."},
    )
    extra_phrases = extra_phrases_field(
        "More content-free phrases per language: {en: [roger that]}.", max_per_language=None
    )
    sensitivity = fields.String(
        validate=validate.OneOf(tuple(ALLOWANCE)),
        metadata={
            "description": "How readily a clause counts as stance: low lets no unexplained word "
            "stand beside thanks or praise, normal one, high two."
        },
    )


def _kind_label(kinds: tuple[str, ...]) -> str:
    return "agreement" if "agreement" in kinds else kinds[0]


class ContentFreeReplyAll(Rule):
    id = "content-free-reply-all"
    summary = "A reply to many people that only acknowledges, thanks or agrees."
    default_severity = Severity.WARNING
    options = ContentFreeReplyAllOptions
    defaults = {
        "min_audience": 3,
        "allow_kinds": [],
        "extra_phrases": {},
        "sensitivity": "normal",
        "exempt_subjects": [r"\[VOTE\]"],  # on a vote thread "+1" is the content
    }
    docs = "docs/rules/content-free-reply-all.md"

    def check(self, ctx: LintContext, options: Mapping):
        if not ctx.is_reply_all or ctx.audience < options["min_audience"]:
            return
        if ctx.has_attachment:
            return  # the attachment is the content
        seg = ctx.segmentation
        blocks = seg.of(Kind.BODY)
        if not blocks:
            return
        analysis = ctx.clauses(
            ALLOWANCE[options["sensitivity"]], extra_heads(options, Part.HEAD, ACK)
        )
        if not analysis.only(Role.STANCE):
            return
        kinds = analysis.kinds(Role.STANCE)
        if set(kinds) <= set(options["allow_kinds"]):
            return
        start, end = blocks[0].start, blocks[-1].end
        excerpt = seg.excerpt(start, end)
        said = excerpt.rstrip(".")  # keeps its "!" or "?"; the message ends the sentence itself
        who = ctx.original_sender_name
        fix = ctx.reply_to_sender_only()
        yield Finding(
            rule=self.id,
            severity=self.default_severity,
            message=f'Your reply to all {ctx.audience} recipients only says "{said}".',
            explanation=(
                f"Only {who} needs this. Reply to {who} alone, or add what the others need to know."
            ),
            excerpt=excerpt,
            span=Span(start, end),
            fixes=(fix,) if fix else (),
            data={
                "audience": ctx.audience,
                "kind": _kind_label(kinds),
                "kinds": sorted(kinds),
                "clauses": analysis.described(),  # why it fired, for the playground and admins
            },
        )

    examples = (
        trips(
            "bare agreement to a crowd",
            {
                "compose_type": "reply_all",
                "subject": "Re: Offsite agenda",
                "from": {"email": "peter@corp.example", "name": "Peter Smith"},
                "to": [{"email": "boss@corp.example", "name": "Anna Boss"}],
                "cc": [{"email": "all-staff@corp.example", "type": "group", "member_count": 40}],
                "body": {"type": "html", "content": "<div>OK with me, Peter</div>"},
                "in_reply_to": {"from": {"email": "boss@corp.example"}},
            },
        ),
        trips(
            "+1 in plain text, Outlook reply counted as reply-all",
            {
                "client": "outlook",
                "compose_type": "reply",
                "from": {"email": "jo@corp.example"},
                "to": [{"email": "a@corp.example"}, {"email": "b@corp.example"}],
                "cc": [{"email": "c@corp.example"}],
                "body": {"content": "+1\n\n-----Original Message-----\nFrom: a\nSubject: Plan\n"},
                "in_reply_to": {"from": {"email": "a@corp.example"}},
            },
        ),
        trips(
            "German thanks",
            {
                "compose_type": "reply_all",
                "to": [{"email": "a@corp.example"}, {"email": "b@corp.example"}],
                "cc": [{"email": "c@corp.example"}],
                "body": {"content": "Vielen Dank an alle!"},
            },
        ),
        trips(
            "a promise to fix with an apology, in Dutch",
            {
                "compose_type": "reply_all",
                "to": [{"email": "a@corp.example"}, {"email": "b@corp.example"}],
                "cc": [{"email": "team@corp.example", "type": "group", "member_count": 12}],
                "body": {"content": "Goed gezien, ik pas het aan. Sorry voor de verwarring!"},
            },
        ),
        clean(
            "a fix with its when and where is content",
            {
                "compose_type": "reply_all",
                "to": [{"email": "a@corp.example"}, {"email": "b@corp.example"}],
                "cc": [{"email": "team@corp.example", "type": "group", "member_count": 12}],
                "body": {"content": "Good catch, will fix it in the 2.3 release on Friday."},
            },
        ),
        clean(
            "a condition is content",
            {
                "compose_type": "reply_all",
                "to": [{"email": "a@corp.example"}, {"email": "b@corp.example"}],
                "cc": [{"email": "c@corp.example"}],
                "body": {"content": "OK with me if legal signs off first."},
            },
        ),
        clean(
            "a question is content",
            {
                "compose_type": "reply_all",
                "to": [{"email": "a@corp.example"}, {"email": "b@corp.example"}],
                "cc": [{"email": "c@corp.example"}],
                "body": {"content": "Thanks! Which room?"},
            },
        ),
        clean(
            "only the sender reads it",
            {
                "compose_type": "reply",
                "to": [{"email": "a@corp.example"}],
                "body": {"content": "Thanks!"},
                "in_reply_to": {"from": {"email": "a@corp.example"}},
            },
        ),
        clean(
            "vote threads are exempt by default",
            {
                "compose_type": "reply_all",
                "subject": "Re: [VOTE] Release 2.0",
                "to": [{"email": "dev@lists.example", "type": "group", "member_count": 200}],
                "body": {"content": "+1"},
            },
        ),
        clean(
            "allow_kinds lets congratulations through",
            {
                "compose_type": "reply_all",
                "to": [{"email": "all@corp.example", "type": "group", "member_count": 30}],
                "body": {"content": "Congratulations!"},
            },
            options={"allow_kinds": ["social"]},
        ),
    )
