"""Policy: the built-in defaults, overridden per organisation by a policy document.

A document (YAML or JSON, DESIGN.md's format) is validated against every rule's own options schema;
errors come back as one nested mapping that names each bad field, e.g.
`{"rules": {"large-audience": {"threshold": ["Must be greater than or equal to 1."]}}}`.

Admin-supplied patterns are compiled with RE2 when the policy is built, never during a lint: RE2
matches in linear time, so no pattern can make a lint slow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from .model import Severity
from .patterns import PatternList, compile_pattern
from .registry import Registry, default_registry


class ExemptionsSchema(Schema):
    class Meta:
        unknown = RAISE

    subjects = PatternList(load_default=list)
    senders = PatternList(
        load_default=list,
        metadata={"description": "RE2 patterns matched against the whole sender address."},
    )


class PolicyDocumentSchema(Schema):
    """The top level of a policy document; `rules` is checked rule by rule in `Policy.build`."""

    class Meta:
        unknown = RAISE

    rules = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict)
    exemptions = fields.Nested(ExemptionsSchema, load_default=lambda: ExemptionsSchema().load({}))
    unknown_group_size = fields.Integer(
        strict=True, load_default=10, validate=validate.Range(min=1, max=1_000_000)
    )


@dataclass(frozen=True, slots=True)
class RuleSettings:
    severity: Severity
    options: Mapping  # validated option values, defaults filled in
    exempt_subjects: tuple  # compiled RE2 patterns


@dataclass(frozen=True)
class Policy:
    rules: Mapping[str, RuleSettings]
    exempt_subjects: tuple = ()
    exempt_senders: tuple = ()
    unknown_group_size: int = 10
    org: str | None = None
    version: int | None = None
    registry: Registry = field(default_factory=default_registry, repr=False)

    @classmethod
    def build(
        cls,
        document: object = None,
        *,
        registry: Registry | None = None,
        org: str | None = None,
        version: int | None = None,
    ) -> Policy:
        """Validate a document (None: the defaults); raise ValidationError naming each field."""
        registry = registry or default_registry()
        top = PolicyDocumentSchema().load({} if document is None else document)
        errors: dict = {}
        settings: dict[str, RuleSettings] = {}
        overrides = top["rules"]
        for rule_id in overrides:
            if rule_id not in registry:
                errors[rule_id] = ["Unknown rule id."]
        for rule in registry:
            override = overrides.get(rule.id) or {}
            if not isinstance(override, Mapping):
                errors[rule.id] = ["Must be a mapping of option names to values."]
                continue
            try:
                given = rule.options().load(dict(override))
            except ValidationError as exc:
                errors[rule.id] = exc.messages
                continue
            default_severity = Severity.OFF if rule.preview else rule.default_severity
            values = {**rule.defaults, **given}
            severity = values.pop("severity", default_severity)
            exempt = values.pop("exempt_subjects", ())
            settings[rule.id] = RuleSettings(
                severity=severity,
                options=MappingProxyType(values),
                exempt_subjects=tuple(compile_pattern(p) for p in exempt),
            )
        if errors:
            raise ValidationError({"rules": errors})
        exemptions = top["exemptions"]
        return cls(
            rules=MappingProxyType(settings),
            exempt_subjects=tuple(compile_pattern(p) for p in exemptions["subjects"]),
            exempt_senders=tuple(compile_pattern(p) for p in exemptions["senders"]),
            unknown_group_size=top["unknown_group_size"],
            org=org,
            version=version,
            registry=registry,
        )


_default_policy: Policy | None = None


def default_policy() -> Policy:
    global _default_policy
    if _default_policy is None:
        _default_policy = Policy.build()
    return _default_policy
