"""Reply isolation across mail clients and languages, by class of construct.

1. Quote headers: attributions ("On … wrote:" and its forms in other clients and languages, also
   wrapped over two or three lines), header blocks ("From:/Sent:/To:/Subject:" and translations,
   bold or not), "-----Original Message-----" separators, forwarded-message headers; plain text
   and HTML.
2. Inline and bottom posting: the author's text below or between quoted lines, and above a header
   whose original text is not quoted with ">".
3. Signatures: "-- ", "--", "__", name + title + phone blocks, device footers, disclaimers.

Each case is a whole e-mail and the new text (greeting, body, sign-off) expected from it; text
comparisons ignore whitespace, like the reply-isolation fixtures.
"""

from __future__ import annotations

import pytest

from linters.model import Body, BodyType
from linters.text import Kind, Segmentation, segment

NEW = "Sounds good, I will send the slides tomorrow.\n\nBest,\nPeter"
ORIGINAL = ["Hi Peter,", "could you send me the slides before the meeting?", "Thanks", "Anna"]


def squash(text: str | None) -> str:
    return "".join((text or "").split())


def isolate(content: str, html: bool = False) -> Segmentation:
    return segment(Body(content, BodyType.HTML if html else BodyType.TEXT))


def assert_new_text(result: Segmentation, expected: str) -> None:
    assert squash(result.new_text) == squash(expected), result.as_dict()


# --- 1. quote headers --------------------------------------------------------------------------

