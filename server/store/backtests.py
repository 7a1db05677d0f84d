"""Backtest runs of the admin console: a row per run, its progress while it runs, and its
aggregate report once done (server/admin/backtest.py runs them; server/backtest counts).

Only counts are ever written here: the report is `Tally.to_dict()` with the run's facts, the
summary a few of its figures, the error our own words. Starting and deleting a run write the
audit log; progress and the end of a run (the job's own writes) do not.

A run whose job has ended without a word (its process stopped: a restart, a crash) stays
"running" with an old heartbeat (`updated_at`); `is_stale` says so, and `start_backtest` marks
such runs failed before it looks for one still running.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, defer, undefer

from . import audit
from .errors import AlreadyExists, NotFound
from .models import BacktestRun, BacktestStatus, Organisation, utcnow

# A running job writes its progress at least this often (server/admin/backtest.py writes every
# second while it reads; a chunk of mail is linted in well under a minute).
STALE_AFTER = timedelta(minutes=2)
STOPPED = "Stopped: the server process that ran it ended (a restart?). Run it again."


def is_stale(run: BacktestRun, now: datetime | None = None) -> bool:
    """A run marked running whose job has not been heard from for `STALE_AFTER`."""
    now = now or utcnow()
    return run.status == BacktestStatus.RUNNING and run.updated_at < now - STALE_AFTER


def start_backtest(
    session: Session,
    org: Organisation,
    *,
    actor: str,
    upload_bytes: int,
    draft_revision: int,
    published_version: int | None,
    from_domains: list[str] | tuple[str, ...] = (),
    now: datetime | None = None,
) -> BacktestRun:
    """A new run, marked running; AlreadyExists while another of the organisation's runs is."""
    now = now or utcnow()
    session.execute(
        update(BacktestRun)
        .where(
            BacktestRun.org_id == org.id,
            BacktestRun.status == BacktestStatus.RUNNING.value,
            BacktestRun.updated_at < now - STALE_AFTER,
        )
        .values(status=BacktestStatus.FAILED.value, error=STOPPED, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    running = session.scalar(
        select(BacktestRun.id).where(
            BacktestRun.org_id == org.id, BacktestRun.status == BacktestStatus.RUNNING.value
        )
    )
    if running is not None:
        raise AlreadyExists(f"backtest {running} of {org.slug} is still running")
    run = BacktestRun(
        org_id=org.id,
        started_by=actor,
        started_at=now,
        updated_at=now,
        status=BacktestStatus.RUNNING.value,
        upload_bytes=upload_bytes,
        progress_bytes=0,
        messages=0,
        draft_revision=draft_revision,
        published_version=published_version,
    )
    session.add(run)
    session.flush()
    audit.record(
        session,
        org,
        actor,
        "backtest.run",
        f"backtest/{run.id}",
        {
            "upload_bytes": upload_bytes,
            "from_domains": list(from_domains),
            "draft_revision": draft_revision,
            "published_version": published_version,
        },
    )
    return run


def backtest_progress(
    session: Session,
    run_id: int,
    *,
    progress_bytes: int,
    messages: int,
    now: datetime | None = None,
) -> bool:
    """The job's heartbeat: how far it got. False when the run is gone (deleted) or no longer
    running, which tells the job to stop."""
    result = session.execute(
        update(BacktestRun)
        .where(BacktestRun.id == run_id, BacktestRun.status == BacktestStatus.RUNNING.value)
        .values(progress_bytes=progress_bytes, messages=messages, updated_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount > 0


def finish_backtest(
    session: Session,
    run_id: int,
    *,
    report: dict | None = None,
    summary: dict | None = None,
    messages: int | None = None,
    error: str | None = None,
    now: datetime | None = None,
) -> bool:
    """The end of a run: done with its report, or failed with `error` (our words, shown to the
    admin). False when the run is gone or no longer running (its report is then dropped)."""
    now = now or utcnow()
    values: dict = {"updated_at": now, "finished_at": now}
    if error is None:
        values |= {"status": BacktestStatus.DONE.value, "report": report, "summary": summary}
    else:
        values |= {"status": BacktestStatus.FAILED.value, "error": error[:500]}
    if messages is not None:
        values["messages"] = messages
    result = session.execute(
        update(BacktestRun)
        .where(BacktestRun.id == run_id, BacktestRun.status == BacktestStatus.RUNNING.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount > 0


def list_backtests(session: Session, org: Organisation) -> list[BacktestRun]:
    """The organisation's runs, newest first, without their reports (`get_backtest` has them)."""
    query = (
        select(BacktestRun)
        .where(BacktestRun.org_id == org.id)
        .options(defer(BacktestRun.report))
        .order_by(BacktestRun.id.desc())
    )
    return list(session.scalars(query))


def get_backtest(session: Session, org: Organisation, run_id: int) -> BacktestRun:
    """One of the organisation's runs with its report; NotFound for another's or none."""
    run = session.scalar(
        select(BacktestRun)
        .where(BacktestRun.org_id == org.id, BacktestRun.id == run_id)
        .options(undefer(BacktestRun.report))
        .execution_options(populate_existing=True)
    )
    if run is None:
        raise NotFound(f"no backtest {run_id} in {org.slug}")
    return run


def delete_backtest(session: Session, org: Organisation, run_id: int, *, actor: str) -> None:
    """Delete a run and its report (a running one stops at its next heartbeat); NotFound for
    another organisation's or none."""
    run = get_backtest(session, org, run_id)
    change = {
        "started_by": run.started_by,
        "started_at": run.started_at.isoformat(),
        "status": run.status,
    }
    session.execute(
        delete(BacktestRun)
        .where(BacktestRun.id == run.id, BacktestRun.org_id == org.id)
        .execution_options(synchronize_session=False)
    )
    session.expunge(run)
    audit.record(session, org, actor, "backtest.delete", f"backtest/{run_id}", change)
