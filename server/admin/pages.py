"""The admin console: server-rendered pages under /admin.

Policy (the draft, edited through a form generated from each rule's options schema), Preview
(a pasted or uploaded mail linted under the draft and the published policy), Backtest (a
mailbox run under both in the background: `backtest.py`), Publish, History (any two versions
compared; roll back), Audit log and Statistics; and Session (who is signed in, until when, and
"Sign out everywhere").

Every page works without JavaScript; static/admin.js only improves it (focus on the error
summary, preview results without a reload). Nothing is inline (the CSP forbids it), nothing
comes from a CDN. The organisation is always the signed-in admin's (`current_admin().org`),
never a URL or form value, so no page can reach another organisation's data. Pages are sent
with `Cache-Control: no-store`: a shared computer's back button must not show the console after
sign-out, and a preview must not leave the pasted mail in a cache.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from linters import Policy
from linters.policy import PolicyDocumentSchema

from .. import store
from ..docs_pages import rule_doc
from ..eml import eml_to_draft
from ..engine import current_engine, current_storage
from ..pages import CONTENT_SECURITY_POLICY, SAMPLE_DRAFT
from ..store import Organisation, Role, StaleWrite
from ..store.errors import NotFound
from . import charts, forms, preview
from .session import current_admin, current_session, require_admin

admin_pages = Blueprint("admin_pages", __name__, url_prefix="/admin")

AUDIT_PAGE_SIZE = 50
MAX_STATS_DAYS = 366
DEFAULT_STATS_DAYS = 30
MAX_EML_BYTES = 1024 * 1024
MAX_YAML_BYTES = 256 * 1024


@admin_pages.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["Cache-Control"] = "no-store"
    return response


@admin_pages.app_template_filter("show_value")
def show_value(value: object) -> str:
    """A policy value as an admin reads it: lists one entry per line, mappings as JSON."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(show_value(v) if isinstance(v, list | dict) else str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@admin_pages.app_template_filter("leaf_changes")
def leaf_changes(changes: list) -> list:
    """A diff with added or removed sections spelt out field by field: a new rule's settings
    read as one row each rather than one row holding a JSON object."""
    leaves = []
    for change in changes:
        before, after = change["before"], change["after"]
        if (isinstance(before, dict) or before is None) and (
            isinstance(after, dict) or after is None
        ):
            inner = store.diff_documents(before, after)
            leaves += leaf_changes([{**c, "path": [*change["path"], *c["path"]]} for c in inner])
        else:
            leaves.append(change)
    return leaves


@admin_pages.app_template_filter("default_for")
def default_for(path: list) -> str:
    """What a setting is when a policy does not set it, for diffs: "default (25)"."""
    registry = _registry()
    if len(path) == 3 and path[0] == "rules" and path[1] in registry:
        rule = registry[path[1]]
        if path[2] == "severity":
            return "off" if rule.preview else rule.default_severity.value
        if path[2] in rule.defaults:
            return show_value(rule.defaults[path[2]]).replace("\n", ", ")
    if list(path) == ["unknown_group_size"]:
        return str(PolicyDocumentSchema().fields["unknown_group_size"].load_default)
    return ""


@admin_pages.app_template_filter("when")
def when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


@contextmanager
def _org_session() -> Iterator[tuple[Session, Organisation]]:
    """A transaction and the signed-in admin's organisation (the only one a page may touch)."""
    user = current_admin()
    with current_storage().sessions.begin() as session:
        yield session, store.get_org(session, user.org)


def _render(template: str, status: int = 200, **context):
    user = current_admin()
    return (
        render_template(
            template,
            user=user,
            can_edit=user.can(Role.EDITOR),
            **context,
        ),
        status,
    )


def _registry():
    return current_engine().registry


def _published_policy(session: Session, org: Organisation) -> tuple[Policy, str]:
    """The policy in force and how to name it; the defaults when nothing (valid) is published."""
    version = store.current_version(session, org)
    if version is None:
        return Policy.build(registry=_registry(), org=org.slug), "built-in defaults"
    try:
        policy = Policy.build(
            version.document, registry=_registry(), org=org.slug, version=version.number
        )
    except ValidationError:  # a rule it configures is gone: the lint path falls back too
        return (
            Policy.build(registry=_registry(), org=org.slug),
            f"built-in defaults: version {version.number} is not valid for these rules",
        )
    return policy, f"version {version.number}"


@admin_pages.route("")
@admin_pages.route("/")
@require_admin()
def home():
    return redirect(url_for("admin_pages.policy"))


# --- policy editor ----------------------------------------------------------------------------


