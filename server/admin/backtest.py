"""The console's Backtest page: upload a mailbox, watch the run, read the report, publish.

An editor uploads a mailbox file (whatever `draftlint backtest` reads: an mbox, a .zip of mail,
an .eml, .msg or .pst) of at most `BACKTEST_MAX_UPLOAD` bytes (200 MB). Every message is linted
under the published policy and under the draft, as `draftlint backtest --policy <published>
--compare <draft>` does (server/backtest/runner.py), so the report's comparison reads as what
publishing the draft would change. Publishing from the report sends the draft's ETag of the
run's start through the Publish form: a draft changed since is refused (412), never published
unseen. Editors run, publish and delete; viewers read.

The upload. The console's CSRF check reads the multipart form before any view runs, under the
app's 2 MB limit; for this route an editor's request gets the backtest's limit instead, and the
form is read there and then (`_receive_upload`: Flask runs URL value preprocessors before every
before_request function), so that a file too large, or no room to spool it, is a page saying so,
not a 413 problem or a 500. werkzeug spools the file to an anonymous temporary file in $TMPDIR
(a file with no name: nothing to find on disk, and gone with the process if it dies). The job
takes that file over from the request, which would otherwise close it at its end, and closes it,
so deleting it, as soon as the run ends, whatever happened.

The job is a thread of the process that took the upload (one run per organisation at a time),
reading the file in that thread (`--jobs 1`: forking a threaded server is not safe). It writes
its progress to the database every second (`backtest_runs`), so every worker and replica can
draw the page; the page polls `/admin/backtest/<id>/progress` (static/admin-backtest.js) or,
without script, refreshes itself. If the process ends, the heartbeat stops and the run reads as
stopped. Deleting a running run stops it at its next heartbeat.

Nothing of the mail is kept: the report stored is counts (`Tally`), the positions of what could
not be read inside the upload (named "upload.mbox#12", never by the file's own name), and
authors as pseudonyms keyed afresh each run: no subject, body, excerpt, address or name.
"""

from __future__ import annotations

import io
import logging
import os
import re
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from flask import current_app, flash, jsonify, redirect, request, url_for
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from linters import Policy

from .. import store
from ..backtest import Options, Tally, report_context
from ..backtest import run as run_backtest
from ..backtest.sources import SNIFF, Item, Kind, kind_of, read_stream
from ..engine import current_storage
from ..store import AlreadyExists, BacktestRun, BacktestStatus, NotFound, Organisation, Role
from ..store.backtests import STOPPED as STOPPED_TEXT
from ..store.models import etag_for, utcnow
from .pages import _org_session, _registry, _render, admin_pages
from .session import current_admin, require_admin

log = logging.getLogger(__name__)

DEFAULT_MAX_UPLOAD = 200 * 1024 * 1024  # BACKTEST_MAX_UPLOAD
FORM_SLACK = 64 * 1024  # the multipart body's other fields and boundaries, above the file
UPLOAD_FIELD = "mailbox"
PROGRESS_EVERY_S = 1.0  # how often a run writes its progress (its heartbeat)
# Extensions that tell a mailbox's kind where its first bytes cannot; the upload is named
# "upload" with one of these, never with its own name.
EXTENSIONS = (".mbox", ".mbx", ".zip", ".eml", ".msg", ".pst", ".ost")
DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
MAX_DOMAINS = 20
STOPPED = "stopped"  # a run marked running whose process has ended (store.is_stale)
FAILED = "The run failed on an error of draftlint's (it has been logged). Try again, or report it."
DRAFT_LABEL = "the draft"


def max_upload() -> int:
    return int(current_app.config.get("BACKTEST_MAX_UPLOAD") or DEFAULT_MAX_UPLOAD)


@admin_pages.app_template_filter("file_size")
def file_size(size: int) -> str:
    """1536 -> "1.5 KB", 200 MiB -> "200 MB": sizes as an admin reads them (powers of 1024)."""
    value = float(size)
    units = ("bytes", "KB", "MB", "GB")
    power = 0
    while value >= 1024 and power < len(units) - 1:
        value /= 1024
        power += 1
    unit = units[power]
    if unit == "bytes" or value == int(value):
        return f"{int(value):,} {unit}"
    return f"{value:,.1f} {unit}"


