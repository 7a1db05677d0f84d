"""The rule registry: built-in rules found by module, third-party rules by entry point.

A rule is one module holding one `Rule` subclass: its id, default severity, options schema, docs,
trip/clean examples and check. Built-in rules are every module in `linters.rules` (adding one is a
one-file change); other packages add rules through the `draftlint.linters` entry-point group, as
flake8 plugins do. A plugin that fails to load or declares itself badly is reported and skipped, so
one broken package never takes the others down.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, ClassVar

from marshmallow import Schema, ValidationError, fields, validate

from .model import ComposeType, Finding, Severity
from .patterns import PatternList

if TYPE_CHECKING:
    from .context import LintContext

ENTRY_POINT_GROUP = "draftlint.linters"
RULE_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


def compose_types_field():
    """The option that limits a rule to some kinds of draft: new, reply, reply_all, forward."""
    return fields.List(
        fields.String(validate=validate.OneOf([t.value for t in ComposeType])),
        validate=validate.Length(min=1),
        metadata={"description": "Which drafts to check: new, reply, reply_all, forward."},
    )


class Options(Schema):
    """Options every rule accepts; a rule's own schema subclasses this one.

    `severity` and `exempt_subjects` are applied by the core, so a rule never has to.
    """

    severity = fields.Enum(Severity, by_value=True)
    exempt_subjects = PatternList(
        metadata={"description": "RE2 patterns; a draft whose subject matches is not checked."},
    )


@dataclass(frozen=True, slots=True)
class Example:
    """A draft (Draft JSON) a rule must flag (`trips=True`) or leave alone, run by the tests."""

    draft: dict
    trips: bool
    note: str = ""
    options: Mapping | None = None


def trips(note: str, draft: dict, options: Mapping | None = None) -> Example:
    return Example(draft, True, note, options)


def clean(note: str, draft: dict, options: Mapping | None = None) -> Example:
    return Example(draft, False, note, options)


class Rule:
    """Base class of every rule. Subclasses set the class attributes and implement `check`."""

    id: ClassVar[str]
    summary: ClassVar[str]  # one line: what it flags
    default_severity: ClassVar[Severity]
    options: ClassVar[type[Options]] = Options
    defaults: ClassVar[Mapping] = {}  # default option values (besides severity)
    preview: ClassVar[bool] = False  # off unless a policy turns it on, until proven precise
    docs: ClassVar[str] = ""  # path of its docs page, relative to the repository
    examples: ClassVar[tuple[Example, ...]] = ()

    def check(self, ctx: LintContext, options: Mapping) -> Iterable[Finding]:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class PluginError:
    source: str
    error: str


@dataclass(frozen=True)
class Registry:
    rules: Mapping[str, Rule]
    errors: tuple[PluginError, ...] = ()

    def __contains__(self, rule_id: str) -> bool:
        return rule_id in self.rules

    def __getitem__(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules.values())


def _validate(rule_cls: object) -> Rule:
    """Instantiate a declared rule class, or raise ValueError saying what is wrong with it."""
    if not (isinstance(rule_cls, type) and issubclass(rule_cls, Rule)):
        raise ValueError(f"{rule_cls!r} is not a draftlint.linters Rule subclass")
    for attr in ("id", "summary", "default_severity"):
        if not hasattr(rule_cls, attr):
            raise ValueError(f"rule {rule_cls.__name__} does not declare {attr!r}")
    if not RULE_ID.fullmatch(rule_cls.id):
        raise ValueError(f"rule id {rule_cls.id!r} is not kebab-case")
    if not (isinstance(rule_cls.options, type) and issubclass(rule_cls.options, Options)):
        raise ValueError(f"rule {rule_cls.id}: options must subclass linters.registry.Options")
    try:
        rule_cls.options().load(dict(rule_cls.defaults))
    except ValidationError as exc:
        raise ValueError(
            f"rule {rule_cls.id}: its defaults fail its schema: {exc.messages}"
        ) from exc
    return rule_cls()


def _builtin_rule_classes() -> Iterator[tuple[str, object]]:
    from . import rules as package

    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value.__module__ == module.__name__
            ):
                yield module.__name__, value


def _plugin_rule_classes(errors: list[PluginError]) -> Iterator[tuple[str, object]]:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        source = f"{ep.name} = {ep.value}"
        try:
            yield source, ep.load()
        except Exception as exc:  # a plugin may fail in any way; report it and go on
            errors.append(PluginError(source, f"failed to import: {type(exc).__name__}: {exc}"))


def discover() -> Registry:
    """Build the registry: built-ins first, then entry-point plugins; first id wins."""
    errors: list[PluginError] = []
    found: dict[str, Rule] = {}
    for stream in (_builtin_rule_classes(), _plugin_rule_classes(errors)):
        for source, rule_cls in stream:
            try:
                rule = _validate(rule_cls)
            except ValueError as exc:
                errors.append(PluginError(source, str(exc)))
                continue
            if rule.id in found:
                errors.append(PluginError(source, f"rule id {rule.id!r} is already taken"))
                continue
            found[rule.id] = rule
    return Registry(dict(sorted(found.items())), tuple(errors))


_default: Registry | None = None


def default_registry() -> Registry:
    """The process-wide registry, discovered once."""
    global _default
    if _default is None:
        _default = discover()
    return _default
