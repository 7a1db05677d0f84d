import pytest
from marshmallow import ValidationError

from linters import lint
from linters.model import ComposeType, Draft, RecipientType
from linters.schema import dump_report, load_draft


def errors(data):
    with pytest.raises(ValidationError) as err:
        load_draft(data)
    return err.value.messages


def test_minimal_draft_gets_defaults():
    draft = load_draft({})
    assert draft == Draft()
    assert draft.compose_type is ComposeType.NEW


def test_full_draft_round_trips_the_design_example():
    draft = load_draft(
        {
            "client": "outlook",
            "compose_type": "reply_all",
            "subject": "Re: Offsite agenda",
            "from": {"email": "peter@corp.example", "name": "Peter Smith"},
            "to": [{"email": "anna@corp.example", "name": "Anna", "type": "user"}],
            "cc": [{"email": "all-staff@corp.example", "type": "group", "member_count": 412}],
            "bcc": [],
            "body": {"content": "<div>OK with me</div>", "type": "html"},
            "attachments": [{"name": "plan.pdf", "size": 120331, "inline": False}],
            "in_reply_to": {"from": {"email": "boss@corp.example"}, "subject": "Offsite agenda"},
            "thread_id": "t1",
            "locale": "en-GB",
        }
    )
    assert draft.sender.name == "Peter Smith"
    assert draft.cc[0].type is RecipientType.GROUP and draft.cc[0].member_count == 412
    assert draft.in_reply_to.sender.email == "boss@corp.example"


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"compose_type": "reply-all"}, ["compose_type"]),
        ({"to": "anna@corp.example"}, ["to"]),
        ({"to": [{"name": "Anna"}]}, ["to", 0, "email"]),
        ({"cc": [{"email": "x@y", "member_count": "12"}]}, ["cc", 0, "member_count"]),
        ({"body": {"content": 5}}, ["body", "content"]),
        ({"body": {"type": "rtf"}}, ["body", "type"]),
        ({"colour": "red"}, ["colour"]),
        ({"in_reply_to": {"from": {"email": ""}}}, ["in_reply_to", "from", "email"]),
    ],
)
def test_errors_name_the_field(data, path):
    node = errors(data)
    for key in path:
        node = node[key]
    assert node


def test_not_an_object():
    assert "_schema" in errors([1, 2])


def test_report_json_matches_the_design():
    report = dump_report(
        lint(
            {
                "compose_type": "reply_all",
                "to": [{"email": "a@x.example"}, {"email": "b@x.example"}],
                "cc": [{"email": "c@x.example"}],
                "body": {"content": "+1"},
            }
        )
    )
    assert set(report) == {"findings", "audience", "policy", "elapsed_ms", "failed_rules"}
    finding = report["findings"][0]
    assert set(finding) == {
        "rule",
        "severity",
        "message",
        "explanation",
        "excerpt",
        "span",
        "fixes",
        "data",
    }
    assert finding["severity"] == "warning"
    assert finding["fixes"][0] == {
        "id": "reply-to-sender-only",
        "title": "Reply to a@x.example only",
        "set": {"to": [{"email": "a@x.example"}], "cc": [], "bcc": []},
    }
