"""An RFC 822 message (`.eml` bytes) as Draft JSON, for the CLI and, later, backtests on exports.

Real mail is messy: unknown charsets, broken encoded words, missing boundaries, nesting deep
enough to exhaust the parser's recursion. None of it raises here; what cannot be decoded is
replaced, and values are clamped to the Draft schema's limits so the result always validates.
"""

from __future__ import annotations

import email
import re
from email.header import decode_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses

from linters.model import Body, BodyType
from linters.schema import MAX_ATTACHMENTS, MAX_EMAIL, MAX_NAME, MAX_RECIPIENTS, MAX_SUBJECT
from linters.text import segment
from linters.text.lexicon import ATTRIBUTION_VERB

# Reply and forward prefixes as Outlook, Gmail and Apple Mail write them in the seven languages
# draftlint covers; mailing-list tags ("[team] Re: ...") and counters ("Re[2]:") are skipped.
_PREFIX = re.compile(
    r"^\s*(?:\[[^\]]*\]\s*)*(?P<prefix>[^\W\d_]+)\s*(?:\[\d+\]|\(\d+\))?\s*:", re.IGNORECASE
)
REPLY_PREFIXES = frozenset({"re", "aw", "sv", "antw", "r"})
FORWARD_PREFIXES = frozenset({"fwd", "fw", "wg", "tr", "rv", "i", "doorst", "enc"})

MAX_LOCALE = 35
QUOTE_HEAD = 600  # characters of the quote its header stands in
# An address in a quote header, with what stands before it: "… Jane Doe <jane@x.example> wrote:",
# "From: Jane Doe <jane@x.example>", "De : jane@x.example". Bounded pieces: linear.
_QUOTED_ADDRESS = re.compile(
    r"(?P<before>[^\n<>\[\]]{0,120}?)[ \t\"']*[<\[(]?(?:mailto:)?"
    r"(?P<email>[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8})"
)
# Where the name of the quote header's writer starts: after the date, the time or the header word.
_BEFORE_NAME = re.compile(r"[,:\d]|\b[AaPp]\.?[Mm]\b\.?")
# `_QUOTED_ADDRESS` in pieces, to find where its first match starts without trying it at every
# position (which costs up to 120 tries of the rest there: about a millisecond on a quote with no
# address). Its parts: `before` (at most 120 of these characters), the gap, an optional bracket
# and "mailto:", the address (a local part of at most 64 characters, then the domain).
_BEFORE_LIMIT = 120
_NOT_BEFORE = "\n<>[]"
_GAP = " \t\"'"
_BRACKETS = "<[("
_MAILTO = "mailto:"
_MAX_LOCAL = 64
_LOCAL_CHAR = re.compile(r"[\w.+'-]")
_DOMAIN = re.compile(r"@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")


def not_a_message(data: bytes) -> str | None:
    """Why `data` cannot be an e-mail message (empty, or no header line first), or None."""
    if not data.strip():
        return "it is empty"
    lines = data.lstrip(b"\r\n").split(b"\n", 2)
    if lines[0].startswith(b"From ") and len(lines) > 1:  # an mbox "From " line
        lines = lines[1:]
    name, colon, _ = lines[0].partition(b":")
    if not (colon and name and all(33 <= c <= 126 for c in name)):
        return "it has no header lines"
    return None


