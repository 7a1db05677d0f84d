"""server.eml: .eml bytes to Draft JSON that always validates, whatever the mail looks like."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linters.schema import load_draft
from server.eml import eml_to_draft


def parsed(samples, name: str) -> dict:
    draft = eml_to_draft((samples / name).read_bytes())
    load_draft(draft)  # always a valid Draft
    return draft


def test_plain_reply_all(samples):
    draft = parsed(samples, "reply_all_plain.eml")

    assert draft["compose_type"] == "reply_all"
    assert draft["subject"] == "RE: Offsite agenda"
    assert draft["from"] == {"email": "peter@corp.example", "name": "Peter Smith"}
    assert draft["to"] == [
        {"email": "boss@corp.example", "name": "Maria Boss"},
        {"email": "anna@corp.example"},
    ]
    assert draft["cc"] == [{"email": "bob@corp.example", "name": "Smith, Bob"}]
    assert draft["bcc"] == []
    assert draft["body"]["type"] == "text"
    assert draft["body"]["content"].startswith("OK with me\n")
    assert draft["in_reply_to"] == {"message_id": "<agenda-1@corp.example>"}  # no quote header
    assert draft["locale"] == "en-GB"
    assert draft["attachments"] == []


def test_the_replied_to_sender_is_who_the_quote_header_names(samples):
    """Not the first To address (Anna): Jane wrote the quoted message."""
    draft = parsed(samples, "reply_all_quote_header.eml")
    assert draft["in_reply_to"] == {
        "message_id": "<agenda-1@corp.example>",
        "from": {"email": "jane.doe@corp.example", "name": "Jane Doe"},
    }


@pytest.mark.parametrize(
    ("header", "sender"),
    [
        (
            "From: Jane Doe <jane@x.example>\nSent: Monday\nSubject: Plan",
            ("jane@x.example", "Jane Doe"),
        ),
        (
            "Am 01.01.2024 um 10:00 schrieb Jürgen Groß <jg@x.example>:",
            ("jg@x.example", "Jürgen Groß"),
        ),
        (
            "Le lun. 1 janv. 2024 à 10:00, Anne Roux <ar@x.example> a écrit :",
            ("ar@x.example", "Anne Roux"),
        ),
    ],
)
def test_quote_headers_of_other_clients_and_languages(header, sender):
    message = (
        "From: me@corp.example\nTo: a@corp.example, b@corp.example\nSubject: Re: Plan\n\n"
        f"Thanks!\n\n{header}\n> the original\n"
    ).encode()
    email, name = sender
    assert eml_to_draft(message)["in_reply_to"]["from"] == {"email": email, "name": name}


def test_forward_with_html_inline_image_and_attachments(samples):
    draft = parsed(samples, "forward_html_attachments.eml")

    assert draft["compose_type"] == "forward"
    assert draft["subject"] == "WG: Quartalszahlen für März"
    assert draft["from"]["name"] == "Jörg Müller"
    assert draft["to"] == [{"email": "anna@corp.example", "name": "Smith, Anna"}]
    assert draft["body"]["type"] == "html"  # preferred over the text/plain alternative
    assert "Grüße, Jörg" in draft["body"]["content"]
    assert draft["attachments"] == [
        {"name": "", "size": 8, "inline": True},  # the logo, referenced by Content-ID
        {"name": "Zahlen März.pdf", "size": 9, "inline": False},  # RFC 2231 file name
        {"name": "Original numbers", "size": None, "inline": False},  # an attached message
    ]
    assert "in_reply_to" not in draft


def test_eight_bit_headers_in_the_wrong_charset_are_replaced_not_fatal(samples):
    draft = parsed(samples, "latin1_8bit.eml")

    assert draft["compose_type"] == "reply"  # one recipient
    assert draft["from"]["email"] == "rene@corp.example"
    assert draft["body"]["content"].startswith("D'accord pour la r\ufffdunion")


def test_malformed_mail_still_gives_a_draft(samples):
    draft = parsed(samples, "malformed.eml")

    assert draft["subject"].startswith("=?utf-8?q?Re")  # a broken encoded word stays as it was
    assert {"email": "c@corp.example"} in draft["cc"]
    assert all(len(r["email"]) <= 320 for r in draft["cc"])  # the 400-character address is dropped


@pytest.mark.parametrize(
    ("subject", "recipients", "expected"),
    [
        ("Re: x", 2, "reply_all"),
        ("AW: x", 1, "reply"),
        ("SV: x", 3, "reply_all"),
        ("re: x", 1, "reply"),
        ("Fwd: x", 2, "forward"),
        ("FW: x", 1, "forward"),
        ("WG: x", 1, "forward"),
        ("TR: x", 1, "forward"),
        ("RV: x", 1, "forward"),
        ("I: x", 1, "forward"),
        ("Doorst: x", 1, "forward"),
        ("[team] Re: x", 2, "reply_all"),
        ("Re[2]: x", 1, "reply"),
        ("Rechnung: x", 2, "new"),
        ("Offsite", 5, "new"),
        ("", 0, "new"),
    ],
)
def test_compose_type_from_subject_and_recipients(subject, recipients, expected):
    to = ", ".join(f"p{i}@corp.example" for i in range(recipients))
    eml = f"From: me@corp.example\nTo: {to}\nSubject: {subject}\n\nbody\n".encode()
    assert eml_to_draft(eml)["compose_type"] == expected


def test_the_author_is_not_counted_as_a_reply_all_recipient():
    eml = b"From: me@corp.example\nTo: you@corp.example\nCc: Me@corp.example\nSubject: Re: x\n\nok"
    assert eml_to_draft(eml)["compose_type"] == "reply"


def test_absurdly_deep_mime_keeps_the_headers():
    depth = 5000
    parts = [b"From: me@corp.example\nTo: a@corp.example, b@corp.example\nSubject: Re: deep\n"]
    parts.append(b"Content-Type: multipart/mixed; boundary=b0\n\n")
    for level in range(depth):
        parts.append(b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (level, level + 1))
    draft = eml_to_draft(b"".join(parts))

    load_draft(draft)
    assert draft["compose_type"] == "reply_all"
    assert draft["body"] == {"content": "", "type": "text"}


@pytest.mark.parametrize("data", [b"", b"\n\n\n", b"\x00\xff\xfe", b"Subject: only\n"])
def test_degenerate_input(data):
    load_draft(eml_to_draft(data))


MAIL_LINES = st.sampled_from(
    [
        b"From: a@b.example",
        b"To: =?utf-8?b?w6Q=?= <c@d.example>, e@f.example",
        b'Cc: "x, y" <g@h.example>',
        b"Subject: =?x-unknown?q?R=E9?=",
        b"Subject: Re: hello",
        b"Content-Type: multipart/alternative; boundary=zz",
        b"Content-Type: text/html; charset=base64",
        b"Content-Type: text/plain; charset=idna",
        b"Content-Type: message/rfc822",
        b"Content-Transfer-Encoding: base64",
        b"Content-Transfer-Encoding: quoted-printable",
        b"Content-Transfer-Encoding: x-uuencode",
        b"Content-Disposition: attachment; filename*=bogus''%FF%FE",
        b"Content-ID: <x>",
        b"--zz",
        b"--zz--",
        b"",
        b"=?utf-8?q?=FF?=",
        b"begin 644 f\n#0V%T\n`\nend",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(MAIL_LINES, st.binary(max_size=40)), max_size=40))
def test_any_mail_gives_a_valid_draft(lines):
    load_draft(eml_to_draft(b"\n".join(lines)))


@pytest.mark.parametrize(
    ("subject", "headers", "recipients", "expected"),
    [
        ("New subject", "In-Reply-To: <x@corp.example>\n", 2, "reply_all"),
        ("New subject", "References: <a@corp.example> <x@corp.example>\n", 1, "reply"),
        ("Fwd: x", "In-Reply-To: <x@corp.example>\n", 2, "forward"),  # the prefix says more
        ("Re: x", "", 2, "reply_all"),
        ("Offsite", "In-Reply-To:   \n", 2, "new"),  # names no message
        ("Offsite", "", 2, "new"),
    ],
)
def test_compose_type_from_in_reply_to_and_references(subject, headers, recipients, expected):
    to = ", ".join(f"p{i}@corp.example" for i in range(recipients))
    eml = f"From: me@corp.example\nTo: {to}\nSubject: {subject}\n{headers}\nbody\n".encode()
    assert eml_to_draft(eml)["compose_type"] == expected


def test_a_reply_by_its_headers_names_the_quoted_sender():
    eml = (
        b"From: me@corp.example\nTo: a@corp.example, b@corp.example\nSubject: Changed\n"
        b"References: <x@corp.example>\n\n+1\n\nOn Mon, Jane Doe <jane@corp.example> wrote:\n"
        b"> shall we?\n"
    )
    draft = eml_to_draft(eml)
    assert draft["compose_type"] == "reply_all"
    assert draft["in_reply_to"] == {"from": {"email": "jane@corp.example", "name": "Jane Doe"}}


# What `quoted_address` must find exactly as `_QUOTED_ADDRESS.search` does: addresses, the
# characters its pieces are made of or stop at, and long runs of them.
_ADDRESS_PIECES = st.sampled_from(
    [
        *"ab Z9_.-+'\"@<>[]()\n\t:é",
        "mailto:",
        "<mailto:",
        "a@b.c",
        "x.y@dom.example",
        "j@x.io",
        "é@é.é",
        "Jane Doe <jane@x.example>",
        "  ",
        "((",
        "-" * 70,
        "a" * 70,
        " " * 130,
        "x" * 130,
        "'" * 20,
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_ADDRESS_PIECES, max_size=30).map("".join))
def test_quoted_address_finds_what_the_pattern_finds(text):
    from server.eml import _QUOTED_ADDRESS, quoted_address

    expected = _QUOTED_ADDRESS.search(text)
    found = quoted_address(text)
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert (found.span(), found["before"], found["email"]) == (
            expected.span(),
            expected["before"],
            expected["email"],
        )
