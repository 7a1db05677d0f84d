"""A third-party rule as a plugin author would write it (the README's example)."""

from marshmallow import fields

from linters.model import Finding, Severity
from linters.registry import Options, Rule, clean, trips


class NoShoutingOptions(Options):
    min_letters = fields.Integer(strict=True)


class NoShouting(Rule):
    id = "no-shouting"
    summary = "The new text is written in capitals."
    default_severity = Severity.HINT
    options = NoShoutingOptions
    defaults = {"min_letters": 12}
    docs = "https://example.org/no-shouting"
    examples = (
        trips("all caps", {"body": {"content": "PLEASE READ THIS NOW"}}),
        clean("normal case", {"body": {"content": "Please read this."}}),
    )

    def check(self, ctx, options):
        text = ctx.segmentation.body_text
        letters = [c for c in text if c.isalpha()]
        if len(letters) >= options["min_letters"] and all(c.isupper() for c in letters):
            yield Finding(rule=self.id, severity=self.default_severity, message="Less shouting.")


class NotARule:
    """Declared under the entry-point group by mistake: must be reported, not crash the rest."""