# --- the upload ---------------------------------------------------------------------------------


class UploadRefused(Exception):
    """An upload refused before its view ran: shown on the Backtest page with `status`."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _too_large() -> str:
    return (
        f"The file is larger than the limit of {file_size(max_upload())}. Export less (one "
        "folder, or a shorter period), or zip it: mail compresses well."
    )


@admin_pages.url_value_preprocessor
def _receive_upload(endpoint: str | None, values: dict | None) -> None:
    """For an editor's upload: the backtest's size limit instead of the app's, and the form read
    now, before the CSRF check reads it under the app's."""
    if endpoint != "admin_pages.start_backtest" or request.method != "POST":
        return
    user = current_admin()
    if user is None or not user.can(Role.EDITOR):
        return  # require_admin answers (after the CSRF check, under the app's 2 MB limit)
    limit = max_upload() + FORM_SLACK
    if request.content_length is not None and request.content_length > limit:
        raise UploadRefused(413, _too_large())
    request.max_content_length = limit
    try:
        request.files  # noqa: B018 - read and spool the form now
    except RequestEntityTooLarge:  # a body of no stated length that went over
        raise UploadRefused(413, _too_large()) from None
    except OSError as error:  # $TMPDIR full: no room to spool the file
        log.warning("A backtest upload could not be spooled: %s", type(error).__name__)
        raise UploadRefused(
            507,
            "The server has no room to receive this file right now. Try a smaller file, or "
            "ask the operator to give the server's temporary folder more room.",
        ) from None


@admin_pages.errorhandler(UploadRefused)
def _refused(error: UploadRefused):
    if current_admin() is None:
        return redirect(url_for("admin_pages.backtest_page"))
    return _list_page(error=error.message, status=error.status)


def _upload_size(stream: BinaryIO) -> int:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def _position(filename: str) -> str:
    """How the upload is named in the report: "upload" and the extension of a known kind."""
    extension = os.path.splitext(filename.strip().lower())[1]
    return "upload" + (extension if extension in EXTENSIONS else "")


def _take(upload: FileStorage) -> BinaryIO:
    """The upload's spooled file, taken from the request (which closes, so deletes, the files
    it still holds when it ends): the job closes it when the run ends."""
    stream = upload.stream
    upload.stream = io.BytesIO()
    return stream


def _domains(text: str) -> tuple[tuple[str, ...], str | None]:
    """The "Only mail sent from" field: domains, and what is wrong with them."""
    domains = tuple(
        dict.fromkeys(part.strip().lower().lstrip("@") for part in re.split(r"[\s,;]+", text))
    )
    domains = tuple(d.rstrip(".") for d in domains if d)
    if len(domains) > MAX_DOMAINS:
        return (), f"Give at most {MAX_DOMAINS} domains."
    bad = [d for d in domains if not DOMAIN.fullmatch(d)]
    if bad:
        return (), f"Give mail domains like corp.example; not {', '.join(bad[:3])}."
    return domains, None


def _published(session: Session, org: Organisation) -> tuple[dict | None, str, int | None]:
    """The published policy's document (None: the defaults), its label in the report, and its
    number."""
    version = store.current_version(session, org)
    if version is None:
        return None, "the built-in defaults (nothing is published)", None
    try:
        Policy.build(version.document, registry=_registry(), org=org.slug)
    except ValidationError:  # a rule it configures is gone: the lint path uses the defaults too
        label = f"the built-in defaults (version {version.number} is not valid for these rules)"
        return None, label, version.number
    return version.document, f"the published policy (version {version.number})", version.number


# --- pages --------------------------------------------------------------------------------------


def _state(run: BacktestRun, now: datetime) -> str:
    return STOPPED if store.is_stale(run, now) else run.status


