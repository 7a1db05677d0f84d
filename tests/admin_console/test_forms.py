"""The policy form's mapping between documents and form fields, without a server."""

from __future__ import annotations

from collections.abc import Mapping

from marshmallow import fields

from linters import Severity
from linters.registry import Options, Registry, Rule, default_registry
from server.admin import forms

DOCUMENT = {
    "rules": {
        "content-free-reply-all": {
            "severity": "block",
            "min_audience": 5,
            "allow_kinds": ["social"],
            "extra_phrases": {"en": ["roger that"], "sv": ["tack"]},
            "exempt_subjects": [],
        },
        "empty-check-in": {"compose_types": ["reply_all"]},
    },
    "exemptions": {"subjects": ["\\[FYI\\]"], "senders": []},
    "unknown_group_size": 12,
}


def test_a_document_survives_the_round_trip_through_the_form():
    sections = forms.build_sections(default_registry(), DOCUMENT)
    state = forms.form_from_document(sections, DOCUMENT)
    document, errors = forms.document_from_form(sections, state, DOCUMENT)
    assert not errors
    assert document == DOCUMENT


def test_a_language_outside_the_built_in_seven_gets_its_own_field():
    sections = forms.build_sections(default_registry(), DOCUMENT)
    names = {f.name for f in forms.all_fields(sections)}
    assert "rules.content-free-reply-all.extra_phrases.sv" in names
    assert "rules.bare-forward.extra_phrases.sv" not in names


class Nested(Options):
    weights = fields.Dict(keys=fields.String(), values=fields.Integer())
    strict = fields.Boolean()


class PluginRule(Rule):
    id = "plugin-rule"
    summary = "A plugin's rule with options the form has no widget for."
    default_severity = Severity.HINT
    options = Nested
    defaults: Mapping = {"weights": {}, "strict": False}


def test_options_without_a_widget_are_edited_as_json_and_booleans_as_checkboxes():
    registry = Registry({PluginRule.id: PluginRule()})
    sections = forms.build_sections(registry, {})
    kinds = {f.path[-1]: f.kind for f in sections[0].fields}
    assert kinds == {
        "severity": "severity",
        "strict": "boolean",
        "weights": "json",
        "exempt_subjects": "lines",
    }
    state = forms.form_from_document(sections, {})
    state |= {"rules.plugin-rule.weights": '{"a": 2}', "rules.plugin-rule.strict": "on"}
    document, errors = forms.document_from_form(sections, state, {})
    assert not errors
    assert document == {"rules": {"plugin-rule": {"weights": {"a": 2}, "strict": True}}}
    state["rules.plugin-rule.weights"] = "{not json"
    _, errors = forms.document_from_form(sections, state, {})
    assert errors.by_field == {"rules.plugin-rule.weights": ["Not valid JSON."]}


def test_errors_that_name_no_field_go_to_the_rule_or_the_summary():
    sections = forms.build_sections(default_registry(), {})
    errors = forms.place_errors(
        sections,
        {
            "rules": {
                "large-audience": {"bogus": ["Unknown field."]},
                "no-such-rule": ["Unknown rule id."],
            },
            "extra": ["Unknown field."],
        },
    )
    assert errors.by_section == {"large-audience": ["bogus: Unknown field."]}
    assert errors.general == ["rules.no-such-rule: Unknown rule id.", "extra: Unknown field."]
