"""The `draftlint` command: lint and parse drafts from files, list the rules, run the server,
migrate the database, bootstrap an admin, map identity-provider names to an organisation.

Exit codes, as linters use them: 0 when nothing at warning level or above was found, 1 when
something was, 2 for usage and input errors (unreadable files, invalid UTF-8, NUL bytes, invalid
drafts or policies). Input errors are one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import BinaryIO, TextIO

import yaml
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError

from linters import Draft, Policy, Severity, lint
from linters.registry import default_registry
from linters.schema import dump_report, load_draft
from linters.text import segment

from .catalog import describe_registry
from .eml import eml_to_draft, not_a_message
from .jsonio import JSONInputError, loads
from .problems import problem_body
from .render_text import field_messages, render_catalog, render_report, render_segmentation

LOOPBACK_NAMES = frozenset({"localhost"})
SIGPIPE_EXIT = 141  # what a shell reports for a program ended by a closed pipe (128 + SIGPIPE)

log = logging.getLogger(__name__)


class InputError(Exception):
    """Bad input from the user: reported on stderr, exit code 2."""


# --- reading input ------------------------------------------------------------------------


@contextmanager
def _binary_input(path: str) -> Iterator[BinaryIO]:
    if path == "-":
        yield sys.stdin.buffer
        return
    # Only opening is guarded: an OSError raised while the caller works is not about `path`.
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from None
    with stream:
        yield stream


def _read(path: str) -> bytes:
    with _binary_input(path) as stream:
        return stream.read()


def _is_eml(path: str, data: bytes) -> bool:
    if path == "-":
        return not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
    return path.lower().endswith(".eml")


def _validated(obj: object) -> Draft:
    try:
        return load_draft(obj)
    except ValidationError as exc:
        raise InputError("invalid draft:\n  " + "\n  ".join(field_messages(exc.messages))) from None


def read_draft(path: str) -> Draft:
    """A Draft from a Draft JSON file or an .eml; `-` is stdin, sniffed by its first byte."""
    data = _read(path)
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise InputError(f"{path}: empty input; expected Draft JSON or an .eml message.")
    if _is_eml(path, data):
        if b"\x00" in data:
            raise InputError(f"{path}: contains NUL bytes; an .eml is text (is it a .msg file?)")
        problem = not_a_message(data)
        if problem:
            raise InputError(f"{path}: not an e-mail message: {problem}.")
        return _validated(eml_to_draft(data))
    try:
        obj = loads(data)
    except JSONInputError as exc:
        raise InputError(f"{path}: {exc}") from None
    return _validated(obj)


def read_policy(path: str | None) -> Policy:
    """The policy in a YAML or JSON file (by extension), or the defaults when no file is given."""
    if path is None:
        return Policy.build(None, registry=default_registry())
    document = _policy_document(path, _read(path))
    try:
        return Policy.build(document, registry=default_registry())
    except ValidationError as exc:
        lines = "\n  ".join(field_messages(exc.messages))
        raise InputError(f"{path}: invalid policy:\n  {lines}") from None


def _policy_document(path: str, data: bytes) -> object:
    if path.lower().endswith(".json"):
        try:
            return loads(data)
        except JSONInputError as exc:
            raise InputError(f"{path}: {exc}") from None
    if b"\x00" in data:
        raise InputError(f"{path}: contains a NUL byte; a policy file is text.")
    try:
        return yaml.safe_load(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: invalid UTF-8 at byte {exc.start}.") from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise InputError(f"{path}: malformed YAML: {exc}") from None
    except ValueError:  # an integer of over 4,300 digits
        raise InputError(f"{path}: a number in the YAML has too many digits.") from None


def _batch_drafts(path: str) -> Iterator[tuple[int, Draft | dict]]:
    """(line number, Draft) for each non-blank line, or (line number, problem) when it is bad.

    Reads one line at a time, so a batch of any length runs in constant memory.
    """
    with _binary_input(path) as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                yield number, load_draft(loads(line))
            except JSONInputError as exc:
                yield number, problem_body(400, str(exc))
            except ValidationError as exc:
                yield number, problem_body(422, "The draft failed validation.", exc.messages)


# --- writing output -----------------------------------------------------------------------


def _say(text: str, stream: TextIO | None = None) -> None:
    """Print text that may hold anything a draft held (lone surrogates included)."""
    stream = stream or sys.stdout
    encoding = getattr(stream, "encoding", None) or "utf-8"
    print(text.encode(encoding, "backslashreplace").decode(encoding), file=stream)


def _json_line(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=True))


def _exit_code(report) -> int:
    loud = any(f.severity.rank >= Severity.WARNING.rank for f in report.findings)
    return 1 if loud else 0


# --- commands -----------------------------------------------------------------------------


def _batch_item(args: argparse.Namespace, number: int, result: dict, text: str) -> None:
    """One line's result of a batch: a JSON line, or with `--format text` the text under a
    heading that names the input line."""
    if _output_format(args) == "json":
        _json_line(result)
    else:
        _say(f"== line {number}\n{text}")


def _batch_error(args: argparse.Namespace, number: int, error: dict) -> None:
    problem = {"line": number, "error": error}
    if _output_format(args) == "json":
        _json_line(problem)
    else:
        _say(f"== line {number}\ninvalid: {json.dumps(error, ensure_ascii=False)}")


def cmd_lint(args: argparse.Namespace) -> int:
    policy = read_policy(args.policy)
    if args.batch:
        code = 0
        for number, item in _batch_drafts(args.file):
            if isinstance(item, Draft):
                report = lint(item, policy)
                _batch_item(args, number, dump_report(report), render_report(report))
                code = max(code, _exit_code(report))
            else:
                _batch_error(args, number, item)
                code = 2
        return code
    report = lint(read_draft(args.file), policy)
    if _output_format(args) == "json":
        print(json.dumps(dump_report(report), indent=2))
    else:
        _say(render_report(report))
    return _exit_code(report)


def cmd_parse(args: argparse.Namespace) -> int:
    if args.batch:
        code = 0
        for number, item in _batch_drafts(args.file):
            if isinstance(item, Draft):
                parts = segment(item.body, author=item.sender).as_dict()
                _batch_item(args, number, parts, render_segmentation(parts))
            else:
                _batch_error(args, number, item)
                code = 2
        return code
    draft = read_draft(args.file)
    parts = segment(draft.body, author=draft.sender).as_dict()
    if _output_format(args) == "json":
        print(json.dumps(parts, indent=2))
    else:
        _say(render_segmentation(parts))
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    catalog = describe_registry(default_registry(), served=False)
    if args.format == "json":
        print(json.dumps(catalog, indent=2))
    else:
        _say(render_catalog(catalog))
    return 0


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the HTTP server.

    `--dev` runs Flask's built-in server in dev mode (no authentication), and so only on a
    loopback address: dev mode on a reachable address would let anyone lint as anyone.

    Without `--dev` this is the production path: gunicorn serving the same app, with requests
    authenticated by API key (`DRAFTLINT_API_KEYS`, a JSON object key -> org). Its workers are
    threaded and read request heads in their event loop (server/gunicorn_server.py), so slow
    clients tie up no worker and are cut off after a header timeout. Bind to 0.0.0.0 or a
    specific interface with `--host` to expose it.

    The log is text lines, or one JSON object per line with `DRAFTLINT_LOG_FORMAT=json`
    (server/logs.py). gunicorn's workers count metrics into files in a folder that /metrics adds
    up (server/metrics.py), known before the app, and prometheus_client with it, is imported.
    """
    from .config import environment_setting
    from .gunicorn_server import metrics_folder
    from .logs import configure_logging

    try:
        configure_logging(environment_setting("LOG_FORMAT"))
    except ValueError as exc:
        raise InputError(f"configuration: {exc}") from None
    with nullcontext() if args.dev else metrics_folder():
        return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    from .app import create_app, organisations_missing_for_keys  # Flask is only needed here
    from .shared_state import check_at_start

    if args.dev:
        if not is_loopback(args.host):
            raise InputError(
                f"--dev disables authentication, so it only binds to loopback "
                f"(127.0.0.1, ::1, localhost), not {args.host!r}."
            )
        # The app logs every request itself (server.access, no query string): werkzeug's own
        # line per request, with terminal colours, would say it twice.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        _configured_app(create_app, {"DEV_MODE": True}).run(
            host=args.host, port=args.port, debug=False
        )
        return 0
    from .gunicorn_server import GunicornServer

    app = _configured_app(create_app, {})
    try:
        missing = organisations_missing_for_keys(app)
    except DBAPIError as exc:
        # Linting fails open while the database is down; say what could not be checked.
        log.warning("The API keys' organisations could not be checked: %s", type(exc.orig).__name__)
        missing = []
    if missing:
        raise InputError(
            f"DRAFTLINT_API_KEYS names organisations that do not exist: {', '.join(missing)}. "
            "Create them (`draftlint admin create --org ...`) or fix the keys."
        )
    # What each process keeps for itself without Redis, or whether Redis answers.
    check_at_start(app, workers=args.workers)

    host = f"[{args.host}]" if ":" in args.host and not args.host.startswith("[") else args.host
    GunicornServer(app, {"bind": f"{host}:{args.port}", "workers": args.workers}).run()
    return 0


