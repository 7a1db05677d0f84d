"""Admin-supplied patterns, compiled once (at policy build) with RE2: linear time, no ReDoS."""

from __future__ import annotations

import re2
from marshmallow import ValidationError, fields, validate

MAX_PATTERNS = 200
MAX_PATTERN_LENGTH = 500

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a bad admin pattern is reported to the admin, not to stderr
_RE2_OPTIONS.max_mem = 1 << 20


class PatternError(ValueError):
    pass


def compile_pattern(pattern: str, *, ignore_case: bool = True):
    """Compile an admin pattern with RE2; raise PatternError with RE2's reason."""
    try:
        return re2.compile(("(?i)" if ignore_case else "") + pattern, _RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args else "invalid pattern"
        raise PatternError(f"Invalid RE2 pattern: {reason}") from exc


class PatternList(fields.List):
    """A list of RE2 patterns, compiled during validation so errors name the bad entry."""

    def __init__(self, **kwargs):
        super().__init__(
            fields.String(validate=validate.Length(min=1, max=MAX_PATTERN_LENGTH)),
            validate=validate.Length(max=MAX_PATTERNS),
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        patterns = super()._deserialize(value, attr, data, **kwargs)
        errors = {}
        for index, pattern in enumerate(patterns):
            try:
                compile_pattern(pattern)
            except PatternError as exc:
                errors[index] = [str(exc)]
        if errors:
            raise ValidationError(errors)
        return patterns
