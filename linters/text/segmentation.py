"""The result of text extraction: the body's plain text cut into typed blocks.

Every block is a half-open range into `text`, so a finding can point at what it means with offsets a
client can show. Blocks are in document order and never overlap; text outside every block is
whitespace or separators that carry nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from ..lazy import lazy


class Kind(StrEnum):
    GREETING = "greeting"  # "Hi Anna,"
    BODY = "body"  # what the author wrote, between greeting and sign-off
    SIGNOFF = "signoff"  # "Thanks,\nPeter"
    SIGNATURE = "signature"  # "-- " blocks, contact blocks, device footers, disclaimers
    QUOTE = "quote"  # quoted replies and forwarded messages, with their header lines


NEW_KINDS = (Kind.GREETING, Kind.BODY, Kind.SIGNOFF)


@dataclass(frozen=True, slots=True)
class Block:
    kind: Kind
    start: int
    end: int


@dataclass(frozen=True)
class Segmentation:
    """`text` is the body's plain text; when an HTML client marked where its quoted thread starts,
    `text` ends there and `thread` renders the thread below it only if asked (to show it): rules
    never read it, and a long thread then costs a lint next to nothing."""

    text: str
    blocks: tuple[Block, ...]
    thread: Callable[[], str] | None = field(default=None, compare=False, repr=False)

    def of(self, *kinds: Kind) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.kind in kinds)

    def joined(self, *kinds: Kind) -> str:
        return "\n\n".join(self.text[b.start : b.end] for b in self.of(*kinds))

    def excerpt(self, start: int, end: int, limit: int = 200, ellipsis: str = "…") -> str:
        """`text[start:end]` with its whitespace collapsed, cut to `limit` characters, the last of
        them `ellipsis` when it is cut."""
        excerpt = " ".join(self.text[start:end].split())
        if len(excerpt) > limit:
            excerpt = excerpt[: limit - len(ellipsis)] + ellipsis
        return excerpt

    @lazy
    def new_text(self) -> str:
        """The author's own text: greeting, body and sign-off; no quote, no signature."""
        return self.joined(*NEW_KINDS)

    @lazy
    def body_text(self) -> str:
        """What the author actually says: the new text without greeting and sign-off."""
        return self.joined(Kind.BODY)

    @property
    def has_quote(self) -> bool:
        return self.thread is not None or any(b.kind is Kind.QUOTE for b in self.blocks)

    @lazy
    def quote_text(self) -> str:
        """Everything quoted or forwarded, the lazily rendered thread included."""
        parts = [self.joined(Kind.QUOTE)] + ([self.thread()] if self.thread else [])
        return "\n\n".join(part for part in parts if part)

    def as_dict(self) -> dict:
        """The shape `draftlint parse` prints."""
        return {
            "new_text": self.new_text,
            "greeting": self.joined(Kind.GREETING) or None,
            "body": self.body_text,
            "signoff": self.joined(Kind.SIGNOFF) or None,
            "signature": self.joined(Kind.SIGNATURE) or None,
            "quote": self.quote_text or None,
            "blocks": [{"kind": b.kind.value, "start": b.start, "end": b.end} for b in self.blocks],
        }
