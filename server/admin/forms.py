"""The policy editor's form: generated from each rule's options schema, read back into a document.

The form always renders from *form state* (field name -> the strings a browser would send), never
from the document directly: a page re-shown after a failed save (a validation error, a stale
ETag) then shows exactly what the person typed, and nothing they did is lost.

How each kind of option appears (the JSON schema comes from `server.catalog`, i.e. apispec):
- `severity`: a select, "default (…)" plus off | hint | warning | block;
- an enum: a select; an integer or number: a number input with the schema's min and max;
- a boolean: a checkbox; a list of enum values: a group of checkboxes;
- a list of strings: a textarea, one entry per line;
- `extra_phrases` (language -> list of phrases): one textarea per language;
- anything else (a plugin's nested option): its JSON in a textarea, so nothing is out of reach.

Blank scalar inputs mean "the default", which they show as a placeholder. Lists, checkboxes and
checkbox groups always show the value in force (the default when the document has none), so
clearing a list really means "none"; they are written into the document only when they differ
from the default or the document already had them, so saving an untouched form changes nothing.
Values are passed to the store as typed ("12x" stays a string): its marshmallow schemas then
name the bad field in their own words, next to the input.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from linters.phrases import LANGUAGES
from linters.policy import PolicyDocumentSchema
from linters.registry import Registry, Rule

from ..catalog import options_json_schema

SEVERITIES = ("off", "hint", "warning", "block")
LANGUAGE_NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "pt": "Portuguese",
    "it": "Italian",
    "nl": "Dutch",
}

FormState = dict[str, "str | list[str]"]


@dataclass(frozen=True)
class Field:
    name: str  # the form field's name, e.g. "rules.large-audience.threshold"
    path: tuple[str, ...]  # where it lives in the policy document
    kind: str  # severity | select | integer | number | boolean | choices | lines | text | json
    label: str
    description: str = ""
    default: object = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    language: str | None = None  # for one language of extra_phrases

    @property
    def html_id(self) -> str:
        return "f-" + self.name.replace(".", "--")

    @property
    def scalar(self) -> bool:
        return self.kind in ("severity", "select", "integer", "number", "text", "json")

    @property
    def placeholder(self) -> str:
        if self.default is None:
            return ""
        if self.kind == "json":
            return json.dumps(self.default)
        return str(self.default)


@dataclass(frozen=True)
class Section:
    """One rule (or the global settings) and its fields."""

    key: str  # the rule id, or "global"
    title: str
    summary: str = ""
    docs: bool = False
    default_severity: str = ""
    preview: bool = False
    fields: tuple[Field, ...] = ()
    phrases: tuple[Field, ...] = ()  # extra_phrases, one field per language

    @property
    def html_id(self) -> str:
        return "rule-" + self.key

    @property
    def all_fields(self) -> tuple[Field, ...]:
        return self.fields + self.phrases


@dataclass
class FormErrors:
    """Messages per field name, and those that belong to no one field (shown in the summary)."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    by_section: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.by_field or self.by_section or self.general)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _option_field(rule: Rule, name: str, schema: Mapping) -> Field:
    path = ("rules", rule.id, name)
    common = {
        "name": ".".join(path),
        "path": path,
        "label": _label(name),
        "description": schema.get("description", ""),
        "default": rule.defaults.get(name),
    }
    kind = schema.get("type")
    if name == "severity":
        return Field(
            **common | {"default": rule.default_severity.value, "label": "Severity"},
            kind="severity",
            choices=SEVERITIES,
        )
    if "enum" in schema:
        return Field(**common, kind="select", choices=tuple(map(str, schema["enum"])))
    if kind in ("integer", "number"):
        return Field(
            **common, kind=kind, minimum=schema.get("minimum"), maximum=schema.get("maximum")
        )
    if kind == "boolean":
        return Field(**common, kind="boolean")
    if kind == "string":
        return Field(**common, kind="text")
    if kind == "array":
        items = schema.get("items", {})
        if "enum" in items:
            return Field(**common, kind="choices", choices=tuple(map(str, items["enum"])))
        if items.get("type") == "string":
            return Field(**common, kind="lines")
    return Field(**common, kind="json")