def _policy_page(
    session: Session,
    org: Organisation,
    *,
    state: forms.FormState | None = None,
    errors: forms.FormErrors | None = None,
    etag: str | None = None,
    stale: dict | None = None,
    import_errors: list[str] | None = None,
    status: int = 200,
):
    draft = store.get_draft(session, org)
    sections = forms.build_sections(_registry(), draft.document)
    published = store.current_version(session, org)
    unpublished = store.diff_documents(published.document if published else None, draft.document)
    if state is None:
        state = forms.form_from_document(sections, draft.document)
    phrase_counts = {
        s.key: sum(1 for f in s.phrases if str(state.get(f.name, "")).strip()) for s in sections
    }
    return _render(
        "admin/policy.html",
        status,
        sections=sections,
        state=state,
        phrase_counts=phrase_counts,
        errors=errors or forms.FormErrors(),
        etag=etag or draft.etag,
        draft=draft,
        published=published,
        unpublished=unpublished,
        stale=stale,
        import_errors=import_errors or [],
        docs={s.key: rule_doc(s.key) is not None for s in sections},
    )


@admin_pages.route("/policy", methods=["GET"])
@require_admin()
def policy():
    with _org_session() as (session, org):
        return _policy_page(session, org)


@admin_pages.route("/policy", methods=["POST"])
@require_admin(Role.EDITOR)
def save_policy():
    user = current_admin()
    if_match = request.form.get("overwrite_etag") or request.form.get("etag", "")
    # A failed write leaves its transaction (rolled back) before the page is drawn in a new one.
    try:
        with _org_session() as (session, org):
            stored = store.get_draft(session, org)
            sections = forms.build_sections(_registry(), stored.document)
            state = forms.form_from_request(sections, request.form)
            document, errors = forms.document_from_form(sections, state, stored.document)
            if errors:
                return _policy_page(
                    session, org, state=state, errors=errors, etag=if_match, status=422
                )
            store.save_draft(
                session, org, document, if_match=if_match, actor=user.email, registry=_registry()
            )
    except ValidationError as exc:
        with _org_session() as (session, org):
            errors = forms.place_errors(sections, exc.messages)
            return _policy_page(session, org, state=state, errors=errors, etag=if_match, status=422)
    except StaleWrite:
        with _org_session() as (session, org):
            current = store.get_draft(session, org)
            stale = {
                "by": current.updated_by,
                "at": current.updated_at,
                "etag": current.etag,
                # What saving this form now would do to the draft as it is.
                "changes": store.diff_documents(current.document, document),
            }
            return _policy_page(session, org, state=state, etag=if_match, stale=stale, status=412)
    flash("Saved the draft. Preview it, then publish it when you are ready.", "success")
    return redirect(url_for("admin_pages.policy"), 303)


@admin_pages.route("/policy/export.yaml")
@require_admin()
def export_policy():
    with _org_session() as (session, org):
        text = store.export_draft_yaml(session, org)
        etag = store.get_draft(session, org).etag
    filename = f"draftlint-policy-{org.slug}.yaml"
    return Response(
        text,
        mimetype="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "ETag": etag},
    )


@admin_pages.route("/policy/import", methods=["POST"])
@require_admin(Role.EDITOR)
def import_policy():
    user = current_admin()
    upload = request.files.get("policy_file")
    data = upload.read(MAX_YAML_BYTES + 1) if upload else b""
    problem = None
    text = ""
    if not data.strip():
        problem = "Choose a YAML file to import."
    elif len(data) > MAX_YAML_BYTES:
        problem = f"The file is larger than {MAX_YAML_BYTES // 1024} KB."
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            problem = "The file is not UTF-8 text."
    status = 400
    if problem is None:
        try:
            with _org_session() as (session, org):
                store.import_draft_yaml(
                    session,
                    org,
                    text,
                    if_match=request.form.get("etag", ""),
                    actor=user.email,
                    registry=_registry(),
                )
        except ValidationError as exc:
            problem = [
                f"{'.'.join(str(p) for p in path) or 'document'}: {message}"
                for path, message in forms.flatten(exc.messages, ())
            ]
            status = 422
        except StaleWrite:
            problem = (
                "Someone saved the draft after you opened this page, so the file was not "
                "imported. Look at the draft below, then import again."
            )
            status = 412
    if problem is not None:
        with _org_session() as (session, org):
            messages = problem if isinstance(problem, list) else [problem]
            return _policy_page(session, org, import_errors=messages, status=status)
    flash("Imported the policy file into the draft.", "success")
    return redirect(url_for("admin_pages.policy"), 303)


# --- publish ------------------------------------------------------------------------------------


