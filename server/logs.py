"""How `draftlint serve` writes its log: text lines (the default), or with `LOG_FORMAT=json` one
JSON object per line, for a log shipper to read without parsing text.

Each object has `timestamp` (UTC, ISO 8601 with milliseconds), `level`, `logger` and `message`;
`exception` when a traceback was logged; and the fields a logger passed with `extra=`: the
access log's (server/app.py `_log_access`) are `method`, `path` (the route instead of a one-time
sign-in token, as in the text line), `status`, `duration_ms` and `surface`. gunicorn's own lines
(server/gunicorn_server.py `Logger`) take the same shape.

The format changes the shape only: the app logs no draft content, address or query string in
either one (DESIGN.md), and nothing here adds a field a log record does not already carry.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# The attributes every LogRecord has; anything else on a record came through `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # One line whatever the message holds: json escapes newlines inside strings.
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(log_format: str | None) -> logging.Formatter:
    return JSONFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(log_format: str | None) -> None:
    """The root logger at INFO on stderr, in `log_format` ("text" when None)."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