def _percent(run: BacktestRun) -> int:
    if run.status == BacktestStatus.DONE:
        return 100
    if not run.upload_bytes:
        return 0
    return min(99, run.progress_bytes * 100 // run.upload_bytes)


def _progress_text(run: BacktestRun, state: str) -> str:
    if state == BacktestStatus.DONE:
        return f"Done: {run.messages:,} messages read."
    if state == BacktestStatus.FAILED:
        return run.error or FAILED
    if state == STOPPED:
        return STOPPED_TEXT
    read = f"{file_size(run.progress_bytes)} of {file_size(run.upload_bytes)}"
    return f"Running: {_percent(run)}% read ({read}), {run.messages:,} messages so far."


def _list_page(*, error: str | None = None, status: int = 200, from_domains: str = ""):
    now = utcnow()
    with _org_session() as (session, org):
        runs = store.list_backtests(session, org)
        rows = [{"run": run, "state": _state(run, now)} for run in runs]
    return _render(
        "admin/backtest.html",
        status,
        rows=rows,
        running=next((r["run"] for r in rows if r["state"] == BacktestStatus.RUNNING), None),
        error=error,
        from_domains=from_domains,
        max_upload=max_upload(),
    )


@admin_pages.route("/backtest", methods=["GET"])
@require_admin()
def backtest_page():
    return _list_page()


@admin_pages.route("/backtest", methods=["POST"])
@require_admin(Role.EDITOR)
def start_backtest():
    user = current_admin()
    from_domains = request.form.get("from_domains", "").strip()[:2000]

    def refuse(message: str, status: int):
        return _list_page(error=message, status=status, from_domains=from_domains)

    upload = request.files.get(UPLOAD_FIELD)
    if upload is None or not upload.filename:
        return refuse("Choose a mailbox file to upload.", 400)
    size = _upload_size(upload.stream)
    if size == 0:
        return refuse("The file is empty. Choose the mailbox file itself.", 400)
    if size > max_upload():
        return refuse(_too_large(), 413)
    position = _position(upload.filename)
    head = upload.stream.read(SNIFF)
    upload.stream.seek(0)
    if kind_of(position, head) == "other":
        return refuse(
            "This file is not a mailbox: draftlint reads an mbox (Gmail Takeout's too), a .zip "
            "of mail (mbox files, a Maildir or .eml files), an .eml, an Outlook .msg or a .pst.",
            422,
        )
    domains, problem = _domains(from_domains)
    if problem:
        return refuse(problem, 422)
    try:
        with _org_session() as (session, org):
            store.draft_policy(session, org, registry=_registry())  # ValidationError
            draft = store.get_draft(session, org)
            draft_document = draft.document
            published, published_label, published_number = _published(session, org)
            run_id = store.start_backtest(
                session,
                org,
                actor=user.email,
                upload_bytes=size,
                draft_revision=draft.revision,
                published_version=published_number,
                from_domains=domains,
            ).id
    except ValidationError:
        return refuse(
            "The draft policy is not valid for the rules this server runs. Fix it in the policy "
            "editor first.",
            422,
        )
    except AlreadyExists:
        return refuse(
            "A backtest is running already. Wait for it to finish (or delete it), then try again.",
            409,
        )
    options = Options(
        sources=[position],
        policy=published,
        policy_label=published_label,
        compare=draft_document,
        compare_label=DRAFT_LABEL,
        domains=domains,
        jobs=1,
    )
    job = Job(run_id, _take(upload), size, position, options, current_storage().sessions)
    try:
        threading.Thread(
            target=run_job, args=(job,), name=f"backtest-{run_id}", daemon=True
        ).start()
    except RuntimeError:  # no thread to be had
        job.upload.close()
        _fail(job, "The server could not start the run. Try again in a minute.")
    return redirect(url_for("admin_pages.backtest_run", run_id=run_id), 303)


def _not_found(run_id: int):
    return _render(
        "admin/not_found.html",
        404,
        what=f"backtest {run_id}",
        back=("admin_pages.backtest_page", "Back to the backtests"),
    )


@admin_pages.route("/backtest/<int:run_id>")
@require_admin()
def backtest_run(run_id: int):
    now = utcnow()
    with _org_session() as (session, org):
        try:
            run = store.get_backtest(session, org, run_id)
        except NotFound:
            return _not_found(run_id)
        draft = store.get_draft(session, org)
        published = store.current_version(session, org)
        state = _state(run, now)
        context: dict = {}
        if state == BacktestStatus.DONE and run.report:
            context = report_context(Tally.from_dict(run.report["tally"]), run.report["info"])
        unpublished = store.diff_documents(
            published.document if published else None, draft.document
        )
        return _render(
            "admin/backtest_run.html",
            run=run,
            state=state,
            percent=_percent(run),
            progress_text=_progress_text(run, state),
            draft_current=draft.revision == run.draft_revision,
            draft_etag=etag_for(run.draft_revision),
            next_version=(published.number + 1) if published else 1,
            unpublished=len(unpublished),
            console=True,
            **context,
        )


@admin_pages.route("/backtest/<int:run_id>/progress")
@require_admin()
def backtest_progress(run_id: int):
    """How far a run got, for the page's script: {status, percent, messages, text}."""
    now = utcnow()
    with _org_session() as (session, org):
        try:
            run = store.get_backtest(session, org, run_id)
        except NotFound:
            return jsonify({"status": "gone"}), 404
        state = _state(run, now)
        return jsonify(
            {
                "status": state,
                "percent": _percent(run),
                "bytes": run.progress_bytes,
                "total": run.upload_bytes,
                "messages": run.messages,
                "text": _progress_text(run, state),
            }
        )


@admin_pages.route("/backtest/<int:run_id>/delete", methods=["POST"])
@require_admin(Role.EDITOR)
def delete_backtest(run_id: int):
    user = current_admin()
    with _org_session() as (session, org):
        try:
            store.delete_backtest(session, org, run_id, actor=user.email)
        except NotFound:
            return _not_found(run_id)
    flash(f"Deleted backtest {run_id} and its report.", "success")
    return redirect(url_for("admin_pages.backtest_page"), 303)


# --- the job ------------------------------------------------------------------------------------


@dataclass
class Job:
    run_id: int
    upload: BinaryIO  # the spooled upload, closed (deleted) when the run ends
    size: int
    position: str
    options: Options
    sessions: sessionmaker


class _Deleted(Exception):
    """The run was deleted while it ran: stop."""


def run_job(job: Job) -> None:
    """The background thread's work: the run, then its report stored, or its failure."""
    try:
        try:
            items = _watched(job, read_stream(job.position, job.upload, job.size))
            result = run_backtest(job.options, items=items)
        finally:
            job.upload.close()  # the temporary file goes as soon as the run ends
        tally = result.tally
        report = {"tally": tally.to_dict(), "info": result.info.to_dict()}
        with job.sessions.begin() as session:
            store.finish_backtest(
                session, job.run_id, report=report, summary=_summary(tally), messages=tally.read
            )
    except _Deleted:
        log.info("Backtest %s was deleted while it ran: stopped.", job.run_id)
    except Exception as error:
        # The type and where only: an exception's message may quote the mail.
        frames = traceback.extract_tb(error.__traceback__)[-5:]
        where = " <- ".join(f"{f.filename}:{f.lineno} in {f.name}" for f in reversed(frames))
        log.error("Backtest %s failed: %s at %s", job.run_id, type(error).__name__, where)
        _fail(job, FAILED)


def _fail(job: Job, message: str) -> None:
    try:
        with job.sessions.begin() as session:
            store.finish_backtest(session, job.run_id, error=message)
    except DBAPIError as error:  # its heartbeat stops, so the page says it stopped
        log.warning("Backtest %s: could not record its failure (%s)", job.run_id, error.__class__)


def _summary(tally: Tally) -> dict:
    """The figures the list of runs shows."""
    return {
        "read": tally.read,
        "linted": tally.linted,
        "flagged_published": tally.main.flagged,
        "flagged_draft": tally.compare.flagged if tally.compare else tally.main.flagged,
        "problems": sum(tally.problems.values()),
    }


def _watched(job: Job, items: Iterable[Item]) -> Iterator[Item]:
    """The upload's items, passed on while the run's progress is written every
    PROGRESS_EVERY_S (the runner lints them in chunks, a chunk behind at most)."""
    done = messages = 0
    last = time.monotonic()
    for item in items:
        done += item.progress
        if item.kind in (Kind.EML, Kind.MSG):
            messages += 1
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S:
            last = now
            _heartbeat(job, done, messages)
        yield item
    _heartbeat(job, done, messages)


def _heartbeat(job: Job, done: int, messages: int) -> None:
    try:
        with job.sessions.begin() as session:
            running = store.backtest_progress(
                session, job.run_id, progress_bytes=done, messages=messages
            )
    except DBAPIError as error:  # the database away for a moment: the run goes on
        log.warning("Backtest %s: progress not recorded (%s)", job.run_id, error.__class__)
        return
    if not running:
        raise _Deleted
