"""content-free-reply-all: a reply to many people that only acknowledges, thanks or agrees.

"OK with me, Peter" to forty people costs forty readers a context switch and tells them nothing;
only the original sender needed it. The rule fires when a reply reaching at least `min_audience`
people has new text made only of acknowledgement, thanks, agreement, pile-on ("+1", "me too"),
social pleasantry or emoji. Any other word — a fact, a condition, a correction, a link, a question,
a request — makes the reply worth sending to all, however short.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from marshmallow import fields, validate

from ..context import LintContext
from ..model import Finding, Severity, Span
from ..phrases import EMOJI, LANGUAGES, PhraseMatcher, load_lexicon, name_tokens
from ..registry import Options, Rule, clean, trips
from ..text import Kind

KINDS = ("ack", "thanks", "agreement", "pile-on", "social", EMOJI)
MAX_EXCERPT = 200
MAX_NAMED = 200  # people whose names may stand in a reply ("OK with me, Peter")


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
    extra_phrases = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGES)),
        values=fields.List(fields.String(validate=validate.Length(min=1, max=200))),
        metadata={"description": "More content-free phrases per language: {en: [roger that]}."},
    )


@lru_cache(maxsize=64)
def _matcher(extra: tuple[str, ...]) -> PhraseMatcher:
    """One matcher per distinct set of extra phrases, built once (not on every lint)."""
    lexicon = dict(load_lexicon(ContentFreeReplyAll.id))
    if extra:
        lexicon["ack"] = lexicon.get("ack", ()) + extra
    return PhraseMatcher(lexicon)


def _kind_label(kinds: frozenset[str]) -> str:
    return "agreement" if "agreement" in kinds else sorted(kinds)[0]


class ContentFreeReplyAll(Rule):
    id = "content-free-reply-all"
    summary = "A reply to many people that only acknowledges, thanks or agrees."
    default_severity = Severity.WARNING
    options = ContentFreeReplyAllOptions
    defaults = {
        "min_audience": 3,
        "allow_kinds": [],
        "extra_phrases": {},
        "exempt_subjects": [r"\[VOTE\]"],  # on a vote thread "+1" is the content
    }
    docs = "docs/rules/content-free-reply-all.md"

    def check(self, ctx: LintContext, options: Mapping):
        draft = ctx.draft
        if not ctx.is_reply_all or ctx.audience < options["min_audience"]:
            return
        if any(not a.inline for a in draft.attachments):
            return  # the attachment is the content
        seg = ctx.segmentation
        blocks = seg.of(Kind.BODY)
        if not blocks:
            return
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
        if match is None or match.kinds <= set(options["allow_kinds"]):
            return
        start, end = blocks[0].start, blocks[-1].end
        excerpt = " ".join(seg.text[start:end].split())
        if len(excerpt) > MAX_EXCERPT:
            excerpt = excerpt[: MAX_EXCERPT - 1] + "…"
        sender = ctx.original_sender
        who = (sender.name or sender.email) if sender else "the sender"
        fix = ctx.reply_to_sender_only()
        yield Finding(
            rule=self.id,
            severity=self.default_severity,
            message=f'Your reply to all {ctx.audience} recipients only says "{excerpt}".',
            explanation=(
                f"Only {who} needs this. Reply to {who} alone, or add what the others need to know."
            ),
            excerpt=excerpt,
            span=Span(start, end),
            fixes=(fix,) if fix else (),
            data={
                "audience": ctx.audience,
                "kind": _kind_label(match.kinds),
                "kinds": sorted(match.kinds),
                "phrases": list(match.phrases),  # why it fired, for the playground and admins
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
