"""Fixtures shared by the adapter tests (tests/cli, tests/server).

The adapters run against a registry holding one small, predictable rule instead of the built-in
rules, which are tested in tests/linters and change as they are tuned. pytest imports test files
and conftests with `--import-mode=importlib` (pyproject.toml), so this file does not put tests/ on
sys.path, where tests/linters and tests/server would shadow the real packages.
"""

from collections.abc import Mapping

import pytest
from marshmallow import fields

from linters import Finding, Severity, Span
from linters.registry import Options, PluginError, Registry, Rule

BROKEN_PLUGIN = PluginError(
    "broken = broken_pkg:Rule", "failed to import: ModuleNotFoundError: No module named 'x'"
)


class WordOptions(Options):
    word = fields.String(metadata={"description": "The word that trips the rule."})


class SaysWord(Rule):
    """Warns when the new text contains `word` ("OK" unless configured)."""

    id = "test-says-word"
    summary = "The new text contains the configured word."
    default_severity = Severity.WARNING
    options = WordOptions
    defaults: Mapping = {"word": "OK"}
    docs = "docs/rules/test-says-word.md"

    def check(self, ctx, options):
        text = ctx.segmentation.new_text
        start = text.find(options["word"])
        if start >= 0:
            end = start + len(options["word"])
            yield Finding(
                rule=self.id,
                severity=self.default_severity,
                message=f"Says {options['word']!r}.",
                explanation="Say something more.",
                excerpt=text[start:end],
                span=Span(start, end),
            )


@pytest.fixture
def registry() -> Registry:
    """The test registry: `SaysWord`, and one plugin that failed to load."""
    return Registry({SaysWord.id: SaysWord()}, errors=(BROKEN_PLUGIN,))
