"""unsubscribe-reply-all: "please remove me from this list", sent to the list.

Only the list's owner (or its unsubscribe link) can take someone off a list; everyone else on it
gets one more message — and, often, a chain of "me too" and "stop replying all". The rule fires
when the author's new text asks to be removed or unsubscribed, in any of the seven languages, and
the message reaches at least `min_audience` people or a group.

It looks for the request anywhere in the new text ("Please remove me from this list, I changed
teams" still fires), and skips the other senses by the words around it: a negation ("don't remove
me"), a condition ("if you want to be removed, tell me"), or someone else's request ("Paul asked to
be removed"). "Remove the item from this list" asks nothing for the author, so it never matches.
"""

from __future__ import annotations

from collections.abc import Mapping

from marshmallow import fields, validate

from ..context import LintContext
from ..model import Finding, Severity, Span
from ..phrases import extra_phrases, extra_phrases_field, matcher_for
from ..registry import Options, Rule, clean, trips
from ..triggers import TRIGGER, Hit, TriggerMatcher

MAX_EXCERPT = 120


class UnsubscribeReplyAllOptions(Options):
    min_audience = fields.Integer(
        strict=True,
        validate=validate.Range(min=2, max=1_000_000),
        metadata={
            "description": "Fire when the message reaches at least this many people (any group "
            "recipient counts too)."
        },
    )
    extra_phrases = extra_phrases_field(
        "More phrases that ask to be taken off a list, per language: {en: [drop me from the dl]}.",
        max_per_language=None,
    )


class UnsubscribeReplyAll(Rule):
    id = "unsubscribe-reply-all"
    summary = "Asks to be removed from a list, and sends that to the list instead of its owner."
    default_severity = Severity.WARNING
    options = UnsubscribeReplyAllOptions
    defaults = {"min_audience": 3, "extra_phrases": {}}
    docs = "docs/rules/unsubscribe-reply-all.md"

    def check(self, ctx: LintContext, options: Mapping):
        groups = ctx.audience_groups
        if ctx.audience < options["min_audience"] and not groups:
            return
        matcher = matcher_for(self.id, TRIGGER, extra_phrases(options), factory=TriggerMatcher)
        hit = matcher.find_in_new_text(ctx.segmentation)
        if hit is not None:
            yield self._finding(ctx, groups, hit)

    def _finding(self, ctx: LintContext, groups, hit: Hit) -> Finding:
        excerpt = ctx.segmentation.excerpt(hit.start, hit.end, MAX_EXCERPT, ellipsis="")
        sender = ctx.original_sender
        group_keys = {g.key for g in groups}
        fix = None
        is_reply = ctx.is_reply
        if is_reply and sender is not None and sender.key not in group_keys:
            fix = ctx.reply_to_sender_only()  # not when the "sender" is the list itself
        where = ""
        if groups:
            names = ", ".join(g.name or g.email for g in groups[:2])
            where = f", including {names}" if len(groups) <= 2 else f", including {names} and more"
        if fix is not None:
            advice = f"Ask {ctx.original_sender_name} alone, or use the list's unsubscribe link."
        else:
            advice = "Ask the list's owner directly, or use its unsubscribe link."
        return Finding(
            rule=self.id,
            severity=self.default_severity,
            message=(
                f'You ask to be taken off a list ("{excerpt}"), but this goes to '
                f"{ctx.audience} people{where}."
            ),
            explanation=(
                "Only the list's owner can remove you; everyone else gets one more message, and "
                f"often a chain of replies. {advice}"
            ),
            excerpt=excerpt,
            span=Span(hit.start, hit.end),
            fixes=(fix,) if fix else (),
            data={"audience": ctx.audience, "phrase": hit.phrase, "groups": len(groups)},
        )

    examples = (
        trips(
            "English, reply-all to a crowd, with a reason after the request",
            {
                "compose_type": "reply_all",
                "from": {"email": "nina@corp.example"},
                "to": [{"email": "claire@corp.example", "name": "Claire"}],
                "cc": [{"email": f"user{i}@corp.example"} for i in range(10)],
                "body": {"content": "Please remove me from this list, I changed teams.\n\nNina"},
                "in_reply_to": {"from": {"email": "claire@corp.example", "name": "Claire"}},
            },
        ),
        trips(
            "'unsubscribe' alone, to a mailing list",
            {
                "compose_type": "reply",
                "to": [{"email": "dev@lists.example", "type": "group", "member_count": 100}],
                "body": {"content": "unsubscribe"},
            },
        ),
        trips(
            "German, to a group",
            {
                "compose_type": "reply_all",
                "to": [{"email": "ana@corp.example"}],
                "cc": [{"email": "verteiler@corp.example", "type": "group", "member_count": 80}],
                "body": {"content": "Bitte aus dem Verteiler nehmen.\n\nLG Tom"},
            },
        ),
        trips(
            "French",
            {
                "compose_type": "reply_all",
                "to": [{"email": f"u{i}@corp.example"} for i in range(5)],
                "body": {"content": "Bonjour,\n\nMerci de me retirer de la liste.\n\nPaul"},
            },
        ),
        trips(
            "Spanish",
            {
                "compose_type": "reply_all",
                "to": [{"email": f"u{i}@corp.example"} for i in range(5)],
                "body": {"content": "Por favor, darme de baja de esta lista."},
            },
        ),
        trips(
            "Italian",
            {
                "compose_type": "reply_all",
                "to": [{"email": f"u{i}@corp.example"} for i in range(5)],
                "body": {"content": "Cancellatemi dalla lista, grazie."},
            },
        ),
        clean(
            "to the list's owner only",
            {
                "compose_type": "reply",
                "to": [{"email": "owner@corp.example"}],
                "body": {"content": "Please remove me from this list."},
                "in_reply_to": {"from": {"email": "owner@corp.example"}},
            },
        ),
        clean(
            "a negation",
            {
                "compose_type": "reply_all",
                "to": [{"email": f"u{i}@corp.example"} for i in range(5)],
                "body": {"content": "Please don't remove me from this list, I still need it."},
            },
        ),
        clean(
            "another sense: removing an item",
            {
                "compose_type": "reply_all",
                "to": [{"email": f"u{i}@corp.example"} for i in range(5)],
                "body": {"content": "Please remove the item from this list before Friday."},
            },
        ),
        clean(
            "Portuguese condition: telling others how to leave",
            {
                "compose_type": "reply_all",
                "to": [{"email": f"u{i}@corp.example"} for i in range(5)],
                "body": {"content": "Se quiserem sair da lista, falem comigo."},
            },
        ),
    )
