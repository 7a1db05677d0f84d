"""unsubscribe-reply-all: the request in seven languages, other senses, and who it goes to."""

import pytest
from marshmallow import ValidationError

from linters import Policy, lint
from linters.phrases import matcher_for
from linters.triggers import TRIGGER, TriggerMatcher

MATCHER = matcher_for("unsubscribe-reply-all", TRIGGER, factory=TriggerMatcher)
CROWD = [{"email": f"user{i}@corp.example"} for i in range(5)]


def fired(draft: dict, document: dict | None = None):
    report = lint(draft, Policy.build(document) if document else None)
    return [f for f in report.findings if f.rule == "unsubscribe-reply-all"]


@pytest.mark.parametrize(
    "text",
    [
        "Please remove me from this list.",
        "Please remove me from this list, I changed teams.",
        "Unsubscribe",
        "unsubscribe me",
        "Take me off this list please.",
        "Could someone remove me from this distribution list?",
        "Stop sending me these emails.",
        "I don't want to receive these anymore.",
        "Why am I on this list?",
        "I'd like to be removed from this mailing list.",
        "Bitte aus dem Verteiler nehmen.",
        "Bitte nehmen Sie mich aus dem Verteiler.",
        "Bitte austragen.",
        "Retirez-moi de la liste, merci.",
        "Merci de me retirer de la liste de diffusion.",
        "Darme de baja, por favor.",
        "Por favor, sáquenme de esta lista.",
        "Me retire da lista, por favor.",
        "Não quero mais receber esses e-mails.",
        "Cancellami dalla lista, grazie.",
        "Non voglio più ricevere queste email.",
        "Haal me van de lijst aub.",
        "Graag uitschrijven.",
    ],
)
def test_asks_to_be_removed(text):
    assert MATCHER.find(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Please don't remove me from this list.",
        "Remove the item from this list before Friday.",
        "If you want to be removed, reply to me directly.",
        "Paul asked to be removed from the list.",
        "Thanks for taking me off the hook.",
        "The unsubscribe link in the newsletter is broken.",
        "To unsubscribe from this group, send an email to x@example.org.",
        "Remove me as an approver on the PR.",
        "Bitte nicht aus dem Verteiler nehmen.",
        "Ich habe Peter aus dem Verteiler genommen.",
        "Si quieres darte de baja, escríbeme.",
        "Se quiserem sair da lista, falem comigo.",
        "Rimuovi il punto 3 dalla lista.",
        "Als je van de lijst af wilt, laat het me weten.",
    ],
)
def test_negations_conditions_and_other_senses_do_not_count(text):
    assert MATCHER.find(text) is None


def test_reply_all_gets_the_reply_to_sender_fix():
    draft = {
        "compose_type": "reply_all",
        "from": {"email": "nina@corp.example"},
        "to": [{"email": "claire@corp.example", "name": "Claire"}],
        "cc": CROWD,
        "body": {"content": "Please remove me from this list, I changed teams."},
        "in_reply_to": {"from": {"email": "claire@corp.example", "name": "Claire"}},
    }
    (finding,) = fired(draft)
    assert finding.excerpt == "remove me"
    assert "6 people" in finding.message
    (fix,) = finding.fixes
    assert fix.set == {
        "to": [{"email": "claire@corp.example", "name": "Claire"}],
        "cc": [],
        "bcc": [],
    }


def test_no_fix_when_the_sender_is_the_list_itself():
    draft = {
        "compose_type": "reply",
        "to": [{"email": "dev@lists.example", "type": "group", "member_count": 100}],
        "body": {"content": "unsubscribe"},
        "in_reply_to": {"from": {"email": "dev@lists.example"}},
    }
    (finding,) = fired(draft)
    assert finding.fixes == ()
    assert "dev@lists.example" in finding.message


def test_a_group_counts_even_below_min_audience():
    draft = {
        "to": [{"email": "team@corp.example", "type": "group", "member_count": 2}],
        "body": {"content": "Please take me off this list."},
    }
    assert fired(draft)


def test_to_the_owner_alone_is_fine():
    draft = {
        "compose_type": "reply",
        "to": [{"email": "owner@corp.example"}],
        "body": {"content": "Please remove me from this list."},
        "in_reply_to": {"from": {"email": "owner@corp.example"}},
    }
    assert not fired(draft)


def test_min_audience_option():
    draft = {"to": CROWD[:3], "body": {"content": "Please remove me."}}
    assert fired(draft)
    assert not fired(draft, {"rules": {"unsubscribe-reply-all": {"min_audience": 4}}})


def test_extra_phrases_from_policy():
    draft = {"to": CROWD, "body": {"content": "Kindly excise me from the roster."}}
    assert not fired(draft)
    document = {"rules": {"unsubscribe-reply-all": {"extra_phrases": {"en": ["excise me"]}}}}
    assert fired(draft, document)


def test_bad_options_name_the_field():
    with pytest.raises(ValidationError) as error:
        Policy.build({"rules": {"unsubscribe-reply-all": {"min_audience": 0}}})
    assert "min_audience" in error.value.messages["rules"]["unsubscribe-reply-all"]
