"""The OpenAPI document, as the API really behaves.

flask-smorest builds it from the marshmallow schemas; three things are put right here:
- every error answer (4xx, 5xx) is documented as `application/problem+json`, the type it is sent
  with (`ProblemResponses`, and the shared responses in `ProblemApi._register_responses`);
- a nullable nested object is `{"nullable": true, "allOf": [{"$ref": ...}]}`, as OpenAPI 3.0
  spells it: apispec's `anyOf` with a bare `{"type": "object", "nullable": true}` would let any
  object through (`tidy_nullable_refs`);
- `/v1/events` lists the rule ids this server runs, known only once the registry is loaded
  (`declare_rule_ids`).
"""

from __future__ import annotations

from http import HTTPStatus

from apispec import APISpec, BasePlugin
from flask_smorest import Api

from linters.registry import Registry

from .problems import PROBLEM_JSON, ProblemSchema


class ProblemResponses(BasePlugin):
    """Documents every error answer (4xx, 5xx) as `application/problem+json`, the type it is
    sent with, wherever an operation declares it."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            for status, response in operation.get("responses", {}).items():
                if _is_error(status) and isinstance(response, dict):
                    _as_problem(response)


def _is_error(status) -> bool:
    return str(status)[:1] in ("4", "5") or str(status) == "default"


def _as_problem(response: dict) -> None:
    content = response.get("content") or {}
    if "application/json" in content:
        content[PROBLEM_JSON] = content.pop("application/json")


class ProblemApi(Api):
    """flask-smorest's Api, answering every error with RFC 9457 problem JSON."""

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app=None, **kwargs):
        kwargs.setdefault("spec_kwargs", {"extra_plugins": [ProblemResponses()]})
        super().__init__(app, **kwargs)

    def _register_responses(self):
        # flask-smorest's shared error responses (e.g. UNPROCESSABLE_ENTITY, DEFAULT_ERROR),
        # which operations reference by name, say problem JSON too.
        super()._register_responses()
        components = self.spec.components
        for name, response in [*components.responses.items(), *components.responses_lazy.items()]:
            if name == "DEFAULT_ERROR" or HTTPStatus[name] >= 400:
                _as_problem(response)

    def _register_error_handlers(self):
        pass  # server/app.py registers its own: problem JSON for every error


def declare_rule_ids(spec: APISpec, registry: Registry) -> None:
    """/v1/events takes only the ids of the rules this server runs (plugins included), known
    once the registry is loaded: the document lists them."""
    event = spec.components.schemas["Event"]
    event["properties"]["rule"]["enum"] = sorted(rule.id for rule in registry)


def tidy_nullable_refs(spec: APISpec) -> None:
    for schema in spec.components.schemas.values():
        for name, prop in schema.get("properties", {}).items():
            choices = prop.get("anyOf") if isinstance(prop, dict) else None
            if not (isinstance(choices, list) and len(choices) == 2):
                continue
            loose, ref = choices if "$ref" in choices[1] else reversed(choices)  # either order
            if loose == {"type": "object", "nullable": True} and "$ref" in ref:
                rest = {k: v for k, v in prop.items() if k != "anyOf"}
                schema["properties"][name] = {**rest, "nullable": True, "allOf": [ref]}