ATTRIBUTIONS = [
    pytest.param(
        "On Mon, Jan 1, 2024 at 10:00 AM Anna Schmidt <anna@example.com> wrote:", id="gmail"
    ),
    pytest.param(
        "On Mon, Jan 1, 2024 at 10:00 AM Anna Schmidt <\nanna@example.com> wrote:",
        id="gmail-wrapped-in-address",
    ),
    pytest.param(
        "On Mon, Jan 1, 2024 at 10:00 AM Anna Schmidt\n<anna@example.com> wrote:",
        id="gmail-wrapped-before-address",
    ),
    pytest.param(
        "On Mon, Jan 1, 2024 at 10:00 AM Anna Schmidt <anna@example.com>\nwrote:",
        id="gmail-wrapped-before-verb",
    ),
    pytest.param(
        "On Mon, Jan 1, 2024 at 10:00 AM\nAnna Schmidt <anna@example.com>\nwrote:",
        id="gmail-three-lines",
    ),
    pytest.param(
        "On Mon, Jan 1, 2024, 10:00 Anna Schmidt <anna@example.com> wrote:", id="gmail-mobile"
    ),
    pytest.param("On 1 Jan 2024, at 10:00, Anna Schmidt <anna@example.com> wrote:", id="apple"),
    pytest.param(
        "On Jan 1, 2024, at 10:00 AM, Anna Schmidt <anna@example.com> wrote:", id="apple-us"
    ),
    pytest.param("Am 01.01.2024 um 10:00 schrieb Anna Schmidt <anna@example.com>:", id="apple-de"),
    pytest.param("On 1/1/24 10:00, Anna Schmidt wrote:", id="thunderbird"),
    pytest.param("On 2024-01-01 10:00, Anna Schmidt wrote:", id="thunderbird-iso"),
    pytest.param("Am 01.01.2024 um 10:00 schrieb Anna Schmidt:", id="thunderbird-de"),
    pytest.param(
        "Le lun. 1 janv. 2024 à 10:00, Anna Schmidt <anna@example.com> a écrit :", id="gmail-fr"
    ),
    pytest.param(
        "Le lun. 1 janv. 2024 à 10:00, Anna Schmidt <anna@example.com> a\nécrit :",
        id="gmail-fr-wrapped",
    ),
    pytest.param("Le 01/01/2024 à 10:00, Anna Schmidt a écrit :", id="thunderbird-fr"),
    pytest.param(
        "El lun, 1 ene 2024 a las 10:00, Anna Schmidt (<anna@example.com>) escribió:",
        id="gmail-es",
    ),
    pytest.param(
        "Em seg., 1 de jan. de 2024 às 10:00, Anna Schmidt <anna@example.com> escreveu:",
        id="gmail-pt",
    ),
    pytest.param(
        "Il giorno lun 1 gen 2024 alle ore 10:00 Anna Schmidt <anna@example.com> ha scritto:",
        id="gmail-it",
    ),
    pytest.param("Il 01/01/2024 10:00, Anna Schmidt ha scritto:", id="thunderbird-it"),
    pytest.param(
        "Op ma 1 jan. 2024 om 10:00 schreef Anna Schmidt <anna@example.com>:", id="gmail-nl"
    ),
    pytest.param(
        "Op 1 jan. 2024 om 10:00 heeft Anna Schmidt <anna@example.com> het volgende geschreven:",
        id="apple-nl",
    ),
    pytest.param(
        "Am Mo., 1. Jan. 2024 um 10:00 Uhr schrieb Anna Schmidt <anna@example.com>:",
        id="gmail-de",
    ),
    pytest.param(
        "Anna Schmidt <anna@example.com> schrieb am Mo., 1. Jan. 2024, 10:00:",
        id="gmail-mobile-de",
    ),
    pytest.param(
        "Den mån 1 jan. 2024 kl 10:00 skrev Anna Schmidt <anna@example.com>:", id="gmail-sv"
    ),
    pytest.param("Den 1. jan. 2024 kl. 10.00 skrev Anna Schmidt <anna@example.com>:", id="da"),
    pytest.param("man. 1. jan. 2024 kl. 10:00 skrev Anna Schmidt <anna@example.com>:", id="no"),
    pytest.param(
        "pon., 1 sty 2024 o 10:00 Anna Schmidt <anna@example.com> napisał(a):", id="gmail-pl"
    ),
    pytest.param("W dniu 01.01.2024 o 10:00, Anna Schmidt pisze:", id="thunderbird-pl"),
    pytest.param(
        "po 1. 1. 2024 v 10:00 odesílatel Anna Schmidt <anna@example.com> napsal:", id="gmail-cs"
    ),
    pytest.param("Dne 01. 01. 24 v 10:00 Anna Schmidt napsal(a):", id="thunderbird-cs"),
    pytest.param("пн, 1 янв. 2024 г. в 10:00, Anna Schmidt <anna@example.com>:", id="gmail-ru"),
    pytest.param("1 января 2024 г., в 10:00, Anna Schmidt написал(а):", id="ru"),
    pytest.param("1 января 2024 г., в 10:00, Anna Schmidt\nнаписал(а):", id="ru-wrapped"),
    pytest.param("01.01.2024 10:00, Anna Schmidt пишет:", id="thunderbird-ru"),
    pytest.param("2024年1月1日(月) 10:00 Anna Schmidt <anna@example.com>:", id="gmail-ja"),
    pytest.param("2024/01/01 10:00、Anna Schmidt <anna@example.com>のメッセージ:", id="apple-ja"),
    pytest.param("Anna Schmidt <anna@example.com> 于2024年1月1日周一 10:00写道：", id="gmail-zh"),
    pytest.param(
        "Anna Schmidt <anna@example.com> 于2024年1月1日周一 10:00\n写道：", id="gmail-zh-wrapped"
    ),
    pytest.param("在 2024年1月1日，10:00，Anna Schmidt <anna@example.com> 写道：", id="apple-zh"),
    pytest.param(
        "Anna Schmidt <anna@example.com>, 1 Oca 2024 Pzt, 10:00 tarihinde şunu yazdı:",
        id="gmail-tr",
    ),
    pytest.param(
        "Anna Schmidt <anna@example.com>, 1 Oca 2024 Pzt, 10:00 tarihinde\nşunu yazdı:",
        id="gmail-tr-wrapped",
    ),
    pytest.param("ma 1.1.2024 klo 10.00 Anna Schmidt (anna@example.com) kirjoitti:", id="fi"),
    pytest.param(
        "2024년 1월 1일 (월) 오전 10:00, Anna Schmidt <anna@example.com>님이 작성:", id="gmail-ko"
    ),
    pytest.param("2024-01-01 10:00 GMT+01:00 Anna Schmidt <anna@example.com>:", id="gmail-old"),
    pytest.param("2024/1/1 Anna Schmidt <anna@example.com>:", id="gmail-older"),
    pytest.param("Anna Schmidt wrote:", id="name-only"),
    pytest.param('"Anna Schmidt" <anna@example.com> wrote:', id="name-and-address"),
    pytest.param("Quoting Anna Schmidt <anna@example.com>:", id="horde"),
    pytest.param("Anna Schmidt\n<anna@example.com> wrote:", id="name-wrapped"),
    pytest.param(
        "On Mon, 1 Jan 2024 10:00:00 +0100\nAnna Schmidt <anna@example.com> wrote:", id="mutt"
    ),
]


@pytest.mark.parametrize("attribution", ATTRIBUTIONS)
@pytest.mark.parametrize("prefix", ["", "> "], ids=["unquoted", "quoted"])
def test_attribution_above_original(attribution: str, prefix: str) -> None:
    original = "\n".join(prefix + line for line in ORIGINAL)
    result = isolate(f"{NEW}\n\n{attribution}\n\n{original}\n")
    assert_new_text(result, NEW)
    assert squash(result.quote_text).startswith(squash(attribution.split("\n")[0]))


