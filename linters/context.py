"""What rules see: the draft plus facts derived from it once and shared by every rule.

Each fact is computed lazily, so a lint whose enabled rules look only at recipients never parses
the body, and a body parsed for one rule is not parsed again for the next.
"""

from __future__ import annotations

from functools import cache, lru_cache
from itertools import compress, repeat
from operator import attrgetter, is_

from .clauses import THREAD_CHARS, Analysis, Thread, analyse
from .lazy import lazy
from .model import Address, ComposeType, Draft, Fix, Recipient, RecipientType
from .phrases import name_tokens
from .text import Block, Kind, Segmentation, segment

MAX_NAMED = 200  # people of each list whose names may stand in a text ("OK with me, Peter")

# Per-recipient work runs in C (map, dict, compress): a draft of thousands of recipients costs
# little more than one of a dozen.
_KEY = attrgetter("key")
_TYPE = attrgetter("type")
_GROUP = RecipientType.GROUP
_PERSON = attrgetter("email", "name")


@lru_cache(maxsize=16)
def _names_of(people: tuple[tuple[str, str | None], ...]) -> frozenset[str]:
    """`name_tokens` of the people with these addresses and names. Keyed by the strings, a draft
    linted again (a retry, the same draft from another request) finds its names by comparing
    them, not by hashing and comparing hundreds of dataclasses field by field in Python."""
    return name_tokens(*(Address(email, name) for email, name in people))