def _phrase_fields(rule: Rule, schema: Mapping, document: Mapping) -> tuple[Field, ...]:
    stored = _get(document, ("rules", rule.id, "extra_phrases"))
    languages = list(LANGUAGES)
    if isinstance(stored, Mapping):
        languages += [str(lang) for lang in stored if lang not in LANGUAGES]
    return tuple(
        Field(
            name=f"rules.{rule.id}.extra_phrases.{lang}",
            path=("rules", rule.id, "extra_phrases", lang),
            kind="lines",
            label=LANGUAGE_NAMES.get(lang, lang),
            description=schema.get("description", ""),
            default=[],
            language=lang,
        )
        for lang in languages
    )


def build_sections(registry: Registry, document: Mapping) -> list[Section]:
    """The editor's sections: one per rule, then the global settings."""
    sections = []
    for rule in registry:
        properties = options_json_schema(rule.options).get("properties", {})
        fields_ = []
        phrases: tuple[Field, ...] = ()
        for name, schema in properties.items():
            if name == "extra_phrases" and schema.get("type") == "object":
                phrases = _phrase_fields(rule, schema, document)
            else:
                fields_.append(_option_field(rule, name, schema))
        # Severity first, then the rule's own options, then its exemptions.
        fields_.sort(key=lambda f: (f.kind != "severity", f.path[-1] == "exempt_subjects"))
        sections.append(
            Section(
                key=rule.id,
                title=rule.id,
                summary=rule.summary,
                docs=bool(rule.docs),
                default_severity=rule.default_severity.value,
                preview=rule.preview,
                fields=tuple(fields_),
                phrases=phrases,
            )
        )
    sections.append(
        Section(
            key="global",
            title="Every rule",
            summary="Exemptions that apply to all rules, and how big an unknown group is.",
            fields=(
                Field(
                    name="exemptions.subjects",
                    path=("exemptions", "subjects"),
                    kind="lines",
                    label="Exempt subjects",
                    description="RE2 patterns, one per line; a draft whose subject matches "
                    "is not checked by any rule.",
                    default=[],
                ),
                Field(
                    name="exemptions.senders",
                    path=("exemptions", "senders"),
                    kind="lines",
                    label="Exempt senders",
                    description="RE2 patterns, one per line, matched against the whole sender "
                    "address.",
                    default=[],
                ),
                Field(
                    name="unknown_group_size",
                    path=("unknown_group_size",),
                    kind="integer",
                    label="Unknown group size",
                    description="How many people a group of unknown size counts as.",
                    default=PolicyDocumentSchema().fields["unknown_group_size"].load_default,
                    minimum=1,
                    maximum=1_000_000,
                ),
            ),
        )
    )
    return sections


def all_fields(sections: list[Section]) -> list[Field]:
    return [f for section in sections for f in section.all_fields]


# --- document -> form state ------------------------------------------------------------------


def form_from_document(sections: list[Section], document: Mapping) -> FormState:
    state: FormState = {}
    for f in all_fields(sections):
        value = _get(document, f.path)
        present = value is not _MISSING
        if f.scalar:
            if not present or value is None:
                state[f.name] = ""
            elif f.kind == "json":
                state[f.name] = json.dumps(value, ensure_ascii=False)
            else:
                state[f.name] = str(value).lower() if isinstance(value, bool) else str(value)
            continue
        effective = value if present else f.default
        if f.kind == "boolean":
            state[f.name] = "on" if effective else ""
        elif f.kind == "choices":
            state[f.name] = [str(v) for v in effective] if isinstance(effective, list) else []
        else:  # lines
            state[f.name] = (
                "\n".join(str(v) for v in effective) if isinstance(effective, list) else ""
            )
    return state


def form_from_request(sections: list[Section], form) -> FormState:
    """The submitted values, as the form state to show again."""
    state: FormState = {}
    for f in all_fields(sections):
        if f.kind == "choices":
            state[f.name] = form.getlist(f.name)
        else:
            state[f.name] = form.get(f.name, "")
    return state


# --- form state -> document ------------------------------------------------------------------