HEADER_BLOCKS = [
    pytest.param(
        "From: Anna Schmidt <anna@example.com>\nSent: Monday, January 1, 2024 10:00 AM\n"
        "To: Peter Smith <peter@example.com>\nCc: Team <team@example.com>\nSubject: RE: Slides",
        id="outlook",
    ),
    pytest.param(
        "________________________________\nFrom: Anna Schmidt <anna@example.com>\n"
        "Sent: Monday, January 1, 2024 10:00:09 AM\nTo: Peter Smith <peter@example.com>\n"
        "Subject: Slides",
        id="outlook-web-rule",
    ),
    pytest.param(
        "From: Anna Schmidt [mailto:anna@example.com]\nSent: Monday, January 1, 2024 10:00 AM\n"
        "To: Peter Smith\nSubject: Slides",
        id="outlook-mailto",
    ),
    pytest.param(
        "*From:* Anna Schmidt <anna@example.com>\n*Sent:* Monday, January 1, 2024 10:00 AM\n"
        "*To:* Peter Smith <peter@example.com>\n*Subject:* Slides",
        id="outlook-bold",
    ),
    pytest.param(
        "**From:** Anna Schmidt <anna@example.com>\n**Date:** Monday, 1 January 2024 at 10:00\n"
        "**To:** Peter Smith\n**Subject:** Slides",
        id="markdown-bold",
    ),
    pytest.param(
        "From: Anna Schmidt <anna@example.com>\nDate: Monday, 1 January 2024 at 10:00\n"
        "To: Peter Smith <peter@example.com>\nSubject: Slides",
        id="outlook-mac",
    ),
    pytest.param(
        'From: "Anna Schmidt" <anna@example.com>\nTo: "Peter Smith" <peter@example.com>\n'
        "Sent: Monday, January 1, 2024 10:00:00 AM\nSubject: Slides",
        id="zimbra",
    ),
    pytest.param(
        "Date: Mon, 1 Jan 2024 10:00:00 +0100\nFrom: Anna Schmidt <anna@example.com>\n"
        "To: Peter <peter@example.com>\nSubject: Slides",
        id="date-first",
    ),
    pytest.param(
        "    From: Anna Schmidt <anna@example.com>\n    Sent: Monday, January 1, 2024 10:00 AM\n"
        "    To: Peter\n    Subject: Slides",
        id="indented",
    ),
    pytest.param(
        "From: Anna Schmidt <anna@example.com>\nSent: Monday, January 1, 2024 10:00 AM\n"
        "To: Peter Smith <peter@example.com>; Bob Jones <bob@example.com>; Carl\n"
        "Doe <carl@example.com>\nSubject: Slides",
        id="wrapped-recipients",
    ),
    pytest.param(
        "Von: Anna Schmidt <anna@example.com>\nGesendet: Montag, 1. Januar 2024 10:00\n"
        "An: Peter Smith <peter@example.com>\nCc: Team\nBetreff: AW: Folien",
        id="de",
    ),
    pytest.param(
        "*Von:* Anna Schmidt <anna@example.com>\n*Gesendet:* Montag, 1. Januar 2024 10:00\n"
        "*An:* Peter\n*Betreff:* Folien",
        id="de-bold",
    ),
    pytest.param(
        "Von: Anna Schmidt <anna@example.com>\nDatum: Montag, 1. Januar 2024 um 10:00\n"
        "An: Peter Smith <peter@example.com>\nBetreff: Folien",
        id="de-mac",
    ),
    pytest.param(
        "De : Anna Schmidt <anna@example.com>\nEnvoyé : lundi 1 janvier 2024 10:00\n"
        "À : Peter Smith <peter@example.com>\nObjet : RE: Diapos",
        id="fr",
    ),
    pytest.param(
        "De\u00a0: Anna Schmidt <anna@example.com>\nEnvoyé\u00a0: lundi 1 janvier 2024 10:00\n"
        "À\u00a0: Peter Smith <peter@example.com>\nObjet\u00a0: RE: Diapos",
        id="fr-nbsp",
    ),
    pytest.param(
        "De : Anna Schmidt <anna@example.com>\nDate : lundi 1 janvier 2024 à 10:00\n"
        "À : Peter <peter@example.com>\nObjet : Diapos",
        id="fr-mac",
    ),
    pytest.param(
        "De: Anna Schmidt <anna@example.com>\nEnviado: lunes, 1 de enero de 2024 10:00\n"
        "Para: Peter Smith <peter@example.com>\nAsunto: RE: Diapositivas",
        id="es",
    ),
    pytest.param(
        "De: Anna Schmidt <anna@example.com>\nFecha: lunes, 1 de enero de 2024, 10:00\n"
        "Para: Peter <peter@example.com>\nAsunto: Diapositivas",
        id="es-mac",
    ),
    pytest.param(
        "De: Anna Schmidt <anna@example.com>\nEnviada em: segunda-feira, 1 de janeiro de 2024 "
        "10:00\nPara: Peter Smith <peter@example.com>\nAssunto: RE: Slides",
        id="pt",
    ),
    pytest.param(
        "Da: Anna Schmidt <anna@example.com>\nInviato: lunedì 1 gennaio 2024 10:00\n"
        "A: Peter Smith <peter@example.com>\nOggetto: R: Slide",
        id="it",
    ),
    pytest.param(
        "Van: Anna Schmidt <anna@example.com>\nVerzonden: maandag 1 januari 2024 10:00\n"
        "Aan: Peter Smith <peter@example.com>\nOnderwerp: RE: Dia's",
        id="nl",
    ),
    pytest.param(
        "Från: Anna Schmidt <anna@example.com>\nSkickat: den 1 januari 2024 10:00\n"
        "Till: Peter Smith <peter@example.com>\nÄmne: SV: Bilder",
        id="sv",
    ),
    pytest.param(
        "Fra: Anna Schmidt <anna@example.com>\nSendt: 1. januar 2024 10:00\n"
        "Til: Peter Smith <peter@example.com>\nEmne: SV: Slides",
        id="da",
    ),
    pytest.param(
        "Od: Anna Schmidt <anna@example.com>\nWysłano: poniedziałek, 1 stycznia 2024 10:00\n"
        "Do: Peter Smith <peter@example.com>\nTemat: RE: Slajdy",
        id="pl",
    ),
    pytest.param(
        "Od: Anna Schmidt <anna@example.com>\nOdesláno: pondělí 1. ledna 2024 10:00\n"
        "Komu: Peter Smith <peter@example.com>\nPředmět: RE: Slajdy",
        id="cs",
    ),
    pytest.param(
        "От: Anna Schmidt <anna@example.com>\nОтправлено: 1 января 2024 г. 10:00\n"
        "Кому: Peter Smith <peter@example.com>\nТема: RE: Слайды",
        id="ru",
    ),
    pytest.param(
        "Kimden: Anna Schmidt <anna@example.com>\nGönderildi: 1 Ocak 2024 Pazartesi 10:00\n"
        "Kime: Peter Smith <peter@example.com>\nKonu: RE: Slaytlar",
        id="tr",
    ),
    pytest.param(
        "差出人: Anna Schmidt <anna@example.com>\n送信日時: 2024年1月1日 10:00\n"
        "宛先: Peter Smith <peter@example.com>\n件名: RE: スライド",
        id="ja",
    ),
    pytest.param(
        "发件人：Anna Schmidt <anna@example.com>\n发送时间：2024年1月1日 10:00\n"
        "收件人：Peter Smith <peter@example.com>\n主题：回复: 幻灯片",
        id="zh-fullwidth-colon",
    ),
]