def _publish_page(
    session: Session,
    org: Organisation,
    *,
    comment: str = "",
    message: str | None = None,
    status: int = 200,
):
    draft = store.get_draft(session, org)
    published = store.current_version(session, org)
    changes = store.diff_documents(published.document if published else None, draft.document)
    return _render(
        "admin/publish.html",
        status,
        draft=draft,
        published=published,
        changes=changes,
        comment=comment,
        message=message,
    )


@admin_pages.route("/publish", methods=["GET"])
@require_admin(Role.EDITOR)
def publish_form():
    with _org_session() as (session, org):
        return _publish_page(session, org)


@admin_pages.route("/publish", methods=["POST"])
@require_admin(Role.EDITOR)
def publish():
    user = current_admin()
    comment = request.form.get("comment", "").strip()[:2000]
    try:
        with _org_session() as (session, org):
            number = store.publish(
                session,
                org,
                if_match=request.form.get("etag", ""),
                actor=user.email,
                comment=comment,
                registry=_registry(),
            ).number
    except (StaleWrite, ValidationError) as exc:
        if isinstance(exc, StaleWrite):
            status, message = (
                412,
                (
                    "The draft changed after you opened this page, so nothing was published. "
                    "Check the changes below (they are the draft as it is now) and publish again."
                ),
            )
        else:
            status, message = (
                422,
                (
                    "The draft is no longer valid for the rules this server runs. Open the policy "
                    "editor, fix what it marks, and publish again."
                ),
            )
        with _org_session() as (session, org):
            return _publish_page(session, org, comment=comment, message=message, status=status)
    flash(f"Published version {number}. Every add-in uses it within seconds.", "success")
    return redirect(url_for("admin_pages.history"), 303)


# --- preview ------------------------------------------------------------------------------------


@admin_pages.route("/preview", methods=["GET", "POST"])
@require_admin()
def preview_page():
    mail = dict.fromkeys(preview.MAIL_FIELDS, "")
    mail["compose_type"] = "reply_all"
    mail["body_type"] = "text"
    result = None
    error = None
    field_errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "GET" and request.args.get("sample"):
        with current_app.open_resource(SAMPLE_DRAFT, "r", encoding="utf-8") as sample:
            mail = preview.form_from_draft(json.load(sample))
    if request.method == "POST":
        upload = request.files.get("eml")
        if upload and upload.filename:
            data = upload.read(MAX_EML_BYTES + 1)
            if len(data) > MAX_EML_BYTES:
                error = f"The .eml file is larger than {MAX_EML_BYTES // 1024} KB."
            elif not data.strip():
                error = "The .eml file is empty."
            else:
                draft = eml_to_draft(data)
                mail = preview.form_from_draft(draft)
        else:
            mail = {name: request.form.get(name, "") for name in preview.MAIL_FIELDS}
            draft = preview.draft_from_form(request.form)
        if error is None:
            with _org_session() as (session, org):
                try:
                    draft_policy = store.draft_policy(session, org, registry=_registry())
                except ValidationError:
                    draft_policy = None
                    error = "The draft policy is not valid; fix it in the policy editor first."
                published_policy, published_label = _published_policy(session, org)
            if draft_policy is not None:
                try:
                    comparison = preview.compare(draft, draft_policy, published_policy)
                    result = {"comparison": comparison, "published_label": published_label}
                except ValidationError as exc:
                    error = "The mail could not be checked; see the marked fields."
                    for path, message in forms.flatten(exc.messages, ()):
                        name = str(path[0]) if path else "body"
                        if len(path) > 1 and isinstance(path[1], int):
                            message = f"Address {path[1] + 1}: {message}"
                        field_errors.setdefault(name, []).append(message)
        if error:
            status = 422
    return _render(
        "admin/preview.html",
        status,
        mail=mail,
        compose_types=preview.COMPOSE_TYPES,
        result=result,
        error=error,
        field_errors=field_errors,
    )


# --- history and rollback -------------------------------------------------------------------------


def _version_arg(name: str) -> int | None:
    try:
        return int(request.args.get(name, ""))
    except ValueError:
        return None


@admin_pages.route("/history")
@require_admin()
def history():
    with _org_session() as (session, org):
        versions = store.list_versions(session, org)
        numbers = [v.number for v in versions]
        after = _version_arg("after")
        before = _version_arg("before")
        if after not in numbers:
            after = numbers[0] if numbers else None
        if before not in numbers:
            before = numbers[1] if len(numbers) > 1 else after
        changes = (
            store.diff_versions(session, org, before, after)
            if before is not None and after is not None
            else []
        )
        return _render(
            "admin/history.html",
            versions=versions,
            before=before,
            after=after,
            changes=changes,
        )