def document_from_form(
    sections: list[Section], state: FormState, stored: Mapping
) -> tuple[dict, FormErrors]:
    """The document the form describes, built on the stored one (so options the form does not
    show survive), and the errors found before the store sees it (JSON that does not parse)."""
    document = copy.deepcopy(dict(stored)) if isinstance(stored, Mapping) else {}
    errors = FormErrors()
    for f in all_fields(sections):
        raw = state.get(f.name, [] if f.kind == "choices" else "")
        if f.scalar:
            text = raw.strip() if isinstance(raw, str) else ""
            if not text:
                _delete(document, f.path)
                continue
            try:
                value = _scalar(f, text)
            except ValueError:
                errors.add(f.name, "Not valid JSON.")
                continue
            _set(document, f.path, value)
            continue
        if f.kind == "boolean":
            value = raw == "on"
        elif f.kind == "choices":
            value = list(raw) if isinstance(raw, list) else []
        else:
            value = [line.strip() for line in str(raw).splitlines() if line.strip()]
        had = _get(stored, f.path) is not _MISSING
        if had or value != (f.default if f.default is not None else []):
            _set(document, f.path, value)
        else:
            _delete(document, f.path)
    _prune(document, stored)
    return document, errors


def _scalar(f: Field, text: str) -> object:
    if f.kind == "json":
        return json.loads(text)
    if f.kind == "integer":
        try:
            return int(text)
        except ValueError:
            return text  # the schema says "Not a valid integer." next to the field
    if f.kind == "number":
        try:
            return float(text)
        except ValueError:
            return text
    return text


def _prune(document: dict, stored: Mapping) -> None:
    """Drop containers the form emptied that the stored document did not have."""
    rules = document.get("rules")
    if isinstance(rules, dict):
        for rule_id in list(rules):
            options = rules[rule_id]
            if not isinstance(options, dict):
                continue
            phrases = options.get("extra_phrases")
            stored_path = ("rules", rule_id, "extra_phrases")
            if phrases == {} and _get(stored, stored_path) is _MISSING:
                del options["extra_phrases"]
            if options == {} and _get(stored, ("rules", rule_id)) is _MISSING:
                del rules[rule_id]
        if rules == {} and _get(stored, ("rules",)) is _MISSING:
            del document["rules"]
    if document.get("exemptions") == {} and _get(stored, ("exemptions",)) is _MISSING:
        del document["exemptions"]


_MISSING = object()


def _get(document: object, path: tuple[str, ...]) -> object:
    node = document
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return _MISSING
        node = node[key]
    return node


def _set(document: dict, path: tuple[str, ...], value: object) -> None:
    node = document
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = value


def _delete(document: dict, path: tuple[str, ...]) -> None:
    node = document
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return
    if isinstance(node, dict):
        node.pop(path[-1], None)


# --- validation messages -> fields -------------------------------------------------------------


def place_errors(sections: list[Section], messages: object) -> FormErrors:
    """Put marshmallow's nested messages next to the fields they name.

    `{"rules": {"large-audience": {"threshold": ["Must be ..."]}}}` goes to the threshold input;
    a list entry's error (`{"exempt_subjects": {0: [...]}}`) says which line; what names no field
    (an unknown option) goes to its rule's section, and the rest to the summary.
    """
    by_path = {f.path: f for f in all_fields(sections)}
    sections_by_key = {s.key for s in sections}
    errors = FormErrors()
    for path, message in flatten(messages, ()):
        for cut in range(len(path), 0, -1):
            f = by_path.get(tuple(path[:cut]))
            if f is not None:
                rest = [p for p in path[cut:] if p != "value"]
                if rest and isinstance(rest[0], int):
                    message = f"Line {rest[0] + 1}: {message}"
                errors.add(f.name, message)
                break
        else:
            if len(path) >= 2 and path[0] == "rules" and path[1] in sections_by_key:
                where = ".".join(str(p) for p in path[2:])
                text = f"{where}: {message}" if where else message
                errors.by_section.setdefault(path[1], []).append(text)
            else:
                where = ".".join(str(p) for p in path if p != "_schema")
                errors.general.append(f"{where}: {message}" if where else message)
    return errors


def flatten(messages: object, path: tuple) -> list[tuple[list, str]]:
    if isinstance(messages, Mapping):
        found = []
        for key, value in messages.items():
            found += flatten(value, (*path, key))
        return found
    if isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            return [(list(path), m) for m in messages]
        found = []
        for index, value in enumerate(messages):
            found += flatten(value, (*path, index))
        return found
    return [(list(path), str(messages))]