def _configured_app(create_app, config: dict):
    try:
        return create_app(config)
    except ValueError as exc:  # a setting's value: the message names it
        raise InputError(f"configuration: {exc}") from None


def _database_url(args: argparse.Namespace) -> str:
    from .app import default_instance_path
    from .store import resolve_url

    return resolve_url(args.database_url, default_instance_path())


def cmd_db(args: argparse.Namespace) -> int:
    """Migrate the database schema: `upgrade` to REV (default: the newest), `downgrade` to REV
    (default: one step back; `base` empties it)."""
    from .engine import ensure_sqlite_folder
    from .store import migrate

    url = _database_url(args)
    ensure_sqlite_folder(url)
    if args.action == "upgrade":
        migrate.upgrade(url, args.revision or "head")
    else:
        migrate.downgrade(url, args.revision or "-1")
    print(f"database at revision {migrate.current_revision(url) or 'base (empty)'}")
    return 0


ENTRA_TENANT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


@contextmanager
def _store_session(args: argparse.Namespace):
    """A transaction on the migrated database: committed when the block ends, rolled back (so
    nothing of a failed command stays) when it raises."""
    from . import store
    from .store import migrate

    url = _database_url(args)
    if migrate.current_revision(url) != migrate.head_revision():
        raise InputError("the database schema is not up to date: run `draftlint db upgrade` first")
    database = store.connect(url)
    try:
        with store.session_factory(database).begin() as session:
            yield session
    except (ValueError, store.AlreadyExists) as exc:
        raise InputError(str(exc)) from None
    finally:
        database.dispose()


