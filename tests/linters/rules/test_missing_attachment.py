"""missing-attachment: trigger detection per language, the cues that cancel it, and the finding."""

import pytest
from marshmallow import ValidationError

from linters import Policy, lint
from linters.phrases import matcher_for
from linters.triggers import MAX_CHARS, TRIGGER, TriggerMatcher, expand

MATCHER = matcher_for("missing-attachment", TRIGGER, factory=TriggerMatcher)


def fired(draft: dict, document: dict | None = None):
    report = lint(draft, Policy.build(document) if document else None)
    return [f for f in report.findings if f.rule == "missing-attachment"]


@pytest.mark.parametrize(
    "text",
    [
        "Please find attached the Q3 report.",
        "Attached is the updated deck.",
        "Attached you'll find the minutes.",
        "I've attached the signed contract.",
        "See attached.",
        "The draft is attached for your comments.",
        "I'm attaching the latest version.",
        "Enclosed please find my CV.",
        "Could you please review the attached document?",
        "Let me know what you think of the attached.",
        "You can find attached the slides from today.",
        "Attached to this email is the agenda.",
        "Sorry, forgot to attach the file!",
        "Im Anhang findest du die Präsentation.",
        "Sie erhalten anbei die Rechnung.",
        "Die Unterlagen habe ich angehängt.",
        "Ich hänge dir die Datei an.",
        "Je vous joins le compte rendu.",
        "Veuillez trouver ci-joint la facture.",
        "Tu trouveras le fichier en PJ.",
        "Adjunto el informe trimestral.",
        "Te envío adjunto el presupuesto.",
        "Segue em anexo a proposta.",
        "Anexei o arquivo que você pediu.",
        "Ti allego il preventivo.",
        "Si allega la documentazione.",
        "In de bijlage vind je het verslag.",
        "Bijgaand het contract.",
    ],
)
def test_says_something_is_attached(text):
    assert MATCHER.find(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "I'll attach the signed copy once legal is done.",
        "I will send the file tomorrow.",
        "I can send it as an attachment if you like.",
        "Thanks, the file you attached is fine.",
        "Your attachment didn't come through.",
        "I couldn't open the attachment you sent.",
        "The label is attached to the box.",
        "I'm quite attached to this plan.",
        "There are no strings attached.",
        "I haven't attached the figures yet.",
        "Please send me the file as an attachment.",
        "He attached the report to the ticket.",
        "Ich schicke den Anhang später.",
        "Ich schicke dir die Datei später als Anhang.",
        "Kannst du mir die Datei als Anhang schicken?",
        "Je vais vous envoyer le document en pièce jointe.",
        "Peux-tu m'envoyer le fichier en pièce jointe ?",
        "Te lo adjunto mañana.",
        "No puedo abrir el archivo adjunto que me enviaste.",
        "El director adjunto llega mañana.",
        "Não consegui abrir o anexo.",
        "Pode me enviar o documento em anexo?",
        "Non riesco ad aprire il tuo allegato.",
        "Ik stuur het morgen als bijlage.",
        "De bijlage van je mail opent niet.",
    ],
)
def test_future_negated_or_someone_elses_attachment_does_not_count(text):
    assert MATCHER.find(text) is None


def test_a_cue_in_another_sentence_cancels_nothing():
    assert MATCHER.find("I will be out tomorrow. Attached is the plan.") is not None


def test_span_and_excerpt_point_at_the_trigger():
    (finding,) = fired({"body": {"content": "Hi Nina,\n\nThe report is attached.\n\nPaul"}})
    assert finding.excerpt == "attached"
    assert finding.message == 'You wrote "attached", but nothing is attached.'
    assert finding.data == {"phrase": "attached"}


def test_span_offsets_are_into_the_extracted_text():
    draft = {"body": {"type": "html", "content": "<p>Hallo,</p><p>anbei die Folien.</p>"}}
    (finding,) = fired(draft)
    from linters.context import LintContext
    from linters.schema import load_draft

    text = LintContext(load_draft(draft)).segmentation.text
    assert text[finding.span.start : finding.span.end] == "anbei"


def test_inline_images_do_not_count_as_the_attachment():
    draft = {
        "body": {"content": "See attached."},
        "attachments": [{"name": "logo.png", "size": 3120, "inline": True}],
    }
    assert fired(draft)
    draft["attachments"].append({"name": "plan.pdf", "size": 1000})
    assert not fired(draft)


def test_only_the_new_text_is_read():
    quoted = (
        "Looks good.\n\nOn Tue, Mar 4, 2025 at 9:12 AM Ana <ana@corp.example> wrote:\n"
        "> Please find attached the draft.\n"
    )
    assert not fired({"compose_type": "reply", "body": {"content": quoted}})


def test_extra_phrases_from_policy():
    draft = {"body": {"content": "Herewith the signed copy."}}
    assert not fired(draft)
    document = {"rules": {"missing-attachment": {"extra_phrases": {"en": ["herewith the"]}}}}
    assert fired(draft, document)


def test_bad_options_name_the_field():
    with pytest.raises(ValidationError) as error:
        Policy.build({"rules": {"missing-attachment": {"extra_phrases": {"xx": ["a"]}}}})
    assert "extra_phrases" in error.value.messages["rules"]["missing-attachment"]


def test_choices_expand():
    assert sorted(expand("(me|mij) (graag |)uit")) == [
        "me graag uit",
        "me uit",
        "mij graag uit",
        "mij uit",
    ]


def test_clause_anchors():
    matcher = TriggerMatcher({"trigger": ["^ adjunto"]})
    assert matcher.find("Adjunto el contrato.") is not None
    assert matcher.find("Hola, adjunto el contrato.") is not None  # a comma starts a clause
    assert matcher.find("El director adjunto llega.") is None


def test_huge_text_is_bounded():
    text = "Please review the plan and tell me what you think. " * 50_000
    assert MATCHER.find(text) is None
    assert MATCHER.find("x " * MAX_CHARS + "Attached is the plan.") is None  # past the limit
