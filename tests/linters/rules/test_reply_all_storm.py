"""reply-all-storm: the thread's reply-all activity, as the server fills it in, against the
thresholds; what the finding says and offers."""

import pytest
from marshmallow import ValidationError

from linters import Policy, lint
from linters.rules.reply_all_storm import ReplyAllStorm

ALL_STAFF = {"email": "all-staff@corp.example", "type": "group", "member_count": 2400}


def draft(repliers=9, audience=2400, window=30, **changes) -> dict:
    d = {
        "compose_type": "reply_all",
        "from": {"email": "jo@corp.example"},
        "to": [{"email": "facilities@corp.example", "name": "Facilities"}],
        "cc": [ALL_STAFF],
        "body": {"content": "Same question: does this include the visitor spaces?"},
        "in_reply_to": {"from": {"email": "facilities@corp.example", "name": "Facilities"}},
        "thread_id": "conversation-1",
        "thread_activity": {"repliers": repliers, "audience": audience, "window_minutes": window},
    }
    d.update(changes)
    return d


def fired(d: dict, options: dict | None = None):
    policy = Policy.build({"rules": {"reply-all-storm": options}}) if options else None
    return [f for f in lint(d, policy).findings if f.rule == "reply-all-storm"]


def test_says_how_many_replied_to_how_many_and_when():
    (finding,) = fired(draft())
    assert finding.message == (
        "9 people have already replied to all 2,400 recipients in the last 30 minutes."
    )
    assert finding.explanation == (
        "Each reply-all lands in 2,401 inboxes and invites the next one. "
        "Reply to Facilities only, or let the thread rest."
    )
    assert finding.severity.value == "warning"
    assert finding.data == {
        "repliers": 9,
        "thread_audience": 2400,
        "audience": 2401,
        "window_minutes": 30,
    }


@pytest.mark.parametrize(
    ("window", "said"),
    [(60, "the last hour"), (120, "the last 2 hours"), (90, "the last 90 minutes"), (1, "minute")],
)
def test_the_window_in_words(window, said):
    (finding,) = fired(draft(window=window))
    assert finding.message.endswith(f"{said}.")


def test_one_person_and_a_thread_audience_the_server_did_not_know():
    # The thread's audience unknown (0): this reply's own is said instead.
    (finding,) = fired(draft(repliers=1, audience=0), {"min_reply_alls": 1})
    assert finding.message == (
        "1 person has already replied to all 2,401 recipients in the last 30 minutes."
    )


def test_offers_to_reply_to_the_sender_only():
    (finding,) = fired(draft())
    (fix,) = finding.fixes
    assert fix.id == "reply-to-sender-only"
    assert fix.set == {
        "to": [{"email": "facilities@corp.example", "name": "Facilities"}],
        "cc": [],
        "bcc": [],
    }


def test_the_thresholds_are_inclusive():
    assert fired(draft(repliers=5))
    assert not fired(draft(repliers=4))
    exactly_500 = {**ALL_STAFF, "member_count": 499}  # and the sender: 500 people
    assert fired(draft(cc=[exactly_500]))
    assert not fired(draft(cc=[{**ALL_STAFF, "member_count": 498}]))


def test_policy_thresholds():
    small = draft(repliers=3, cc=[{**ALL_STAFF, "member_count": 40}])
    assert not fired(small)
    assert fired(small, {"min_reply_alls": 3, "min_audience": 30})


def test_only_a_reply_that_goes_to_all():
    # Outlook's "reply" that reaches the list is a reply-all; one to the sender alone is not.
    assert fired(draft(compose_type="reply"))
    assert not fired(draft(compose_type="reply", cc=[]))
    assert not fired(draft(compose_type="forward"))
    assert not fired(draft(compose_type="new"))


def test_without_the_fact_the_rule_says_nothing():
    d = draft()
    del d["thread_activity"]
    assert not fired(d)
    assert not fired(draft(repliers=0))


def test_off_and_exempt_subjects():
    assert not fired(draft(), {"severity": "off"})
    assert not fired(draft(subject="Re: [ALL HANDS] Q&A"), {"exempt_subjects": [r"\[ALL HANDS\]"]})


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("min_reply_alls", 0),
        ("min_audience", 1),
        ("window_minutes", 0),
        ("window_minutes", 24 * 60 + 1),
        ("min_reply_alls", "5"),
    ],
)
def test_bad_options_are_refused_naming_the_field(option, value):
    with pytest.raises(ValidationError) as error:
        Policy.build({"rules": {"reply-all-storm": {option: value}}})
    assert option in error.value.messages["rules"]["reply-all-storm"]


def test_the_defaults_warn_before_exchange_blocks():
    # Exchange Online: 10 reply-alls to 2,500+ recipients within 60 minutes (5 and 1,000 at the
    # lowest an admin may set). This rule speaks earlier, over the same window.
    defaults = {"min_reply_alls": 5, "min_audience": 500, "window_minutes": 60}
    assert ReplyAllStorm.defaults == defaults