@pytest.mark.parametrize("header", HEADER_BLOCKS)
def test_header_block_above_unquoted_original(header: str) -> None:
    result = isolate(f"{NEW}\n\n{header}\n\n" + "\n".join(ORIGINAL) + "\n")
    assert_new_text(result, NEW)
    assert squash(result.quote_text).startswith(squash(header.split("\n")[0]))


SEPARATORS = [
    "-----Original Message-----",
    "----- Original Message ----- ",
    "-------- Original message --------",
    "-----Ursprüngliche Nachricht-----",
    "-----Message d'origine-----",
    "-----Mensaje original-----",
    "-----Messaggio originale-----",
    "-----Oorspronkelijk bericht-----",
    "-----Mensagem original-----",
    "-----Ursprungligt meddelande-----",
    "-----Oprindelig meddelelse-----",
    "-----Opprinnelig melding-----",
    "-----Wiadomość oryginalna-----",
    "-----Původní zpráva-----",
    "-----Исходное сообщение-----",
    "-----Orijinal İleti-----",
    "-----Alkuperäinen viesti-----",
]


@pytest.mark.parametrize("separator", SEPARATORS)
@pytest.mark.parametrize("with_headers", [False, True], ids=["bare", "headers"])
def test_original_message_separator(separator: str, with_headers: bool) -> None:
    headers = "From: Anna Schmidt\nSent: Monday, January 1, 2024 10:00 AM\n" if with_headers else ""
    result = isolate(f"{NEW}\n\n{separator}\n{headers}\n" + "\n".join(ORIGINAL) + "\n")
    assert_new_text(result, NEW)
    assert squash(result.quote_text).startswith(squash(separator))


