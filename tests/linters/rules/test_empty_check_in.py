import pytest
from marshmallow import ValidationError

from linters import Policy, lint

RULE = "empty-check-in"


def fired(content, *, document=None, **draft):
    draft = {"compose_type": "reply_all", "body": {"content": content}} | draft
    report = lint(draft, Policy.build(document))
    return [f for f in report.findings if f.rule == RULE]


@pytest.mark.parametrize(
    "text",
    [
        "Any update?",
        "Just checking in.",
        "bump",
        "Following up.",
        "Hi, just wanted to follow up.",
        "Status?",
        "Any feedback?",
        "Sorry to chase, any update on this? Thanks in advance!",
        "Just checking in to see if you had a chance to look at it.",
        "Gentle reminder :)",
        "Gibt es schon Neuigkeiten?",
        "Gibt's schon was Neues?",
        "Des nouvelles ?",
        "Je me permets de vous relancer.",
        "¿Alguna novedad?",
        "Hago seguimiento a mi correo anterior.",
        "Alguma novidade?",
        "Novità?",
        "Faccio seguito alla mia mail precedente.",
        "Is er al nieuws?",
    ],
)
def test_fires_on_a_bare_chase(text):
    assert fired(text)


@pytest.mark.parametrize(
    "text",
    [
        "Any update on the Q3 budget? Finance needs it by Friday.",
        "Any update by Friday?",
        "Any update from legal?",
        "Checking in: did legal approve the scope document? The kickoff depends on it.",
        "Thanks for the update!",
        "Update: the vendor signed today.",
        "Reminder: the office closes at 5 today.",
        "I'll follow up with Tom.",
        "How's it going?",  # a greeting, not a chase
        "Let me know.",
        "Looking forward to your reply.",
        "Neuigkeiten zum Budget?",
        "¿Alguna novedad sobre el presupuesto?",
    ],
)
def test_quiet_when_the_chase_says_what(text):
    assert not fired(text)


def test_inline_chase_points_at_the_quote():
    assert not fired("> When will the Q3 budget be ready?\n\nAny update?\n")


def test_message_and_data():
    (finding,) = fired("Hi Kate,\n\nAny updates?\n\nRegards,\nClaire")
    assert finding.excerpt == "Any updates?"
    assert "what you need" in finding.message
    assert "Friday" in finding.explanation
    assert finding.data["kind"] == "chase"
    (finding,) = fired("bump")
    assert finding.data["kind"] == "nudge"


def test_extra_phrases_and_compose_types():
    assert not fired("Any tidings?")
    document = {"rules": {RULE: {"extra_phrases": {"en": ["any tidings"]}}}}
    assert fired("Any tidings?", document=document)
    assert not fired("Any update?", document={"rules": {RULE: {"compose_types": ["new"]}}})


def test_attachment_is_the_what():
    assert not fired("Any feedback?", attachments=[{"name": "plan.pdf"}])


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"compose_types": ["later"]}, "compose_types"),
        ({"extra_phrases": {"en": [1]}}, "extra_phrases"),
        ({"extra_phrases": {"en": ["x" * 201]}}, "extra_phrases"),
        ({"extra_phrases": {"klingon": ["x"]}}, "extra_phrases"),
        ({"threshold": 3}, "threshold"),
    ],
)
def test_bad_options_are_named(options, field):
    with pytest.raises(ValidationError) as err:
        Policy.build({"rules": {RULE: options}})
    assert field in err.value.messages["rules"][RULE]
