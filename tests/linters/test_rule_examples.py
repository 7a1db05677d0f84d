"""Every rule's own trip/clean examples, run as tests (LanguageTool keeps its examples this way)."""

import pytest

from linters import Policy, lint
from linters.registry import default_registry

CASES = [
    pytest.param(rule, example, id=f"{rule.id}: {example.note}")
    for rule in default_registry()
    for example in rule.examples
]


def test_every_rule_has_examples_both_ways():
    for rule in default_registry():
        assert any(e.trips for e in rule.examples), rule.id
        assert any(not e.trips for e in rule.examples), rule.id


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_example(rule, example):
    document = {"rules": {rule.id: dict(example.options or {})}}
    if rule.preview:
        document["rules"][rule.id].setdefault("severity", rule.default_severity.value)
    report = lint(example.draft, Policy.build(document))
    fired = [f for f in report.findings if f.rule == rule.id]
    assert bool(fired) is example.trips, [f.message for f in report.findings]
    for finding in fired:
        assert finding.message