def _requested_aliases(args: argparse.Namespace) -> list[tuple[str, str]]:
    """The (kind, value) pairs of --entra-tenant and --google-domain, checked and normalised."""
    aliases = []
    for tenant in args.entra_tenant or ():
        value = tenant.strip().lower()
        if not ENTRA_TENANT_ID.fullmatch(value):
            raise InputError(
                f"--entra-tenant {tenant!r}: give the tenant ID, a GUID like "
                "7f6b1c2a-0000-4000-8000-00000000c0de (Entra admin center > Overview), "
                "not a domain name"
            )
        aliases.append(("entra-tenant", value))
    for domain in args.google_domain or ():
        value = domain.strip().lower()
        if not DOMAIN.fullmatch(value):
            raise InputError(
                f"--google-domain {domain!r}: give the Google Workspace domain, like corp.example"
            )
        aliases.append(("google-domain", value))
    return aliases


def _add_aliases(session, org, aliases: list[tuple[str, str]], actor: str) -> list[str]:
    """Map each alias to `org`; one already mapped to it is left alone, one that belongs to
    another organisation is an error. Returns what happened, as lines to print."""
    from . import store

    done = []
    for kind, value in aliases:
        owner = store.org_for_alias(session, kind, value)
        if owner is not None and owner.id != org.id:
            raise InputError(
                f"{kind} {value!r} already belongs to organisation {owner.slug!r}; "
                "a tenant or domain maps to one organisation only"
            )
        if owner is None:
            store.add_alias(session, org, kind, value, actor=actor)
            done.append(f"Mapped {kind} {value} to {org.slug}.")
        else:
            done.append(f"{kind} {value} was already mapped to {org.slug}.")
    return done


