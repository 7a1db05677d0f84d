"""The typed objects that flow through the core: a Draft goes in, a Report comes out.

Plain frozen dataclasses: cheap to build, impossible to mutate by accident, and free of any
framework; `Recipient`, of which a draft can carry thousands, is a frozen msgspec Struct.
`linters.schema` turns JSON into these and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec.structs import force_setattr

# A recipient's bounds on the wire (the rest are in linters/schema.py): generous caps that bound
# memory and time per request, not what real mail needs.
MAX_EMAIL = 320  # RFC 5321 path limit
MAX_NAME = 1000
MAX_MEMBER_COUNT = 10_000_000


class Client(StrEnum):
    OUTLOOK = "outlook"
    GMAIL = "gmail"
    API = "api"
    CLI = "cli"


class ComposeType(StrEnum):
    NEW = "new"
    REPLY = "reply"
    REPLY_ALL = "reply_all"
    FORWARD = "forward"


class RecipientType(StrEnum):
    USER = "user"
    GROUP = "group"
    EXTERNAL = "external"


class BodyType(StrEnum):
    HTML = "html"
    TEXT = "text"


class Severity(StrEnum):
    """Ordered from quiet to loud; `off` disables a rule."""

    OFF = "off"
    HINT = "hint"
    WARNING = "warning"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.OFF: 0, Severity.HINT: 1, Severity.WARNING: 2, Severity.BLOCK: 3}


def mailbox_key(email: str) -> str:
    """What makes two addresses the same mailbox."""
    return email.strip().lower()


@dataclass(frozen=True, slots=True)
class Address:
    email: str
    name: str | None = None
    # Computed once: audience counting and reply-all checks compare keys many times per lint.
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", mailbox_key(self.email))


class Recipient(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """A Struct rather than a dataclass: `linters.schema` reads a draft's recipients from JSON
    values straight into Structs in C (`msgspec.convert`), several times faster than building
    dataclasses one by one, and a reply-all storm's draft carries thousands. `gc=False`: the
    garbage collector need not track them (strings, an enum and a number cannot form a cycle),
    which it otherwise does a pass over every few hundred new ones."""

    email: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_EMAIL)]
    name: Annotated[str, msgspec.Meta(max_length=MAX_NAME)] | None = None
    type: RecipientType = RecipientType.USER
    member_count: Annotated[int, msgspec.Meta(ge=0, le=MAX_MEMBER_COUNT)] | None = None
    # Computed once, as Address's: audience counting and reply-all checks compare keys many
    # times per lint. Whatever is given is replaced; `linters.schema` refuses it on the wire.
    key: str = ""

    def __post_init__(self) -> None:
        force_setattr(self, "key", mailbox_key(self.email))


@dataclass(frozen=True, slots=True)
class Body:
    content: str = ""
    type: BodyType = BodyType.TEXT


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    size: int | None = None
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Original:
    """The message replied to or forwarded, as far as the client knows it."""

    sender: Address | None = None
    to: tuple[Recipient, ...] = ()
    cc: tuple[Recipient, ...] = ()
    bcc: tuple[Recipient, ...] = ()
    subject: str = ""
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class ThreadActivity:
    """Recent reply-alls on the draft's thread, as the server counted them (`reply-all-storm`).

    A fact from outside the draft: the adapter fills it in from what it keeps per organisation
    (server/thread_activity.py), the way it fills in a group's `member_count`.
    """

    repliers: int  # distinct people besides the author who replied to all within the window
    audience: int  # the most recipients one of those reply-alls reached
    window_minutes: int  # how far back they were counted


@dataclass(frozen=True, slots=True)
class Draft:
    client: Client = Client.API
    compose_type: ComposeType = ComposeType.NEW
    subject: str = ""
    sender: Address | None = None
    to: tuple[Recipient, ...] = ()
    cc: tuple[Recipient, ...] = ()
    bcc: tuple[Recipient, ...] = ()
    body: Body = field(default_factory=Body)
    attachments: tuple[Attachment, ...] = ()
    in_reply_to: Original | None = None
    thread_id: str | None = None
    locale: str | None = None
    thread_activity: ThreadActivity | None = None

    @property
    def recipients(self) -> tuple[Recipient, ...]:
        return self.to + self.cc + self.bcc


@dataclass(frozen=True, slots=True)
class Span:
    """Offsets into the extracted plain text of the body (`Segmentation.text`)."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Fix:
    """A one-click change a client can apply: `set` holds exactly the draft fields to replace."""

    id: str
    title: str
    set: dict


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    explanation: str = ""
    excerpt: str | None = None
    span: Span | None = None
    fixes: tuple[Fix, ...] = ()
    data: dict = field(default_factory=dict)


# Why a report's policy is not its organisation's current one (`PolicyRef.fallback`), set by the
# adapter that chose the policy: the core only ever lints under the policy it is given.
FALLBACKS = ("last-known", "defaults")
FALLBACK_REASONS = ("database-unavailable", "policy-invalid")


@dataclass(frozen=True, slots=True)
class PolicyRef:
    org: str | None = None
    version: int | None = None
    # None: the organisation's current policy (or the defaults, when it has none). "last-known":
    # its policy as last seen, the current one could not be read; "defaults": the built-in
    # defaults instead of whatever it has. `reason` says why (FALLBACK_REASONS).
    fallback: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Report:
    findings: tuple[Finding, ...]
    audience: int
    policy: PolicyRef
    elapsed_ms: float
    # Rules that raised on this draft and were skipped: a faulty rule (a plugin's, or ours on an
    # input nobody foresaw) costs its own findings, never the lint.
    failed_rules: tuple[str, ...] = ()