class LintContext:
    def __init__(self, draft: Draft, *, unknown_group_size: int = 10):
        self.draft = draft
        self.unknown_group_size = unknown_group_size

    @lazy
    def segmentation(self) -> Segmentation:
        return segment(self.draft.body, author=self.draft.sender)

    @lazy
    def names(self) -> frozenset[str]:
        """Words naming the people on the thread: the sender, the recipients, and the sender, To
        and Cc of the message replied to (at most `MAX_NAMED` of each list).

        Phrase rules let these stand in a text; pass `lambda: ctx.names` so they are worked out
        only when a text needs them (most never do).
        """
        draft = self.draft
        original = draft.in_reply_to
        people = (
            draft.sender,
            *draft.recipients[:MAX_NAMED],
            *(
                (original.sender, *original.to[:MAX_NAMED], *original.cc[:MAX_NAMED])
                if original
                else ()
            ),
        )
        return _names_of(tuple(map(_PERSON, filter(None, people))))

    @lazy
    def thread(self) -> Thread:
        """What the reader already has, for telling new words from repeated ones: the subject,
        the quoted message (its nearest `THREAD_CHARS`) and the participants' names."""

        def text() -> str:
            draft = self.draft
            subjects = [draft.subject, draft.in_reply_to.subject if draft.in_reply_to else ""]
            quote = self.segmentation.quote_text[:THREAD_CHARS]
            return "\n".join([*subjects, quote]).casefold()

        return Thread(text=cache(text), names=lambda: self.names)

    def clauses(self, allowance: int = 1, extra: tuple = ()) -> Analysis:
        """The body's clauses and what each does (`linters.clauses`), analysed once per reading:
        the three rules that ask it share one analysis unless their options differ."""
        analyses = self.__dict__.setdefault("_analyses", {})
        key = (allowance, extra)
        if key not in analyses:
            analyses[key] = analyse(
                self.segmentation.body_text,
                self.thread,
                allowance=allowance,
                language=self.draft.locale or "",
                extra=extra,
            )
        return analyses[key]

    @lazy
    def has_attachment(self) -> bool:
        """A file goes with the mail; inline images (signature logos) do not count."""
        return any(not a.inline for a in self.draft.attachments)

    @lazy
    def standalone_body(self) -> tuple[Block, ...]:
        """The BODY blocks when they are all the reader gets to know what is meant, else ().

        An attached file can be the "what", and a reply written under a quoted line answers that
        line: rules that ask "does this text say what?" stay quiet then.
        """
        if self.has_attachment:
            return ()
        seg = self.segmentation
        blocks = seg.of(Kind.BODY)
        if blocks and any(b.kind is Kind.QUOTE and b.start < blocks[-1].start for b in seg.blocks):
            return ()
        return blocks

    @lazy
    def author_key(self) -> str | None:
        return self.draft.sender.key if self.draft.sender else None

    @lazy
    def audience_recipients(self) -> tuple[Recipient, ...]:
        """Distinct recipients in to+cc+bcc other than the author, first occurrence kept."""
        recipients = self.draft.recipients
        distinct = dict.fromkeys(map(_KEY, recipients))  # each key once, first occurrence first
        distinct.pop(self.author_key, None)
        if len(distinct) == len(recipients):
            return recipients  # no repeats and not the author: the common case
        # Later writes win, so walking backwards leaves each key's first recipient.
        first = {recipient.key: recipient for recipient in reversed(recipients)}
        return tuple(map(first.__getitem__, distinct))

    @lazy
    def audience_groups(self) -> tuple[Recipient, ...]:
        """The group recipients of `audience_recipients`, in their order."""
        recipients = self.audience_recipients
        types = list(map(_TYPE, recipients))
        if _GROUP not in types:
            return ()
        return tuple(compress(recipients, map(is_, types, repeat(_GROUP))))

    def size_of(self, recipient: Recipient) -> int:
        if recipient.type is RecipientType.GROUP:
            if recipient.member_count is None:
                return self.unknown_group_size
            return recipient.member_count
        return 1

    @lazy
    def audience(self) -> int:
        """People who will read this: groups count by their members, everyone else as one."""
        groups = self.audience_groups
        people = len(self.audience_recipients) - len(groups)
        return people + sum(map(self.size_of, groups))

    @lazy
    def original_sender(self) -> Address | None:
        """Who wrote the message replied to: from `in_reply_to`, else the first To recipient,
        which is where every client puts the sender when replying."""
        original = self.draft.in_reply_to
        if original is not None and original.sender is not None:
            return original.sender
        if self.draft.to:
            first = self.draft.to[0]
            return Address(first.email, first.name)
        return None

    @lazy
    def original_sender_name(self) -> str:
        """How a message names the original sender: their display name, else their address,
        else "the sender"."""
        sender = self.original_sender
        return (sender.name or sender.email) if sender else "the sender"

    @lazy
    def author_was_only_bcc(self) -> bool:
        """The author got the message replied to as a blind copy: in its Bcc, not its To or Cc.

        The other recipients of that message don't know the author received it.
        """
        original = self.draft.in_reply_to
        if original is None or self.author_key is None:
            return False
        if original.sender is not None and original.sender.key == self.author_key:
            return False
        me = self.author_key
        return any(r.key == me for r in original.bcc) and not any(
            r.key == me for r in original.to + original.cc
        )

    @lazy
    def is_reply(self) -> bool:
        return self.draft.compose_type in (ComposeType.REPLY, ComposeType.REPLY_ALL)

    @lazy
    def is_reply_all(self) -> bool:
        """A reply that reaches more than the original sender.

        Outlook reports `reply` for both reply and reply-all, and a reply widened by hand reaches
        the same crowd, so the recipients decide, not the button pressed.
        """
        if not self.is_reply:
            return False
        sender_key = self.original_sender.key if self.original_sender else None
        reaches_others = any(r.key != sender_key for r in self.audience_recipients)
        return reaches_others or self.audience > 1

    def reply_to_sender_only(self) -> Fix | None:
        """The fix that narrows a reply to the original sender: exactly what to set."""
        sender = self.original_sender
        if sender is None or sender.key == self.author_key:
            return None
        name = self.original_sender_name
        to = {"email": sender.email} | ({"name": sender.name} if sender.name else {})
        return Fix(
            id="reply-to-sender-only",
            title=f"Reply to {name} only",
            set={"to": [to], "cc": [], "bcc": []},
        )