def cmd_admin_create(args: argparse.Namespace) -> int:
    """Create the organisation and the admin if they do not exist, map the given Entra tenant
    and Google domain to the organisation, and print a one-time sign-in link for the admin: how
    a fresh install gets its first admin, or an admin a new link."""
    from . import store

    aliases = _requested_aliases(args)
    actor = "cli"
    with _store_session(args) as session:
        try:
            org = store.get_org(session, args.org)
        except store.NotFound:
            org = store.create_org(session, args.org, args.name or args.org, actor=actor)
        added = _add_aliases(session, org, aliases, actor)
        admin = store.get_admin(session, org, args.email)
        if admin is None:
            admin = store.add_admin(session, org, args.email, args.role, actor=actor)
        token = store.issue_sign_in_token(session, org, admin.email, actor=actor)
        email, role, slug = admin.email, admin.role, org.slug
    for line in added:
        print(line)
    print(f"{email} is {role} of {slug}. One-time sign-in link, valid 24 hours:")
    print(f"{args.base_url.rstrip('/')}/admin/sign-in/{token}")
    return 0


def cmd_admin_remove(args: argparse.Namespace) -> int:
    """Take an admin off an organisation's admin list and end every session of theirs (their
    next request finds itself signed out); for someone signed in through an Entra app role, who
    is on no list, end their sessions."""
    from . import store

    with _store_session(args) as session:
        try:
            org = store.get_org(session, args.org)
        except store.NotFound:
            raise InputError(f"no organisation {args.org!r}") from None
        try:
            removal = store.remove_admin(session, org, args.email, actor="cli")
        except store.NotFound:
            raise InputError(
                f"no admin {args.email.strip().lower()!r} in {org.slug}, and no session of "
                "theirs to end: nothing was changed"
            ) from None
        slug = org.slug
    sessions = f"{removal.sessions} session{'s' if removal.sessions != 1 else ''}"
    if removal.role is not None:
        print(f"Removed {removal.email} ({removal.role.value}) from {slug}; ended {sessions}.")
    else:
        print(
            f"{removal.email} is not on {slug}'s admin list: signed in through a Microsoft "
            f"Entra app role. Ended {sessions}. Take the Draftlint app role away in Entra ID, "
            "or they can sign in again."
        )
    return 0


def cmd_org_alias(args: argparse.Namespace) -> int:
    """Map an Entra tenant or a Google Workspace domain to an existing organisation, so its
    people can sign in with Microsoft or Google."""
    from . import store

    aliases = _requested_aliases(args)
    with _store_session(args) as session:
        try:
            org = store.get_org(session, args.org)
        except store.NotFound:
            raise InputError(
                f"no organisation {args.org!r}: create it with `draftlint admin create`"
            ) from None
        done = _add_aliases(session, org, aliases, "cli")
    for line in done:
        print(line)
    return 0


