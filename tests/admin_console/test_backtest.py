"""The Backtest page: upload a mailbox, follow the run, read the report, publish, delete.

The runs are real: a thread of the app's process lints the upload with the built-in rules, and
the tests follow it through the progress endpoint as the page's script does. Where a test needs
a run caught half-way, the upload's reader is held at a gate the test opens.
"""

from __future__ import annotations

import errno
import io
import json
import logging
import threading
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from backtest_mail import TEAM, mbox, message
from flask import Request
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from server import store
from server.admin import backtest
from server.store import Role

from .conftest import OTHER_ORG

CANARY = "canary-5d1e7a"
CROWD = [f"p{n}@corp.example" for n in range(21)]  # with To: 22 people, under large-audience's 25
RUN_TIMEOUT_S = 60  # the first lint of a process loads the rules' vocabulary


def sent_folder() -> bytes:
    """Three content-free replies to all, one reply to 22 people, one substantive reply."""
    return mbox(
        [
            message(),
            message(body="Thanks all!", date="Wed, 12 Jun 2024 10:00:00 +0200"),
            message(body="+1", sender="Bo <bo@corp.example>"),
            message(
                to=["boss@corp.example"], cc=CROWD, body="The budget is 4,200 EUR, see row 12."
            ),
            message(to=["boss@corp.example"], body="Can we move the review to Thursday at 3?"),
        ]
    )


def dom(response) -> HTMLParser:
    return HTMLParser(response.get_data(as_text=True))


def set_draft(in_store, document):
    def run(session, org):
        etag = store.get_draft(session, org).etag
        store.save_draft(session, org, document, if_match=etag, actor="owner@corp.example")

    in_store(run)


