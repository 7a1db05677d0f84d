"""The Gmail add-on's HTTP endpoints: what Google's add-on runtime calls.

- `POST /gmail/homepage` (homepage trigger): what draftlint checks, the organisation's policy.
- `POST /gmail/compose` (the compose action "Check draft", and the card's "Re-check"): builds the
  Draft from the event's recipients (plus, in `full` mode, the saved draft and the message it
  answers, read through the Gmail API) with group sizes from the Directory, lints it under the
  organisation's published policy and answers with the compose card.
- `POST /gmail/fix`: applies a fix button's recipients with `updateDraftActionMarkup`.
- `POST /gmail/why`: the card explaining a rule.

The URLs are the descriptor's (server/gmail/descriptor.py) under the public base URL. Every
request is verified (verify.py) except in dev mode, where no token is needed and the organisation
is `local`. The system token's audience is checked against the configured `PUBLIC_BASE_URL` (or
`$DRAFTLINT_PUBLIC_BASE_URL`) only: the request's Host header is the caller's to choose, so without
one every request is refused (401); dev mode falls back to the request's own root.

The body is read as /v1's is (server/request_body.py): not declared as JSON is a 415, undecodable
or too deeply nested JSON a 400, so no input reaches a 500. A Gmail or Directory failure, a
saved draft the Draft schema refuses, or a database that is down (the domain's organisation and
its policy are then the last this process knew, else the defaults) never fails the request: the
card says what could not be checked. Logs get the kind of a failure (and field names), never an
address, a subject or a word of the draft.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache

from flask import Blueprint, Flask, current_app, jsonify, request
from marshmallow import ValidationError
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from linters import Fix
from linters.model import (
    Address,
    Body,
    Client,
    ComposeType,
    Draft,
    Recipient,
    RecipientType,
)
from linters.schema import load_draft

from .. import metrics
from ..docs_pages import DOCS_DIR, RULE_ID
from ..engine import current_engine
from ..identity import (
    DEV_ORG,
    Identity,
    dev_request,
    organisation_for,
    resolve_policy,
)
from ..jsonio import JSONInputError, loads
from ..problems import http_error
from ..public_url import public_base_url
from ..request_body import JSONBodyParser
from ..store import AliasKind
from ..thread_activity import lint_in_thread
from . import descriptor
from .cards import (
    FIXABLE_FIELDS,
    CheckContext,
    compose_card,
    fix_response,
    homepage_card,
    push_response,
    trigger_response,
    update_response,
    why_card,
)
from .directory import GroupDirectory
from .event import AddonEvent, EventError, parse_event
from .gmail_api import GmailReader, GmailUnavailable
from .settings import GmailSettings
from .verify import CertificatesUnavailable, GmailUser, Refused, Verifier

log = logging.getLogger(__name__)

gmail = Blueprint("gmail", __name__)

EXTENSION = "draftlint.gmail"
MAX_FIX_RECIPIENTS = 100
NOT_CONFIGURED = "The Gmail add-on is not configured on this server (PUBLIC_BASE_URL)."

# /v1's body reader: 415 unless declared JSON, 400 naming the problem for undecodable or too
# deeply nested JSON (json.loads' RecursionError would otherwise be a 500).
_BODY = JSONBodyParser()


@dataclass(frozen=True)
class GmailServices:
    """What the endpoints share across requests: settings, the verifier with its cached
    certificates, the Gmail reader and the Directory cache."""

    settings: GmailSettings
    verifier: Verifier
    reader: GmailReader
    directory: GroupDirectory


def init_app(app: Flask) -> None:
    """Read the settings and build the shared clients; register the blueprint."""
    settings = GmailSettings.from_config(app.config)
    app.extensions[EXTENSION] = GmailServices(
        settings=settings,
        verifier=Verifier(settings),
        reader=GmailReader(settings.gmail_api_root, settings.timeout),
        directory=GroupDirectory(
            settings.directory_credentials,
            settings.directory_admins,
            api_root=settings.directory_api_root,
            timeout=settings.timeout,
            ttl=settings.group_cache_seconds,
        ),
    )
    app.register_blueprint(gmail)


def services() -> GmailServices:
    return current_app.extensions[EXTENSION]


# --- the endpoints ------------------------------------------------------------------------


@gmail.post(descriptor.HOMEPAGE_PATH)
def homepage():
    _, user = _verified_event()
    resolved = resolve_policy(_identity(user), current_engine().default_policy)
    context = _context(policy_fallback=resolved.fallback)
    return jsonify(trigger_response(homepage_card(resolved.policy, context)))


@gmail.post(descriptor.COMPOSE_PATH)
def compose():
    event, user = _verified_event()
    gmail_services = services()
    settings = gmail_services.settings
    failed: set[str] = set()
    saved = None
    saved_fields: Draft | None = None
    if settings.mode == "full":
        if event.user_oauth_token:
            try:
                saved = gmail_services.reader.read(
                    event.user_oauth_token, event.thread_id, event.recipients
                )
            except GmailUnavailable as error:
                log.warning("Gmail API unavailable for a compose check: %s", error)
                metrics.lookup_failed("gmail", "draft")
                failed.add("gmail")
        else:
            failed.add("gmail")
    if saved is not None:
        saved_fields = _saved_fields(saved)
        if saved_fields is None:
            saved = None
            failed.add("gmail")
    identity = _identity(user)
    groups = gmail_services.directory.lookup(user.org)
    if groups.failed:
        log.warning("Directory unavailable for %s: group sizes unknown", user.org)
        metrics.lookup_failed("gmail", "group")
        failed.add("directory")
    elif not identity.org_known and settings.directory_admins:
        failed.add("directory")  # whose Directory to ask is not known while the database is down
    draft = _draft(event, user, saved, saved_fields, groups.sizes)
    resolved = resolve_policy(identity, current_engine().default_policy)
    report = lint_in_thread(draft, identity.org, resolved)  # logs rules that failed
    metrics.count_lint(report, "gmail")
    body_checked = saved is not None and bool(saved.fields["body"]["content"].strip())
    context = _context(body_checked=body_checked, failed=failed, policy_fallback=resolved.fallback)
    card = compose_card(report, context)
    if event.parameters.get("origin") == "recheck":
        return jsonify(update_response(card))
    return jsonify(trigger_response(card))


@gmail.post(descriptor.FIX_PATH)
def fix():
    event, _ = _verified_event()
    fix_id = event.parameters.get("fix", "")
    try:
        changes = loads(event.parameters.get("set", "").encode("utf-8", "surrogatepass"))
    except JSONInputError as error:  # nested too deeply included: a 400, never a 500
        raise http_error(400, f"parameters.set must be the fix's JSON: {error}") from None
    return jsonify(fix_response(Fix(id=fix_id[:100], title="", set=_fix_fields(changes))))


@gmail.post(descriptor.WHY_PATH)
def why():
    event, _ = _verified_event()
    rule_id = event.parameters.get("rule", "")
    registry = current_engine().registry
    if rule_id not in registry:
        raise http_error(400, "parameters.rule names no rule of this server.")
    summary = registry[rule_id].summary
    return jsonify(push_response(why_card(rule_id, summary, why_it_matters(rule_id), _context())))


# --- verification -------------------------------------------------------------------------


def _verified_event() -> tuple[AddonEvent, GmailUser]:
    """The parsed event and its verified user; 400 for a malformed event, 401 when not from
    Google for our deployment, 503 when Google's certificates cannot be fetched."""
    dev_mode = dev_request()
    authorization = request.headers.get("Authorization", "")
    if not dev_mode and not authorization.strip():
        raise _unauthorized("Send Google's system ID token as 'Authorization: Bearer <token>'.")
    try:
        event = parse_event(_BODY.load_json(request, None))
    except EventError as error:
        raise http_error(400, str(error)) from None
    if dev_mode:
        return event, GmailUser(org=DEV_ORG)
    base = _configured_base_url()
    if base is None:
        raise _unauthorized(NOT_CONFIGURED)
    audiences = [base + path for path in descriptor.ENDPOINT_PATHS]
    try:
        user = services().verifier.caller(
            authorization, event.user_id_token, audiences, _organisation_of_domain
        )
    except Refused as refused:
        raise _unauthorized(str(refused)) from None
    except CertificatesUnavailable as error:
        log.warning("Google's certificates could not be fetched: %s", error)
        raise http_error(503, "Google's signing certificates are unreachable; try again.") from None
    return event, user


