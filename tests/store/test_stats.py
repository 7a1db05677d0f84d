"""Counters: upsert-increments, and the statistics read back from them."""

from datetime import date

import pytest

from server import store

MAY_1, MAY_2, MAY_3 = date(2025, 5, 1), date(2025, 5, 2), date(2025, 5, 3)


@pytest.fixture
def org(make_org):
    return make_org("corp.example")


def _record(sessions, org, events):
    with sessions.begin() as session:
        store.record_events(session, org, events)


def test_recording_adds_to_existing_counters(sessions, org):
    _record(sessions, org, [(MAY_1, "large-audience", "hint", "shown", 3)])
    _record(
        sessions,
        org,
        [
            (MAY_1, "large-audience", "hint", "shown", 2),
            (MAY_1, "large-audience", "hint", "shown", 1),  # same counter twice in one batch
            (MAY_1, "large-audience", "hint", "dismissed", 1),
        ],
    )

    with sessions() as session:
        assert store.counts_per_rule_per_day(session, org, MAY_1, MAY_1) == [
            (MAY_1, "large-audience", 6)
        ]
        assert store.counts_per_outcome(session, org, MAY_1, MAY_1)["dismissed"] == 1


def test_statistics_per_rule_per_day_and_per_outcome(sessions, org):
    _record(
        sessions,
        org,
        [
            (MAY_1, "content-free-reply-all", "warning", "shown", 10),
            (MAY_1, "content-free-reply-all", "block", "shown", 1),  # severities add up
            (MAY_1, "content-free-reply-all", "warning", "changed_recipients", 6),
            (MAY_2, "content-free-reply-all", "warning", "shown", 4),
            (MAY_2, "content-free-reply-all", "warning", "sent_anyway", 3),
            (MAY_2, "large-audience", "hint", "shown", 2),
            (MAY_2, "large-audience", "hint", "edited", 1),
            (MAY_3, "large-audience", "hint", "shown", 100),  # outside the range read below
        ],
    )

    with sessions() as session:
        per_day = store.counts_per_rule_per_day(session, org, MAY_1, MAY_2)
        changed = store.counts_per_rule_per_day(session, org, MAY_1, MAY_2, "changed_recipients")
        outcomes = store.counts_per_outcome(session, org, MAY_1, MAY_2)
        one_rule = store.counts_per_outcome(session, org, MAY_1, MAY_3, rule="large-audience")

    assert per_day == [
        (MAY_1, "content-free-reply-all", 11),
        (MAY_2, "content-free-reply-all", 4),
        (MAY_2, "large-audience", 2),
    ]
    assert changed == [(MAY_1, "content-free-reply-all", 6)]
    assert outcomes == {
        "shown": 17,
        "changed_recipients": 6,
        "edited": 1,
        "sent_anyway": 3,
        "dismissed": 0,
    }
    assert one_rule["shown"] == 102


@pytest.mark.parametrize(
    "event",
    [
        (MAY_1, "large-audience", "hint", "ignored", 1),
        (MAY_1, "large-audience", "loud", "shown", 1),
        (MAY_1, "large-audience", "off", "shown", 1),
        (MAY_1, "large-audience", "hint", "shown", 0),
        (MAY_1, "large-audience", "hint", "shown", -2),
        (MAY_1, "large-audience", "hint", "shown", 1.5),
        (MAY_1, "", "hint", "shown", 1),
        (MAY_1, "x" * 101, "hint", "shown", 1),
    ],
)
def test_bad_events_are_refused_and_nothing_is_counted(sessions, org, event):
    good = (MAY_1, "large-audience", "hint", "shown", 1)
    with pytest.raises(ValueError), sessions.begin() as session:
        store.record_events(session, org, [good, event])

    with sessions() as session:
        assert store.counts_per_rule_per_day(session, org, MAY_1, MAY_1) == []


def test_recording_nothing_is_fine(sessions, org):
    _record(sessions, org, [])
