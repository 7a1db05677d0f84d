"""The policy lifecycle: draft, If-Match, publish, rollback, versions, diff, YAML."""

import pytest
import yaml
from marshmallow import ValidationError

from linters import Severity
from linters.registry import Registry, Rule
from server import store

ACTOR = "editor@corp.example"
WORD_TWICE = {"rules": {"test-repeats-word": {"word": "thanks", "times": 2}}}
OFF = {"rules": {"test-repeats-word": {"severity": "off"}}}
RANGE_MESSAGE = "Must be greater than or equal to 1 and less than or equal to 100."


class Retired(Rule):
    id = "retired-rule"
    summary = "A rule that a later release removes."
    default_severity = Severity.HINT

    def check(self, ctx, options):
        return ()


@pytest.fixture
def org(make_org):
    return make_org("corp.example")


def _save(sessions, org, document, rules, if_match=None):
    with sessions.begin() as session:
        if_match = if_match or store.get_draft(session, org).etag
        return store.save_draft(
            session, org, document, if_match=if_match, actor=ACTOR, registry=rules
        )


def _publish(sessions, org, rules, comment=""):
    with sessions.begin() as session:
        etag = store.get_draft(session, org).etag
        return store.publish(
            session, org, if_match=etag, actor=ACTOR, comment=comment, registry=rules
        )


def _draft(sessions, org):
    with sessions() as session:
        return store.get_draft(session, org)


def test_a_new_organisation_has_an_empty_draft_and_nothing_published(sessions, org):
    with sessions() as session:
        draft = store.get_draft(session, org)
        assert (draft.document, draft.etag) == ({}, '"draft-0"')
        assert store.list_versions(session, org) == []
        assert store.current_version(session, org) is None


def test_saving_with_the_current_etag_replaces_the_draft_and_changes_the_etag(sessions, org, rules):
    draft = _save(sessions, org, WORD_TWICE, rules)

    assert draft.document == WORD_TWICE
    assert draft.etag == '"draft-1"'
    assert draft.updated_by == ACTOR
    assert _draft(sessions, org).document == WORD_TWICE


def test_a_stale_etag_is_refused_and_nothing_is_lost(sessions, org, rules):
    first_read = _draft(sessions, org).etag
    _save(sessions, org, WORD_TWICE, rules, if_match=first_read)  # someone else saves first

    with pytest.raises(store.StaleWrite), sessions.begin() as session:
        store.save_draft(session, org, OFF, if_match=first_read, actor=ACTOR, registry=rules)

    draft = _draft(sessions, org)
    assert (draft.document, draft.etag) == (WORD_TWICE, '"draft-1"')


@pytest.mark.parametrize("etag", ["", "*", '"draft-x"', "draft-0", '"something-else"'])
def test_an_etag_that_is_not_ours_is_stale(sessions, org, rules, etag):
    with pytest.raises(store.StaleWrite), sessions.begin() as session:
        store.save_draft(session, org, OFF, if_match=etag, actor=ACTOR, registry=rules)


def test_a_weak_form_of_the_current_etag_is_accepted(sessions, org, rules):
    assert _save(sessions, org, OFF, rules, if_match='W/"draft-0"').document == OFF


@pytest.mark.parametrize(
    ("document", "errors"),
    [
        (
            {"rules": {"test-repeats-word": {"times": 0}}},
            {"rules": {"test-repeats-word": {"times": [RANGE_MESSAGE]}}},
        ),
        ({"rules": {"no-such-rule": {}}}, {"rules": {"no-such-rule": ["Unknown rule id."]}}),
        ({"unknown_group_size": "many"}, {"unknown_group_size": ["Not a valid integer."]}),
    ],
)
def test_an_invalid_document_is_refused_naming_the_field(sessions, org, rules, document, errors):
    with pytest.raises(ValidationError) as raised, sessions.begin() as session:
        store.save_draft(session, org, document, if_match='"draft-0"', actor=ACTOR, registry=rules)

    assert raised.value.messages == errors
    assert _draft(sessions, org).document == {}


def test_publish_makes_numbered_versions_and_consumes_the_etag(sessions, org, rules):
    _save(sessions, org, WORD_TWICE, rules)
    first = _publish(sessions, org, rules, comment="say thanks less")
    _save(sessions, org, OFF, rules)
    second = _publish(sessions, org, rules)

    assert (first.number, first.document, first.comment, first.author) == (
        1,
        WORD_TWICE,
        "say thanks less",
        ACTOR,
    )
    assert (second.number, second.document) == (2, OFF)
    with sessions() as session:
        assert [v.number for v in store.list_versions(session, org)] == [2, 1]
        assert store.current_version(session, org).number == 2
        assert store.get_version(session, org, 1).document == WORD_TWICE
        with pytest.raises(store.NotFound):
            store.get_version(session, org, 3)


