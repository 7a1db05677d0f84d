"""Rule discovery: built-ins by module, third-party rules through the entry-point group."""

import subprocess
import sys
from pathlib import Path

import pytest

from linters import Policy, lint
from linters.registry import discover

PLUGIN = Path(__file__).parents[1] / "plugins" / "draftlint_example_rule"


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory):
    """Install the example plugin with pip, as a user would, into a directory on sys.path."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(PLUGIN),
        ],
        check=True,
    )
    sys.path.insert(0, str(target))
    yield target
    sys.path.remove(str(target))
    for name in [m for m in sys.modules if m.startswith("draftlint_example_rule")]:
        del sys.modules[name]


def test_builtin_rules_are_found_without_a_central_list():
    registry = discover()
    assert "content-free-reply-all" in registry
    assert registry.errors == ()


def test_third_party_rule_is_discovered_configured_and_run(installed_plugin):
    registry = discover()
    assert "no-shouting" in registry
    shouting = {"body": {"content": "PLEASE READ THIS NOW"}}

    default = Policy.build(None, registry=registry)
    assert [f.rule for f in lint(shouting, default).findings] == ["no-shouting"]

    stricter = Policy.build({"rules": {"no-shouting": {"min_letters": 50}}}, registry=registry)
    assert lint(shouting, stricter).findings == ()

    with pytest.raises(Exception, match="min_letters"):
        Policy.build({"rules": {"no-shouting": {"min_letters": "x"}}}, registry=registry)


def test_broken_plugins_are_reported_and_skipped(installed_plugin):
    registry = discover()
    errors = {e.source.split(" =")[0]: e.error for e in registry.errors}
    assert "failed to import" in errors["broken-import"]
    assert "not a draftlint.linters Rule subclass" in errors["not-a-rule"]
    assert "content-free-reply-all" in registry and "no-shouting" in registry


def test_a_rule_that_raises_is_skipped_and_named_while_the_others_run():
    from linters.model import Severity
    from linters.registry import Registry, Rule

    class Explodes(Rule):
        id = "test-explodes"
        summary = "Always raises."
        default_severity = Severity.WARNING

        def check(self, ctx, options):
            raise RuntimeError("secret draft words")
            yield  # a generator, like every rule

    builtins = discover()
    registry = Registry({**builtins.rules, Explodes.id: Explodes()})
    draft = {
        "compose_type": "reply_all",
        "to": [{"email": "a@x.example"}, {"email": "b@x.example"}, {"email": "c@x.example"}],
        "body": {"content": "Thanks all!"},
    }
    report = lint(draft, Policy.build(None, registry=registry))
    assert report.failed_rules == ("test-explodes",)
    assert [f.rule for f in report.findings] == ["content-free-reply-all"]
