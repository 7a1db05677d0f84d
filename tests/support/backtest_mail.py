"""Mailboxes built in the tests: messages as bytes, and the formats they are exported in.

Imported by name (`from backtest_mail import message`), as everything in tests/support: by
tests/backtest and by the console's Backtest page tests.
"""

from __future__ import annotations

import io
import struct
import zipfile
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

TEAM = [f"member{n}@corp.example" for n in range(6)]


def message(
    *,
    sender: str = "ana@corp.example",
    to: list[str] | None = None,
    cc: list[str] | None = None,
    subject: str = "Re: Offsite agenda",
    body: str = "OK with me",
    date: str = "Tue, 14 May 2024 09:12:00 +0200",
    headers: dict[str, str] | None = None,
    charset: str = "utf-8",
    message_id: str = "<m1@corp.example>",
    attachment: str | None = None,
) -> bytes:
    """One RFC 822 message, as a client would have sent it."""
    mail = EmailMessage(policy=SMTP)
    mail["From"] = sender
    mail["To"] = ", ".join(to if to is not None else TEAM[:4])
    if cc:
        mail["Cc"] = ", ".join(cc)
    mail["Subject"] = subject
    mail["Date"] = date
    mail["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body, charset=charset)
    if attachment:
        mail.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename=attachment)
    return mail.as_bytes()


def raw_message(headers: str, body: bytes) -> bytes:
    """A message written by hand, for what EmailMessage would refuse to write (raw 8-bit
    headers are written as Latin-1 bytes)."""
    return headers.strip().replace("\n", "\r\n").encode("latin-1") + b"\r\n\r\n" + body


def mbox(messages: list[bytes]) -> bytes:
    out = []
    for data in messages:
        data = data.replace(b"\r\n", b"\n")
        lines = [b">" + line if line.startswith(b"From ") else line for line in data.split(b"\n")]
        out.append(b"From sender@corp.example Tue May 14 09:12:00 2024\n")
        out.append(b"\n".join(lines).rstrip(b"\n") + b"\n\n")
    return b"".join(out)


def write_maildir(folder: Path, messages: list[bytes]) -> Path:
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True)
    for n, data in enumerate(messages):
        sub = "cur" if n % 2 else "new"
        (folder / sub / f"1715670000.M{n}P1.host:2,S").write_bytes(data)
    return folder


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- Outlook .msg, written with extract-msg's own OLE writer ---------------------------------


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def outlook_msg(
    subject: str, sender: tuple[str, str], recipients: list[tuple[str, str, int]], body: str
) -> bytes:
    """A minimal Outlook .msg (MS-OXMSG): message class, subject, sender, plain body and one
    recipient storage each (type 1 To, 2 Cc, 3 Bcc), as a sent item holds them."""
    from extract_msg.ole_writer import OleWriter

    writer = OleWriter()
    top: list[bytes] = []

    def string(prefix: str, prop: int, text: str, properties: list[bytes]) -> None:
        writer.addEntry(f"{prefix}__substg1.0_{prop:04X}001F", _utf16(text))
        tag = (prop << 16) | 0x001F
        properties.append(struct.pack("<IIII", tag, 6, len(_utf16(text)) + 2, 0))

    string("", 0x001A, "IPM.Note", top)
    string("", 0x0037, subject, top)
    string("", 0x0C1A, sender[0], top)
    string("", 0x5D01, sender[1], top)
    string("", 0x1000, body, top)
    writer.addEntry("__nameid_version1.0", storage=True)
    for stream in ("00020102", "00030102", "00040102"):
        writer.addEntry(f"__nameid_version1.0/__substg1.0_{stream}", b"")
    for n, (name, address, kind) in enumerate(recipients):
        prefix = f"__recip_version1.0_#{n:08X}/"
        writer.addEntry(prefix[:-1], storage=True)
        props: list[bytes] = []
        string(prefix, 0x3001, name, props)
        string(prefix, 0x39FE, address, props)
        string(prefix, 0x3003, address, props)
        props.append(struct.pack("<IIQ", 0x0C150003, 6, kind))
        writer.addEntry(prefix + "__properties_version1.0", b"\0" * 8 + b"".join(props))
    count = len(recipients)
    header = b"\0" * 8 + struct.pack("<IIII", count, 0, count, 0) + b"\0" * 8
    writer.addEntry("__properties_version1.0", header + b"".join(top))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
