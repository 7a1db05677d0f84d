import pytest
from marshmallow import ValidationError

from linters import Policy, lint

RULE = "vague-confusion"


def fired(content, *, document=None, **draft):
    draft = {"compose_type": "reply", "body": {"content": content}} | draft
    report = lint(draft, Policy.build(document))
    return [f for f in report.findings if f.rule == RULE]


@pytest.mark.parametrize(
    "text",
    [
        "I am not sure I understand.",
        "Can you clarify?",
        "???",
        "?!",
        "Sorry, I'm confused",
        "Hmm, I don't really get it. Can you explain again? Thanks!",
        "What?",
        "🤔",
        "Could you please explain this to me?",
        "Mir ist nicht ganz klar, was du meinst.",
        "Qu'est-ce que tu veux dire ?",
        "¿A qué te refieres?",
        "Non ho capito bene, puoi spiegare meglio?",
        "Não ficou claro para mim.",
        "Wat bedoel je daarmee?",
    ],
)
def test_fires_on_confusion_that_names_nothing(text):
    assert fired(text)


@pytest.mark.parametrize(
    "text",
    [
        "I don't get why dinner is at 7 when the last session ends at 7:30",
        "What do you mean by 'phase 2'?",
        "Can you clarify the budget for Q3?",
        "Not clear to me who owns the tracker: you or the PMO?",
        "I understand, thanks.",
        "I'm not confused.",
        "Thanks for clarifying!",
        "More details to follow.",
        "Lost.",  # an answer ("did we win the bid?"), not confusion
        "Unclear.",
        "What.",  # not a question without the mark
        "OK?",
        "Why?",
        "👍",
        "Ich verstehe nicht, ob das Budget die externen Kosten enthält.",
        "Je ne comprends pas : la mise en production inclut-elle l'application mobile ?",
    ],
)
def test_quiet_when_the_text_says_what(text):
    assert not fired(text)


def test_names_on_the_thread_are_allowed():
    draft = {"to": [{"email": "sanne.visser@corp.example"}]}
    assert fired("Sanne, I'm lost.", **draft)
    assert not fired("The budget, I'm lost.", **draft)


def test_inline_answers_point_at_the_quote():
    text = "> The budget is 120k including contractors.\n\nI don't understand.\n"
    assert not fired(text)


def test_an_attachment_can_be_the_what():
    assert not fired("I don't understand.", attachments=[{"name": "screenshot.png"}])


def test_message_says_what_to_do_and_data_names_the_kind():
    (finding,) = fired("Hi Anna,\n\nCan you clarify?\n\nThanks,\nPeter")
    assert finding.excerpt == "Can you clarify?"
    assert "clarification" in finding.message
    assert "question" in finding.explanation
    assert finding.data["kind"] == "clarify"
    (finding,) = fired("I'm confused.")
    assert finding.data["kind"] == "confusion"


def test_extra_phrases():
    document = {"rules": {RULE: {"extra_phrases": {"en": ["all greek to me"]}}}}
    assert not fired("All Greek to me.")
    assert fired("All Greek to me.", document=document)


def test_compose_types():
    document = {"rules": {RULE: {"compose_types": ["reply_all"]}}}
    assert fired("Can you clarify?", compose_type="new")
    assert not fired("Can you clarify?", document=document)


def test_long_text_is_not_confusion():
    assert not fired("I'm confused. " * 5000)
    assert not fired("?" * 100_000)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"compose_types": ["draft"]}, "compose_types"),
        ({"compose_types": []}, "compose_types"),
        ({"compose_types": "reply"}, "compose_types"),
        ({"extra_phrases": {"xx": ["no clue"]}}, "extra_phrases"),
        ({"extra_phrases": {"en": [""]}}, "extra_phrases"),
        ({"extra_phrases": {"en": "no clue"}}, "extra_phrases"),
        ({"severity": "loud"}, "severity"),
        ({"min_audience": 3}, "min_audience"),
    ],
)
def test_bad_options_are_named(options, field):
    with pytest.raises(ValidationError) as err:
        Policy.build({"rules": {RULE: options}})
    assert field in err.value.messages["rules"][RULE]
