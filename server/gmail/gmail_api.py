"""Reading the auto-saved draft and the message it answers, through the Gmail API (`full` mode).

The add-on event carries the draft's recipients but never its text; with `gmail.readonly` the
backend reads it with the user's OAuth token from the event, through google-api-python-client
built from its bundled (static) discovery document:
1. `users.threads.get(format=metadata)`: the thread's messages with only the headers we need;
   the newest message labelled DRAFT is the draft, the newest other one is the message it
   answers (its From/To/Cc, Subject and Message-ID become `in_reply_to`).
   Without a thread id (a new message) the newest draft (`users.drafts.list`, one) is taken,
   and only if its saved recipients are the event's: never someone else's draft text.
2. `users.messages.get(format=raw)` of the draft: its RFC 822 bytes, parsed by the same code as
   an uploaded `.eml` (server/eml.py), which copes with any MIME shape and charset.

Every call has a short timeout (httplib2) and a size cap; anything that goes wrong raises
`GmailUnavailable`, and the adapter checks what it can without the text.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from email.utils import getaddresses

import google_auth_httplib2
import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

from linters.model import Address, Original, Recipient
from linters.schema import MAX_EMAIL, MAX_NAME, MAX_SUBJECT

from ..eml import eml_to_draft

HEADERS = ("From", "To", "Cc", "Bcc", "Subject", "Message-ID")
THREAD_FIELDS = "messages(id,labelIds,internalDate,sizeEstimate,payload/headers)"
MAX_DRAFT_BYTES = 2 * 1024 * 1024  # what /v1/lint accepts too
MAX_THREAD_MESSAGES = 500


class GmailUnavailable(Exception):
    """The Gmail API failed, timed out or answered something unusable. The message is the kind
    of failure only, fit for a log."""


@dataclass(frozen=True, slots=True)
class SavedDraft:
    """What the Gmail API told about the draft: its Draft JSON fields (body, attachments,
    subject, compose type) and the message it answers, if any."""

    fields: dict
    in_reply_to: Original | None


class GmailReader:
    """Reads drafts for one deployment; `api_root` points at a stand-in in tests."""

    def __init__(self, api_root: str | None, timeout: float):
        self.timeout = timeout
        options = {"api_endpoint": api_root} if api_root else None
        # One service object per process: building it parses the discovery document. Each call
        # runs on its own authorised Http (httplib2 objects are not thread-safe).
        self._service = build(
            "gmail",
            "v1",
            http=httplib2.Http(timeout=timeout),
            static_discovery=True,
            cache_discovery=False,
            client_options=options,
        )

    def read(
        self, token: str, thread_id: str | None, recipients: tuple[str, ...]
    ) -> SavedDraft | None:
        """The saved draft of `thread_id` (or the newest new draft), None if none is saved yet."""
        http = google_auth_httplib2.AuthorizedHttp(
            Credentials(token), http=httplib2.Http(timeout=self.timeout)
        )
        try:
            return self._read(http, thread_id, recipients)
        except GmailUnavailable:
            raise
        except Exception as error:  # HttpError, timeouts, refused connections, odd JSON
            raise GmailUnavailable(type(error).__name__) from None

    def _read(self, http, thread_id, recipients) -> SavedDraft | None:
        users = self._service.users()
        check_recipients = thread_id is None
        if thread_id is None:
            listed = users.drafts().list(
                userId="me", maxResults=1, fields="drafts(message(id,threadId))"
            )
            drafts = listed.execute(http=http).get("drafts") or []
            if not drafts:
                return None
            thread_id = drafts[0]["message"]["threadId"]
        thread = (
            users.threads()
            .get(
                userId="me",
                id=thread_id,
                format="metadata",
                metadataHeaders=list(HEADERS),
                fields=THREAD_FIELDS,
            )
            .execute(http=http)
        )
        messages = sorted(
            (thread.get("messages") or [])[:MAX_THREAD_MESSAGES],
            key=lambda m: int(m.get("internalDate") or 0),
        )
        drafts = [m for m in messages if "DRAFT" in (m.get("labelIds") or [])]
        if not drafts:
            return None
        draft = drafts[-1]
        headers = _headers(draft)
        if check_recipients and _keys(headers, "To", "Cc", "Bcc") != {
            r.lower() for r in recipients
        }:
            return None  # the newest draft is not the one being written
        if int(draft.get("sizeEstimate") or 0) > MAX_DRAFT_BYTES:
            raise GmailUnavailable("DraftTooLarge")
        raw = (
            users.messages()
            .get(userId="me", id=draft["id"], format="raw", fields="raw")
            .execute(http=http)
            .get("raw", "")
        )
        if len(raw) > MAX_DRAFT_BYTES * 4 // 3 + 4:
            raise GmailUnavailable("DraftTooLarge")
        try:
            data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        except (binascii.Error, ValueError):
            raise GmailUnavailable("BadRawMessage") from None
        parsed = eml_to_draft(data)
        others = [m for m in messages if "DRAFT" not in (m.get("labelIds") or [])]
        parent = _original(_headers(others[-1])) if others else None
        fields = {key: parsed[key] for key in ("subject", "body", "attachments")}
        # eml_to_draft reads a forward from the subject's prefix in seven languages ("Fwd:",
        # "WG:", "TR:", ...); anything else in a thread answers its newest message.
        if parsed["compose_type"] == "forward":
            fields["compose_type"] = "forward"
        else:
            fields["compose_type"] = "reply" if parent else "new"
        return SavedDraft(fields, parent)


def _headers(message: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for header in (message.get("payload") or {}).get("headers") or []:
        name, value = header.get("name"), header.get("value")
        if isinstance(name, str) and isinstance(value, str):
            found.setdefault(name.lower(), []).append(value)
    return found


def _addresses(headers: dict, *names: str) -> list[tuple[str, str]]:
    values = [v for name in names for v in headers.get(name.lower(), [])]
    return [
        (name[:MAX_NAME], address.strip())
        for name, address in getaddresses(values)
        if address.strip() and len(address.strip()) <= MAX_EMAIL
    ]


def _keys(headers: dict, *names: str) -> set[str]:
    return {address.lower() for _, address in _addresses(headers, *names)}


def _recipients(headers: dict, name: str) -> tuple[Recipient, ...]:
    return tuple(
        Recipient(address, display or None) for display, address in _addresses(headers, name)
    )


def _original(headers: dict) -> Original:
    senders = _addresses(headers, "From")
    sender = Address(senders[0][1], senders[0][0] or None) if senders else None
    message_id = (headers.get("message-id") or [""])[0].strip()[:MAX_NAME] or None
    return Original(
        sender=sender,
        to=_recipients(headers, "To"),
        cc=_recipients(headers, "Cc"),
        bcc=_recipients(headers, "Bcc"),
        subject=(headers.get("subject") or [""])[0][:MAX_SUBJECT],
        message_id=message_id,
    )