FORWARDS = [
    pytest.param(
        "---------- Forwarded message ---------\nFrom: Anna Schmidt <anna@example.com>\n"
        "Date: Mon, Jan 1, 2024 at 10:00 AM\nSubject: Slides\nTo: Peter <peter@example.com>",
        id="gmail",
    ),
    pytest.param(
        "---------- Weitergeleitete Nachricht ---------\nVon: Anna Schmidt <anna@example.com>\n"
        "Date: Mo., 1. Jan. 2024 um 10:00 Uhr\nSubject: Folien\nTo: Peter <peter@example.com>",
        id="gmail-de",
    ),
    pytest.param(
        "-------- Forwarded Message --------\nSubject: Slides\n"
        "Date: Mon, 1 Jan 2024 10:00:00 +0100\nFrom: Anna Schmidt <anna@example.com>\n"
        "To: Peter Smith <peter@example.com>",
        id="thunderbird",
    ),
    pytest.param(
        "-------- Message transféré --------\nSujet : Diapos\n"
        "Date : Mon, 1 Jan 2024 10:00:00 +0100\nDe : Anna Schmidt <anna@example.com>\n"
        "Pour : Peter <peter@example.com>",
        id="thunderbird-fr",
    ),
    pytest.param(
        "Begin forwarded message:\n\nFrom: Anna Schmidt <anna@example.com>\nSubject: Slides\n"
        "Date: 1 January 2024 at 10:00:00 CET\nTo: Peter Smith <peter@example.com>",
        id="apple",
    ),
    pytest.param(
        "Anfang der weitergeleiteten Nachricht:\n\nVon: Anna Schmidt <anna@example.com>\n"
        "Betreff: Folien\nDatum: 1. Januar 2024 um 10:00:00 MEZ\nAn: Peter <peter@example.com>",
        id="apple-de",
    ),
    pytest.param(
        "Début du message réexpédié :\n\nDe: Anna Schmidt <anna@example.com>\nObjet: Diapos\n"
        "Date: 1 janvier 2024 à 10:00:00 UTC+1\nÀ: Peter <peter@example.com>",
        id="apple-fr",
    ),
    pytest.param(
        "Inicio del mensaje reenviado:\n\nDe: Anna Schmidt <anna@example.com>\n"
        "Asunto: Diapositivas\nFecha: 1 de enero de 2024, 10:00:00 CET\n"
        "Para: Peter <peter@example.com>",
        id="apple-es",
    ),
    pytest.param(
        "-------- Original message --------\nFrom: Anna Schmidt <anna@example.com>\n"
        "Date: 01/01/2024 10:00 (GMT+01:00)\nTo: Peter <peter@example.com>\nSubject: Slides",
        id="samsung",
    ),
]


@pytest.mark.parametrize("header", FORWARDS)
def test_forwarded_message(header: str) -> None:
    result = isolate(f"FYI, see below.\n\n{header}\n\n" + "\n".join(ORIGINAL) + "\n")
    assert_new_text(result, "FYI, see below.")
    assert squash(result.quote_text).startswith(squash(header.split("\n")[0]))


NEW_HTML = (
    "<div>Sounds good, I will send the slides tomorrow.</div><div><br></div>"
    "<div>Best,</div><div>Peter</div>"
)
ORIGINAL_HTML = "".join(f"<div>{line}</div>" for line in ORIGINAL)
HTML_QUOTES = [
    pytest.param(
        "<div><br><div>On 1 Jan 2024, at 10:00, Anna Schmidt &lt;anna@example.com&gt; wrote:"
        f'</div><br><blockquote type="cite">{ORIGINAL_HTML}</blockquote></div>',
        id="apple",
    ),
    pytest.param(
        "<div><br><div>Am 01.01.2024 um 10:00 schrieb Anna Schmidt &lt;anna@example.com&gt;:"
        f'</div><br><blockquote type="cite">{ORIGINAL_HTML}</blockquote></div>',
        id="apple-de",
    ),
    pytest.param(
        '<div dir="ltr"><br><blockquote type="cite">On Jan 1, 2024, at 10:00, Anna Schmidt '
        '&lt;anna@example.com&gt; wrote:<br><br></blockquote></div><blockquote type="cite">'
        f'<div dir="ltr">{ORIGINAL_HTML}</div></blockquote>',
        id="ios",
    ),
    pytest.param(
        '<div class="moz-cite-prefix">On 1/1/24 10:00, Anna Schmidt wrote:<br></div>'
        f'<blockquote type="cite" cite="mid:x@example.com">{ORIGINAL_HTML}</blockquote>',
        id="thunderbird",
    ),
    pytest.param(
        '<div style="border:none;border-top:solid #B5C4DF 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        '<p class="MsoNormal"><b><span>From:</span></b><span> Anna Schmidt '
        "[mailto:anna@example.com] <br><b>Sent:</b> Monday, January 1, 2024 10:00 AM<br>"
        "<b>To:</b> Peter Smith<br><b>Subject:</b> Slides</span></p></div>" + ORIGINAL_HTML,
        id="outlook-bordered",
    ),
    pytest.param(
        '<p class="MsoNormal"><b>Von:</b> Anna Schmidt &lt;anna@example.com&gt;<br>'
        "<b>Gesendet:</b> Montag, 1. Januar 2024 10:00<br><b>An:</b> Peter Smith<br>"
        "<b>Betreff:</b> Folien</p>" + ORIGINAL_HTML,
        id="outlook-de-unbordered",
    ),
    pytest.param(
        '<p class="MsoNormal"><b>De&nbsp;:</b> Anna Schmidt &lt;anna@example.com&gt;<br>'
        "<b>Envoyé&nbsp;:</b> lundi 1 janvier 2024 10:00<br><b>À&nbsp;:</b> Peter Smith<br>"
        "<b>Objet&nbsp;:</b> Diapos</p>" + ORIGINAL_HTML,
        id="outlook-fr-nbsp",
    ),
    pytest.param(
        '<hr id="zwchr"><div><b>From: </b>"Anna Schmidt" &lt;anna@example.com&gt;<br>'
        '<b>To: </b>"Peter" &lt;peter@example.com&gt;<br><b>Sent: </b>Monday, January 1, 2024 '
        "10:00:00 AM<br><b>Subject: </b>Slides<br></div><br>" + ORIGINAL_HTML,
        id="zimbra",
    ),
    pytest.param(
        "<div><br></div><div>-----Original Message-----<br>From: Anna Schmidt "
        "&lt;anna@example.com&gt;<br>To: peter &lt;peter@example.com&gt;<br>"
        "Sent: Mon, Jan 1, 2024 10:00 am<br>Subject: Slides<br></div>" + ORIGINAL_HTML,
        id="aol",
    ),
    pytest.param(
        '<div dir="ltr">On Mon, Jan 1, 2024 at 10:00 AM Anna Schmidt &lt;<a href="mailto:'
        'anna@example.com">anna@example.com</a>&gt;<br>wrote:<br></div>'
        f"<blockquote>{ORIGINAL_HTML}</blockquote>",
        id="gmail-wrapped-no-class",
    ),
    pytest.param(
        "<div>Anna Schmidt &lt;anna@example.com&gt; 于2024年1月1日周一 10:00写道：<br></div>"
        + ORIGINAL_HTML,
        id="zh-unquoted",
    ),
    pytest.param(
        "<div>2024年1月1日(月) 10:00 Anna Schmidt &lt;anna@example.com&gt;:<br></div>"
        f"<blockquote>{ORIGINAL_HTML}</blockquote>",
        id="ja",
    ),
]