def eml_to_draft(data: bytes) -> dict:
    """Parse a message into Draft JSON (a dict for `linters.schema.load_draft`)."""
    try:
        message = email.message_from_bytes(data)
        body, attachments = _body_and_attachments(message)
    except RecursionError:
        # Absurdly nested MIME: keep the headers, which still say who it goes to.
        message = BytesHeaderParser().parsebytes(data)
        body, attachments = {"content": "", "type": "text"}, []
    sender = _addresses(message, "From")[:1]
    to, cc, bcc = (_addresses(message, name) for name in ("To", "Cc", "Bcc"))
    to, cc, bcc = _capped(to, cc, bcc)
    subject = _header(message, "Subject")[:MAX_SUBJECT]
    answers = bool(
        _header(message, "In-Reply-To").strip() or _header(message, "References").strip()
    )
    draft: dict = {
        "compose_type": _compose_type(subject, sender, to + cc + bcc, answers=answers),
        "subject": subject,
        "from": sender[0] if sender else None,
        "to": to,
        "cc": cc,
        "bcc": bcc,
        "body": body,
        "attachments": attachments,
    }
    original: dict = {}
    message_id = _header(message, "In-Reply-To").strip()
    if message_id:
        original["message_id"] = message_id[:MAX_NAME]
    if draft["compose_type"] in ("reply", "reply_all"):
        quoted = _quoted_sender(body)
        if quoted is not None:
            original["from"] = quoted
    if original:
        draft["in_reply_to"] = original
    locale = _header(message, "Content-Language").split(",")[0].strip()
    if locale:
        draft["locale"] = locale[:MAX_LOCALE]
    return draft


def _quoted_sender(body: dict) -> dict | None:
    """Who wrote the message replied to, as the quote's own header says ("Jane Doe <jane@…>
    wrote:", "From: Jane Doe <jane@…>"): the first To address is only where clients usually
    put them, and a reply-all's To may start with someone else."""
    quote = segment(Body(body["content"], BodyType(body["type"]))).quote_text[:QUOTE_HEAD]
    found = quoted_address(quote)
    if found is None or len(found["email"]) > MAX_EMAIL:
        return None
    sender = {"email": found["email"]}
    # "Am 01.01.2024 um 10:00 schrieb Jürgen Groß <…>:": the verb may stand before the name.
    name = ATTRIBUTION_VERB.sub("", _BEFORE_NAME.split(found["before"])[-1]).strip(" \t\"'*")
    if name and len(name) <= MAX_NAME:
        sender["name"] = name
    return sender


def quoted_address(text: str) -> re.Match | None:
    """`_QUOTED_ADDRESS.search(text)`, in time linear in `text`.

    The first match is the one with the first address: a later address can only be reached
    from after this one's "@". So: find the first "@" with a domain after it and a local part
    before it; go back over that local part (64 characters at most), "mailto:", a bracket and the
    gap, to where the pattern's part after `before` can start at the earliest; `before` then
    starts up to 120 characters further back, not before a character it cannot hold. The
    pattern matches there, and nowhere before it.
    """
    at = text.find("@")
    while at >= 0:
        if at and _LOCAL_CHAR.fullmatch(text[at - 1]) and _DOMAIN.match(text, at):
            break
        at = text.find("@", at + 1)
    else:
        return None
    start = at - 1  # the local part's first character
    while start > at - _MAX_LOCAL and start > 0 and _LOCAL_CHAR.fullmatch(text[start - 1]):
        start -= 1
    if text.endswith(_MAILTO, 0, start):
        start -= len(_MAILTO)
    if start > 0 and text[start - 1] in _BRACKETS:
        start -= 1
    while start > 0 and text[start - 1] in _GAP:
        start -= 1
    barrier = max(text.rfind(char, 0, start) for char in _NOT_BEFORE)
    return _QUOTED_ADDRESS.search(text, max(start - _BEFORE_LIMIT, barrier + 1, 0))


def _compose_type(
    subject: str, sender: list[dict], recipients: list[dict], *, answers: bool = False
) -> str:
    """From the subject's Re:/Fwd: prefix; without one, a message that names the message it
    answers (`answers`: In-Reply-To or References) is a reply whose subject was changed."""
    match = _PREFIX.match(subject)
    prefix = match["prefix"].lower() if match else ""
    if prefix in FORWARD_PREFIXES:
        return "forward"
    if prefix in REPLY_PREFIXES or answers:
        author = {a["email"].lower() for a in sender}
        others = {r["email"].lower() for r in recipients} - author
        return "reply_all" if len(others) > 1 else "reply"
    return "new"


# --- headers ------------------------------------------------------------------------------


