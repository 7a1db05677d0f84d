"""content-free-reply-all on the clause analysis: stance heads with free complements, thread
anaphora, content signals, and the hard negatives that carry one small piece of content."""

import json
from pathlib import Path

import pytest

from linters import Policy, lint

RULE = "content-free-reply-all"
SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "independent-replies.jsonl"


def fired(text, *, quote="", subject="Re: Plan", document=None, body_type="text"):
    """The findings of `text` sent as a reply-all to twelve people, answering `quote`."""
    quoted = "\n".join("> " + line for line in quote.splitlines())
    body = text + (f"\n\nOn Mon, 3 Mar 2025 at 09:12, Sam Boss <sam@corp.example> wrote:\n{quoted}")
    draft = {
        "compose_type": "reply_all",
        "subject": subject,
        "from": {"email": "me@corp.example"},
        "to": [{"email": "sam@corp.example", "name": "Sam Boss"}],
        "cc": [{"email": "team@corp.example", "type": "group", "member_count": 12}],
        "body": {"content": body if quote else text, "type": body_type},
        "in_reply_to": {"from": {"email": "sam@corp.example", "name": "Sam Boss"}},
    }
    report = lint(draft, Policy.build(document))
    return [f for f in report.findings if f.rule == RULE]


@pytest.mark.parametrize(
    "text",
    [
        # heads whose complement names what is thanked, welcomed, approved
        "Thanks for pulling these together so quickly, Raj.",
        "Congrats on the launch, team!",
        "Welcome aboard Aisha!",
        "Kudos to the whole comms team!",
        "Hope you feel better soon.",
        "Many thanks for sorting out the parking permits.",
        # approval with what is approved on its left
        "The updated wording looks much better to me.",
        "The revised statement looks good to me.",
        "New layout reads really well.",
        # praise without a head
        "Good plan.",
        "Brilliant effort, everyone.",
        "What a great turnout!",
        "Sounds like the right thing to do.",
        # idioms that hold a negation
        "Couldn't agree more.",
        "No objection from me.",
        "Can't thank you enough!",
        # several clauses, each stance
        "Comfortable with this as drafted. Thank you, Miriam.",
        "Great news — congratulations to everyone involved! 🎉",
        "+1, nice work",
        "lol 😂",
    ],
)
def test_fires_when_every_clause_is_stance(text):
    assert fired(text)


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("+1 for 1.6", "I propose we ship 1.6 next and leave 2.0 for the spring."),
        ("Thursday works for me.", "Shall we meet on Thursday or Friday?"),
        ("v3 looks good to me, thanks for addressing the comments.", "Here is v3 of the memo."),
        ("Agree with Omar.", "Omar suggested we move the stand-up to 10."),
    ],
)
def test_what_the_thread_already_says_is_not_new(text, quote):
    assert fired(text, quote=quote)


@pytest.mark.parametrize(
    "text",
    [
        "OK, but he must do it now.",
        "Thanks, we will have it by then.",
        "Looks good, but the date on page 2 is wrong.",
        "Agree, as long as finance signs off.",
        "Congrats Ben! Drinks in the kitchen at 5.",
        "Welcome Tom! Could you send me your badge number?",
        "Great work. I moved the launch to Monday.",
        "Thanks. I don't think this covers the night shift.",
        "Same here, because the old build still breaks.",
        "Thanks! The form is at https://forms.example.org/x",
        "Nice! FYI the printer on floor 3 is fixed.",
        "Sounds good. Who is bringing the projector?",
        "Thanks for the update, please send the invoice to accounts.",
        "Fine by me, except in August.",
        "Thursday works for me.",  # no day was proposed: Thursday is new
        "+1 for 1.6",  # no version was proposed
        "Here's a message that works fine for me:",
    ],
)
def test_one_clause_of_content_keeps_it_quiet(text):
    assert not fired(text, quote="Let us pick a date for the review.")


@pytest.mark.parametrize(
    "text",
    [
        "Vielen Dank für die schnelle Rückmeldung!",
        "Merci pour l'organisation, bravo à toute l'équipe !",
        "¡Enhorabuena a todos!",
        "Parabéns pelo trabalho, equipa!",
        "Grazie mille a tutti!",
        "Goed idee, dank je wel!",
    ],
)
def test_fires_in_seven_languages(text):
    assert fired(text)


@pytest.mark.parametrize(
    "text",
    [
        "Danke, aber der Termin am Montag passt nicht.",
        "Merci, mais il manque la page 3.",
        "Gracias, pero el informe llega el martes.",
        "Obrigado, mas falta a assinatura do diretor.",
        "Grazie, però la riunione è spostata alle 15.",
        "Bedankt, maar de deadline is vrijdag.",
    ],
)
def test_content_keeps_it_quiet_in_seven_languages(text):
    assert not fired(text)


def test_a_finding_names_its_clauses_and_their_roles():
    (finding,) = fired("Thanks for the slides, Raj. Looks great!")
    clauses = finding.data["clauses"]
    assert [c["role"] for c in clauses] == ["stance", "neutral", "stance"]
    assert clauses[0]["kind"] == "thanks" and "thanks" in clauses[0]["why"]
    assert finding.data["kind"] in finding.data["kinds"]


def test_sensitivity_sets_how_many_unexplained_words_pass():
    def at(level):
        return {"rules": {RULE: {"sensitivity": level}}}

    one, two = "Noted, roger dodger.", "Noted, roger dodger wilco."  # words no head explains
    assert fired(one) and not fired(one, document=at("low"))
    assert not fired(two) and fired(two, document=at("high"))


def test_allow_kinds_lets_social_stance_through():
    assert fired("Congratulations, Ana!")
    assert not fired(
        "Congratulations, Ana!", document={"rules": {RULE: {"allow_kinds": ["social"]}}}
    )


def _independent_cases():
    with SAMPLES.open(encoding="utf-8") as lines:
        for line in lines:
            case = json.loads(line)
            if case["rule"] == RULE:
                yield case


def test_independent_replies_stay_above_their_floor():
    """Replies written for this project by someone who never saw the vocabulary: a regression
    floor, not a target (the figures themselves are in `make eval`)."""
    tp = fp = fn = 0
    for case in _independent_cases():
        hit = bool(fired(case["text"], quote=case["quote"], subject=case["subject"]))
        tp += hit and case["label"]
        fp += hit and not case["label"]
        fn += case["label"] and not hit
    assert tp / (tp + fp) >= 0.95
    assert tp / (tp + fn) >= 0.65


@pytest.mark.parametrize("invisible", ["&#8203;", "&ZeroWidthSpace;", "&shy;"])
def test_invisible_characters_spelled_as_references_do_not_hide_a_stance(invisible):
    # Editors leave zero-width spaces and soft hyphens in HTML as references, inside words too.
    html = f"<div>Sounds go{invisible}od to me.</div><div>Than{invisible}ks!</div>"
    assert fired(html, body_type="html")
