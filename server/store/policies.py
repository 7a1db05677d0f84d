"""The policy lifecycle: edit the draft, publish it as a numbered version, roll back, compare.

Concurrency: every write starts with a compare-and-set on the draft row
(`UPDATE policy_drafts ... WHERE revision = <the If-Match revision>`). Zero rows updated means the
caller's view is stale: StaleWrite, nothing written. One row updated means this transaction now
holds the draft row's write lock (PostgreSQL row lock, SQLite database lock) until it ends, so
publishes and rollbacks of one organisation run one after another and each numbers its version
max + 1 without racing; the (org_id, number) unique constraint backs that up.
"""

from __future__ import annotations

import json
import re

import yaml
from marshmallow import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from linters import Policy
from linters.registry import Registry

from . import audit
from .diff import Change, diff_documents
from .errors import NotFound, StaleWrite
from .models import Organisation, PolicyDraft, PolicyVersion, utcnow

ETAG = re.compile(r'(?:W/)?"draft-(\d+)"')


def get_draft(session: Session, org: Organisation) -> PolicyDraft:
    """The editable document, with `.etag` for the HTTP layer's ETag header."""
    draft = session.get(PolicyDraft, org.id, populate_existing=True)
    if draft is None:  # every organisation gets one in create_org
        raise NotFound(f"no draft policy for {org.slug}")
    return draft


def save_draft(
    session: Session,
    org: Organisation,
    document: object,
    *,
    if_match: str,
    actor: str,
    registry: Registry | None = None,
) -> PolicyDraft:
    """Replace the draft with `document` if it is valid and `if_match` is the draft's ETag.

    Raises ValidationError (messages name each bad field) or StaleWrite.
    """
    document = validate_document(document, registry)
    before = _draft_at(session, org, if_match)
    _claim_draft(session, org, if_match, document=document, updated_by=actor)
    draft = get_draft(session, org)
    audit.record(
        session,
        org,
        actor,
        "policy.draft.save",
        "policy/draft",
        {"revision": draft.revision, "diff": diff_documents(before, document)},
    )
    return draft


def publish(
    session: Session,
    org: Organisation,
    *,
    if_match: str,
    actor: str,
    comment: str = "",
    registry: Registry | None = None,
) -> PolicyVersion:
    """Publish the draft as the next version, if the draft is still at `if_match`.

    Publishing changes the draft's ETag: a second click on Publish with the old ETag is a
    StaleWrite, not a duplicate version. The draft is validated again, against the rules loaded
    now, since a rule may have changed or gone since it was saved.
    """
    _claim_draft(session, org, if_match)
    document = validate_document(get_draft(session, org).document, registry)
    return _new_version(session, org, document, actor=actor, comment=comment, restored_from=None)


def rollback(
    session: Session,
    org: Organisation,
    number: int,
    *,
    if_match: str,
    actor: str,
    comment: str = "",
    registry: Registry | None = None,
) -> PolicyVersion:
    """Publish a copy of version `number` as a new version, and make it the draft too.

    The draft is reset so that the next publish does not quietly bring back what was rolled
    back; it takes the draft's ETag so that edits nobody has seen yet are not overwritten (the
    audit entry keeps the replaced draft's diff, so nothing is lost either way).
    """
    restored = get_version(session, org, number)
    document = validate_document(restored.document, registry)
    before = _draft_at(session, org, if_match)
    _claim_draft(session, org, if_match, document=document, updated_by=actor)
    return _new_version(
        session,
        org,
        document,
        actor=actor,
        comment=comment,
        restored_from=number,
        draft_diff=diff_documents(before, document),
    )


def list_versions(session: Session, org: Organisation) -> list[PolicyVersion]:
    """Every published version, newest (the one in force) first."""
    return list(
        session.scalars(
            select(PolicyVersion)
            .where(PolicyVersion.org_id == org.id)
            .order_by(PolicyVersion.number.desc())
        )
    )


def get_version(session: Session, org: Organisation, number: int) -> PolicyVersion:
    version = session.scalar(
        select(PolicyVersion).where(PolicyVersion.org_id == org.id, PolicyVersion.number == number)
    )
    if version is None:
        raise NotFound(f"{org.slug} has no policy version {number}")
    return version