@pytest.mark.parametrize("quote", HTML_QUOTES)
@pytest.mark.parametrize("wrapper", ["{}", "<html><body>{}</body></html>"], ids=["bare", "doc"])
def test_html_quote_headers(quote: str, wrapper: str) -> None:
    result = isolate(wrapper.format(NEW_HTML + quote), html=True)
    assert_new_text(result, NEW)
    assert result.has_quote


# --- 2. inline and bottom posting ---------------------------------------------------------------

POSTINGS = [
    pytest.param(
        "On Mon, Jan 1, 2024 at 10:00 AM Anna Schmidt <anna@example.com> wrote:\n"
        "> Can you send the slides?\n> Anna\n\nYes, I will send them tomorrow.\n\nPeter\n",
        "Yes, I will send them tomorrow.\n\nPeter",
        id="bottom",
    ),
    pytest.param(
        "On Mon, Jan 1, 2024 at 10:00 AM\nAnna Schmidt <anna@example.com>\nwrote:\n"
        "> Can you send the slides?\n\nYes, tomorrow.\n",
        "Yes, tomorrow.",
        id="bottom-three-line-attribution",
    ),
    pytest.param(
        "Le lun. 1 janv. 2024 à 10:00, Anna Schmidt <anna@example.com> a écrit :\n"
        "> Tu peux envoyer les diapos ?\n\nOui, demain.\n",
        "Oui, demain.",
        id="bottom-fr",
    ),
    pytest.param(
        "Anna Schmidt <anna@example.com> 于2024年1月1日周一 10:00写道：\n> 幻灯片？\n\n明天发。\n",
        "明天发。",
        id="bottom-zh",
    ),
    pytest.param(
        "Hi Anna,\n\nOn Mon, Jan 1, 2024 at 10:00 AM Anna Schmidt <anna@example.com> wrote:\n"
        "> Can you send the slides?\n\nYes, tomorrow.\n\n> And the budget?\n\n"
        "The budget is in the sheet.\n\nBest,\nPeter\n",
        "Hi Anna,\n\nYes, tomorrow.\n\nThe budget is in the sheet.\n\nBest,\nPeter",
        id="interleaved",
    ),
    pytest.param(
        "See my answers below.\n\n> 1. Can you come on Monday?\nYes.\n"
        "> 2. Can you bring the laptop?\nNo, it is broken.\n",
        "See my answers below.\n\nYes.\n\nNo, it is broken.",
        id="interleaved-no-blank-lines",
    ),
    pytest.param(
        "Anna Schmidt wrote:\n> Bob wrote:\n>> Is it ready?\n> Not yet, Peter?\n\n"
        "It is ready now.\n",
        "It is ready now.",
        id="bottom-nested",
    ),
    pytest.param(
        "Hi Anna,\n\n> Slides?\nAttached.\n> Budget?\nIn the sheet.\n\nCheers,\nPeter\n--\n"
        "Peter Smith | Example Corp\n",
        "Hi Anna,\n\nAttached.\n\nIn the sheet.\n\nCheers,\nPeter",
        id="interleaved-then-signature",
    ),
    pytest.param(
        "Fine by me.\n\nFrom: Anna Schmidt <anna@example.com>\n"
        "Sent: Monday, January 1, 2024 10:00 AM\nTo: Peter Smith <peter@example.com>\n"
        "Subject: Slides\n\nHi Peter,\nslides?\nAnna\n",
        "Fine by me.",
        id="above-unquoted-outlook",
    ),
    pytest.param(
        "Ok.\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n________________________________\n"
        "From: Anna Schmidt <anna@example.com>\nSent: Monday, January 1, 2024 10:00:09 AM\n"
        "To: Peter Smith <peter@example.com>\nSubject: Slides\n\nSlides?\n",
        "Ok.",
        id="above-unquoted-outlook-mobile",
    ),
    pytest.param(
        "Ok.\n\nOutlook für Android herunterladen\n________________________________\n"
        "Von: Anna Schmidt <anna@example.com>\nGesendet: Montag, 1. Januar 2024 10:00:09 AM\n"
        "An: Peter\nBetreff: Folien\n\nFolien?\n",
        "Ok.",
        id="above-unquoted-outlook-mobile-de",
    ),
    pytest.param(
        "Ok.\n--\nSent from my Android phone with K-9 Mail. Please excuse my brevity.\n\n"
        "Anna Schmidt <anna@example.com> schrieb am Mo., 1. Jan. 2024, 10:00:\n> Slides?\n",
        "Ok.",
        id="k9-above-quote",
    ),
    pytest.param(
        "Will do.\n\nPeter\n\nSent from my iPhone\n\n> On 1 Jan 2024, at 10:00, Anna Schmidt "
        "<anna@example.com> wrote:\n> \n> Slides?\n",
        "Will do.\n\nPeter",
        id="ios-quoted-attribution",
    ),
]


