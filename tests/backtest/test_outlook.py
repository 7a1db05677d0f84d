"""Outlook's formats: a .pst message (through a stand-in of libpff's objects, since no .pst can be
written here) and a .msg become RFC 822 bytes that `server.eml` reads like any other."""

from __future__ import annotations

from datetime import datetime

import pytest
from backtest_mail import TEAM, outlook_msg

from server.backtest.outlook import OutlookError, msg_to_eml, pst_message_to_eml
from server.eml import eml_to_draft


class Entry:
    def __init__(self, kind: int, value):
        self.kind, self.value = kind, value

    def get_entry_type(self):
        return self.kind

    def get_data_as_string(self):
        return self.value

    def get_data_as_integer(self):
        return self.value


class RecordSet:
    def __init__(self, entries: dict[int, object]):
        self.entries = [Entry(k, v) for k, v in entries.items()]

    def get_number_of_entries(self):
        return len(self.entries)

    def get_entry(self, index):
        return self.entries[index]


class Table:
    """libpff's items keep their properties in record sets; a recipients table has one a row."""

    def __init__(self, *rows: dict[int, object]):
        self.rows = [RecordSet(row) for row in rows]

    def get_number_of_record_sets(self):
        return len(self.rows)

    def get_record_set(self, index):
        return self.rows[index]


class Attachment:
    def get_size(self):
        return 1200

    def read_buffer(self, size):
        return b"%PDF" + b"\0" * (size - 4)

    def get_long_filename(self):
        return "plan.pdf"


class SentItem(Table):
    """A sent item as libpff presents it: no transport headers, properties only."""

    def __init__(self, body: str, attachments: int = 0):
        super().__init__({0x5D01: "ana@corp.example", 0x1042: "<orig@corp.example>"})
        self.recipients = Table(
            *({0x3001: f"M{n}", 0x39FE: TEAM[n], 0x0C15: 1 + (n == 3)} for n in range(4))
        )
        self.body = body
        self.attachments = attachments

    def get_transport_headers(self):
        return None

    def get_sender_name(self):
        return "Ana Silva"

    def get_subject(self):
        return "RE: Offsite agenda"

    def get_client_submit_time(self):
        return datetime(2024, 5, 14, 9, 12)

    def get_html_body(self):
        return None

    def get_plain_text_body(self):
        return self.body.encode("utf-8")

    def get_number_of_attachments(self):
        return self.attachments

    def get_attachment(self, index):
        return Attachment()


def test_a_pst_sent_item_becomes_the_draft_it_was():
    body = "Thanks all!\r\n\r\nFrom: Jane Doe <jane@corp.example>\r\nSent: Monday\r\n\r\nPlan"
    draft = eml_to_draft(pst_message_to_eml(SentItem(body, attachments=1), cap=1 << 20))
    assert draft["compose_type"] == "reply_all"
    assert draft["from"] == {"email": "ana@corp.example", "name": "Ana Silva"}
    assert [r["email"] for r in draft["to"]] == TEAM[:3]
    assert [r["email"] for r in draft["cc"]] == TEAM[3:4]
    assert draft["attachments"] == [{"name": "plan.pdf", "size": 1200, "inline": False}]
    assert draft["in_reply_to"]["message_id"] == "<orig@corp.example>"
    assert draft["in_reply_to"]["from"]["email"] == "jane@corp.example"


def test_a_msg_becomes_the_draft_it_was():
    data = outlook_msg(
        "AW: Budget",
        ("Ana Silva", "ana@corp.example"),
        [("Bo", TEAM[0], 1), ("Ed", TEAM[4], 3)],
        "Passt.",
    )
    draft = eml_to_draft(msg_to_eml(data, cap=1 << 20))
    assert draft["compose_type"] == "reply_all"
    assert draft["from"]["email"] == "ana@corp.example"
    assert [r["email"] for r in draft["to"]] == [TEAM[0]]
    assert [r["email"] for r in draft["bcc"]] == [TEAM[4]]
    assert draft["body"]["content"].strip() == "Passt."


@pytest.mark.parametrize(
    "data", [b"", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 3000, b"not ole at all" * 200]
)
def test_a_broken_msg_is_an_outlook_error(data):
    with pytest.raises(OutlookError, match=r"not a readable \.msg"):
        msg_to_eml(data, cap=1 << 20)
