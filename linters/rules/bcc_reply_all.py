"""bcc-reply-all: replying to everyone on a message you only got as a blind copy.

A Bcc is a private copy: the sender chose not to show the other recipients that the author got it.
Replying to all of them reveals exactly that — often awkwardly ("why is HR on this?") — and it is
the one reply-all a sender cannot take back. The rule fires on a reply whose author was only on the
original's Bcc line (not its To or Cc) and which reaches anyone besides the original sender.
"""

from __future__ import annotations

from collections.abc import Mapping

from marshmallow import fields, validate

from ..context import LintContext
from ..model import Finding, Severity
from ..registry import Options, Rule, clean, trips

MAX_NAMED = 3


class BccReplyAllOptions(Options):
    min_others = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=1_000_000),
        metadata={
            "description": "Fire when the reply reaches at least this many people besides the "
            "original sender."
        },
    )


class BccReplyAll(Rule):
    id = "bcc-reply-all"
    summary = "A reply to others on a message the author only received as a Bcc."
    default_severity = Severity.BLOCK
    options = BccReplyAllOptions
    defaults = {"min_others": 1}
    docs = "docs/rules/bcc-reply-all.md"

    def check(self, ctx: LintContext, options: Mapping):
        draft = ctx.draft
        if not ctx.is_reply:
            return
        if not ctx.author_was_only_bcc:
            return
        sender = ctx.original_sender
        sender_key = sender.key if sender else None
        others = [r for r in ctx.audience_recipients if r.key != sender_key]
        reached = sum(ctx.size_of(r) for r in others)
        if not others or reached < options["min_others"]:
            return
        original = draft.in_reply_to
        on_original = {r.key for r in original.to + original.cc} if original else set()
        told = [r for r in others if r.key in on_original]
        who = ctx.original_sender_name
        names = ", ".join(r.name or r.email for r in (told or others)[:MAX_NAMED])
        more = len(told or others) - MAX_NAMED
        if more > 0:
            names += f" and {more} more"
        fix = ctx.reply_to_sender_only()
        yield Finding(
            rule=self.id,
            severity=self.default_severity,
            message=(
                f"You were only Bcc'd on {who}'s message, and this reply goes to "
                f"{reached} more {'person' if reached == 1 else 'people'}."
            ),
            explanation=(
                f"{who} sent you a blind copy: the others don't know you received it. Replying to "
                f"them ({names}) tells them, and can't be undone. Reply to {who} only."
            ),
            fixes=(fix,) if fix else (),
            data={
                "audience": ctx.audience,
                "others": reached,
                "original_recipients_told": len(told),
            },
        )

    examples = (
        trips(
            "Bcc'd, replying to all",
            {
                "compose_type": "reply_all",
                "from": {"email": "eva@corp.example"},
                "to": [{"email": "paul@corp.example", "name": "Paul"}],
                "cc": [{"email": "tom@corp.example"}, {"email": "nina@corp.example"}],
                "body": {"content": "Thanks, noted."},
                "in_reply_to": {
                    "from": {"email": "paul@corp.example", "name": "Paul"},
                    "to": [{"email": "tom@corp.example"}],
                    "cc": [{"email": "nina@corp.example"}],
                    "bcc": [{"email": "eva@corp.example"}],
                },
            },
        ),
        trips(
            "Outlook's 'reply' widened to others still counts",
            {
                "client": "outlook",
                "compose_type": "reply",
                "from": {"email": "eva@corp.example"},
                "to": [{"email": "paul@corp.example"}, {"email": "tom@corp.example"}],
                "body": {"content": "I'll join on Monday."},
                "in_reply_to": {
                    "from": {"email": "paul@corp.example"},
                    "to": [{"email": "tom@corp.example"}],
                    "bcc": [{"email": "EVA@corp.example"}],
                },
            },
        ),
        clean(
            "Bcc'd, replying to the sender only",
            {
                "compose_type": "reply",
                "from": {"email": "eva@corp.example"},
                "to": [{"email": "paul@corp.example"}],
                "body": {"content": "Thanks, noted."},
                "in_reply_to": {
                    "from": {"email": "paul@corp.example"},
                    "to": [{"email": "tom@corp.example"}],
                    "bcc": [{"email": "eva@corp.example"}],
                },
            },
        ),
        clean(
            "on the To line of the original",
            {
                "compose_type": "reply_all",
                "from": {"email": "eva@corp.example"},
                "to": [{"email": "paul@corp.example"}],
                "cc": [{"email": "tom@corp.example"}],
                "body": {"content": "Thanks, noted."},
                "in_reply_to": {
                    "from": {"email": "paul@corp.example"},
                    "to": [{"email": "tom@corp.example"}, {"email": "eva@corp.example"}],
                },
            },
        ),
        clean(
            "a forward is not a reply",
            {
                "compose_type": "forward",
                "from": {"email": "eva@corp.example"},
                "to": [{"email": "boss@corp.example"}],
                "body": {"content": "FYI, see below."},
                "in_reply_to": {
                    "from": {"email": "paul@corp.example"},
                    "to": [{"email": "tom@corp.example"}],
                    "bcc": [{"email": "eva@corp.example"}],
                },
            },
        ),
    )
