"""What the store raises besides marshmallow's ValidationError. After any of them, roll the
session back: the transaction holds nothing worth keeping."""


class StaleWrite(Exception):
    """The draft changed since the caller read it (If-Match failed): HTTP 412. Nothing was
    written; the caller re-reads the draft and tries again."""


class NotFound(LookupError):
    """No such organisation, version or admin in this organisation: HTTP 404."""


class AlreadyExists(Exception):
    """An organisation, alias or admin with that key exists already: HTTP 409."""