def _write_output(text: str, path: str | None) -> None:
    """Print `text`, or write it to `path` (an unwritable path is an input error)."""
    if path is None or path == "-":
        print(text, end="")
        return
    try:
        with open(path, "w", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from None


def cmd_manifest_gmail(args: argparse.Namespace) -> int:
    """Print the Gmail add-on's deployment descriptor for the public base URL."""
    from .gmail.descriptor import build_descriptor

    try:
        descriptor = build_descriptor(args.base_url, args.mode)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    _write_output(json.dumps(descriptor, indent=2) + "\n", args.output)
    return 0


def cmd_manifest_outlook(args: argparse.Namespace) -> int:
    """Render the Outlook add-in's manifest for this deployment: the add-in only XML manifest,
    or (`--format json`) the unified manifest for Microsoft 365; with `--format json` and
    `-o FILE.zip`, the app package (manifest.json and its two icons) the admin center takes."""
    from .outlook import manifest

    to_zip = args.format == "json" and (args.output or "").lower().endswith(".zip")
    try:
        target = manifest.deployment(args.base_url, args.client_id, args.send_mode)
        if to_zip:
            data = manifest.write_app_package(target)
        elif args.format == "json":
            data = manifest.render_outlook_json(target).encode("utf-8")
        else:
            data = manifest.render_outlook_xml(target).encode("utf-8")
    except manifest.ManifestError as exc:
        raise InputError(str(exc)) from None
    if target.base_url.startswith("http://"):
        _say("draftlint: warning: an http base URL is for development only", sys.stderr)
    if args.output in (None, "-"):
        print(data.decode("utf-8"), end="")
        return 0
    try:
        with open(args.output, "wb") as stream:
            stream.write(data)
    except OSError as exc:
        raise InputError(f"{args.output}: {exc.strerror}") from None
    _say(f"Wrote {args.output} (add-in Id {target.add_in_id}).", sys.stderr)
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    """Lint mail already sent, as the drafts it was, and report what the rules would have said.

    Exit code 0 when the run finished (findings are the point here, not a failure), 130 when
    Ctrl-C stopped it (the report then covers what was read), 2 for usage and input errors.
    """
    from datetime import date

    from .backtest import Options, render_report, run

    for source in args.sources:
        if not os.path.exists(source):
            raise InputError(f"{source}: no such file or folder")
    try:
        since = date.fromisoformat(args.since) if args.since else None
    except ValueError:
        raise InputError(f"--since {args.since!r}: give a date as YYYY-MM-DD") from None
    if args.sample is not None and args.sample < 1:
        raise InputError("--sample: give a number of messages of at least 1")
    if args.jobs is not None and args.jobs < 1:
        raise InputError("--jobs: give at least 1")
    domains = tuple(
        part.strip().lower() for value in args.from_domain or () for part in value.split(",")
    )
    if any(not DOMAIN.fullmatch(d.lstrip("@")) for d in domains):
        raise InputError("--from-domain: give a mail domain, like corp.example")
    read_policy(args.policy)  # validated here, where an error is one line; workers rebuild it
    if args.compare:
        read_policy(args.compare)
    options = Options(
        sources=list(args.sources),
        policy=_policy_document(args.policy, _read(args.policy)) if args.policy else None,
        policy_label=os.path.basename(args.policy) if args.policy else "the default policy",
        compare=_policy_document(args.compare, _read(args.compare)) if args.compare else None,
        compare_label=os.path.basename(args.compare) if args.compare else None,
        domains=domains,
        since=since,
        sample=args.sample,
        seed=args.seed,
        jobs=args.jobs or os.cpu_count() or 1,
        excerpts=args.excerpts,
        names=args.names,
        progress=sys.stderr.isatty() and not args.quiet,
    )
    if options.compare_label == options.policy_label:
        options.compare_label += " (compared)"
    report_stream = _open_output(args.report)
    jsonl_stream = _open_output(args.jsonl)
    try:
        result = run(options, jsonl=jsonl_stream)
    finally:
        if jsonl_stream is not None:
            jsonl_stream.close()
    info = result.info.to_dict()
    if report_stream is not None:
        with report_stream:
            report_stream.write(render_report(result.tally, info))
    _say(_backtest_summary(result, args))
    return 130 if result.info.interrupted else 0


def _open_output(path: str | None):
    if path is None:
        return None
    try:
        return open(path, "w", encoding="utf-8", newline="\n")  # the caller closes it
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from None


def _backtest_summary(result, args: argparse.Namespace) -> str:
    tally, info = result.tally, result.info
    rate = tally.read / info.elapsed if info.elapsed else 0
    lines = []
    if info.interrupted:
        lines.append(f"Stopped early: {info.stopped_because}. Figures for what was read.")
    lines.append(
        f"Read {tally.read:,} messages in {info.elapsed:.1f} s ({rate:,.0f} messages/s, "
        f"{info.jobs} process{'es' if info.jobs != 1 else ''})."
    )
    flagged = tally.main.flagged
    share = f"{flagged / tally.linted:.1%}" if tally.linted else "-"
    per_rule = ", ".join(
        f"{rule} {count:,}" for rule, count in sorted(tally.main.rule_messages.items())
    )
    lines.append(
        f"Linted {tally.linted:,}; flagged {flagged:,} ({share})"
        + (f": {per_rule}." if per_rule else ".")
    )
    replies_all = tally.compose.get("reply_all", 0)
    if replies_all:
        flagged_all = tally.main.compose_flagged.get("reply_all", 0)
        lines.append(
            f"Replies to all: {replies_all:,}, flagged {flagged_all:,} "
            f"({flagged_all / replies_all:.1%})."
        )
    if tally.compare is not None:
        lines.append(f"Under {info.compare}: flagged {tally.compare.flagged:,}.")
    if tally.problems:
        problems = ", ".join(f"{count:,} {kind}" for kind, count in sorted(tally.problems.items()))
        lines.append(f"Not read, or not wholly: {problems} (positions in the report).")
    written = [path for path in (args.report, args.jsonl) if path]
    if written:
        lines.append(f"Wrote {', '.join(written)}.")
    return "\n".join(lines)


# --- argument parsing ---------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="draftlint",
        description="Lint e-mail drafts against low-effort mail.",
        epilog="Exit codes: 0 clean, 1 findings at warning or above, 2 usage or input error.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    lint_parser = commands.add_parser("lint", help="lint a draft (Draft JSON or .eml)")
    lint_parser.add_argument("file", metavar="FILE", help="Draft JSON, .eml, or - for stdin")
    lint_parser.add_argument("--policy", metavar="FILE", help="policy document (.yaml or .json)")
    _add_batch_and_format(lint_parser)
    lint_parser.set_defaults(handler=cmd_lint)

    parse_parser = commands.add_parser("parse", help="show how a draft's body is segmented")
    parse_parser.add_argument("file", metavar="FILE", help="Draft JSON, .eml, or - for stdin")
    _add_batch_and_format(parse_parser)
    parse_parser.set_defaults(handler=cmd_parse)

    rules_parser = commands.add_parser("rules", help="list the rules and plugin load errors")
    rules_parser.add_argument("--format", choices=("text", "json"), default="text")
    rules_parser.set_defaults(handler=cmd_rules)

    serve_parser = commands.add_parser(
        "serve",
        help="run the HTTP server",
        description="Without --dev: gunicorn, requests authenticated by API key "
        "($DRAFTLINT_API_KEYS). With --dev: Flask's server, no authentication, loopback only.",
    )
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8000)
    serve_parser.add_argument("--dev", action="store_true", help="no authentication; loopback only")
    serve_parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (not --dev)")
    serve_parser.set_defaults(handler=cmd_serve)

    db_parser = commands.add_parser("db", help="migrate the database schema")
    db_parser.add_argument("action", choices=("upgrade", "downgrade"))
    db_parser.add_argument(
        "revision",
        nargs="?",
        metavar="REV",
        help="target revision (upgrade: default head; downgrade: default -1, base empties it)",
    )
    _add_database_url(db_parser)
    db_parser.set_defaults(handler=cmd_db)

    admin_parser = commands.add_parser("admin", help="manage admins")
    admin_commands = admin_parser.add_subparsers(title="admin commands", metavar="COMMAND")
    create_parser = admin_commands.add_parser(
        "create",
        help="create an organisation's admin and print a one-time sign-in link",
        description="Creates the organisation and the admin unless they exist, then prints a "
        "sign-in link valid for 24 hours that works once.",
    )
    create_parser.add_argument("--org", required=True, help="organisation, e.g. corp.example")
    create_parser.add_argument("--email", required=True, help="the admin's e-mail address")
    create_parser.add_argument("--role", choices=("owner", "editor", "viewer"), default="owner")
    create_parser.add_argument("--name", help="the organisation's display name (default: --org)")
    create_parser.add_argument(
        "--base-url", default="http://127.0.0.1:8000", help="public URL of this server"
    )
    create_parser.add_argument(
        "--entra-tenant",
        action="append",
        metavar="TENANT_ID",
        help="a Microsoft Entra tenant ID whose people sign in to this organisation (repeatable)",
    )
    create_parser.add_argument(
        "--google-domain",
        action="append",
        metavar="DOMAIN",
        help="a Google Workspace domain whose people sign in to this organisation (repeatable)",
    )
    _add_database_url(create_parser)
    create_parser.set_defaults(handler=cmd_admin_create)
    remove_parser = admin_commands.add_parser(
        "remove",
        help="remove an admin and end their sessions",
        description="Takes the admin off the organisation's admin list, voids their unused "
        "sign-in links and ends every session of theirs at once. Someone signed in through a "
        "Microsoft Entra app role (on no list) has their sessions ended; take the app role away "
        "in Entra too.",
    )
    remove_parser.add_argument("--org", required=True, help="organisation, e.g. corp.example")
    remove_parser.add_argument("--email", required=True, help="the admin's e-mail address")
    _add_database_url(remove_parser)
    remove_parser.set_defaults(handler=cmd_admin_remove)

    org_parser = commands.add_parser("org", help="manage organisations")
    org_commands = org_parser.add_subparsers(title="org commands", metavar="COMMAND")
    alias_parser = org_commands.add_parser(
        "alias",
        help="map an Entra tenant or a Google Workspace domain to an organisation",
        description="Maps one identity-provider name to an existing organisation: its people "
        "can then sign in with Microsoft or Google (if they are admins, or have an app role). "
        "A tenant or domain belongs to one organisation.",
    )
    alias_parser.add_argument("--org", required=True, help="organisation, e.g. corp.example")
    which = alias_parser.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--entra-tenant",
        action="append",
        metavar="TENANT_ID",
        help="a Microsoft Entra tenant ID (a GUID)",
    )
    which.add_argument(
        "--google-domain",
        action="append",
        metavar="DOMAIN",
        help="a Google Workspace domain, e.g. corp.example",
    )
    _add_database_url(alias_parser)
    alias_parser.set_defaults(handler=cmd_org_alias)

    # `manifest`: one subcommand per client (gmail, outlook), each added by its own function.
    manifest_parser = commands.add_parser(
        "manifest", help="print an add-in manifest or add-on deployment descriptor"
    )
    manifest_commands = manifest_parser.add_subparsers(title="manifest commands", metavar="COMMAND")
    _add_manifest_gmail(manifest_commands)
    _add_manifest_outlook(manifest_commands)
    _add_backtest(commands)
    return parser