def current_version(session: Session, org: Organisation) -> PolicyVersion | None:
    """The version in force (the highest number), or None while nothing is published."""
    return session.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.org_id == org.id)
        .order_by(PolicyVersion.number.desc())
        .limit(1)
    )


def diff_versions(session: Session, org: Organisation, before: int, after: int) -> list[Change]:
    return diff_documents(
        get_version(session, org, before).document, get_version(session, org, after).document
    )


def draft_policy(session: Session, org: Organisation, registry: Registry | None = None) -> Policy:
    """The draft built as a Policy, for previewing it against the published one."""
    return Policy.build(get_draft(session, org).document, registry=registry, org=org.slug)


def export_draft_yaml(session: Session, org: Organisation) -> str:
    """The draft in the CLI's `--policy` format."""
    return yaml.safe_dump(
        get_draft(session, org).document, sort_keys=False, allow_unicode=True, width=100
    )


def import_draft_yaml(
    session: Session,
    org: Organisation,
    text: str,
    *,
    if_match: str,
    actor: str,
    registry: Registry | None = None,
) -> PolicyDraft:
    """Replace the draft with a YAML document (the CLI's `--policy` format), validated as a save."""
    try:
        document = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError) as exc:
        raise ValidationError({"_schema": [f"Malformed YAML: {exc}"]}) from None
    except ValueError:  # an integer of over 4,300 digits
        raise ValidationError({"_schema": ["A number in the YAML has too many digits."]}) from None
    if document is None and text.strip():  # "null", "~": only an empty file means defaults
        raise ValidationError({"_schema": ["The YAML must be a mapping (rules, exemptions)."]})
    return save_draft(
        session,
        org,
        {} if document is None else document,
        if_match=if_match,
        actor=actor,
        registry=registry,
    )


def validate_document(document: object, registry: Registry | None = None) -> dict:
    """The document as stored (plain JSON), if `Policy.build` accepts it; else its ValidationError.

    The JSON round trip turns what YAML may hand over (tuples, non-string keys) into exactly what
    the database gives back, so a diff never shows a change the database would not keep.
    """
    Policy.build(document, registry=registry)
    try:
        return json.loads(json.dumps(document))
    except (TypeError, ValueError) as exc:
        raise ValidationError({"_schema": [f"Not representable as JSON: {exc}"]}) from None


def _revision(if_match: str) -> int:
    found = ETAG.fullmatch(if_match.strip())
    if found is None:
        raise StaleWrite(f"{if_match!r} is not an ETag of this draft")
    return int(found.group(1))


def _draft_at(session: Session, org: Organisation, if_match: str) -> dict:
    """The draft's document if it is at `if_match`; a document never changes under a revision,
    so the compare-and-set that follows confirms this is what it replaces."""
    draft = get_draft(session, org)
    if draft.revision != _revision(if_match):
        raise StaleWrite(f"the draft is at {draft.etag}, not {if_match}")
    return draft.document


def _claim_draft(session: Session, org: Organisation, if_match: str, **values) -> None:
    claimed = session.execute(
        update(PolicyDraft)
        .where(PolicyDraft.org_id == org.id, PolicyDraft.revision == _revision(if_match))
        .values(revision=PolicyDraft.revision + 1, updated_at=utcnow(), **values)
        .returning(PolicyDraft.revision)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if claimed is None:
        raise StaleWrite(f"the draft has changed since {if_match}")


def _new_version(
    session: Session,
    org: Organisation,
    document: dict,
    *,
    actor: str,
    comment: str,
    restored_from: int | None,
    draft_diff: list[Change] | None = None,
) -> PolicyVersion:
    previous = current_version(session, org)
    number = (previous.number if previous else 0) + 1
    version = PolicyVersion(
        org_id=org.id,
        number=number,
        document=document,
        author=actor,
        comment=comment,
        restored_from=restored_from,
    )
    session.add(version)
    session.flush()
    change: dict = {
        "comment": comment,
        "diff": diff_documents(previous.document if previous else None, document),
    }
    if restored_from is not None:
        change |= {"restored_from": restored_from, "draft_diff": draft_diff or []}
    action = "policy.publish" if restored_from is None else "policy.rollback"
    audit.record(session, org, actor, action, f"policy/v{number}", change)
    return version
