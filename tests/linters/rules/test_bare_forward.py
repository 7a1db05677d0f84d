import pytest
from marshmallow import ValidationError

from linters import Policy, lint

RULE = "bare-forward"
QUOTE = (
    "\n\n---------- Forwarded message ---------\nFrom: Tom Baker <tom.baker@corp.example>\n"
    "Date: Tue, Mar 4, 2025 at 9:12 AM\nSubject: Offsite\nTo: Team <team@corp.example>\n\n"
    "We meet on Monday at 10 to review the budget.\n"
)


def fired(content, *, document=None, **draft):
    draft = {
        "compose_type": "forward",
        "from": {"email": "peter@corp.example", "name": "Peter Smith"},
        "to": [{"email": "anna.berg@corp.example", "name": "Anna Berg"}],
        "body": {"content": content},
    } | draft
    report = lint(draft, Policy.build(document))
    return [f for f in report.findings if f.rule == RULE]


@pytest.mark.parametrize(
    "note",
    [
        "",
        "FYI",
        "Hi Anna,\n\nFYI.\n\nBest,\nPeter",
        "Anna,",
        "👇",
        "Please see below.",
        "FYI, see below.",
        "Forwarding for your information.",
        "Thought you'd be interested.",
        "Zur Kenntnisnahme.",
        "Je te transfère pour info.",
        "Te reenvío para tu información.",
        "Segue abaixo para conhecimento.",
        "Ti inoltro per conoscenza.",
        "Ter kennisname.",
    ],
)
def test_fires_on_a_forward_without_a_note(note):
    assert fired(note + QUOTE)


@pytest.mark.parametrize(
    "note",
    [
        "FYI: this is the project I mentioned. Could you estimate the QA effort by Friday?",
        "Forwarding so you know the go-live date; your release has to be out before it.",
        "Please review and sign by Friday.",
        "Can you handle this one?",
        "Zur Info: bitte bis Freitag freigeben.",
        "Pour info, la réunion est décalée à mardi.",
    ],
)
def test_quiet_when_the_forward_says_why(note):
    assert not fired(note + QUOTE)


def test_only_forwards():
    assert not fired("FYI" + QUOTE, compose_type="reply")
    assert not fired("FYI", compose_type="new")


def test_no_body_at_all_is_not_judged():
    # e.g. a Gmail add-on with metadata scope sends recipients only
    assert not fired("")


def test_messages():
    (finding,) = fired("Hi Anna,\n\nFYI!\n\nPeter" + QUOTE)
    assert finding.message == 'This forward only says "FYI!"'
    (finding,) = fired("FYI" + QUOTE)
    assert finding.message == 'This forward only says "FYI".'
    assert "why" in finding.explanation
    (finding,) = fired(QUOTE)
    assert finding.message == "This forward has no note of your own."
    assert finding.span is None


def test_min_audience_and_extra_phrases():
    assert not fired("FYI" + QUOTE, document={"rules": {RULE: {"min_audience": 2}}})
    assert not fired("FYR" + QUOTE)
    document = {"rules": {RULE: {"extra_phrases": {"en": ["fyr"]}}}}
    assert fired("FYR" + QUOTE, document=document)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"min_audience": 0}, "min_audience"),
        ({"min_audience": "1"}, "min_audience"),
        ({"extra_phrases": {"en": ["ok"] * 501}}, "extra_phrases"),
        ({"compose_types": ["forward"]}, "compose_types"),
    ],
)
def test_bad_options_are_named(options, field):
    with pytest.raises(ValidationError) as err:
        Policy.build({"rules": {RULE: options}})
    assert field in err.value.messages["rules"][RULE]
