"""Microsoft Graph on behalf of the person composing: group sizes and the message replied to.

A token for Graph comes from MSAL's `ConfidentialClientApplication.acquire_token_on_behalf_of`,
with the person's verified access token for our API as the user assertion (verify.py), so
Graph answers with exactly what that person may see. One MSAL client per tenant (its authority is
the tenant's); MSAL keeps no tokens of its own here (it would keep every assertion's tokens for
ever), and `OnBehalfOf` keeps each assertion's Graph token until shortly before it expires, a
bounded number of them.

Every HTTP call, MSAL's included, goes through `BudgetSession`: a per-call timeout
(`OUTLOOK_GRAPH_TIMEOUT`) cut to what is left of the lint's budget (`budget()`), and no call at
all once it is spent. Failures raise `GraphUnavailable`, whose message is the kind of failure and
the HTTP status only: never an address, a subject or a token. Its `unreachable` says a call was
made and got no answer in time (a timeout, a refused or broken connection): an outage. A call
never made because the budget was already spent (`BudgetSpent`) says nothing about Graph, and
is not `unreachable`.

The calls (permissions per Microsoft's docs, all delegated):
- `GET /groups?$filter=mail eq '...'&$select=id` (GroupMember.Read.All), then
  `GET /groups/{id}/transitiveMembers/microsoft.graph.user/$count` with `ConsistencyLevel:
  eventual` (GroupMember.Read.All): the people a distribution list or Microsoft 365 group reaches,
  nested lists expanded, and nested groups themselves (or devices) not counted as people;
- `POST /me/getMailTips` with `MailTipsOptions: totalMemberCount` (Mail.Read): Exchange's own
  count, the fallback for lists the directory query cannot size;
- `GET /me/messages?$filter=internetMessageId eq '...'&$select=from,toRecipients,ccRecipients,
  bccRecipients,subject` (Mail.ReadBasic or Mail.Read): the message being answered, named by
  `item.inReplyTo` (Mailbox 1.14);
- `GET /me/messages?$filter=conversationId eq '...'` (same permissions): when Outlook names no
  message (an older Outlook, or `inReplyTo` empty) but the reply has a conversation id, the
  newest received message of the conversation stands for the one being answered.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import msal
import requests

from linters.model import Address, Original, Recipient

from .settings import OutlookSettings

MAX_TENANTS = 256  # MSAL clients kept, one per tenant
MAX_TOKENS = 4096  # Graph tokens kept, one per user assertion
TOKEN_EARLY_EXPIRY = 120.0  # seconds: a token this close to expiry is not reused
MAX_RESPONSE_BYTES = 2_000_000
MAX_ORIGINAL_RECIPIENTS = 1000  # per list, of the message replied to
MAX_MAILTIPS = 20  # addresses per getMailTips call
CONVERSATION_PAGE = 50  # messages of a conversation read to find its newest
MESSAGE_FIELDS = "from,toRecipients,ccRecipients,bccRecipients,subject"

_deadline: ContextVar[float | None] = ContextVar("graph_deadline", default=None)


class GraphUnavailable(Exception):
    """Graph (or the token endpoint) could not answer; the message is safe to log.
    `unreachable`: a call made got no answer at all (a timeout, a refused or broken connection):
    an outage, as opposed to an answer we cannot use (an HTTP error, an unexpected body) or a
    call never made because the lint's budget was spent (`BudgetSpent`), neither of which is."""

    def __init__(self, message: str, *, unreachable: bool = False):
        super().__init__(message)
        self.unreachable = unreachable


class BudgetSpent(Exception):
    """The lint's time for outside look-ups is used up: the call is not made. Not a `requests`
    error on purpose: it is no sign that Graph is down, and must not pause the tenant's look-ups
    as an outage does."""


MIN_CALL = 0.01  # seconds: with less than this left of the budget, no call is started


def remaining() -> float | None:
    """Seconds left of the current `budget()` (never negative), None outside one."""
    deadline = _deadline.get()
    return None if deadline is None else max(0.0, deadline - time.monotonic())