def _add_manifest_gmail(manifest_commands) -> None:
    gmail_parser = manifest_commands.add_parser(
        "gmail",
        help="the Gmail add-on's deployment descriptor (JSON)",
        description="Prints the HTTP Google Workspace add-on deployment for `gcloud "
        "workspace-add-ons deployments create --deployment-file`. metadata mode checks "
        "recipients only; full mode also asks for gmail.readonly, to read the saved draft.",
    )
    gmail_parser.add_argument(
        "--base-url", required=True, help="public https URL of this server (http only for loopback)"
    )
    gmail_parser.add_argument("--mode", choices=("metadata", "full"), default="metadata")
    gmail_parser.add_argument("-o", "--output", metavar="FILE", help="write here, not to stdout")
    gmail_parser.set_defaults(handler=cmd_manifest_gmail)


def _add_manifest_outlook(manifest_commands) -> None:
    outlook_parser = manifest_commands.add_parser(
        "outlook",
        help="the Outlook add-in manifest (XML, or the unified JSON manifest)",
        description="Renders the Outlook add-in manifest for this server's public URL and the "
        "organisation's Microsoft Entra app registration. Upload it in the Microsoft 365 admin "
        "center (Settings > Integrated apps > Upload custom apps).",
    )
    outlook_parser.add_argument(
        "--base-url",
        required=True,
        help="public https origin of this server, e.g. https://lint.corp.example "
        "(http only on localhost / 127.0.0.1, for development)",
    )
    outlook_parser.add_argument(
        "--client-id", required=True, help="Application (client) ID of the Entra app (a GUID)"
    )
    outlook_parser.add_argument(
        "--format",
        choices=("xml", "json"),
        default="xml",
        help="xml: the add-in only manifest (default); json: the unified manifest",
    )
    outlook_parser.add_argument(
        "--send-mode",
        choices=("PromptUser", "SoftBlock", "Block"),
        default="PromptUser",
        help="what Outlook offers on send when draftlint objects or is unavailable "
        "(default PromptUser: the person may send anyway)",
    )
    outlook_parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE instead of stdout; with --format json, a FILE ending in .zip gets "
        "the app package (manifest.json, color.png, outline.png)",
    )
    outlook_parser.set_defaults(handler=cmd_manifest_outlook)


