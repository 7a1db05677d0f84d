"""bare-forward: a forward whose new text is empty or only "FYI" / "see below".

A bare forward hands the reader a whole thread and leaves them to guess why they got it: read it,
act on it, decide something, or nothing at all? The rule fires on a forward whose new text says
nothing of its own — empty, or only "FYI", "see below", "for your information", "zur Info",
"pour info", "para tu información", "para conhecimento", "per conoscenza", "ter info", with
greetings, thanks, names and emoji around it. One line on why it is forwarded or what to do with it
("FYI: this is the vendor I mentioned. Could you estimate the QA effort by Friday?") is a note, and
the rule stays quiet.
"""

from __future__ import annotations

from collections.abc import Mapping

from marshmallow import fields, validate

from ..context import LintContext
from ..model import ComposeType, Finding, Severity, Span
from ..phrases import EMOJI, extra_phrases, extra_phrases_field, matcher_for, tokenise
from ..registry import Options, Rule, clean, trips
from ..text import Kind

MAX_NAME_TOKENS = 8  # a note of names only ("Sanne,") is short
TO = [{"email": "a@corp.example"}]  # for the examples


class BareForwardOptions(Options):
    min_audience = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=1_000_000),
        metadata={"description": "Fire only when the forward reaches at least this many people."},
    )
    extra_phrases = extra_phrases_field("More notes that say nothing, per language: {en: [fyr]}.")


def _only_names(text: str, names) -> bool:
    """A note made only of names and emoji ("Sanne,", "@Tom 👇"): it says nothing either."""
    tokens = tokenise(text, limit=MAX_NAME_TOKENS + 1)
    if not tokens or len(tokens) > MAX_NAME_TOKENS:
        return False
    if any(t.kind not in ("word", EMOJI) for t in tokens):
        return False
    words = {t.text for t in tokens if t.kind == "word"}
    return not words or words <= names()


class BareForward(Rule):
    id = "bare-forward"
    summary = "A forward whose new text is empty or only 'FYI' / 'see below'."
    default_severity = Severity.HINT
    options = BareForwardOptions
    defaults = {"min_audience": 1, "extra_phrases": {}}
    docs = "docs/rules/bare-forward.md"

    def check(self, ctx: LintContext, options: Mapping):
        draft = ctx.draft
        if draft.compose_type is not ComposeType.FORWARD:
            return
        if ctx.audience < options["min_audience"]:
            return
        seg = ctx.segmentation
        if not seg.blocks and not seg.has_quote:
            return  # no body at all: the client did not send it (e.g. Gmail metadata scope)
        blocks = seg.of(Kind.BODY)
        text = seg.body_text
        if blocks:
            matcher = matcher_for(self.id, "fyi", extra_phrases(options), questions=True)
            match = matcher.match(text, lambda: ctx.names)
            if match is None and not _only_names(text, lambda: ctx.names):
                return
            kinds = sorted(match.kinds) if match else []
            phrases = list(match.phrases) if match else []
            start, end = blocks[0].start, blocks[-1].end
            excerpt = seg.excerpt(start, end)
            stop = "" if excerpt.endswith((".", "!", "?", "…")) else "."
            message = f'This forward only says "{excerpt}"{stop}'
            span = Span(start, end)
        else:
            kinds, phrases, excerpt, span = [], [], None, None
            message = "This forward has no note of your own."
        yield Finding(
            rule=self.id,
            severity=self.default_severity,
            message=message,
            explanation=(
                "Add a line on why you are forwarding it and what the reader should do with it "
                "(read, decide, act, and by when); otherwise each reader has to work that out "
                "from the whole thread."
            ),
            excerpt=excerpt,
            span=span,
            data={"audience": ctx.audience, "kinds": kinds, "phrases": phrases},
        )

    examples = (
        trips(
            "FYI above an Outlook forward",
            {
                "compose_type": "forward",
                "from": {"email": "nina@corp.example", "name": "Nina Hoffmann"},
                "to": [{"email": "sanne.visser@corp.example", "name": "Sanne Visser"}],
                "body": {
                    "content": "Sanne,\n\nFYI\n\n-----Original Message-----\nFrom: Tom Baker\n"
                    "Subject: Offsite\n\nWe meet on Monday at 10.\n"
                },
            },
        ),
        trips(
            "an empty Gmail forward",
            {
                "compose_type": "forward",
                "client": "gmail",
                "to": [{"email": "a@corp.example"}],
                "body": {
                    "type": "html",
                    "content": '<div dir="ltr"><br><div class="gmail_quote">'
                    '<div class="gmail_attr">---------- Forwarded message ---------<br>'
                    "From: Tom &lt;tom@corp.example&gt;<br>Subject: Offsite<br></div>"
                    "<div>We meet on Monday at 10.</div></div></div>",
                },
            },
        ),
        trips(
            "please see below",
            {
                "compose_type": "forward",
                "to": [{"email": "a@corp.example"}],
                "body": {
                    "content": "Please see below.\n\n---------- Forwarded message ---------\n"
                    "From: Tom <tom@corp.example>\nSubject: Offsite\n\nWe meet on Monday.\n"
                },
            },
        ),
        trips(
            "German: zur Info",
            {"compose_type": "forward", "to": TO, "body": {"content": "Zur Info"}},
        ),
        trips(
            "French: pour info",
            {"compose_type": "forward", "to": TO, "body": {"content": "Pour info."}},
        ),
        trips(
            "Spanish: para tu información",
            {"compose_type": "forward", "to": TO, "body": {"content": "Para tu información."}},
        ),
        trips(
            "Portuguese: para conhecimento",
            {"compose_type": "forward", "to": TO, "body": {"content": "Para conhecimento."}},
        ),
        trips(
            "Italian: per conoscenza",
            {"compose_type": "forward", "to": TO, "body": {"content": "Per conoscenza"}},
        ),
        trips(
            "Dutch: ter info",
            {"compose_type": "forward", "to": TO, "body": {"content": "Ter info"}},
        ),
        clean(
            "says why and what to do",
            {
                "compose_type": "forward",
                "body": {
                    "content": "FYI: this is the project I mentioned. Could you estimate the QA "
                    "effort by Friday?"
                },
            },
        ),
        clean(
            "a reply saying FYI is not a forward",
            {"compose_type": "reply", "body": {"content": "FYI"}},
        ),
        clean(
            "min_audience leaves a forward to one person alone",
            {
                "compose_type": "forward",
                "to": [{"email": "a@corp.example"}],
                "body": {"content": "FYI"},
            },
            options={"min_audience": 2},
        ),
    )
