"""Outlook's formats as RFC 822 bytes, so that `server.eml` makes every draft the same way.

`.msg` files go through extract-msg (pure Python, reads the OLE compound file); `.pst` and `.ost`
files through libpff-python (libyal's libpff, C, prebuilt wheels; its authors call it alpha). A
sent item in either format usually has no transport headers (they are written on delivery), so
the headers are rebuilt from the MAPI properties: sender, each recipient with its To/Cc/Bcc type,
subject, submit time, In-Reply-To; then the HTML or plain body and each attachment, whose bytes
`server.eml` measures.
"""

from __future__ import annotations

import contextlib
import email.utils
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP
from typing import BinaryIO

from .sources import Item, Kind, Problem, _message, _short, problem

MAPI_TO, MAPI_CC, MAPI_BCC = 1, 2, 3
_FIELD = {MAPI_TO: "To", MAPI_CC: "Cc", MAPI_BCC: "Bcc"}
# MAPI property ids (the high 16 bits of a property tag)
PR_SUBJECT = 0x0037
PR_IN_REPLY_TO_ID = 0x1042
PR_INTERNET_MESSAGE_ID = 0x1035
PR_SENDER_EMAIL_ADDRESS = 0x0C1F
PR_SENDER_SMTP_ADDRESS = 0x5D01
PR_RECIPIENT_TYPE = 0x0C15
PR_DISPLAY_NAME = 0x3001
PR_EMAIL_ADDRESS = 0x3003
PR_SMTP_ADDRESS = 0x39FE
_COPIED_HEADERS = ("From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID", "In-Reply-To")
_THREAD_HEADERS = ("References", "Content-Language")


class OutlookError(Exception):
    """A .msg or .pst that cannot be read; the message says why in a few words."""


def _new_message(headers: dict[str, str]) -> EmailMessage:
    message = EmailMessage(policy=SMTP.clone(max_line_length=998, raise_on_defect=False))
    for name, value in headers.items():
        if value:
            try:
                message[name] = value
            except (ValueError, TypeError, IndexError):  # a header the policy cannot fold
                message[name] = value.encode("ascii", "replace").decode("ascii")
    return message


def _with_body(message: EmailMessage, html: str | None, plain: str | None) -> None:
    if html:
        message.set_content(html, subtype="html", charset="utf-8", cte="8bit")
    else:
        message.set_content(plain or "", charset="utf-8", cte="8bit")


def _attach(message: EmailMessage, name: str, data: bytes) -> None:
    message.add_attachment(
        data, maintype="application", subtype="octet-stream", filename=name or "attachment"
    )


def _address(name: str | None, address: str | None) -> str:
    name, address = (name or "").strip(), (address or "").strip()
    if not address:
        return ""
    return email.utils.formataddr((name, address)) if name and name != address else address


# --- .msg ----------------------------------------------------------------------------------


def msg_to_eml(data: bytes, cap: int) -> bytes:
    """An Outlook .msg file as RFC 822 bytes; OutlookError when it cannot be read."""
    import extract_msg  # imported on the first .msg: it weighs ~25 MB of memory

    try:
        msg = extract_msg.openMsg(data, strict=False, delayAttachments=False)
    except Exception as exc:  # extract-msg and olefile raise many types on bad input
        raise OutlookError(f"not a readable .msg ({_short(exc)})") from None
    try:
        return _msg_message(msg, cap)
    except OutlookError:
        raise
    except Exception as exc:
        raise OutlookError(f"a .msg property could not be read ({_short(exc)})") from None
    finally:
        with contextlib.suppress(Exception):  # closing a broken file may raise again
            msg.close()


def _msg_message(msg, cap: int) -> bytes:
    header = getattr(msg, "header", None)
    transport = {}
    if header is not None:
        transport = {k: str(header[k]) for k in (*_COPIED_HEADERS, *_THREAD_HEADERS) if header[k]}
    recipients: dict[str, list[str]] = {"To": [], "Cc": [], "Bcc": []}
    for recipient in getattr(msg, "recipients", None) or []:
        field = _FIELD.get(int(getattr(recipient, "type", MAPI_TO) or MAPI_TO), "To")
        entry = _address(getattr(recipient, "name", None), getattr(recipient, "email", None))
        if entry:
            recipients[field].append(entry)
    headers = {
        "From": transport.get("From") or (msg.sender or ""),
        **{
            field: ", ".join(values) or transport.get(field, "")
            for field, values in recipients.items()
        },
        "Subject": msg.subject or transport.get("Subject", ""),
        "Date": transport.get("Date")
        or (email.utils.format_datetime(msg.date) if msg.date else ""),
        "Message-ID": transport.get("Message-ID") or (msg.messageId or ""),
        "In-Reply-To": transport.get("In-Reply-To") or (msg.inReplyTo or ""),
        **{name: transport.get(name, "") for name in _THREAD_HEADERS},
    }
    message = _new_message(headers)
    # The body the author wrote: the HTML stream, else the plain one; else what extract-msg
    # makes of an RTF-only body (it would also wrap a plain body in HTML: not wanted).
    html = None
    if msg.exists("__substg1.0_10130102") or not msg.sExists("__substg1.0_1000"):
        html = msg.htmlBody
    if isinstance(html, bytes):
        html = html.decode("utf-8", "replace")
    _with_body(message, html, msg.body)
    room = cap
    for attachment in getattr(msg, "attachments", None) or []:
        payload = getattr(attachment, "data", None)
        if not isinstance(payload, bytes):  # an embedded message or a web link
            payload = b""
        payload = payload[: max(room, 0)]
        room -= len(payload)
        name = getattr(attachment, "longFilename", None) or getattr(attachment, "name", "")
        _attach(message, str(name or ""), payload)
    return message.as_bytes()


