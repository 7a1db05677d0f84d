"""Line-level recognisers, per language: greetings, closings, names, footers, attributions."""

from __future__ import annotations

import pytest

from linters.model import Address, Body, BodyType
from linters.text import Kind, segment
from linters.text.closings import Author, is_closing, is_greeting, is_name


@pytest.mark.parametrize(
    "line",
    [
        "Hi Anna,",
        "Hello all,",
        "Dear team,",
        "Hallo zusammen,",
        "Bonjour à tous,",
        "Hola a todos,",
        "Olá pessoal,",
        "Ciao a tutti,",
        "Hoi allemaal,",
        "Julie,",
        "Dear Mr. Smith,",
        "Hi",
    ],
)
def test_greetings(line: str) -> None:
    assert is_greeting(line, None)


@pytest.mark.parametrize(
    "line", ["Hi. I am fine.", "Hi Anna, thanks for the update.", "Hello, can you help?", "Ok,"]
)
def test_not_greetings(line: str) -> None:
    assert not is_greeting(line, None)


@pytest.mark.parametrize(
    "line",
    [
        "Thanks,",
        "Best,",
        "Regards",
        "Cheers",
        "Viele Grüße",
        "Cordialement",
        "Saludos",
        "Un saludo",
        "Abraços",
        "Cordiali saluti",
        "Met vriendelijke groet",
        "Groeten",
        "Thanks again,",
        "LG Diego",
        "Best regards, Peter",
    ],
)
def test_closings(line: str) -> None:
    assert is_closing(line, None)


@pytest.mark.parametrize(
    "line", ["Thanks, that helped.", "Thanks for the update!", "Best practice"]
)
def test_not_closings(line: str) -> None:
    assert not is_closing(line, None)


@pytest.mark.parametrize("line", ["Alex", "Jeff.", "Diego Moreno", "Bram de Jong", "gg", "m"])
def test_names(line: str) -> None:
    assert is_name(line, None)


@pytest.mark.parametrize("line", ["Agreed", "Ok", "Yes.", "Thanks", "see you at 3"])
def test_not_names(line: str) -> None:
    assert not is_name(line, None)


def test_author_name_in_lower_case() -> None:
    author = Author.of(Address("kevin@ie.suberic.net", "kevin lyda"))
    assert is_name("kevin", author)
    assert not is_name("kevin", None)


@pytest.mark.parametrize(
    "footer",
    [
        "Sent from my iPhone",
        "Sent from my BlackBerry Wireless Handheld",
        "Get Outlook for Android",
        "Sent from Outlook",
        "Sent from Mail for Windows",
        "Von meinem iPhone gesendet",
        "Envoyé de mon iPhone",
        "Enviado desde mi iPhone",
        "Enviado do meu iPhone",
        "Inviato da iPhone",
        "Verzonden vanaf mijn iPhone",
        "Sent with Sparrow",
    ],
)
def test_device_footers(footer: str) -> None:
    result = segment(Body(f"Can you check the numbers?\n\n{footer}\n"))
    assert result.body_text == "Can you check the numbers?"
    assert result.joined(Kind.SIGNATURE) == footer


def test_sent_from_sentence_is_text() -> None:
    text = "Here is another email\n\nSent from my desk, is much easier then my mobile phone."
    assert segment(Body(text)).body_text == text


@pytest.mark.parametrize(
    "attribution",
    [
        "On Tue, Mar 4, 2025 at 9:12 AM Ann Lee <ann@x.example> wrote:",
        "Am 04.03.2025 um 09:12 schrieb Ann Lee <ann@x.example>:",
        "Le mar. 4 mars 2025 à 09:12, Ann Lee <ann@x.example> a écrit :",
        "El mar, 4 mar 2025 a las 9:12, Ann Lee (<ann@x.example>) escribió:",
        "Em ter., 4 de mar. de 2025 às 09:12, Ann Lee <ann@x.example> escreveu:",
        "Il giorno mar 4 mar 2025 alle ore 09:12 Ann Lee <ann@x.example> ha scritto:",
        "Op di 4 mrt 2025 om 09:12 schreef Ann Lee <ann@x.example>:",
        "On Wed, May 18, 2016 at 11:10 PM Steven Scott <n@github.example>\nwrote:",
    ],
)
@pytest.mark.parametrize("prefix", ["", "> "])
def test_attributions(attribution: str, prefix: str) -> None:
    quoted = "\n".join(prefix + line for line in ["The plan is attached.", "Ann"])
    result = segment(Body(f"Looks fine.\n\n{attribution}\n\n{quoted}\n"))
    assert result.body_text == "Looks fine."
    assert result.joined(Kind.QUOTE).startswith(attribution.split("\n")[0])


