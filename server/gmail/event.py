"""The event object Google posts to an HTTP add-on endpoint, checked and reduced to what we use.

Field names follow Google's event-object reference (workspace/add-ons/concepts/event-objects):
- `commonEventObject.parameters`: the action's parameters (string -> string), set by our cards;
  `commonEventObject.userLocale`;
- `authorizationEventObject.userIdToken` (who the user is) and `.userOAuthToken` (the user's
  access token for the deployment's scopes; in `full` mode it reads the draft);
- `gmail.threadId`, `gmail.messageId`, and in a compose trigger with `draftAccess: METADATA`
  the draft's recipients `gmail.toRecipients`, `gmail.ccRecipients`, `gmail.bccRecipients`
  (lists of addresses).

Everything is input: wrong types, oversized values and odd ids raise `EventError`, whose message
names the field (never its value) for a 400.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from types import MappingProxyType

from linters.schema import MAX_EMAIL

MAX_RECIPIENTS = 1000  # per draft; Gmail itself allows far fewer
MAX_PARAMETERS = 20
MAX_PARAMETER = 4000  # characters; our cards send at most 2000 (cards.MAX_PARAMETER)
MAX_TOKEN = 8192
MAX_LOCALE = 35
GMAIL_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class EventError(ValueError):
    """The event object is malformed; the message names the field."""


@dataclass(frozen=True, slots=True)
class AddonEvent:
    parameters: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    user_id_token: str | None = None
    user_oauth_token: str | None = None
    thread_id: str | None = None
    message_id: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    locale: str | None = None

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc + self.bcc


def parse_event(data: object) -> AddonEvent:
    if not isinstance(data, dict):
        raise EventError("The request body must be the add-on event object (a JSON object).")
    common = _object(data, "commonEventObject")
    auth = _object(data, "authorizationEventObject")
    gmail = _object(data, "gmail")
    event = AddonEvent(
        parameters=MappingProxyType(_parameters(common.get("parameters"))),
        user_id_token=_string(auth, "userIdToken", MAX_TOKEN, "authorizationEventObject"),
        user_oauth_token=_string(auth, "userOAuthToken", MAX_TOKEN, "authorizationEventObject"),
        thread_id=_gmail_id(gmail, "threadId"),
        message_id=_gmail_id(gmail, "messageId"),
        to=_addresses(gmail, "toRecipients"),
        cc=_addresses(gmail, "ccRecipients"),
        bcc=_addresses(gmail, "bccRecipients"),
        locale=_string(common, "userLocale", MAX_LOCALE, "commonEventObject"),
    )
    if len(event.recipients) > MAX_RECIPIENTS:
        raise EventError(f"gmail: more than {MAX_RECIPIENTS} recipients.")
    return event


def _object(data: dict, name: str) -> dict:
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise EventError(f"{name} must be an object.")
    return value


def _string(data: dict, name: str, limit: int, parent: str) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise EventError(f"{parent}.{name} must be a string.")
    if len(value) > limit:
        raise EventError(f"{parent}.{name} is longer than {limit} characters.")
    return value


def _parameters(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_PARAMETERS:
        raise EventError(
            f"commonEventObject.parameters must be an object of at most {MAX_PARAMETERS} strings."
        )
    for key, item in value.items():
        if not isinstance(item, str) or len(item) > MAX_PARAMETER or len(key) > 100:
            raise EventError(
                f"commonEventObject.parameters: each value must be a string of at most "
                f"{MAX_PARAMETER} characters."
            )
    return dict(value)


def _gmail_id(gmail: dict, name: str) -> str | None:
    value = _string(gmail, name, 128, "gmail")
    if value is not None and not GMAIL_ID.fullmatch(value):
        raise EventError(f"gmail.{name} is not a Gmail id.")
    return value


def _addresses(gmail: dict, name: str) -> tuple[str, ...]:
    value = gmail.get(name)
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_RECIPIENTS:
        raise EventError(f"gmail.{name} must be a list of at most {MAX_RECIPIENTS} addresses.")
    found = []
    for item in value:
        if not isinstance(item, str) or len(item) > MAX_EMAIL + 1000:
            raise EventError(f"gmail.{name} must hold addresses as strings.")
        # Plain addresses as documented; "Name <address>" is accepted too.
        address = parseaddr(item)[1].strip() or item.strip()
        if address and "@" in address and len(address) <= MAX_EMAIL:
            found.append(address)
    return tuple(found)