def _header(message: Message, name: str) -> str:
    values = message.get_all(name) or []
    return _clean(_decode_words(_raw(values[0]))) if values else ""


def _raw(value: object) -> str:
    # compat32 returns a Header object for raw 8-bit headers; str() decodes it with replacement.
    return str(value)


def _addresses(message: Message, name: str) -> list[dict]:
    # Split first, decode names after: an encoded name may hide a comma ("Smith, J").
    raw = [_raw(v) for v in message.get_all(name) or []]
    found = []
    for display_name, address in getaddresses(raw):
        address = _clean(address.strip())
        if not address or len(address) > MAX_EMAIL:
            continue
        entry = {"email": address}
        decoded = _clean(_decode_words(display_name)).strip()
        if decoded:
            entry["name"] = decoded[:MAX_NAME]
        found.append(entry)
    return found


def _capped(*lists: list[dict]) -> list[list[dict]]:
    """Keep at most MAX_RECIPIENTS per list, as the schema does."""
    return [items[:MAX_RECIPIENTS] for items in lists]


def _decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words, replacing what an unknown or lying charset cannot decode."""
    try:
        parts = decode_header(value)
    except Exception:  # the stdlib raises several types on malformed encoded words
        return value
    return "".join(
        chunk if isinstance(chunk, str) else _decode_bytes(chunk, charset)
        for chunk, charset in parts
    )


def _decode_bytes(data: bytes, charset: str | None) -> str:
    # A declared charset may be unknown ("unknown-8bit"), not a text codec ("base64"), or refuse
    # errors="replace" ("idna"); UTF-8 with replacement is the best guess for all of them.
    try:
        return data.decode(charset or "utf-8", errors="replace")
    except (LookupError, ValueError, TypeError):
        return data.decode("utf-8", errors="replace")


def _clean(text: str) -> str:
    """Replace lone surrogates (from undecodable bytes) so the text can be written as UTF-8."""
    return text.encode("utf-8", errors="replace").decode("utf-8")


# --- body and attachments -----------------------------------------------------------------


def _leaves(part: Message):
    """Every non-multipart part, in order; an attached message (message/rfc822) is one leaf."""
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        for child in part.get_payload():
            yield from _leaves(child)
    else:
        yield part


def _body_and_attachments(message: Message) -> tuple[dict, list[dict]]:
    html = plain = None
    attachments = []
    for part in _leaves(message):
        if _is_body_candidate(part):
            if part.get_content_subtype() == "html" and html is None:
                html = part
                continue
            if part.get_content_subtype() == "plain" and plain is None:
                plain = part
                continue
        if _is_attachment(part):
            attachments.append(_attachment(part))
    if html is not None:
        body = {"content": _text(html), "type": "html"}
    elif plain is not None:
        body = {"content": _text(plain), "type": "text"}
    else:
        body = {"content": "", "type": "text"}
    return body, attachments[:MAX_ATTACHMENTS]


def _disposition(part: Message) -> str:
    return (part.get_content_disposition() or "").lower()


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # malformed RFC 2231 parameters
        name = ""
    return _clean(_decode_words(str(name)))


def _is_body_candidate(part: Message) -> bool:
    return (
        part.get_content_maintype() == "text"
        and _disposition(part) != "attachment"
        and not _filename(part)
    )


def _is_attachment(part: Message) -> bool:
    # A text part that is neither named nor referenced is an alternative or extra body, which
    # no client shows as an attachment.
    return (
        part.get_content_maintype() != "text"
        or _disposition(part) == "attachment"
        or bool(_filename(part))
        or part.get("Content-ID") is not None
    )


def _attachment(part: Message) -> dict:
    name = _filename(part)
    if not name and part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner:
            name = _header(inner[0], "Subject")
    payload = part.get_payload(decode=True)
    return {
        "name": name[:MAX_NAME],
        "size": len(payload) if isinstance(payload, bytes) else None,
        "inline": _disposition(part) == "inline" or part.get("Content-ID") is not None,
    }


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return _decode_bytes(payload, part.get_content_charset())