def _rollback_page(
    session: Session,
    org: Organisation,
    number: int,
    *,
    comment: str = "",
    message: str | None = None,
    status: int = 200,
):
    target = store.get_version(session, org, number)
    current = store.current_version(session, org)
    draft = store.get_draft(session, org)
    return _render(
        "admin/rollback.html",
        status,
        target=target,
        current=current,
        draft=draft,
        changes=store.diff_documents(current.document if current else None, target.document),
        draft_changes=store.diff_documents(draft.document, target.document),
        comment=comment,
        message=message,
    )


@admin_pages.route("/history/<int:number>/rollback", methods=["GET"])
@require_admin(Role.EDITOR)
def rollback_form(number: int):
    with _org_session() as (session, org):
        try:
            return _rollback_page(session, org, number)
        except NotFound:
            return _render("admin/not_found.html", 404, what=f"version {number}")


@admin_pages.route("/history/<int:number>/rollback", methods=["POST"])
@require_admin(Role.EDITOR)
def rollback(number: int):
    user = current_admin()
    comment = request.form.get("comment", "").strip()[:2000]
    try:
        with _org_session() as (session, org):
            new_number = store.rollback(
                session,
                org,
                number,
                if_match=request.form.get("etag", ""),
                actor=user.email,
                comment=comment,
                registry=_registry(),
            ).number
    except NotFound:
        return _render("admin/not_found.html", 404, what=f"version {number}")
    except (StaleWrite, ValidationError) as exc:
        if isinstance(exc, StaleWrite):
            status, message = (
                412,
                (
                    "The draft changed after you opened this page, so nothing was rolled back. "
                    "Check what rolling back replaces now, and confirm again."
                ),
            )
        else:
            status, message = (
                422,
                (
                    f"Version {number} is not valid for the rules this server runs now, so it "
                    "cannot be restored as it is."
                ),
            )
        with _org_session() as (session, org):
            return _rollback_page(
                session, org, number, comment=comment, message=message, status=status
            )
    flash(f"Rolled back: version {new_number} restores version {number}.", "success")
    return redirect(url_for("admin_pages.history"), 303)


# --- audit log ----------------------------------------------------------------------------------


@admin_pages.route("/audit")
@require_admin()
def audit():
    before_id = _version_arg("before_id")
    with _org_session() as (session, org):
        entries = store.list_entries(session, org, limit=AUDIT_PAGE_SIZE + 1, before_id=before_id)
        more = len(entries) > AUDIT_PAGE_SIZE
        entries = entries[:AUDIT_PAGE_SIZE]
        return _render(
            "admin/audit.html",
            entries=entries,
            before_id=before_id,
            older=entries[-1].id if more and entries else None,
        )


# --- statistics ---------------------------------------------------------------------------------


def _date_arg(name: str, default: date, errors: dict[str, str]) -> date:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Enter a date as YYYY-MM-DD."
        return default


@admin_pages.route("/stats")
@require_admin()
def stats():
    today = datetime.now(UTC).date()
    errors: dict[str, str] = {}
    end = _date_arg("end", today, errors)
    start = _date_arg("start", end - timedelta(days=DEFAULT_STATS_DAYS - 1), errors)
    if not errors and start > end:
        errors["start"] = "The start must be on or before the end."
    if not errors and (end - start).days + 1 > MAX_STATS_DAYS:
        errors["start"] = f"Choose at most {MAX_STATS_DAYS} days."
    if errors:
        end = today
        start = end - timedelta(days=DEFAULT_STATS_DAYS - 1)
    with _org_session() as (session, org):
        rows = store.counts_per_rule_per_day(session, org, start, end)
        rules = sorted({rule.id for rule in _registry()} | {rule for _, rule, _ in rows})
        totals = {
            rule: store.counts_per_outcome(session, org, start, end, rule=rule) for rule in rules
        }
    daily = charts.daily_chart(rows, start, end)
    outcomes = charts.outcome_rows(totals)
    return _render(
        "admin/stats.html",
        400 if errors else 200,
        start=start,
        end=end,
        form_start=request.args.get("start", start.isoformat()),
        form_end=request.args.get("end", end.isoformat()),
        errors=errors,
        daily=daily,
        outcomes=outcomes,
        outcome_kinds=charts.OUTCOMES,
        outcome_width=charts.OUTCOME_WIDTH,
    )


# --- the admin's own session ------------------------------------------------------------------


@admin_pages.route("/session")
@require_admin()
def session_page():
    """Who is signed in, how and until when, on how many browsers; "Sign out everywhere"."""
    user = current_admin()
    with _org_session() as (session, org):
        live = store.count_admin_sessions(session, org, user.email)
    return _render("admin/session.html", record=current_session(), live=live)


# The Backtest page's routes, on this blueprint (imported last: they use the helpers above).
from . import backtest as _backtest  # noqa: E402, F401