@contextmanager
def budget(seconds: float) -> Iterator[None]:
    """Every call made through a `BudgetSession` inside the block ends within `seconds`."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


class BudgetSession(requests.Session):
    """A requests session whose calls time out after `per_call` seconds or at the budget's end,
    whichever comes first, and trust the configured CA bundle (passed per request: a
    session-wide `verify` loses to $REQUESTS_CA_BUNDLE, psf/requests#3829)."""

    def __init__(self, per_call: float, verify: str | bool):
        super().__init__()
        self._per_call = per_call
        self._verify = verify

    def request(self, method, url, *args, **kwargs):
        timeout = self._per_call
        deadline = _deadline.get()
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= MIN_CALL:
                raise BudgetSpent("budget spent")
            timeout = min(timeout, left)
        kwargs["timeout"] = timeout
        if kwargs.get("verify") is None:
            kwargs["verify"] = self._verify
        return super().request(method, url, *args, **kwargs)


class _NoTokenCache(msal.TokenCache):
    """MSAL's cache would keep the tokens of every assertion it ever saw; `OnBehalfOf` keeps a
    bounded number itself."""

    def add(self, event, now=None):
        return None


class OnBehalfOf:
    """Graph access tokens for a user, exchanged for their access token to our API."""

    def __init__(
        self, settings: OutlookSettings, http: requests.Session, *, clock=time.monotonic
    ) -> None:
        self._settings = settings
        self._http = http
        self._clock = clock
        self._lock = threading.Lock()
        self._apps: OrderedDict[str, msal.ConfidentialClientApplication] = OrderedDict()
        self._tokens: OrderedDict[str, tuple[str, float]] = OrderedDict()

    @property
    def configured(self) -> bool:
        return bool(self._settings.client_id and self._settings.client_secret)

    def token(self, tenant: str, assertion: str) -> str:
        key = hashlib.sha256(assertion.encode()).hexdigest()
        now = self._clock()
        with self._lock:
            hit = self._tokens.get(key)
            if hit is not None and hit[1] > now:
                self._tokens.move_to_end(key)
                return hit[0]
        try:
            result = self._app(tenant).acquire_token_on_behalf_of(
                assertion, list(self._settings.graph_scopes)
            )
        except BudgetSpent:
            raise GraphUnavailable("token endpoint: budget spent") from None
        except requests.RequestException as error:
            raise GraphUnavailable(
                f"token endpoint: {type(error).__name__}", unreachable=True
            ) from None
        except Exception as error:  # MSAL raises its own errors (on a 5xx, a bad discovery
            # answer, ...); whatever it is, the look-ups are off for this lint.
            raise GraphUnavailable(f"token endpoint: {type(error).__name__}") from None
        if "access_token" not in result:
            code = str(result.get("error", "no token"))[:64]  # an OAuth error code
            raise GraphUnavailable(f"token endpoint: {code}")
        lifetime = float(result.get("expires_in") or 0) - TOKEN_EARLY_EXPIRY
        with self._lock:
            if lifetime > 0:
                self._tokens[key] = (result["access_token"], now + lifetime)
                while len(self._tokens) > MAX_TOKENS:
                    self._tokens.popitem(last=False)
        return result["access_token"]

    def _app(self, tenant: str) -> msal.ConfidentialClientApplication:
        with self._lock:
            app = self._apps.get(tenant)
            if app is not None:
                self._apps.move_to_end(tenant)
                return app
        options: dict = {
            "client_id": self._settings.client_id,
            "client_credential": self._settings.client_secret,
            "http_client": self._http,
            "token_cache": _NoTokenCache(),
        }
        if self._settings.oidc_authority:
            options["oidc_authority"] = self._settings.oidc_authority.replace("{tenantid}", tenant)
            options["instance_discovery"] = False
        else:
            options["authority"] = self._settings.authority.replace("{tenantid}", tenant)
        # Built outside the lock: MSAL fetches the tenant's discovery document here.
        app = msal.ConfidentialClientApplication(**options)
        with self._lock:
            self._apps[tenant] = app
            while len(self._apps) > MAX_TENANTS:
                self._apps.popitem(last=False)
        return app


class GraphClient:
    """The three Graph look-ups draftlint makes, each with a Graph access token."""

    def __init__(self, base_url: str, http: requests.Session):
        self._base = base_url.rstrip("/")
        self._http = http

    def group_id(self, token: str, address: str) -> str | None:
        """The directory id of the group whose primary address is `address`, if any."""
        page = self._json(
            "group look-up",
            "GET",
            "groups",
            token,
            params={"$filter": f"mail eq {_literal(address)}", "$select": "id"},
        )
        groups = page.get("value")
        if isinstance(groups, list) and groups and isinstance(groups[0], dict):
            found = groups[0].get("id")
            return found if isinstance(found, str) and found else None
        return None

    def people_in_group(self, token: str, group_id: str) -> int:
        """How many users the group reaches, nested groups expanded."""
        path = f"groups/{requests.utils.quote(group_id, safe='')}/transitiveMembers/"
        response = self._call(
            "group count",
            "GET",
            f"{path}microsoft.graph.user/$count",
            token,
            headers={"ConsistencyLevel": "eventual"},
        )
        try:
            count = int(response.text.strip().lstrip("\ufeff"))
        except ValueError:
            raise GraphUnavailable("group count: not a number") from None
        if count < 0:
            raise GraphUnavailable("group count: negative")
        return count

    def mail_tips_sizes(self, token: str, addresses: Sequence[str]) -> dict[str, int]:
        """Exchange's total member count for each address that is a list (lower-cased keys)."""
        sizes: dict[str, int] = {}
        for start in range(0, len(addresses), MAX_MAILTIPS):
            body = {
                "EmailAddresses": list(addresses[start : start + MAX_MAILTIPS]),
                "MailTipsOptions": "totalMemberCount",
            }
            answer = self._json("getMailTips", "POST", "me/getMailTips", token, json=body)
            for tips in answer.get("value") or []:
                if not isinstance(tips, dict) or tips.get("error"):
                    continue
                address = (tips.get("emailAddress") or {}).get("address")
                count = tips.get("totalMemberCount")
                if isinstance(address, str) and type(count) is int and count >= 0:
                    sizes[address.strip().lower()] = count
        return sizes

    def replied_to(self, token: str, message_id: str) -> Original | None:
        """The message with this Internet message id in the user's mailbox, if there is one."""
        page = self._json(
            "message look-up",
            "GET",
            "me/messages",
            token,
            params={
                "$filter": f"internetMessageId eq {_literal(message_id)}",
                "$select": MESSAGE_FIELDS,
                "$top": "1",
            },
        )
        messages = page.get("value")
        if not (isinstance(messages, list) and messages and isinstance(messages[0], dict)):
            return None
        return _original(messages[0], message_id)

    def latest_in_conversation(self, token: str, conversation_id: str) -> Original | None:
        """The newest received message of this conversation in the user's mailbox: what a reply
        answers when Outlook does not say which message (`item.inReplyTo` needs Mailbox 1.14).
        Graph refuses `$orderby` on a property the filter does not name first, so a page of the
        conversation is read and the newest non-draft picked here."""
        page = self._json(
            "conversation look-up",
            "GET",
            "me/messages",
            token,
            params={
                "$filter": f"conversationId eq {_literal(conversation_id)}",
                "$select": f"{MESSAGE_FIELDS},internetMessageId,receivedDateTime,isDraft",
                "$top": str(CONVERSATION_PAGE),
            },
        )
        messages = page.get("value")
        received = [
            m
            for m in (messages if isinstance(messages, list) else ())
            if isinstance(m, dict)
            and m.get("isDraft") is not True
            and isinstance(m.get("receivedDateTime"), str)
        ]
        if not received:
            return None
        # ISO 8601 in UTC ("2025-03-03T10:00:00Z") sorts as text.
        newest = max(received, key=lambda m: m["receivedDateTime"])
        message_id = newest.get("internetMessageId")
        return _original(newest, message_id if isinstance(message_id, str) else None)

    def _json(self, what: str, method: str, path: str, token: str, **kwargs) -> dict:
        response = self._call(what, method, path, token, **kwargs)
        try:
            data = response.json()
        except ValueError:
            raise GraphUnavailable(f"{what}: not JSON") from None
        if not isinstance(data, dict):
            raise GraphUnavailable(f"{what}: not a JSON object")
        return data

    def _call(self, what: str, method: str, path: str, token: str, **kwargs) -> requests.Response:
        """`what` names the call in errors and logs; the path and query may hold an address."""
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        try:
            response = self._http.request(method, f"{self._base}/{path}", headers=headers, **kwargs)
        except BudgetSpent:
            raise GraphUnavailable(f"{what}: budget spent") from None
        except requests.RequestException as error:
            raise GraphUnavailable(f"{what}: {type(error).__name__}", unreachable=True) from None
        if response.status_code != 200:
            raise GraphUnavailable(f"{what}: HTTP {response.status_code}")
        if len(response.content) > MAX_RESPONSE_BYTES:
            raise GraphUnavailable(f"{what}: answer too large")
        return response


def _original(message: dict, message_id: str | None) -> Original:
    sender = _address(message.get("from"))
    subject = message.get("subject")
    return Original(
        sender=Address(sender[0], sender[1]) if sender else None,
        to=_recipients(message.get("toRecipients")),
        cc=_recipients(message.get("ccRecipients")),
        bcc=_recipients(message.get("bccRecipients")),
        subject=subject if isinstance(subject, str) else "",
        message_id=message_id,
    )


def _literal(value: str) -> str:
    """An OData string literal: quoted, with quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def _address(value) -> tuple[str, str | None] | None:
    if not isinstance(value, dict):
        return None
    email = value.get("emailAddress")
    if not isinstance(email, dict) or not isinstance(email.get("address"), str):
        return None
    name = email.get("name")
    return email["address"], name if isinstance(name, str) and name else None


def _recipients(value) -> tuple[Recipient, ...]:
    if not isinstance(value, list):
        return ()
    found = (_address(item) for item in value[:MAX_ORIGINAL_RECIPIENTS])
    return tuple(Recipient(email, name) for email, name in (f for f in found if f))


class _QueryRedactor(logging.Filter):
    """Drops the query string from the URLs urllib3 logs at DEBUG: Graph's `$filter` names a
    list's address or a message id, which must not reach a log even when an operator turns
    debugging on."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.split("?", 1)[0] + "?…" if isinstance(arg, str) and "?" in arg else arg
                for arg in record.args
            )
        return True


def redact_logged_queries() -> None:
    """Install `_QueryRedactor` on urllib3's connection-pool logger, once per process."""
    pool_log = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _QueryRedactor) for f in pool_log.filters):
        pool_log.addFilter(_QueryRedactor())
