"""RFC 9457 problem details: every error the API returns, and the CLI's batch error lines.

A problem is `{"type", "title", "status", "detail"}` plus, for invalid input, `errors`: the
marshmallow messages keyed by field, so a client can point at what to fix. `type` is always
"about:blank" (RFC 9457 §4.2.1): the status code says what kind of problem it is.
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Response, json
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException, default_exceptions

PROBLEM_JSON = "application/problem+json"


class ProblemSchema(Schema):
    """Documents the error shape in the OpenAPI document; responses are built by `problem()`."""

    type = fields.String(metadata={"description": 'Always "about:blank"; see `status`.'})
    title = fields.String(metadata={"description": "The HTTP status phrase."})
    status = fields.Integer()
    detail = fields.String(metadata={"description": "What went wrong with this request."})
    errors = fields.Dict(
        metadata={"description": "Validation messages keyed by field, for 422 responses."}
    )


def problem_body(status: int, detail: str | None = None, errors: object = None) -> dict:
    body: dict = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    return body


def problem(
    status: int,
    detail: str | None = None,
    errors: object = None,
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    response = Response(
        json.dumps(problem_body(status, detail, errors)), status=status, mimetype=PROBLEM_JSON
    )
    for name, value in headers or ():
        response.headers[name] = value
    return response


def http_error(status: int, detail: str, errors: object = None) -> HTTPException:
    """The werkzeug exception for `status`, carrying `errors` the way flask-smorest's do."""
    error = default_exceptions[status](description=detail)
    error.data = {"errors": errors}
    return error


def from_http_exception(error: HTTPException) -> Response:
    """Render any werkzeug/flask-smorest HTTP error as problem JSON, keeping its extra headers
    (`Allow` on 405, `WWW-Authenticate` on 401) but not its HTML content type."""
    data = getattr(error, "data", None) or {}
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return problem(error.code or 500, error.description, data.get("errors"), headers)
