"""Statistics: counts of what people did after a finding, per organisation, day, rule, severity
and outcome. Clients report counts, never drafts; a row is one number."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from linters import Severity

from .models import Counter, Organisation, Outcome

Event = tuple[date, str, str, str, int]  # (day, rule, severity, outcome, count)

# Each dialect's own INSERT ... ON CONFLICT DO UPDATE: an atomic increment on both, no read first.
_UPSERT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_KEY = ("org_id", "day", "rule", "severity", "outcome")
MAX_RULE_ID = 100


def record_events(session: Session, org: Organisation, events: Iterable[Event]) -> None:
    """Add each event's count to its counter, creating counters as needed.

    Raises ValueError for an unknown outcome or severity (or `off`), an overlong rule id or a
    count that is not a positive integer; the HTTP layer validates first, this keeps bad rows out
    regardless.
    """
    tally: Tally[tuple] = Tally()
    for day, rule, severity, outcome, count in events:
        if not (isinstance(count, int) and count > 0):
            raise ValueError(f"count must be a positive integer, not {count!r}")
        if not 0 < len(rule) <= MAX_RULE_ID:
            raise ValueError(f"rule id must be 1 to {MAX_RULE_ID} characters")
        level = Severity(severity)
        if level is Severity.OFF:
            raise ValueError("severity 'off': a rule that is off shows nothing to count")
        # Adding first: one statement may not update the same row twice on PostgreSQL.
        tally[(day, rule, level.value, Outcome(outcome).value)] += count
    if not tally:
        return
    insert = _UPSERT_INSERTS[session.get_bind().dialect.name]
    statement = insert(Counter)
    statement = statement.on_conflict_do_update(
        index_elements=list(_KEY), set_={"count": Counter.count + statement.excluded["count"]}
    )
    session.execute(
        statement,
        [dict(zip(_KEY, (org.id, *key), strict=True), count=count) for key, count in tally.items()],
    )


def counts_per_rule_per_day(
    session: Session,
    org: Organisation,
    start: date,
    end: date,
    outcome: Outcome | str = Outcome.SHOWN,
) -> list[tuple[date, str, int]]:
    """(day, rule, count) for one outcome from `start` to `end` inclusive, all severities added:
    with the default outcome, how many findings of each rule were shown each day."""
    rows = session.execute(
        select(Counter.day, Counter.rule, func.sum(Counter.count))
        .where(
            Counter.org_id == org.id,
            Counter.day.between(start, end),
            Counter.outcome == Outcome(outcome).value,
        )
        .group_by(Counter.day, Counter.rule)
        .order_by(Counter.day, Counter.rule)
    )
    return [(day, rule, int(count)) for day, rule, count in rows]


def counts_per_outcome(
    session: Session, org: Organisation, start: date, end: date, rule: str | None = None
) -> dict[str, int]:
    """Each outcome's total from `start` to `end` inclusive (zero if none), for one rule or all."""
    query = select(Counter.outcome, func.sum(Counter.count)).where(
        Counter.org_id == org.id, Counter.day.between(start, end)
    )
    if rule is not None:
        query = query.where(Counter.rule == rule)
    totals = dict.fromkeys((outcome.value for outcome in Outcome), 0)
    for outcome, count in session.execute(query.group_by(Counter.outcome)):
        totals[outcome] = int(count)
    return totals
