"""Greeting, sign-off and name lines: the frame around what the author actually says.

All checks look at one line (capped at `MAX_LINE` characters) and are cheap; which of the author's
lines they apply to is decided in `plain`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..model import Address
from .lexicon import (
    CLOSING,
    CLOSING_EXTRAS,
    GREETING,
    GREETING_AUDIENCE,
    MAX_LINE,
    NAME_PARTICLES,
    NOT_NAMES,
)

_MAX_NAME_TOKENS = 3
_MAX_NAME_CHARS = 40
_MAX_FRAME_CHARS = 60  # a greeting or closing line longer than this is saying something
_DASHES = "-–—~"
_NAME_PUNCTUATION = "'’.-"
_TOKEN_SPLIT = re.compile(r"[\s,;]+")


@dataclass(frozen=True, slots=True)
class Author:
    """What a sign-off may call the author: name parts, e-mail local part parts, initials."""

    tokens: frozenset[str]

    @classmethod
    @lru_cache(maxsize=64)  # the same sender on every lint of a session's drafts
    def of(cls, address: Address | None) -> Author | None:
        if address is None:
            return None
        raw = f"{address.name or ''} {address.email or ''}".lower()
        # "kevin lyda <kevin+dated@x>" and "joe@barrera.org" both happen in the `email` field.
        parts = [p for p in re.split(r"[^\w]+|_", raw.replace("@", " @")) if p and p.isalpha()]
        names = [p for p in parts if p not in {"com", "org", "net"}]
        if not names:
            return None
        tokens = set(names)
        tokens.add("".join(p[0] for p in names[:2]))
        tokens.add("".join(p[0] for p in names[:3]))
        tokens.add(names[0][0])
        return cls(frozenset(tokens))


def is_name_token(token: str) -> bool:
    return token[:1].isalpha() and all(c.isalpha() or c in _NAME_PUNCTUATION for c in token)


def is_name(line: str, author: Author | None) -> bool:
    """A line that is just a name or initials: "Alex", "Jeff.", "m", "Diego Moreno", "-Joe"."""
    core = line.strip().lstrip(_DASHES + " ").rstrip(".,!")
    if not core or len(core) > _MAX_NAME_CHARS:
        return False
    tokens = core.split()
    if len(tokens) > _MAX_NAME_TOKENS or not all(is_name_token(t) for t in tokens):
        return False
    lowered = [t.lower().strip(_NAME_PUNCTUATION) for t in tokens]
    if author is not None and all(t in author.tokens for t in lowered):
        return True
    if any(t in NOT_NAMES for t in lowered) or core.lower() in NOT_NAMES:
        return False
    if tokens[0][0].isupper() and all(t[0].isupper() or t in NAME_PARTICLES for t in tokens):
        return True
    # Lower-case initials such as "m" or "gg".
    return len(tokens) == 1 and len(core) <= 3 and core.isalpha()


def is_dashed_name(line: str, author: Author | None) -> bool:
    """A name after a dash ("-Abhishek Kona", "- Joe"): a one-line signature, not a sign-off."""
    stripped = line.strip()
    return stripped[:1] in _DASHES and not stripped.startswith("--") and is_name(stripped, author)


def _only_frame_words(rest: str, allowed: frozenset[str], author: Author | None) -> bool:
    tokens = [t for t in _TOKEN_SPLIT.split(rest.strip(" ,.!:;")) if t]
    if len(tokens) > 5:
        return False
    for token in tokens:
        bare = token.strip(".,!:;").lower()
        if bare in allowed:
            continue
        if is_name_token(token.strip(".,!:;")) and (
            token[0].isupper() or (author is not None and bare in author.tokens)
        ):
            continue
        return False
    return True


def is_greeting(line: str, author: Author | None) -> bool:
    """A greeting line: "Hi Anna,", "Hallo zusammen,", "Bonjour à tous,", or a bare "Julie,"."""
    stripped = line.strip()
    if not stripped or len(stripped) > _MAX_FRAME_CHARS:
        return False
    match = GREETING.match(stripped)
    if match is not None:
        rest = stripped[match.end() :]
        return rest[:1] in ("", " ", ",", "!", ":", ".") and _only_frame_words(
            rest, GREETING_AUDIENCE, None
        )
    return stripped.endswith(",") and is_name(stripped[:-1], None)


def is_closing(line: str, author: Author | None) -> bool:
    """A closing line: "Thanks,", "Best regards", "Thanks again, Peter"; not "Thanks, it works"."""
    stripped = line[:MAX_LINE].strip()
    if not stripped or len(stripped) > _MAX_FRAME_CHARS:
        return False
    match = CLOSING.match(stripped)
    if match is None:
        return False
    return _only_frame_words(stripped[match.end() :], CLOSING_EXTRAS, author)