@pytest.mark.parametrize(
    "header",
    [
        "From: Ann <a@x.example>\nSent: Tuesday\nTo: Bob\nSubject: Plan",
        "Von: Ann <a@x.example>\nGesendet: Dienstag\nAn: Bob\nBetreff: Plan",
        "De : Ann <a@x.example>\nEnvoyé : mardi\nÀ : Bob\nObjet : Plan",
        "De: Ann <a@x.example>\nEnviado: martes\nPara: Bob\nAsunto: Plan",
        "De: Ann <a@x.example>\nEnviada em: terça\nPara: Bob\nAssunto: Plan",
        "Da: Ann <a@x.example>\nInviato: martedì\nA: Bob\nOggetto: Plan",
        "Van: Ann <a@x.example>\nVerzonden: dinsdag\nAan: Bob\nOnderwerp: Plan",
        "*From:* Ann [mailto:a@x.example]\n*Sent:* Tuesday\n*To:* Bob\n*Subject:* Plan",
    ],
)
def test_header_blocks(header: str) -> None:
    result = segment(Body(f"Approved.\n\n{header}\n\nPlease approve.\n"))
    assert result.body_text == "Approved."
    assert result.joined(Kind.QUOTE).startswith(header.split("\n")[0])


@pytest.mark.parametrize(
    "separator",
    [
        "-----Original Message-----",
        "----- Original Message -----",
        "-------- Original Message --------",
        "---------- Forwarded message ---------",
        "Begin forwarded message:",
        "-----Ursprüngliche Nachricht-----",
        "-------- Message d'origine --------",
        "---------- Mensaje reenviado ---------",
        "-------- Mensagem original --------",
        "---------- Messaggio inoltrato ---------",
        "-------- Oorspronkelijk bericht --------",
    ],
)
def test_separators(separator: str) -> None:
    result = segment(Body(f"FYI\n\n{separator}\nThe original text.\n"))
    assert result.body_text == "FYI"
    assert result.joined(Kind.QUOTE).startswith(separator)


def test_original_message_sentence_is_text() -> None:
    text = "Original message attached, see page 2."
    assert segment(Body(text)).body_text == text


def test_bottom_posting_after_quote() -> None:
    text = "On 04/02/2012 06:26 PM, Megan One wrote:\n> Hi\nHello, the report is ready."
    result = segment(Body(text))
    assert result.body_text == "Hello, the report is ready."


def test_signature_dash_dash_runs_until_quote() -> None:
    text = (
        "Hello\n\n-- \nxxx\nSent with Sparrow\n\n"
        "On Tuesday, April 3, 2012 at 4:55 PM, x wrote:\n\n> Hi\n"
    )
    result = segment(Body(text))
    assert result.body_text == "Hello"
    assert result.joined(Kind.SIGNATURE) == "-- \nxxx\nSent with Sparrow"
    assert result.joined(Kind.QUOTE).startswith("On Tuesday")


def test_greeting_alone_is_the_message() -> None:
    assert segment(Body("Hello\n")).body_text == "Hello"


def test_closing_alone_is_the_message() -> None:
    result = segment(Body("Thanks,\nPeter"))
    assert result.body_text == "Thanks,"
    assert result.joined(Kind.SIGNOFF) == "Peter"


def test_html_blocks_break_lines_and_inline_tags_do_not() -> None:
    html = (
        "<p>Looks <b>good</b> to<span> me</span>.</p><div>Second line</div>"
        "<ul><li>a</li><li>b</li></ul>"
    )
    result = segment(Body(html, BodyType.HTML))
    assert result.text == "Looks good to me.\nSecond line\na\nb"


def test_html_drops_style_script_comments_and_hidden_text() -> None:
    html = (
        "<html><head><title>t</title><style>p{}</style></head><body><!-- note -->"
        '<div style="display: none">preview</div><script>x()</script><p>Visible</p></body></html>'
    )
    assert segment(Body(html, BodyType.HTML)).text == "Visible"