def _add_backtest(commands) -> None:
    backtest_parser = commands.add_parser(
        "backtest",
        help="lint mail already sent (mbox, Maildir, .eml, .msg, .pst, .zip) and report",
        description="Reads mail exports, makes each message the organisation's people sent "
        "into the draft it was, lints it, and reports what the rules would have said: counts "
        "only (no mail content unless --excerpts; addresses pseudonymised unless --names). "
        "Messages over 25 MB are linted on their first 25 MB. Ctrl-C stops and reports what "
        "was read.",
    )
    backtest_parser.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="an mbox (Gmail Takeout too), a Maildir, a folder of .eml, an Outlook .msg or "
        ".pst, or a .zip of these",
    )
    backtest_parser.add_argument("--policy", metavar="FILE", help="policy (.yaml or .json)")
    backtest_parser.add_argument(
        "--compare", metavar="FILE", help="a second policy: lint each message under both"
    )
    backtest_parser.add_argument(
        "--from-domain",
        action="append",
        metavar="DOMAIN",
        help="lint only mail sent from this domain or its subdomains (repeatable); "
        "default: every message",
    )
    backtest_parser.add_argument(
        "--since", metavar="DATE", help="only mail sent on or after DATE (YYYY-MM-DD)"
    )
    backtest_parser.add_argument(
        "--sample", type=int, metavar="N", help="lint N of the qualifying messages, drawn at random"
    )
    backtest_parser.add_argument("--seed", type=int, help="the --sample draw's seed")
    backtest_parser.add_argument(
        "--jobs", type=int, metavar="N", help="processes (default: every core)"
    )
    backtest_parser.add_argument("--report", metavar="FILE", help="write the HTML report here")
    backtest_parser.add_argument(
        "--jsonl", metavar="FILE", help="write one JSON line per finding here"
    )
    backtest_parser.add_argument(
        "--excerpts", action="store_true", help="put excerpts of flagged mail in the outputs"
    )
    backtest_parser.add_argument(
        "--names", action="store_true", help="name authors by address, not by pseudonym"
    )
    backtest_parser.add_argument("--quiet", action="store_true", help="no progress bar")
    backtest_parser.set_defaults(handler=cmd_backtest)


def _add_database_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy URL (default: $DATABASE_URL, else the SQLite file in the instance folder)",
    )


def _add_batch_and_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--batch",
        action="store_true",
        help="FILE is JSON Lines: one draft per line in, one JSON result per line out",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        help="text (default) or json; with --batch, json lines (default) or text per line",
    )


def _output_format(args: argparse.Namespace) -> str:
    return args.format or ("json" if args.batch else "text")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error (or --help)
        return int(exc.code or 0)
    if not hasattr(args, "handler"):
        parser.print_usage(sys.stderr)
        return 2
    try:
        return args.handler(args)
    except InputError as exc:
        _say(f"draftlint: {exc}", sys.stderr)
        return 2
    except BrokenPipeError:  # `draftlint parse x.eml | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return SIGPIPE_EXIT
    except DBAPIError as exc:  # the database refused or failed: one line, not a traceback
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        _say(f"draftlint: the database failed: {reason}", sys.stderr)
        return 2
