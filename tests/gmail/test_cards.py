"""Every card the Gmail add-on can answer with parses into Google's Card protobuf and stays within
the documented limits; the response envelopes have the add-on response shape."""

import json
from types import MappingProxyType

import pytest

from linters import Finding, Fix, Policy, Report, Severity, lint
from linters.model import PolicyRef
from linters.policy import RuleSettings
from linters.registry import Registry, default_registry
from server.gmail.cards import (
    ELLIPSIS,
    MAX_EXCERPT,
    MAX_MESSAGE,
    MAX_WIDGETS,
    CheckContext,
    compose_card,
    fix_response,
    homepage_card,
    push_response,
    trigger_response,
    truncate,
    update_response,
    why_card,
)

BASE = "https://lint.corp.example"
FULL = CheckContext(BASE, mode="full", body_checked=True)
METADATA = CheckContext(BASE, mode="metadata", body_checked=False)


def _trip_reports():
    for rule in default_registry():
        for number, example in enumerate(e for e in rule.examples if e.trips):
            document = {"rules": {rule.id: dict(example.options or {})}}
            if rule.preview:
                document["rules"][rule.id].setdefault("severity", rule.default_severity.value)
            report = lint(example.draft, Policy.build(document))
            yield pytest.param(rule.id, report, id=f"{rule.id}-{number}")


TRIP_REPORTS = list(_trip_reports())


def _buttons(card: dict) -> list[dict]:
    return [
        button
        for section in card["sections"]
        for widget in section["widgets"]
        for button in widget.get("buttonList", {}).get("buttons", [])
    ]


def _parameters(button: dict) -> dict:
    action = button["onClick"]["action"]
    return {p["key"]: p["value"] for p in action.get("parameters", [])}


def _report(*findings: Finding, audience: int = 3) -> Report:
    return Report(findings=findings, audience=audience, policy=PolicyRef(), elapsed_ms=0.1)


REPLY_TO_PETER = Fix(
    id="reply-to-sender-only",
    title="Reply to Peter only",
    set={"to": [{"email": "peter@corp.example", "name": "Peter"}], "cc": [], "bcc": []},
)


# --- compose card ---------------------------------------------------------------------------


def test_every_rule_has_a_tripping_example():
    tripped = {rule_id for rule_id, _ in (p.values for p in TRIP_REPORTS)}
    assert tripped == {rule.id for rule in default_registry()}


@pytest.mark.parametrize(("rule_id", "report"), TRIP_REPORTS)
@pytest.mark.parametrize("context", [FULL, METADATA], ids=["full", "metadata"])
def test_findings_card_of_every_rule(rule_id, report, context, cards_check):
    card = cards_check.card_of(trigger_response(compose_card(report, context)), wrapped=False)
    parsed = cards_check.check_card(card)
    fired = [f for f in report.findings if f.rule == rule_id]
    assert fired
    headers = [section.header for section in parsed.sections]
    assert rule_id in headers
    for finding in report.findings:
        why = [b for b in _buttons(card) if _parameters(b) == {"rule": finding.rule}]
        assert why and why[0]["onClick"]["action"]["function"] == f"{BASE}/gmail/why"
        for fix in finding.fixes:
            if fix.id == "reply-to-sender-only":
                [button] = [
                    b
                    for b in _buttons(card)
                    if _parameters(b).get("fix") == fix.id
                    and _parameters(b)["rule"] == finding.rule
                ]
                assert button["onClick"]["action"]["function"] == f"{BASE}/gmail/fix"
                assert json.loads(_parameters(button)["set"]) == fix.set
    [recheck] = [b for b in _buttons(card) if b["text"] == "Re-check"]
    assert recheck["onClick"]["action"]["function"] == f"{BASE}/gmail/compose"


def test_reply_to_sender_only_offered_by_content_free_reply_all(cards_check):
    reports = [p.values[1] for p in TRIP_REPORTS if p.values[0] == "content-free-reply-all"]
    fixes = [fix.id for r in reports for f in r.findings for fix in f.fixes]
    assert "reply-to-sender-only" in fixes


def test_clean_card(cards_check):
    card = compose_card(_report(), FULL)
    parsed = cards_check.check_card(card)
    assert "Nothing to fix" in parsed.header.subtitle
    assert "All clear" in json.dumps(card)
    assert [b["text"] for b in _buttons(card)] == ["Re-check"]
    assert "only the recipients" not in json.dumps(card)


