"""large-audience: how many people, and which groups, largest first."""

import pytest
from marshmallow import ValidationError

from linters import Policy, lint


def fired(d: dict, document: dict | None = None):
    report = lint(d, Policy.build(document) if document else None)
    return [f for f in report.findings if f.rule == "large-audience"]


def group(email: str, size: int | None = None, name: str | None = None) -> dict:
    g = {"email": email, "type": "group"}
    if size is not None:
        g["member_count"] = size
    if name:
        g["name"] = name
    return g


def test_names_groups_largest_first_and_at_most_three():
    d = {
        "to": [
            {"email": "a@corp.example"},
            group("small@corp.example", 5),
            group("all@corp.example", 400, "All staff"),
            group("eng@corp.example", 120),
            group("ops@corp.example", 30),
        ],
        "body": {"content": "News."},
    }
    (finding,) = fired(d)
    assert finding.message == (
        "This message goes to 556 people: All staff (400), eng@corp.example (120), "
        "ops@corp.example (30), 1 more group and 1 other person."
    )
    assert [g["members"] for g in finding.data["groups"]] == [400, 120, 30]
    assert finding.data["group_count"] == 4


def test_unknown_group_size_is_said():
    d = {"to": [group("x@corp.example"), group("y@corp.example"), group("z@corp.example")]}
    (finding,) = fired(d, {"unknown_group_size": 10})
    assert "size unknown, counted as 10" in finding.message


def test_threshold_is_inclusive_and_individuals_count():
    people = [{"email": f"u{i}@corp.example"} for i in range(25)]
    assert fired({"to": people})
    assert not fired({"to": people[:24]})
    assert fired({"to": people}, None)[0].message == "This message goes to 25 people."


def test_author_is_not_counted():
    people = [{"email": f"u{i}@corp.example"} for i in range(24)]
    d = {"from": {"email": "me@corp.example"}, "to": [*people, {"email": "me@corp.example"}]}
    assert not fired(d)


def test_threshold_option_is_validated():
    with pytest.raises(ValidationError) as error:
        Policy.build({"rules": {"large-audience": {"threshold": 0}}})
    assert "threshold" in error.value.messages["rules"]["large-audience"]
