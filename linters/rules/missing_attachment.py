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

The matching is `linters.triggers`' trigger-plus-context technique.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..context import LintContext
from ..model import Finding, Severity, Span
from ..phrases import extra_phrases, extra_phrases_field, matcher_for
from ..registry import Options, Rule, clean, trips
from ..triggers import TRIGGER, Hit, TriggerMatcher

MAX_EXCERPT = 120


class MissingAttachmentOptions(Options):
    extra_phrases = extra_phrases_field(
        "More phrases that say something is attached, per language: {en: [herewith the file]}.",
        max_per_language=None,
    )


class MissingAttachment(Rule):
    id = "missing-attachment"
    summary = "The new text says something is attached, and nothing is."
    default_severity = Severity.WARNING
    options = MissingAttachmentOptions
    defaults = {"extra_phrases": {}}
    docs = "docs/rules/missing-attachment.md"

    def check(self, ctx: LintContext, options: Mapping):
        if ctx.has_attachment:
            return
        matcher = matcher_for(self.id, TRIGGER, extra_phrases(options), factory=TriggerMatcher)
        hit = matcher.find_in_new_text(ctx.segmentation)
        if hit is not None:
            yield self._finding(ctx, hit)

    def _finding(self, ctx: LintContext, hit: Hit) -> Finding:
        excerpt = ctx.segmentation.excerpt(hit.start, hit.end, MAX_EXCERPT, ellipsis="")
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
            span=Span(hit.start, hit.end),
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