def test_metadata_mode_note(cards_check):
    card = compose_card(_report(), METADATA)
    cards_check.check_card(card)
    first = card["sections"][0]["widgets"][0]["textParagraph"]["text"]
    assert "Only the recipients were checked" in first


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (CheckContext(BASE, "full", body_checked=False, failed={"gmail"}), "Gmail did not answer"),
        (CheckContext(BASE, "full", body_checked=False), "not saved yet"),
        (CheckContext(BASE, "full", body_checked=True, failed={"directory"}), "Group sizes"),
        (CheckContext(BASE, "metadata", failed={"directory"}), "Group sizes"),
    ],
)
def test_degraded_notes(context, expected, cards_check):
    for report in (_report(), TRIP_REPORTS[0].values[1]):
        card = compose_card(report, context)
        cards_check.check_card(card)
        assert expected in json.dumps(card, ensure_ascii=False)


def test_many_long_findings_stay_within_limits(cards_check):
    long = "word " * 2000
    findings = [
        Finding(
            rule=f"rule-{n:03d}",
            severity=[Severity.HINT, Severity.WARNING, Severity.BLOCK][n % 3],
            message=long,
            explanation=long,
            excerpt=long,
            fixes=(REPLY_TO_PETER,),
        )
        for n in range(250)
    ]
    context = CheckContext(BASE, "full", body_checked=False, failed={"gmail", "directory"})
    card = compose_card(_report(*findings, audience=412), context)
    parsed = cards_check.check_card(card)
    widgets = sum(len(s.widgets) for s in parsed.sections)
    assert widgets <= MAX_WIDGETS
    dumped = json.dumps(card, ensure_ascii=False)
    assert "more findings not shown." in dumped
    assert ELLIPSIS in dumped
    # Loudest first: the first finding shown is a block.
    first = next(s for s in card["sections"] if s.get("header", "").startswith("rule-"))
    assert first["widgets"][0]["decoratedText"]["topLabel"].startswith("Block")
    for section in card["sections"]:
        for widget in section["widgets"]:
            text = widget.get("decoratedText", {}).get("text", "")
            assert len(text) <= MAX_MESSAGE + 2  # + the quotes around an excerpt
    # Re-check is still there, last.
    assert card["sections"][-1]["widgets"][0]["buttonList"]["buttons"][0]["text"] == "Re-check"


def test_draft_text_is_escaped(cards_check):
    finding = Finding(
        rule="vague-confusion",
        severity=Severity.WARNING,
        message='Says <a href="https://evil.example">click</a>',
        excerpt="<b>bold</b> & <font color='red'>red</font>",
    )
    card = compose_card(_report(finding), FULL)
    cards_check.check_card(card)
    dumped = json.dumps(card)
    assert "<a " not in dumped and "<b>" not in dumped and "<font" not in dumped
    assert "&lt;b&gt;bold&lt;/b&gt; &amp;" in dumped


def test_fix_for_other_fields_gets_no_button(cards_check):
    finding = Finding(
        rule="x-rule",
        severity=Severity.HINT,
        message="m",
        fixes=(Fix(id="set-subject", title="Fix subject", set={"subject": "Hi"}),),
    )
    card = compose_card(_report(finding), FULL)
    cards_check.check_card(card)
    assert [b["text"] for b in _buttons(card)] == ["Why?", "Re-check"]


# --- envelopes and the fix response ---------------------------------------------------------


def test_update_and_push_envelopes(cards_check):
    card = compose_card(_report(), FULL)
    assert cards_check.card_of(update_response(card), wrapped=True, navigation="updateCard") == card
    assert cards_check.card_of(push_response(card), wrapped=True) == card


def test_fix_response_replaces_recipients():
    response = fix_response(REPLY_TO_PETER)
    assert set(response) == {"renderActions"}
    assert set(response["renderActions"]) == {"hostAppAction"}
    assert set(response["renderActions"]["hostAppAction"]) == {"gmailAction"}
    gmail = response["renderActions"]["hostAppAction"]["gmailAction"]
    assert set(gmail) == {"updateDraftActionMarkup"}
    assert gmail["updateDraftActionMarkup"] == {
        "updateToRecipients": {"toRecipients": [{"email": "peter@corp.example"}]},
        "updateCcRecipients": {"ccRecipients": []},
        "updateBccRecipients": {"bccRecipients": []},
    }