# --- .pst ----------------------------------------------------------------------------------


def read_pst(position: str, stream: BinaryIO, size: int, cap: int) -> Iterator[Item]:
    """Every message of a .pst or .ost, folder by folder: "Archive.pst#Sent Items/12"."""
    try:
        import pypff
    except ImportError:
        yield problem(position, Problem.UNREADABLE, "reading .pst needs libpff-python", size)
        return
    archive = pypff.file()
    try:
        archive.open_file_object(stream)
        root = archive.get_root_folder()
    except (OSError, ValueError, TypeError) as exc:
        detail = "not a readable .pst (" + _short(exc).split(":", 1)[0] + ")"
        yield problem(position, Problem.UNREADABLE, detail, size)
        return
    try:
        yield from _pst_folder(position, root, "", cap)
    finally:
        archive.close()
    yield Item("", Kind.PROGRESS, progress=size)


def _pst_folder(position: str, folder, path: str, cap: int) -> Iterator[Item]:
    try:
        count = folder.get_number_of_sub_messages()
    except OSError as exc:
        yield problem(f"{position}#{path or '/'}", Problem.UNREADABLE, _short(exc))
        count = 0
    for index in range(count):
        where = f"{position}#{path}/{index + 1}" if path else f"{position}#{index + 1}"
        try:
            data = pst_message_to_eml(folder.get_sub_message(index), cap)
        except Exception as exc:  # libpff raises OSError; a property may hold anything
            yield problem(where, Problem.UNREADABLE, f"a .pst item ({_short(exc)})")
            continue
        yield _message(where, Kind.EML, data[:cap], len(data) > cap, 0)
    try:
        subfolders = folder.get_number_of_sub_folders()
    except OSError:
        subfolders = 0
    for index in range(subfolders):
        try:
            sub = folder.get_sub_folder(index)
            name = (sub.get_name() or str(index + 1)).replace("/", "_")
        except OSError as exc:
            yield problem(f"{position}#{path}/?", Problem.UNREADABLE, _short(exc))
            continue
        yield from _pst_folder(position, sub, f"{path}/{name}" if path else name, cap)


def _record(record) -> dict[int, object]:
    """Property id -> record entry, for one record set (a message's properties, or one row of
    its recipients table)."""
    found: dict[int, object] = {}
    try:
        for position in range(record.get_number_of_entries()):
            entry = record.get_entry(position)
            found.setdefault(entry.get_entry_type(), entry)
    except OSError:
        pass
    return found


def _rows(item) -> Iterator[dict[int, object]]:
    try:
        count = item.get_number_of_record_sets()
    except OSError:
        return
    for index in range(count):
        try:
            yield _record(item.get_record_set(index))
        except OSError:
            continue


def _string(entries: dict[int, object], tag: int) -> str:
    entry = entries.get(tag)
    if entry is None:
        return ""
    try:
        return entry.get_data_as_string() or ""
    except (OSError, ValueError, TypeError):
        return ""


def _integer(entries: dict[int, object], tag: int, default: int) -> int:
    entry = entries.get(tag)
    if entry is None:
        return default
    try:
        return int(entry.get_data_as_integer())
    except (OSError, ValueError, TypeError):
        return default


def _decoded(body) -> str | None:
    if body is None:
        return None
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    return str(body)


def pst_message_to_eml(item, cap: int) -> bytes:
    """A pypff message as RFC 822 bytes: its transport headers when it was delivered to this
    mailbox, else headers rebuilt from its properties (a sent item has none)."""
    props = next(_rows(item), {})
    transport = email.message_from_string(item.get_transport_headers() or "")
    recipients: dict[str, list[str]] = {"To": [], "Cc": [], "Bcc": []}
    holder = getattr(item, "recipients", None)  # a table: one record set per recipient
    if holder is not None:
        for entries in _rows(holder):
            field = _FIELD.get(_integer(entries, PR_RECIPIENT_TYPE, MAPI_TO), "To")
            address = _string(entries, PR_SMTP_ADDRESS) or _string(entries, PR_EMAIL_ADDRESS)
            entry = _address(_string(entries, PR_DISPLAY_NAME), address)
            if entry:
                recipients[field].append(entry)
    sender = _string(props, PR_SENDER_SMTP_ADDRESS) or _string(props, PR_SENDER_EMAIL_ADDRESS)
    submitted = item.get_client_submit_time()
    headers = {
        "From": transport.get("From") or _address(item.get_sender_name(), sender),
        **{
            field: ", ".join(values) or transport.get(field, "")
            for field, values in recipients.items()
        },
        "Subject": item.get_subject() or transport.get("Subject", ""),
        "Date": transport.get("Date")
        or (email.utils.format_datetime(submitted) if submitted else ""),
        "Message-ID": transport.get("Message-ID") or _string(props, PR_INTERNET_MESSAGE_ID),
        "In-Reply-To": transport.get("In-Reply-To") or _string(props, PR_IN_REPLY_TO_ID),
        **{name: transport.get(name, "") for name in _THREAD_HEADERS},
    }
    message = _new_message(headers)
    _with_body(message, _decoded(item.get_html_body()), _decoded(item.get_plain_text_body()))
    room = cap
    for index in range(item.get_number_of_attachments()):
        attachment = item.get_attachment(index)
        size = min(attachment.get_size() or 0, max(room, 0))
        room -= size
        try:
            payload = attachment.read_buffer(size) if size else b""
        except OSError:
            payload = b""
        try:
            name = attachment.get_long_filename() or ""
        except (OSError, AttributeError):
            name = ""
        _attach(message, name, payload)
    return message.as_bytes()
