import pytest
from marshmallow import ValidationError

from linters import Policy, Severity, lint

CROWD = {
    "compose_type": "reply_all",
    "subject": "Re: Plan",
    "from": {"email": "me@corp.example"},
    "to": [{"email": "a@corp.example"}, {"email": "b@corp.example"}],
    "cc": [{"email": "c@corp.example"}],
    "body": {"content": "Thanks!"},
}


def rules_fired(draft, document=None):
    return [f.rule for f in lint(draft, Policy.build(document)).findings]


def test_defaults_fire():
    assert rules_fired(CROWD) == ["content-free-reply-all"]


def test_unknown_rule_id_is_named():
    with pytest.raises(ValidationError) as err:
        Policy.build({"rules": {"no-such-rule": {}}})
    assert err.value.messages == {"rules": {"no-such-rule": ["Unknown rule id."]}}


def test_bad_option_value_is_named():
    with pytest.raises(ValidationError) as err:
        Policy.build({"rules": {"content-free-reply-all": {"min_audience": "many"}}})
    assert "min_audience" in err.value.messages["rules"]["content-free-reply-all"]


def test_unknown_option_is_named():
    with pytest.raises(ValidationError) as err:
        Policy.build({"rules": {"content-free-reply-all": {"min_audiences": 3}}})
    assert "min_audiences" in err.value.messages["rules"]["content-free-reply-all"]


def test_bad_severity_is_named():
    with pytest.raises(ValidationError) as err:
        Policy.build({"rules": {"content-free-reply-all": {"severity": "loud"}}})
    assert "severity" in err.value.messages["rules"]["content-free-reply-all"]


def test_unknown_top_level_field_is_named():
    with pytest.raises(ValidationError) as err:
        Policy.build({"rulez": {}})
    assert "rulez" in err.value.messages


def test_invalid_re2_pattern_is_named_with_its_index():
    with pytest.raises(ValidationError) as err:
        Policy.build({"exemptions": {"subjects": ["ok", "(unclosed"]}})
    assert err.value.messages["exemptions"]["subjects"][1][0].startswith("Invalid RE2 pattern")


def test_backreference_is_rejected_because_re2_is_linear():
    with pytest.raises(ValidationError):
        Policy.build({"exemptions": {"subjects": [r"(a)\1"]}})


def test_severity_override_and_off():
    policy = Policy.build({"rules": {"content-free-reply-all": {"severity": "block"}}})
    assert lint(CROWD, policy).findings[0].severity is Severity.BLOCK
    assert rules_fired(CROWD, {"rules": {"content-free-reply-all": {"severity": "off"}}}) == []


def test_min_audience():
    assert rules_fired(CROWD, {"rules": {"content-free-reply-all": {"min_audience": 4}}}) == []


def test_extra_phrases_extend_the_lexicon():
    draft = CROWD | {"body": {"content": "Wilco over and out"}}
    assert rules_fired(draft) == []
    document = {
        "rules": {"content-free-reply-all": {"extra_phrases": {"en": ["wilco over and out"]}}}
    }
    assert rules_fired(draft, document) == ["content-free-reply-all"]


def test_global_subject_and_sender_exemptions():
    assert rules_fired(CROWD, {"exemptions": {"subjects": ["^re: plan$"]}}) == []
    assert rules_fired(CROWD, {"exemptions": {"senders": [r"me@corp\.example"]}}) == []
    # sender patterns match the whole address, not a part of it
    assert rules_fired(CROWD, {"exemptions": {"senders": ["me@corp"]}}) == [
        "content-free-reply-all"
    ]


def test_vote_exemption_is_per_rule_and_can_be_removed():
    vote = CROWD | {"subject": "Re: [VOTE] Release 1.2", "body": {"content": "+1"}}
    assert rules_fired(vote) == []
    document = {"rules": {"content-free-reply-all": {"exempt_subjects": []}}}
    assert rules_fired(vote, document) == ["content-free-reply-all"]


def test_policy_reference_is_reported():
    report = lint(CROWD, Policy.build(None, org="corp.example", version=12))
    assert (report.policy.org, report.policy.version) == ("corp.example", 12)


def test_unknown_group_size():
    draft = CROWD | {
        "to": [{"email": "a@corp.example"}],
        "cc": [{"email": "list@corp.example", "type": "group"}],
    }
    assert lint(draft).audience == 11
    assert lint(draft, Policy.build({"unknown_group_size": 1})).audience == 2
