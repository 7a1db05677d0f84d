"""The rule catalogue as data: what `GET /v1/rules` returns and `draftlint rules` prints.

Each rule's options schema is converted from its marshmallow schema by apispec, the converter
that also writes /openapi.json, so the catalogue and the API document cannot disagree.
"""

from __future__ import annotations

from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

from linters.registry import Registry, Rule

OPENAPI_VERSION = "3.0.3"


@cache
def _converter():
    # A resolver returning None inlines nested schemas instead of emitting $refs into a spec
    # that the caller never sees.
    plugin = MarshmallowPlugin(schema_name_resolver=lambda schema: None)
    APISpec("draftlint rule options", "1", OPENAPI_VERSION, plugins=[plugin])
    return plugin.converter


def options_json_schema(options: type[Schema]) -> dict:
    """An OpenAPI 3.0 schema object (JSON Schema with OpenAPI's `nullable`) for rule options."""
    return _converter().schema2jsonschema(options())


def docs_url(rule: Rule) -> str:
    """The served page of a built-in rule's docs (`docs/rules/<id>.md` in the repository is
    `/docs/rules/<id>` on the server); a plugin's own URL as it gave it."""
    if rule.docs == f"docs/rules/{rule.id}.md":
        return f"/docs/rules/{rule.id}"
    return rule.docs


def describe_rule(rule: Rule, *, served: bool = True) -> dict:
    """A rule as /v1/rules (`served`: its docs where the server shows them) or `draftlint rules`
    (its docs where the repository keeps them) describe it."""
    return {
        "id": rule.id,
        "summary": rule.summary,
        "default_severity": rule.default_severity.value,
        "preview": rule.preview,
        "options": options_json_schema(rule.options),
        "defaults": dict(rule.defaults),
        "docs": docs_url(rule) if served else rule.docs,
    }


def describe_registry(registry: Registry, *, served: bool = True) -> dict:
    return {
        "rules": [describe_rule(rule, served=served) for rule in registry],
        "errors": [{"source": e.source, "error": e.error} for e in registry.errors],
    }
