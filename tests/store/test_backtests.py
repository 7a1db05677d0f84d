"""Backtest runs in the store: one running per organisation, progress, the report, deletion."""

from datetime import UTC, datetime, timedelta

import pytest

from server import store

T0 = datetime(2025, 7, 1, 9, 0, tzinfo=UTC)


def start(session, org, now=T0, **kwargs):
    return store.start_backtest(
        session,
        org,
        actor=f"ed@{org.slug}",
        upload_bytes=1000,
        draft_revision=3,
        published_version=2,
        from_domains=("corp.example",),
        now=now,
        **kwargs,
    )


def test_a_run_goes_from_running_to_done_with_its_report(sessions, make_org):
    org = make_org()
    with sessions.begin() as session:
        run_id = start(session, org).id
    with pytest.raises(store.AlreadyExists), sessions.begin() as session:
        start(session, org, now=T0 + timedelta(seconds=30))
    with sessions.begin() as session:
        assert store.backtest_progress(
            session, run_id, progress_bytes=400, messages=7, now=T0 + timedelta(seconds=1)
        )
    report = {"tally": {"read": 9}, "info": {"sources": ["upload.mbox"]}}
    with sessions.begin() as session:
        assert store.finish_backtest(
            session, run_id, report=report, summary={"read": 9}, messages=9, now=T0
        )
        # Once ended, nothing changes it any more.
        assert not store.finish_backtest(session, run_id, error="late")
        assert not store.backtest_progress(session, run_id, progress_bytes=1, messages=1)
    with sessions() as session:
        listed = store.list_backtests(session, org)
        assert [r.id for r in listed] == [run_id]
        assert "report" not in listed[0].__dict__  # deferred in the list
        run = store.get_backtest(session, org, run_id)
        assert (run.status, run.messages, run.report, run.summary) == (
            "done",
            9,
            report,
            {"read": 9},
        )
        assert (run.started_by, run.draft_revision, run.published_version) == (
            "ed@corp.example",
            3,
            2,
        )
        entry = store.list_entries(session, org)[0]
        assert (entry.action, entry.target) == ("backtest.run", f"backtest/{run_id}")
        assert entry.change == {
            "upload_bytes": 1000,
            "from_domains": ["corp.example"],
            "draft_revision": 3,
            "published_version": 2,
        }
    with sessions.begin() as session:  # the next run may start
        start(session, org, now=T0 + timedelta(minutes=1))


def test_a_failed_run_keeps_its_reason_and_no_report(sessions, make_org):
    org = make_org()
    with sessions.begin() as session:
        run_id = start(session, org).id
        assert store.finish_backtest(session, run_id, error="x" * 900)
    with sessions() as session:
        run = store.get_backtest(session, org, run_id)
        assert run.status == "failed" and run.report is None and len(run.error) == 500


def test_a_run_whose_process_ended_is_stale_and_gives_way(sessions, make_org):
    org = make_org()
    with sessions.begin() as session:
        orphan = start(session, org).id
    with sessions() as session:
        run = store.get_backtest(session, org, orphan)
        assert not store.is_stale(run, T0 + timedelta(minutes=1))
        assert store.is_stale(run, T0 + store.backtests.STALE_AFTER + timedelta(seconds=1))
    later = T0 + timedelta(minutes=10)
    with sessions.begin() as session:
        start(session, org, now=later)
    with sessions() as session:
        run = store.get_backtest(session, org, orphan)
        assert run.status == "failed" and run.error == store.backtests.STOPPED
        assert run.finished_at == later


def test_deleting_a_run_audits_it_and_stops_its_job(sessions, make_org):
    org = make_org()
    with sessions.begin() as session:
        run_id = start(session, org).id
    with sessions.begin() as session:
        store.delete_backtest(session, org, run_id, actor="ana@corp.example")
    with sessions.begin() as session:
        assert store.list_backtests(session, org) == []
        assert not store.backtest_progress(session, run_id, progress_bytes=1, messages=1)
        assert not store.finish_backtest(session, run_id, report={})
        entry = store.list_entries(session, org)[0]
        assert (entry.action, entry.actor, entry.target) == (
            "backtest.delete",
            "ana@corp.example",
            f"backtest/{run_id}",
        )
        with pytest.raises(store.NotFound):
            store.delete_backtest(session, org, run_id, actor="ana@corp.example")


def test_one_organisation_never_reaches_anothers_runs(sessions, make_org):
    a, b = make_org("a.example"), make_org("b.example")
    with sessions.begin() as session:
        run_id = start(session, b).id
        start(session, a)  # b's run does not stop a from running one
    with sessions.begin() as session:
        assert [r.id for r in store.list_backtests(session, a)] != [run_id]
        with pytest.raises(store.NotFound):
            store.get_backtest(session, a, run_id)
        with pytest.raises(store.NotFound):
            store.delete_backtest(session, a, run_id, actor="x@a.example")
    with sessions() as session:
        assert store.get_backtest(session, b, run_id).status == "running"