@pytest.mark.parametrize(("text", "expected"), POSTINGS)
def test_inline_and_bottom_posting(text: str, expected: str) -> None:
    result = isolate(text)
    assert_new_text(result, expected)
    assert result.has_quote


NOT_QUOTES = [
    pytest.param("On Monday I said:\n- the budget is fine\n- the plan is late\n\nPeter", id="on"),
    pytest.param("On my machine I ran this:\n\n  make test\n\nand it failed.", id="on-machine"),
    pytest.param("As Anna wrote: the budget is fine.", id="wrote-in-sentence"),
    pytest.param("Here is what Anna wrote:\nthe budget is fine and we go ahead.", id="what-wrote"),
    pytest.param("Meeting at 10:00 on 2024-01-01 with anna@example.com\nand the team.", id="date"),
    pytest.param("Ok -- I agree.", id="double-dash-in-line"),
    pytest.param("This email is short.", id="this-email"),
    pytest.param("Sent from my desk, is much easier then my mobile phone.", id="sent-from"),
]


@pytest.mark.parametrize("text", NOT_QUOTES)
def test_author_text_that_looks_like_a_quote_header(text: str) -> None:
    result = isolate(text + "\n")
    assert squash(result.new_text) == squash(text)
    assert not result.has_quote


# --- 3. signatures -------------------------------------------------------------------------------

SIGNATURES = [
    pytest.param(
        "Will do.\n\n-- \nPeter Smith\nHead of Sales\n+49 30 1234567\n",
        "Will do.",
        "-- \nPeter Smith\nHead of Sales\n+49 30 1234567",
        id="dash-dash-space",
    ),
    pytest.param(
        "Will do.\n\n--\nPeter Smith\nHead of Sales\n",
        "Will do.",
        "--\nPeter Smith\nHead of Sales",
        id="dash-dash",
    ),
    pytest.param(
        "Will do.\n\n__\nPeter Smith\nHead of Sales\n",
        "Will do.",
        "__\nPeter Smith\nHead of Sales",
        id="underscores",
    ),
    pytest.param(
        "Sure.\n\n-- \nPeter Smith\nExample Corp\n\n-----Original Message-----\nFrom: Anna\n"
        "Sent: Monday\nTo: Peter\nSubject: Slides\n\nSlides?\n",
        "Sure.",
        "-- \nPeter Smith\nExample Corp",
        id="dash-dash-above-quote",
    ),
    pytest.param(
        "Will do, I will send it by Friday.\n\nBest regards,\nPeter Smith\nHead of Sales\n"
        "Example Corp\nPhone: +49 30 1234567\nwww.example.com\n",
        "Will do, I will send it by Friday.\n\nBest regards,\nPeter Smith",
        "Head of Sales\nExample Corp\nPhone: +49 30 1234567\nwww.example.com",
        id="signoff-title-phone",
    ),
    pytest.param(
        "Will do.\n\nPeter Smith\nHead of Sales\nExample Corp\n+49 30 1234567\n",
        "Will do.\n\nPeter Smith",
        "Head of Sales\nExample Corp\n+49 30 1234567",
        id="name-title-phone",
    ),
    pytest.param(
        "Will do.\n\nThanks,\nPeter\n\nPeter Smith\nHead of Sales\nExample Corp GmbH\n"
        "T +49 30 1234567 | M +49 170 1234567\nwww.example.com\n",
        "Will do.\n\nThanks,\nPeter",
        None,
        id="signoff-then-full-signature",
    ),
    pytest.param(
        "Will do.\n\nKind regards,\nPeter Smith\nSenior Manager, Sales Operations\nExample Corp\n"
        "Mobile: +44 7700 900123\n",
        "Will do.\n\nKind regards,\nPeter Smith",
        None,
        id="title-with-comma",
    ),
    pytest.param(
        "Passt.\n\nMit freundlichen Grüßen\n\nPeter Schmidt\nLeiter Vertrieb\n\nBeispiel GmbH\n"
        "Musterstraße 1, 10115 Berlin\nTel.: +49 30 1234567\nE-Mail: peter.schmidt@beispiel.de\n\n"
        "Geschäftsführer: Max Mustermann\nAmtsgericht Berlin HRB 12345\n",
        "Passt.\n\nMit freundlichen Grüßen\n\nPeter Schmidt",
        None,
        id="de-impressum",
    ),
    pytest.param(
        "C'est bon pour moi.\n\nCordialement,\n\nPierre Martin\nDirecteur commercial\n"
        "Exemple SA\nTél. : +33 1 23 45 67 89\n",
        "C'est bon pour moi.\n\nCordialement,\n\nPierre Martin",
        None,
        id="fr",
    ),
]


