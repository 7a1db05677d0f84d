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
from functools import lru_cache

from marshmallow import fields, validate

from ..context import LintContext
from ..model import ComposeType, Finding, RecipientType, Severity, Span
from ..phrases import LANGUAGES, load_lexicon
from ..registry import Options, Rule, clean, trips
from ..text import NEW_KINDS
from .missing_attachment import MAX_CHARS, TRIGGER, TriggerMatcher

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
    extra_phrases = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGES)),
        values=fields.List(fields.String(validate=validate.Length(min=1, max=200))),
        metadata={
            "description": "More phrases that ask to be taken off a list, per language: "
            "{en: [drop me from the dl]}."
        },
    )


@lru_cache(maxsize=64)
def _matcher(extra: tuple[str, ...]) -> TriggerMatcher:
    """One matcher per distinct set of extra phrases, built once (not on every lint)."""
    lexicon = dict(load_lexicon(UnsubscribeReplyAll.id))
    if extra:
        lexicon[TRIGGER] = lexicon.get(TRIGGER, ()) + extra
    return TriggerMatcher(lexicon)


def _extra(options: Mapping) -> tuple[str, ...]:
    return tuple(sorted({p for ps in options.get("extra_phrases", {}).values() for p in ps}))


class UnsubscribeReplyAll(Rule):
    id = "unsubscribe-reply-all"
    summary = "Asks to be removed from a list, and sends that to the list instead of its owner."
    default_severity = Severity.WARNING
    options = UnsubscribeReplyAllOptions
    defaults = {"min_audience": 3, "extra_phrases": {}}
    docs = "docs/rules/unsubscribe-reply-all.md"

    def check(self, ctx: LintContext, options: Mapping):
        groups = [r for r in ctx.audience_recipients if r.type is RecipientType.GROUP]
        if ctx.audience < options["min_audience"] and not groups:
            return
        seg = ctx.segmentation
        matcher = _matcher(_extra(options))
        budget = MAX_CHARS
        for block in seg.of(*NEW_KINDS):
            hit = matcher.find(seg.text[block.start : block.end], limit=budget)
            if hit is not None:
                start, end = block.start + hit.start, block.start + hit.end
                yield self._finding(ctx, groups, seg.text[start:end], Span(start, end), hit.phrase)
                return
            budget -= block.end - block.start
            if budget <= 0:
                return

    def _finding(self, ctx: LintContext, groups, matched: str, span: Span, phrase: str):
        excerpt = " ".join(matched.split())[:MAX_EXCERPT]
        sender = ctx.original_sender
        group_keys = {g.key for g in groups}
        fix = None
        is_reply = ctx.draft.compose_type in (ComposeType.REPLY, ComposeType.REPLY_ALL)
        if is_reply and sender is not None and sender.key not in group_keys:
            fix = ctx.reply_to_sender_only()  # not when the "sender" is the list itself
        where = ""
        if groups:
            names = ", ".join(g.name or g.email for g in groups[:2])
            where = f", including {names}" if len(groups) <= 2 else f", including {names} and more"
        if fix is not None:
            who = sender.name or sender.email
            advice = f"Ask {who} alone, or use the list's unsubscribe link."
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
            span=span,
            fixes=(fix,) if fix else (),
            data={"audience": ctx.audience, "phrase": phrase, "groups": len(groups)},
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