def test_publishing_twice_with_the_same_etag_is_stale_not_a_duplicate(sessions, org, rules):
    etag = _save(sessions, org, WORD_TWICE, rules).etag
    with sessions.begin() as session:
        store.publish(session, org, if_match=etag, actor=ACTOR, registry=rules)

    with pytest.raises(store.StaleWrite), sessions.begin() as session:
        store.publish(session, org, if_match=etag, actor=ACTOR, registry=rules)

    with sessions() as session:
        assert [v.number for v in store.list_versions(session, org)] == [1]


def test_a_draft_that_no_longer_validates_is_not_published(sessions, org, rules):
    with_retired = Registry({**rules.rules, Retired.id: Retired()})
    etag = _save(sessions, org, {"rules": {"retired-rule": {}}}, with_retired).etag

    with pytest.raises(ValidationError) as raised, sessions.begin() as session:
        store.publish(session, org, if_match=etag, actor=ACTOR, registry=rules)

    assert raised.value.messages == {"rules": {"retired-rule": ["Unknown rule id."]}}
    with sessions() as session:
        assert store.list_versions(session, org) == []
        assert store.get_draft(session, org).etag == etag  # the claim was rolled back too


def test_rollback_publishes_a_copy_of_the_old_version_and_resets_the_draft(sessions, org, rules):
    _save(sessions, org, WORD_TWICE, rules)
    _publish(sessions, org, rules)
    _save(sessions, org, OFF, rules)
    _publish(sessions, org, rules)
    unpublished = {"rules": {"test-repeats-word": {"times": 3}}}
    etag = _save(sessions, org, unpublished, rules).etag

    with sessions.begin() as session:
        restored = store.rollback(
            session, org, 1, if_match=etag, actor=ACTOR, comment="too quiet", registry=rules
        )

    assert (restored.number, restored.document, restored.restored_from) == (3, WORD_TWICE, 1)
    with sessions() as session:
        assert store.current_version(session, org).document == WORD_TWICE
        assert store.get_draft(session, org).document == WORD_TWICE
        [entry, *_] = store.list_entries(session, org)
    # The unpublished edit the rollback replaced is kept in its audit entry.
    assert entry.action == "policy.rollback"
    assert {"path": ["rules", "test-repeats-word", "times"], "before": 3, "after": 2} in (
        entry.change["draft_diff"]
    )


def test_rollback_with_a_stale_etag_or_to_an_unknown_version_changes_nothing(sessions, org, rules):
    stale = _save(sessions, org, WORD_TWICE, rules).etag
    _publish(sessions, org, rules)

    with pytest.raises(store.StaleWrite), sessions.begin() as session:
        store.rollback(session, org, 1, if_match=stale, actor=ACTOR, registry=rules)
    with pytest.raises(store.NotFound), sessions.begin() as session:
        etag = store.get_draft(session, org).etag
        store.rollback(session, org, 7, if_match=etag, actor=ACTOR, registry=rules)

    with sessions() as session:
        assert [v.number for v in store.list_versions(session, org)] == [1]


def test_diff_between_any_two_versions(sessions, org, rules):
    _save(sessions, org, WORD_TWICE, rules)
    _publish(sessions, org, rules)
    document = {
        "rules": {"test-repeats-word": {"word": "thanks", "severity": "hint"}},
        "exemptions": {"subjects": ["\\[VOTE\\]"]},
    }
    _save(sessions, org, document, rules)
    _publish(sessions, org, rules)

    with sessions() as session:
        forward = store.diff_versions(session, org, 1, 2)
        backward = store.diff_versions(session, org, 2, 1)
        same = store.diff_versions(session, org, 2, 2)

    assert forward == [
        {"path": ["exemptions"], "before": None, "after": {"subjects": ["\\[VOTE\\]"]}},
        {"path": ["rules", "test-repeats-word", "severity"], "before": None, "after": "hint"},
        {"path": ["rules", "test-repeats-word", "times"], "before": 2, "after": None},
    ]
    assert backward == [
        {"path": c["path"], "before": c["after"], "after": c["before"]} for c in forward
    ]
    assert same == []


def test_every_state_change_has_an_audit_entry(sessions, org, rules):
    with sessions.begin() as session:
        store.add_alias(session, org, "google-domain", "Corp.Example", actor=ACTOR)
        store.add_admin(session, org, "Editor@Corp.Example", "editor", actor=ACTOR)
        store.issue_sign_in_token(session, org, "editor@corp.example", actor=ACTOR)
    _save(sessions, org, WORD_TWICE, rules)
    _publish(sessions, org, rules, comment="first")
    with sessions.begin() as session:
        etag = store.get_draft(session, org).etag
        store.import_draft_yaml(
            session, org, "rules: {}", if_match=etag, actor=ACTOR, registry=rules
        )
        etag = store.get_draft(session, org).etag
        store.rollback(session, org, 1, if_match=etag, actor=ACTOR, registry=rules)

    with sessions() as session:
        entries = list(reversed(store.list_entries(session, org)))

    assert [(e.action, e.target) for e in entries] == [
        ("org.create", "org/corp.example"),
        ("alias.add", "alias/google-domain/corp.example"),
        ("admin.add", "admin/editor@corp.example"),
        ("sign-in-link.issue", "admin/editor@corp.example"),
        ("policy.draft.save", "policy/draft"),
        ("policy.publish", "policy/v1"),
        ("policy.draft.save", "policy/draft"),
        ("policy.rollback", "policy/v2"),
    ]
    assert all(e.org_id == org.id and e.created_at.tzinfo is not None for e in entries)
    assert entries[4].actor == ACTOR
    assert entries[4].change == {
        "revision": 1,
        "diff": [{"path": ["rules"], "before": None, "after": WORD_TWICE["rules"]}],
    }
    assert entries[5].change["comment"] == "first"


