"""bcc-reply-all: only Bcc'd on the original, replying to more than its sender."""

import pytest
from marshmallow import ValidationError

from linters import Policy, lint
from linters.context import LintContext
from linters.schema import load_draft

ORIGINAL = {
    "from": {"email": "paul@corp.example", "name": "Paul"},
    "to": [{"email": "tom@corp.example", "name": "Tom"}],
    "cc": [{"email": "nina@corp.example"}],
    "bcc": [{"email": "eva@corp.example"}],
}


def draft(**fields) -> dict:
    return {
        "compose_type": "reply_all",
        "from": {"email": "eva@corp.example"},
        "to": [{"email": "paul@corp.example", "name": "Paul"}],
        "cc": [{"email": "tom@corp.example", "name": "Tom"}, {"email": "nina@corp.example"}],
        "body": {"content": "Thanks, noted."},
        "in_reply_to": ORIGINAL,
    } | fields


def fired(d: dict, document: dict | None = None):
    report = lint(d, Policy.build(document) if document else None)
    return [f for f in report.findings if f.rule == "bcc-reply-all"]


def test_fires_with_a_message_that_says_why_and_the_fix():
    (finding,) = fired(draft())
    assert (
        finding.message
        == "You were only Bcc'd on Paul's message, and this reply goes to 2 more people."
    )
    assert "don't know you received it" in finding.explanation
    assert "Tom" in finding.explanation
    (fix,) = finding.fixes
    assert fix.id == "reply-to-sender-only"
    assert fix.set == {"to": [{"email": "paul@corp.example", "name": "Paul"}], "cc": [], "bcc": []}
    assert finding.data == {"audience": 3, "others": 2, "original_recipients_told": 2}


def test_reply_to_the_sender_only_is_fine():
    assert not fired(draft(cc=[]))


def test_also_on_to_or_cc_is_not_only_bcc():
    original = ORIGINAL | {"cc": [{"email": "nina@corp.example"}, {"email": "eva@corp.example"}]}
    assert not fired(draft(in_reply_to=original))


def test_without_the_original_nothing_is_known():
    assert not fired(draft(in_reply_to=None))


def test_forward_is_not_a_reply():
    assert not fired(draft(compose_type="forward"))


def test_author_was_only_bcc_ignores_case():
    d = draft(**{"from": {"email": "EVA@corp.example"}})
    assert LintContext(load_draft(d)).author_was_only_bcc


def test_min_others_option():
    assert not fired(draft(), {"rules": {"bcc-reply-all": {"min_others": 3}}})
    with pytest.raises(ValidationError) as error:
        Policy.build({"rules": {"bcc-reply-all": {"min_others": "two"}}})
    assert "min_others" in error.value.messages["rules"]["bcc-reply-all"]