@pytest.mark.parametrize(("text", "expected", "signature"), SIGNATURES)
def test_signature_blocks(text: str, expected: str, signature: str | None) -> None:
    result = isolate(text)
    assert_new_text(result, expected)
    if signature is not None:
        assert squash(result.joined(Kind.SIGNATURE)) == squash(signature)


DEVICE_FOOTERS = [
    "Sent from my iPhone",
    "Sent from my Samsung Galaxy smartphone.",
    "Sent from my BlackBerry 10 smartphone on the Vodafone network.",
    "Sent from Yahoo Mail on Android",
    "Sent from Mail for Windows 10",
    "Sent with Proton Mail secure email.",
    "Get Outlook for iOS",
    "Get Outlook for Android<https://aka.ms/ghei36>",
    "Von meinem iPad gesendet",
    "Outlook für iOS beziehen",
    "Outlook für Android herunterladen",
    "Envoyé de mon iPhone",
    "Obtenir Outlook pour Android",
    "Enviado desde mi iPhone",
    "Obtener Outlook para iOS",
    "Enviado do meu iPhone",
    "Inviato da iPhone",
    "Inviato da Outlook per iOS",
    "Verstuurd vanaf mijn iPhone",
    "Verzonden vanuit Outlook voor iOS",
    "Skickat från min iPhone",
    "Sendt fra min iPhone",
    "Wysłane z iPhone'a",
    "Odesláno z iPhonu",
    "Отправлено с iPhone",
    "iPhoneから送信",
    "发自我的iPhone",
    "iPhone'umdan gönderildi",
]


@pytest.mark.parametrize("footer", DEVICE_FOOTERS)
def test_device_footers(footer: str) -> None:
    result = isolate(f"Can you check the numbers?\n\n{footer}\n")
    assert result.body_text == "Can you check the numbers?"
    assert result.joined(Kind.SIGNATURE) == footer


DISCLAIMERS = [
    "This e-mail and any attachments are confidential and intended solely for the addressee.",
    "The information in this email is confidential and may be legally privileged. It is "
    "intended solely for the addressee.",
    "This message contains confidential information and is intended only for the individual named.",
    "CONFIDENTIALITY: This email and its attachments are intended for the addressee only and "
    "may contain privileged information.",
    "Please consider the environment before printing this email.",
    "Diese E-Mail enthält vertrauliche und/oder rechtlich geschützte Informationen.",
    "Diese E-Mail kann vertrauliche Informationen enthalten und ist nur für den Adressaten "
    "bestimmt.",
    "Ce message et toutes les pièces jointes sont confidentiels et établis à l'intention "
    "exclusive de ses destinataires.",
    "Ce courriel et les documents qui y sont joints peuvent contenir des informations "
    "confidentielles.",
    "Este mensaje y sus archivos adjuntos van dirigidos exclusivamente a su destinatario.",
    "Este correo electrónico y, en su caso, cualquier fichero anexo al mismo, contiene "
    "información confidencial.",
    "Questo messaggio e i suoi allegati sono indirizzati esclusivamente alle persone indicate.",
    "Le informazioni contenute in questa comunicazione sono riservate e destinate "
    "esclusivamente al destinatario.",
    "De informatie verzonden met dit e-mailbericht is uitsluitend bestemd voor de geadresseerde.",
    "Esta mensagem e seus anexos podem conter informações confidenciais ou privilegiadas.",
]


@pytest.mark.parametrize("disclaimer", DISCLAIMERS)
@pytest.mark.parametrize(
    "below",
    ["", "\n\nOn Mon, Jan 1, 2024 at 10:00 AM Anna <a@b.example> wrote:\n> Agenda?"],
    ids=["end", "above-quote"],
)
def test_disclaimers(disclaimer: str, below: str) -> None:
    result = isolate(f"Approved.\n\nKate\n\n{disclaimer}{below}\n")
    assert_new_text(result, "Approved.\n\nKate")
    assert squash(result.joined(Kind.SIGNATURE)).startswith(squash(disclaimer))