def upload(admin, data: bytes, name: str = "Sent.mbox", **fields):
    return admin.client.post(
        "/admin/backtest",
        data={"csrf_token": admin.csrf(), "mailbox": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data",
    )


def run_id_of(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def wait_for_end(admin, run_id: int) -> dict:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        answer = admin.client.get(f"/admin/backtest/{run_id}/progress").get_json()
        if answer["status"] != "running":
            return answer
        time.sleep(0.05)
    raise AssertionError(f"backtest {run_id} still running after {RUN_TIMEOUT_S} s")


def runs(in_store, org=None):
    def read(session, o):
        return [
            {
                "id": run.id,
                "status": run.status,
                "summary": run.summary,
                "report": store.get_backtest(session, o, run.id).report,
            }
            for run in store.list_backtests(session, o)
        ]

    return in_store(read, **({"org": org} if org else {}))


def audit_actions(in_store) -> list[str]:
    return in_store(lambda session, org: [e.action for e in store.list_entries(session, org)])


@pytest.fixture
def editor(sign_in):
    return sign_in(Role.EDITOR)


@pytest.fixture
def gate(monkeypatch):
    """Hold every run's reader after `gate.after` items until `gate.open()`; progress is then
    written at every item."""

    class Gate:
        after = 2
        event = threading.Event()
        reached = threading.Event()

        def open(self):
            self.event.set()

    held = Gate()
    real = backtest.read_stream

    def held_reader(*args, **kwargs):
        for n, item in enumerate(real(*args, **kwargs)):
            if n == held.after:
                held.reached.set()
                assert held.event.wait(RUN_TIMEOUT_S)
            yield item

    monkeypatch.setattr(backtest, "read_stream", held_reader)
    monkeypatch.setattr(backtest, "PROGRESS_EVERY_S", 0.0)
    yield held
    held.open()  # never leave a run's thread waiting


# --- a run, end to end --------------------------------------------------------------------------


def test_an_editor_uploads_a_mailbox_and_reads_the_report(editor, in_store):
    set_draft(in_store, {"rules": {"large-audience": {"threshold": 20}}})
    page = dom(editor.client.get("/admin/backtest"))
    assert page.css_first('nav a[aria-current="page"]').text() == "Backtest"
    assert "at most 200 MB" in page.css_first("#mailbox-hint").text()

    run_id = run_id_of(upload(editor, sent_folder()))
    assert wait_for_end(editor, run_id) == {
        "status": "done",
        "percent": 100,
        "bytes": len(sent_folder()),
        "total": len(sent_folder()),
        "messages": 5,
        "text": "Done: 5 messages read.",
    }
    response = editor.client.get(f"/admin/backtest/{run_id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = dom(response)
    values = [card.text() for card in page.css(".backtest-report .cards .value")]
    assert values[:2] == ["5", "5"]  # read, linted
    decision = page.css_first(".decision").text()
    assert "Flagged under the built-in defaults (nothing is published)" in decision
    assert page.css_first("#decision-published").text() == "3 (60.0%)"
    assert page.css_first("#decision-draft").text() == "4 (80.0%)"
    compare = {
        row.css_first("th").text(): [td.text() for td in row.css("td")]
        for row in page.css("table.compare tbody tr")
    }
    assert compare["content-free-reply-all"][:3] == ["3", "3", "+0"]
    assert compare["large-audience"][:3] == ["0", "1", "+1"]
    assert "Per rule: the built-in defaults (nothing is published) against the draft" in (
        page.css_first("#compare-heading").text()
    )
    authors = [row.css_first("th").text() for row in page.css("#authors-heading ~ table tr")]
    assert authors and all(a.startswith("person-") or a == "Author" for a in authors)
    assert "--names" not in response.get_data(as_text=True)  # no command-line advice here
    # The shared report sections keep to the console's CSP: no inline style or script.
    assert all(script.attributes.get("src") for script in page.css("script"))
    for element in page.css("*"):
        assert "style" not in element.attributes, element.tag
        assert not any(name.startswith("on") for name in element.attributes), element.tag
    # The list shows it with its figures.
    row = dom(editor.client.get("/admin/backtest")).css_first("table.backtests tbody tr")
    assert [td.text() for td in row.css("td")] == [
        "editor@corp.example",
        "done",
        "5",
        "3 → 4",
    ]
    assert audit_actions(in_store)[0] == "backtest.run"


def test_the_report_publishes_the_draft_it_tested(editor, in_store):
    set_draft(in_store, {"rules": {"large-audience": {"threshold": 20}}})
    run_id = run_id_of(upload(editor, sent_folder()))
    wait_for_end(editor, run_id)
    page = dom(editor.client.get(f"/admin/backtest/{run_id}"))
    form = page.css_first("form.publish-form")
    assert form.css_first("button").text() == "Publish the draft as version 1"
    fields = {
        node.attributes["name"]: node.attributes.get("value") or node.text()
        for node in form.css("input, textarea")
    }
    assert fields["etag"] == '"draft-1"'
    assert "flagged 3 → 4" in fields["comment"]
    response = editor.client.post(form.attributes["action"], data=fields)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/history"
    version = in_store(lambda session, org: store.current_version(session, org))
    assert version.document == {"rules": {"large-audience": {"threshold": 20}}}
    assert "flagged 3 → 4" in version.comment
    # Published: the report no longer offers to publish a draft that has moved on.
    page = dom(editor.client.get(f"/admin/backtest/{run_id}"))
    assert page.css_first("form.publish-form") is None
    assert "The draft has changed since this run" in page.css_first(".decision").text()


def test_a_draft_changed_since_the_run_is_not_published_unseen(editor, in_store):
    set_draft(in_store, {"rules": {"large-audience": {"threshold": 20}}})
    run_id = run_id_of(upload(editor, sent_folder()))
    wait_for_end(editor, run_id)
    form = dom(editor.client.get(f"/admin/backtest/{run_id}")).css_first("form.publish-form")
    etag = form.css_first('input[name="etag"]').attributes["value"]
    set_draft(in_store, {"rules": {"large-audience": {"threshold": 5}}})
    response = editor.client.post(
        "/admin/publish", data={"csrf_token": editor.csrf(), "etag": etag, "comment": "x"}
    )
    assert response.status_code == 412
    assert in_store(lambda session, org: store.current_version(session, org)) is None


def test_progress_while_it_runs_then_the_report(editor, in_store, gate):
    data = sent_folder()
    run_id = run_id_of(upload(editor, data))
    assert gate.reached.wait(RUN_TIMEOUT_S)
    time.sleep(0.1)  # the heartbeat of the item before the gate
    answer = editor.client.get(f"/admin/backtest/{run_id}/progress").get_json()
    assert answer["status"] == "running"
    assert answer["messages"] == 2 and answer["total"] == len(data)
    assert 0 < answer["percent"] < 100
    assert answer["text"].startswith(f"Running: {answer['percent']}% read")
    page = dom(editor.client.get(f"/admin/backtest/{run_id}"))
    progress = page.css_first("progress#backtest-bar")
    assert progress.attributes["value"] == str(answer["percent"])
    assert page.css_first("[data-progress-url]").attributes["data-progress-url"] == (
        f"/admin/backtest/{run_id}/progress"
    )
    scripts = [s.attributes["src"] for s in page.css("script")]
    assert "/static/admin-backtest.js" in scripts
    assert page.css_first('noscript meta[http-equiv="refresh"]')
    # One run at a time per organisation.
    response = upload(editor, data)
    assert response.status_code == 409
    assert "A backtest is running already" in dom(response).css_first(".error-summary").text()
    assert dom(response).css_first(f'.hint a[href="/admin/backtest/{run_id}"]')
    gate.open()
    assert wait_for_end(editor, run_id)["status"] == "done"
    page = dom(editor.client.get(f"/admin/backtest/{run_id}"))
    assert page.css_first("progress") is None and page.css_first(".backtest-report")
    assert not [s for s in page.css("script") if "admin-backtest" in s.attributes["src"]]


def test_a_zip_of_eml_files_is_read_too(editor):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("Sent/1.eml", message())
        zipped.writestr("Sent/2.eml", message(body="+1"))
        zipped.writestr("Sent/notes.txt", b"just some notes")
    run_id = run_id_of(upload(editor, archive.getvalue(), "export.zip"))
    assert wait_for_end(editor, run_id)["messages"] == 2
    page = dom(editor.client.get(f"/admin/backtest/{run_id}"))
    problems = page.css_first("#problems-heading").parent.text()
    assert "upload.zip!Sent/notes.txt" in problems  # named inside the upload, not by its name
    assert "export.zip" not in page.html


def test_a_zip_with_no_mail_says_so(editor):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(200))
    run_id = run_id_of(upload(editor, archive.getvalue(), "photos.zip"))
    assert wait_for_end(editor, run_id)["status"] == "done"
    page = dom(editor.client.get(f"/admin/backtest/{run_id}"))
    assert "No e-mail message was found in the upload" in page.css_first(".decision").text()


# --- privacy ------------------------------------------------------------------------------------


def test_nothing_of_the_mail_is_stored_or_shown(editor, app, in_store, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    mail = [
        message(
            sender=f"Zed {CANARY}-name <{CANARY}-from@corp.example>",
            to=[f"{CANARY}-to@corp.example", *TEAM],
            subject=f"Re: {CANARY}-subject",
            body=f"OK with me {CANARY}-body",
            message_id=f"<{CANARY}-id@corp.example>",
            attachment=f"{CANARY}-file.pdf",
        ),
        message(body=f"+1 {CANARY}-second"),
    ]
    run_id = run_id_of(upload(editor, mbox(mail), f"{CANARY}-mailbox.mbox"))
    assert wait_for_end(editor, run_id)["status"] == "done"
    pages = [
        editor.client.get(path).get_data(as_text=True)
        for path in (
            "/admin/backtest",
            f"/admin/backtest/{run_id}",
            f"/admin/backtest/{run_id}/progress",
            "/admin/audit",
        )
    ]
    stored = runs(in_store)
    assert stored[0]["report"]["tally"]["read"] == 2
    assert CANARY not in json.dumps(stored)
    assert all(CANARY not in page for page in pages)
    assert CANARY not in caplog.text
    database = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    for path in database.parent.glob(database.name + "*"):  # the file, and any journal
        assert CANARY.encode() not in path.read_bytes(), path


def test_the_upload_is_closed_when_the_run_ends_and_when_it_fails(
    app, in_store, monkeypatch, caplog
):
    def start(session, org):
        return store.start_backtest(
            session, org, actor="t@corp.example", upload_bytes=1, draft_revision=0,
            published_version=None,
        ).id  # fmt: skip

    def job(run_id, data):
        options = backtest.Options(sources=["upload.mbox"], compare_label="the draft", jobs=1)
        with app.app_context():
            sessions = backtest.current_storage().sessions
        return backtest.Job(run_id, io.BytesIO(data), len(data), "upload.mbox", options, sessions)

    done = job(in_store(start), sent_folder())
    backtest.run_job(done)
    assert done.upload.closed
    assert runs(in_store)[0]["status"] == "done"

    def broken(*args, **kwargs):
        raise RuntimeError(f"{CANARY} in an exception's message")

    monkeypatch.setattr(backtest, "run_backtest", broken)
    failed = job(in_store(start), sent_folder())
    backtest.run_job(failed)
    assert failed.upload.closed
    latest = runs(in_store)[0]
    assert latest["status"] == "failed" and latest["report"] is None
    assert "RuntimeError" in caplog.text and CANARY not in caplog.text  # the type, never the text


# --- bad input ----------------------------------------------------------------------------------


def test_bad_uploads_get_a_clear_message_and_start_nothing(editor, app, in_store):
    app.config["BACKTEST_MAX_UPLOAD"] = 100_000
    cases = [
        ({"csrf_token": editor.csrf()}, 400, "Choose a mailbox file"),
        ({"mailbox": (io.BytesIO(b""), "Sent.mbox")}, 400, "The file is empty"),
        (
            {"mailbox": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(500)), "a.png")},
            422,
            "not a mailbox",
        ),
        ({"mailbox": (io.BytesIO(b"Dear diary,\nnothing.\n"), "notes.txt")}, 422, "not a mailbox"),
        ({"mailbox": (io.BytesIO(b"x" * 100_001), "Sent.mbox")}, 413, "larger than the limit of"),
        ({"mailbox": (io.BytesIO(b"x" * 400_000), "Sent.mbox")}, 413, "larger than the limit of"),
        (
            {"mailbox": (io.BytesIO(sent_folder()), "Sent.mbox"), "from_domains": "corp"},
            422,
            "Give mail domains like corp.example",
        ),
    ]
    for data, status, text in cases:
        data = {"csrf_token": editor.csrf(), **data}
        response = editor.client.post(
            "/admin/backtest", data=data, content_type="multipart/form-data"
        )
        assert response.status_code == status, (text, response.status_code)
        summary = dom(response).css_first(".error-summary")
        assert text in summary.text(), (text, summary.text())
        assert "97.7 KB" in summary.text() or status != 413
    assert runs(in_store) == []
    assert "backtest.run" not in audit_actions(in_store)


def test_no_room_to_spool_the_upload_is_a_message_not_a_500(editor, in_store, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Request, "_get_file_stream", full)
    response = upload(editor, sent_folder())  # $TMPDIR full, as werkzeug spools the file
    assert response.status_code == 507
    assert "no room to receive this file" in dom(response).css_first(".error-summary").text()
    assert runs(in_store) == []


def test_an_invalid_draft_is_not_run(editor, in_store):
    def break_draft(session, org):
        store.get_draft(session, org).document = {"rules": {"no-such-rule": {}}}

    in_store(break_draft)
    response = upload(editor, sent_folder())
    assert response.status_code == 422
    assert "The draft policy is not valid" in dom(response).css_first(".error-summary").text()
    assert runs(in_store) == []


def test_an_upload_without_the_csrf_token_is_refused(editor, in_store):
    response = editor.client.post(
        "/admin/backtest",
        data={"mailbox": (io.BytesIO(sent_folder()), "Sent.mbox")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert runs(in_store) == []


def test_a_large_upload_reaches_the_page_not_the_apps_2_mb_limit(editor, app, in_store):
    app.config["BACKTEST_MAX_UPLOAD"] = 8 * 1024 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
    padding = message(body="Notes follow.\n" + "All fine here, nothing to add.\n" * 100_000)
    data = sent_folder() + mbox([padding])
    assert 2 * 1024 * 1024 < len(data) < 8 * 1024 * 1024
    run_id = run_id_of(upload(editor, data))
    assert wait_for_end(editor, run_id)["messages"] == 6
    # Elsewhere the app's own limit stands.
    response = editor.client.post(
        "/admin/preview",
        data={"csrf_token": editor.csrf(), "eml": (io.BytesIO(data), "big.eml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413


# --- who may do what ----------------------------------------------------------------------------


def test_viewers_read_reports_but_cannot_run_publish_or_delete(sign_in, editor, in_store):
    run_id = run_id_of(upload(editor, sent_folder()))
    wait_for_end(editor, run_id)
    viewer = sign_in(Role.VIEWER)
    page = dom(viewer.client.get("/admin/backtest"))
    assert page.css_first("#backtest-form") is None
    assert page.css_first("table.backtests tbody tr")
    report = dom(viewer.client.get(f"/admin/backtest/{run_id}"))
    assert report.css_first(".backtest-report") and report.css_first("form.publish-form") is None
    assert report.css_first(f'form[action="/admin/backtest/{run_id}/delete"]') is None
    assert upload(viewer, sent_folder()).status_code == 403
    response = viewer.client.post(
        f"/admin/backtest/{run_id}/delete", data={"csrf_token": viewer.csrf()}
    )
    assert response.status_code == 403
    assert len(runs(in_store)) == 1


def test_signed_out_the_pages_redirect_and_an_upload_is_not_read(app, in_store):
    client = app.test_client()
    for path in ("/admin/backtest", "/admin/backtest/1", "/admin/backtest/1/progress"):
        response = client.get(path)
        assert response.status_code == 302 and "/admin/sign-in" in response.headers["Location"]
    response = client.post(
        "/admin/backtest",
        data={"mailbox": (io.BytesIO(sent_folder()), "Sent.mbox")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (302, 403)
    assert runs(in_store) == []


def test_another_organisation_cannot_see_or_delete_a_run(editor, sign_in, in_store):
    run_id = run_id_of(upload(editor, sent_folder()))
    wait_for_end(editor, run_id)
    other = sign_in(Role.OWNER, org=OTHER_ORG)
    assert other.client.get(f"/admin/backtest/{run_id}").status_code == 404
    assert other.client.get(f"/admin/backtest/{run_id}/progress").status_code == 404
    assert (
        "table" not in dom(other.client.get("/admin/backtest")).css_first("#runs-title").parent.html
    )
    response = other.client.post(
        f"/admin/backtest/{run_id}/delete", data={"csrf_token": other.csrf()}
    )
    assert response.status_code == 404
    assert len(runs(in_store)) == 1 and runs(in_store, org=OTHER_ORG) == []


# --- deleting, and runs that end without a word ---------------------------------------------------


def test_an_editor_deletes_a_report_and_the_audit_log_says_so(editor, in_store):
    run_id = run_id_of(upload(editor, sent_folder()))
    wait_for_end(editor, run_id)
    response = editor.client.post(
        f"/admin/backtest/{run_id}/delete", data={"csrf_token": editor.csrf()}
    )
    assert response.status_code == 303
    page = dom(editor.client.get(response.headers["Location"]))
    assert f"Deleted backtest {run_id}" in page.css_first(".notice-success").text()
    assert runs(in_store) == []
    assert editor.client.get(f"/admin/backtest/{run_id}").status_code == 404
    assert audit_actions(in_store)[:2] == ["backtest.delete", "backtest.run"]


def test_deleting_a_running_run_stops_it(editor, in_store, gate):
    run_id = run_id_of(upload(editor, sent_folder()))
    assert gate.reached.wait(RUN_TIMEOUT_S)
    thread = next(t for t in threading.enumerate() if t.name == f"backtest-{run_id}")
    page = dom(editor.client.get(f"/admin/backtest/{run_id}"))
    assert page.css_first("#delete-title").text() == "Stop and delete"
    editor.client.post(f"/admin/backtest/{run_id}/delete", data={"csrf_token": editor.csrf()})
    gate.open()
    thread.join(RUN_TIMEOUT_S)
    assert not thread.is_alive()
    assert runs(in_store) == []  # and the job did not write it back


def test_a_run_whose_process_ended_reads_as_stopped_and_blocks_nothing(editor, in_store):
    def orphan(session, org):
        run = store.start_backtest(
            session, org, actor="editor@corp.example", upload_bytes=100, draft_revision=0,
            published_version=None,
        )  # fmt: skip
        run.updated_at = datetime.now(UTC) - timedelta(minutes=10)
        return run.id

    run_id = in_store(orphan)
    assert editor.client.get(f"/admin/backtest/{run_id}/progress").get_json()["status"] == (
        "stopped"
    )
    page = dom(editor.client.get(f"/admin/backtest/{run_id}"))
    assert "The run stopped" in page.css_first(".error-summary").text()
    new = run_id_of(upload(editor, sent_folder()))
    assert wait_for_end(editor, new)["status"] == "done"
    assert {r["id"]: r["status"] for r in runs(in_store)} == {run_id: "failed", new: "done"}
