"""The webargs parser behind `Blueprint.arguments`: JSON bodies only, every failure a 4xx.

flask-smorest documents request bodies from the schema given to `arguments`; this parser decides
how the body is read. It differs from webargs' FlaskParser in three ways: a body that is not
declared as JSON is a 415 (webargs would silently treat it as `{}`), undecodable or too deeply
nested JSON is a 400 (webargs lets RecursionError through as a 500), and validation errors are
keyed by field rather than wrapped in the location name.
"""

from __future__ import annotations

from flask import Request
from marshmallow import Schema, ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser

from .jsonio import JSONInputError, loads
from .problems import http_error


class JSONBodyParser(FlaskParser):
    def load_json(self, req: Request, schema: Schema) -> object:
        if not core.is_json(req.mimetype):
            raise http_error(415, "Send the body as application/json.")
        try:
            return loads(req.get_data(cache=True))
        except JSONInputError as exc:
            raise http_error(400, str(exc)) from None

    def handle_error(self, error: ValidationError, req, schema, **kwargs):
        messages = error.messages
        if isinstance(messages, dict) and set(messages) == {"json"}:
            messages = messages["json"]
        raise http_error(422, "The request body failed validation; see errors.", messages)