def test_a_refused_change_leaves_no_audit_entry(sessions, org, rules):
    with pytest.raises(store.StaleWrite), sessions.begin() as session:
        store.save_draft(session, org, OFF, if_match='"draft-9"', actor=ACTOR, registry=rules)
    with pytest.raises(ValidationError), sessions.begin() as session:
        store.save_draft(
            session, org, {"rules": 1}, if_match='"draft-0"', actor=ACTOR, registry=rules
        )

    with sessions() as session:
        assert [e.action for e in store.list_entries(session, org)] == ["org.create"]


def test_audit_entries_page_newest_first(sessions, org, rules):
    for times in range(1, 6):
        _save(sessions, org, {"rules": {"test-repeats-word": {"times": times}}}, rules)
    with sessions() as session:
        first_page = store.list_entries(session, org, limit=3)
        second_page = store.list_entries(session, org, limit=3, before_id=first_page[-1].id)

    assert [e.change["revision"] for e in first_page] == [5, 4, 3]
    assert [e.change.get("revision") for e in second_page] == [2, 1, None]  # None: org.create


def test_yaml_export_and_import_round_trip(sessions, org, rules):
    document = {
        "rules": {"test-repeats-word": {"word": "Grüße", "times": 2, "severity": "hint"}},
        "exemptions": {"subjects": ["\\[VOTE\\]"], "senders": []},
        "unknown_group_size": 12,
    }
    _save(sessions, org, document, rules)
    with sessions() as session:
        exported = store.export_draft_yaml(session, org)
    assert yaml.safe_load(exported) == document
    assert "Grüße" in exported  # readable, not escaped

    with sessions.begin() as session:  # a second organisation takes the file as policy as code
        second = store.create_org(session, "other.example", "Other", actor=ACTOR)
        imported = store.import_draft_yaml(
            session, second, exported, if_match='"draft-0"', actor=ACTOR, registry=rules
        )
    assert imported.document == document


def test_the_exported_yaml_is_a_cli_policy_file(sessions, org, rules, tmp_path, monkeypatch):
    from server import cli

    monkeypatch.setattr(cli, "default_registry", lambda: rules)
    _save(sessions, org, WORD_TWICE, rules)
    with sessions() as session:
        (tmp_path / "policy.yaml").write_text(store.export_draft_yaml(session, org))

    policy = cli.read_policy(str(tmp_path / "policy.yaml"))
    assert dict(policy.rules["test-repeats-word"].options) == {"word": "thanks", "times": 2}


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        (
            "rules:\n  test-repeats-word:\n    times: 0\n",
            {"rules": {"test-repeats-word": {"times": [RANGE_MESSAGE]}}},
        ),
        (
            "rules:\n  test-repeats-word:\n    colour: red\n",
            {"rules": {"test-repeats-word": {"colour": ["Unknown field."]}}},
        ),
        ("rules: [1, 2]\n", {"rules": ["Not a valid mapping type."]}),
    ],
)
def test_yaml_import_validates_naming_the_field(sessions, org, rules, text, errors):
    with pytest.raises(ValidationError) as raised, sessions.begin() as session:
        store.import_draft_yaml(
            session, org, text, if_match='"draft-0"', actor=ACTOR, registry=rules
        )

    assert raised.value.messages == errors
    assert _draft(sessions, org).document == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [("rules: {oops", "Malformed YAML"), ("unknown_group_size: " + "9" * 5000, "A number")],
    ids=["malformed", "huge-int"],
)
def test_malformed_yaml_is_a_validation_error(sessions, org, rules, text, message):
    with pytest.raises(ValidationError) as raised, sessions.begin() as session:
        store.import_draft_yaml(
            session, org, text, if_match='"draft-0"', actor=ACTOR, registry=rules
        )
    assert raised.value.messages["_schema"][0].startswith(message)


def test_an_empty_yaml_file_is_the_defaults(sessions, org, rules):
    _save(sessions, org, WORD_TWICE, rules)
    with sessions.begin() as session:
        etag = store.get_draft(session, org).etag
        draft = store.import_draft_yaml(
            session, org, "", if_match=etag, actor=ACTOR, registry=rules
        )
    assert draft.document == {}


def test_draft_policy_builds_the_draft_for_previews(sessions, org, rules):
    _save(sessions, org, WORD_TWICE, rules)
    with sessions() as session:
        policy = store.draft_policy(session, org, rules)
    assert (policy.org, policy.version) == ("corp.example", None)
    assert policy.rules["test-repeats-word"].options["times"] == 2