def _organisation_of_domain(domain: str) -> str | None:
    """The Workspace domain's organisation; while the database is down, the last one known or
    a stand-in linted under the defaults (server/identity.py)."""
    return organisation_for(AliasKind.GOOGLE_DOMAIN, domain)


def _configured_base_url() -> str | None:
    """The configured public base URL (as server/public_url.py reads it), without falling back
    to the request's Host header: an audience must not be chosen by the caller."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    base = base.strip().rstrip("/") if isinstance(base, str) else ""
    return base or None


def _unauthorized(detail: str) -> Unauthorized:
    return Unauthorized(detail, www_authenticate=WWWAuthenticate("bearer", {"realm": "draftlint"}))


def _identity(user: GmailUser) -> Identity:
    return Identity(org=user.org, method="google")


def _context(
    *,
    body_checked: bool = False,
    failed: set[str] | None = None,
    policy_fallback: str | None = None,
) -> CheckContext:
    return CheckContext(
        public_base_url(),
        mode=services().settings.mode,
        body_checked=body_checked,
        failed=frozenset(failed or ()),
        policy_fallback=policy_fallback,
    )


# --- the draft ----------------------------------------------------------------------------


def _saved_fields(saved) -> Draft | None:
    """The saved draft's fields checked by the Draft schema; None (logged by field name only)
    when what the Gmail reader extracted does not fit it."""
    try:
        return load_draft({**saved.fields, "client": "gmail"})
    except ValidationError as error:
        messages = error.messages
        names = sorted(map(str, messages)) if isinstance(messages, dict) else ["_schema"]
        log.warning(
            "The saved draft does not fit the Draft schema (%s in %s): only the recipients "
            "were checked",
            type(error).__name__,
            ", ".join(names),
        )
        return None


def _draft(event: AddonEvent, user: GmailUser, saved, fields, group_sizes) -> Draft:
    """The Draft to lint: the event's recipients (the live ones: the saved draft may lag a few
    seconds), typed as groups where the Directory knows them, and what the Gmail API said
    (`fields`: the saved draft as checked by the schema)."""

    def recipients(addresses: tuple[str, ...]) -> tuple[Recipient, ...]:
        found = []
        for address in addresses:
            size = group_sizes.get(address.lower())
            if size is None:
                found.append(Recipient(address))
            else:
                found.append(Recipient(address, type=RecipientType.GROUP, member_count=size))
        return tuple(found)

    if saved is not None and fields is not None:
        compose_type, subject = fields.compose_type, fields.subject
        body, attachments, in_reply_to = fields.body, fields.attachments, saved.in_reply_to
    else:
        # Metadata only: a draft in a thread answers it; who it answers is unknown, so the core
        # takes the first To recipient as the original sender (linters/context.py).
        compose_type = ComposeType.REPLY if event.thread_id else ComposeType.NEW
        subject, body, attachments, in_reply_to = "", Body(), (), None
    return Draft(
        client=Client.GMAIL,
        compose_type=compose_type,
        subject=subject,
        sender=Address(user.email) if user.email else None,
        to=recipients(event.to),
        cc=recipients(event.cc),
        bcc=recipients(event.bcc),
        body=body,
        attachments=attachments,
        in_reply_to=in_reply_to,
        thread_id=event.thread_id,
        locale=event.locale,
    )


def _fix_fields(changes: object) -> dict:
    """A fix button's `set` checked as input: lists of {"email", "name"?} under to/cc/bcc."""
    if not isinstance(changes, dict) or not changes or not set(changes) <= FIXABLE_FIELDS:
        raise http_error(400, "parameters.set may only set to, cc and bcc.")
    fields = {}
    for name, entries in changes.items():
        if not isinstance(entries, list) or len(entries) > MAX_FIX_RECIPIENTS:
            raise http_error(400, f"parameters.set.{name} must be a list of recipients.")
        checked = []
        for entry in entries:
            email = entry.get("email") if isinstance(entry, dict) else None
            if not isinstance(email, str) or "@" not in email or len(email) > 320:
                raise http_error(400, f"parameters.set.{name}: each recipient needs an email.")
            checked.append({"email": email.strip()})
        fields[name] = checked
    return fields


# --- the Why? card's text -----------------------------------------------------------------

_WHY_HEADING = "## Why it matters"
_MARKUP = re.compile(r"\*\*|__|`|\[([^\]]*)\]\([^)]*\)")


@cache
def why_it_matters(rule_id: str) -> str:
    """The first paragraph of the rule's "Why it matters" docs section, as plain text."""
    if not RULE_ID.fullmatch(rule_id):
        return ""
    try:
        text = (DOCS_DIR / f"{rule_id}.md").read_text(encoding="utf-8")
    except OSError:
        return ""
    _, found, rest = text.partition(_WHY_HEADING)
    if not found:
        return ""
    paragraph = rest.strip().split("\n\n")[0]
    if paragraph.startswith("#"):
        return ""
    return _MARKUP.sub(lambda m: m.group(1) or "", " ".join(paragraph.split()))