def test_fix_response_of_every_reply_to_sender_only_fix():
    fixes = [
        fix
        for p in TRIP_REPORTS
        for finding in p.values[1].findings
        for fix in finding.fixes
        if fix.id == "reply-to-sender-only"
    ]
    assert fixes
    for fix in fixes:
        markup = fix_response(fix)["renderActions"]["hostAppAction"]["gmailAction"][
            "updateDraftActionMarkup"
        ]
        assert [r["email"] for r in markup["updateToRecipients"]["toRecipients"]] == [
            r["email"] for r in fix.set["to"]
        ]


def test_fix_response_refuses_other_fields():
    with pytest.raises(ValueError, match="only to, cc and bcc"):
        fix_response(Fix(id="set-subject", title="t", set={"subject": "Hi"}))


# --- homepage and Why? ----------------------------------------------------------------------


@pytest.mark.parametrize("context", [FULL, METADATA], ids=["full", "metadata"])
def test_homepage_card(context, cards_check):
    policy = Policy.build(
        {"rules": {"missing-attachment": {"severity": "off"}}}, org="corp.example", version=12
    )
    card = cards_check.card_of(trigger_response(homepage_card(policy, context)), wrapped=False)
    cards_check.check_card(card)
    dumped = json.dumps(card, ensure_ascii=False)
    for rule in default_registry():
        assert rule.id in dumped
    assert "corp.example (policy version 12)" in dumped
    labels = {
        w["decoratedText"]["text"]: w["decoratedText"]["topLabel"]
        for w in card["sections"][-1]["widgets"]
    }
    assert labels["missing-attachment"] == "Off"
    assert labels["bcc-reply-all"] == "Block"
    assert ("sees only the recipients" in dumped) == (context.mode == "metadata")


def test_why_card(cards_check):
    rule = default_registry()["content-free-reply-all"]
    card = why_card(rule.id, rule.summary, "Only Peter needs this. " * 100, FULL)
    cards_check.check_card(cards_check.card_of(push_response(card), wrapped=True))
    link = card["sections"][0]["widgets"][-1]["buttonList"]["buttons"][0]["onClick"]["openLink"]
    assert link["url"] == f"{BASE}/docs/rules/content-free-reply-all"


# --- helpers --------------------------------------------------------------------------------


def test_truncate():
    assert truncate("short", 10) == "short"
    assert truncate("x" * 20, 10) == "x" * 9 + ELLIPSIS
    assert len(truncate("word " * 100, MAX_EXCERPT)) == MAX_EXCERPT


def test_context_rejects_unknowns():
    with pytest.raises(ValueError):
        CheckContext(BASE, mode="everything")
    with pytest.raises(ValueError):
        CheckContext(BASE, failed={"graph"})


def test_fix_too_big_for_a_parameter_gets_no_button(cards_check):
    crowd = [{"email": f"person{n}@corp.example"} for n in range(200)]
    finding = Finding(
        rule="x-rule",
        severity=Severity.WARNING,
        message="m",
        fixes=(Fix(id="trim", title="Trim", set={"to": crowd}), REPLY_TO_PETER),
    )
    card = compose_card(_report(finding), FULL)
    cards_check.check_card(card)
    assert [b["text"] for b in _buttons(card)] == ["Reply to Peter only", "Why?", "Re-check"]


def test_homepage_with_more_rules_than_widgets(cards_check):
    settings = RuleSettings(
        severity=Severity.HINT, options=MappingProxyType({}), exempt_subjects=()
    )
    policy = Policy(
        rules={f"plugin-rule-{n:03d}": settings for n in range(150)}, registry=Registry({})
    )
    card = homepage_card(policy, FULL)
    cards_check.check_card(card)
    assert "more rules not shown." in json.dumps(card)


def test_homepage_without_rules(cards_check):
    card = homepage_card(Policy(rules={}, registry=Registry({})), METADATA)
    cards_check.check_card(card)
    assert "No rules are installed." in json.dumps(card)
