"""One chunk of raw messages in, a Tally and the chunk's JSONL lines out: the work done in each
worker process (or in the runner's own thread with `--jobs 1`).

Each message is judged by its headers first (a header-only parse, a small fraction of a full
one): not from the organisation, too old, or not in the sample, and it costs no more. The rest
become the draft they were, through `server.eml` as `draftlint lint x.eml` makes it, and are
linted under the policy and, with `--compare`, the other one. Any error of one message is
counted against its position and the chunk goes on.
"""

from __future__ import annotations

import codecs
import contextlib
import email.utils
import gc
import hmac
import json
import os
import signal
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from functools import lru_cache

import re2
from marshmallow import ValidationError

from linters import Policy, lint
from linters.registry import default_registry
from linters.schema import load_draft

from ..eml import eml_to_draft, not_a_message
from .outlook import OutlookError, msg_to_eml
from .sources import Item, Kind, Problem
from .tally import UNKNOWN_MONTH, Tally

MAX_HEADER_BLOCK = 256 * 1024  # header bytes read to filter a message (a longer block is cut)
# RE2 (linear time) over bytes a stranger wrote: the charset of a part's Content-Type header
# (not of an HTML <meta> or a quoted-printable "=3D" in a body), or of an encoded word.
_CHARSET = re2.compile(rb'charset\s*=\s*"?([a-z0-9_.:+-]{1,40})')
_ENCODED_WORD = re2.compile(rb"=\?([A-Za-z0-9_.:+-]{1,40})(?:\*[A-Za-z-]*)?\?[QqBb]\?")
MAX_CONTENT_TYPE = 1000  # bytes of a Content-Type header searched for its charset


class Skip:
    """Why a message read was not linted."""

    OTHER_DOMAIN = "sent from outside --from-domain"
    NO_SENDER = "no sender address (with --from-domain)"
    BEFORE = "sent before --since"
    UNDATED = "no readable date (with --since)"
    NOT_SAMPLED = "not in the --sample"


@dataclass(frozen=True)
class Settings:
    """What every worker needs to know; picklable (policies travel as documents)."""

    policy: object = None  # a policy document (already validated), None for the defaults
    compare: object = None  # the document to compare with, or None for no comparison
    compare_wanted: bool = False
    domains: tuple[str, ...] = ()
    since: date | None = None
    excerpts: bool = False
    names: bool = False
    key: bytes = b""  # keys the pseudonyms of this run
    cap: int = 25 * 1024 * 1024
    jsonl: bool = False


@dataclass(frozen=True)
class Chunk:
    index: int
    items: list[Item]
    count_only: bool = False  # --sample's first pass: only say how many messages qualify
    select: frozenset[int] | None = None  # --sample's second pass: which of them to lint


@dataclass
class ChunkResult:
    index: int
    tally: Tally
    lines: str  # JSONL, one finding a line
    eligible: int  # messages that passed the filters (before sampling)
    progress: int  # bytes of the sources on disk this chunk accounts for
    items: int


_worker: Worker | None = None


def init(settings: Settings) -> None:
    """Make this process's worker, which the forked workers inherit (`--jobs 1` runs a
    `Worker` of its own instead, so that runs in several threads do not share one)."""
    global _worker
    _worker = Worker(settings)


def prepare(settings: Settings) -> None:
    """Before the runner forks its workers: make the worker and warm the lint core (every rule's
    vocabulary and matchers are loaded on first use), then freeze what exists, so the forked
    workers share those pages instead of each loading its own ~55 MB, and their garbage
    collector never walks them."""
    init(settings)
    assert _worker is not None
    _worker.warm()
    gc.collect()
    gc.freeze()


def adopt(runner: int) -> None:
    """A forked worker's initializer: it has the runner's worker already. Ctrl-C and SIGTERM
    are the runner's to handle; a worker whose runner is gone (killed) ends, instead of waiting
    for work forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the runner's handler, forked along
    threading.Thread(target=_watch, args=(runner,), daemon=True).start()


def _watch(runner: int) -> None:
    while os.getppid() == runner:
        time.sleep(1)
    os._exit(1)


def run_chunk(chunk: Chunk) -> ChunkResult:
    assert _worker is not None, "init() first"
    return _worker.run(chunk)


@lru_cache(maxsize=256)
def _known_charset(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


class Worker:
    def __init__(self, settings: Settings):
        self.settings = settings
        registry = default_registry()
        self.policy = Policy.build(settings.policy, registry=registry)
        self.compare = (
            Policy.build(settings.compare, registry=registry) if settings.compare_wanted else None
        )
        self.headers = BytesHeaderParser(policy=compat32)

    def warm(self) -> None:
        """Lint every rule's own examples once, under each policy."""
        for rule in self.policy.registry:
            for example in rule.examples:
                with contextlib.suppress(Exception):  # a plugin's odd example: not our concern
                    lint(example.draft, self.policy)
                    if self.compare is not None:
                        lint(example.draft, self.compare)

    def run(self, chunk: Chunk) -> ChunkResult:
        tally = Tally()
        lines: list[str] = []
        eligible = 0
        for item in chunk.items:
            if item.kind == Kind.PROGRESS:
                continue
            if item.kind == Kind.PROBLEM:
                tally.add_problem(item.problem or Problem.UNREADABLE, item.position, item.detail)
                continue
            try:
                rank = self._message(item, tally, lines, eligible, chunk)
            except Exception as exc:  # a bug of ours on odd input: named, never fatal
                tally.add_problem(Problem.FAILED, item.position, type(exc).__name__)
                continue
            if rank is not None:
                eligible += 1
        if chunk.count_only:
            tally = Tally()
            lines = []
        progress = sum(item.progress for item in chunk.items)
        items = sum(1 for item in chunk.items if item.kind != Kind.PROGRESS)
        return ChunkResult(chunk.index, tally, "".join(lines), eligible, progress, items)

    def _message(
        self, item: Item, tally: Tally, lines: list[str], rank: int, chunk: Chunk
    ) -> int | None:
        """Lint one message; the rank it has among those that pass the filters, else None."""
        data = item.data
        settings = self.settings
        if item.problem:  # read, but only in part
            tally.add_problem(item.problem, item.position, item.detail)
        if item.kind == Kind.MSG:
            try:
                data = msg_to_eml(data, settings.cap)
            except OutlookError as exc:
                tally.add_problem(Problem.UNREADABLE, item.position, str(exc))
                return None
        why = not_a_message(data)
        if why:
            tally.add_problem(Problem.NOT_MAIL, item.position, f"not an e-mail message: {why}")
            return None
        head = _header_block(data)
        headers = self.headers.parsebytes(head)
        tally.read += 1
        sender = _sender(headers)
        if settings.domains:
            if not sender:
                tally.skipped[Skip.NO_SENDER] += 1
                return None
            if not _in_domains(sender, settings.domains):
                tally.skipped[Skip.OTHER_DOMAIN] += 1
                return None
        sent = _date(headers)
        if settings.since is not None:
            if sent is None:
                tally.skipped[Skip.UNDATED] += 1
                return None
            if sent.date() < settings.since:
                tally.skipped[Skip.BEFORE] += 1
                return None
        if chunk.count_only:
            return rank
        if chunk.select is not None and rank not in chunk.select:
            tally.skipped[Skip.NOT_SAMPLED] += 1
            return rank
        tally.add_charsets(*_charsets(head, data))
        draft = eml_to_draft(data)
        try:
            parsed = load_draft(draft)
        except ValidationError as exc:
            fields = ", ".join(sorted(str(name) for name in exc.messages))
            tally.add_problem(Problem.INVALID, item.position, f"invalid draft ({fields})")
            return rank
        report = lint(parsed, self.policy)
        found = [(f.rule, f.severity.value) for f in report.findings]
        other = lint(parsed, self.compare).findings if self.compare is not None else None
        compared = None if other is None else [(f.rule, f.severity.value) for f in other]
        month = f"{sent.year:04d}-{sent.month:02d}" if sent else UNKNOWN_MONTH
        author = self._author(sender)
        tally.add_message(
            compose_type=parsed.compose_type.value,
            audience=report.audience,
            month=month,
            author=author,
            found=found,
            compared=compared,
        )
        if settings.excerpts:
            for finding in report.findings:
                if tally.wants_excerpt(finding.rule):
                    tally.add_excerpt(
                        finding.rule,
                        {
                            "position": item.position,
                            "author": author,
                            "audience": report.audience,
                            "compose_type": parsed.compose_type.value,
                            "severity": finding.severity.value,
                            "excerpt": (finding.excerpt or finding.message)[:200],
                        },
                    )
        if settings.jsonl:
            base = {
                "position": item.position,
                "compose_type": parsed.compose_type.value,
                "audience": report.audience,
                "month": month,
            }
            lines.extend(self._line(base, finding, "policy") for finding in report.findings)
            lines.extend(self._line(base, finding, "compare") for finding in other or ())
        return rank

    def _line(self, base: dict, finding, policy: str) -> str:
        record = {**base, "rule": finding.rule, "severity": finding.severity.value}
        if self.compare is not None:
            record["policy"] = policy
        if self.settings.excerpts:
            record["excerpt"] = finding.excerpt
        return json.dumps(record, ensure_ascii=True) + "\n"

    def _author(self, sender: str) -> str:
        if not sender:
            return "unknown"
        if self.settings.names:
            return sender
        return _pseudonym(self.settings.key, sender)


@lru_cache(maxsize=4096)
def _pseudonym(key: bytes, sender: str) -> str:
    """ "person-3f2a9c": six hex digits of a keyed hash (16 million values, so two people of an
    organisation of 10,000 share one with a chance of about 3 in 1,000)."""
    digest = hmac.new(key, sender.encode("utf-8", "replace"), "sha256")
    return "person-" + digest.hexdigest()[:6]


def _header_block(data: bytes) -> bytes:
    window = data[:MAX_HEADER_BLOCK]
    ends = [i for i in (window.find(b"\n\n"), window.find(b"\r\n\r\n")) if i >= 0]
    return window[: min(ends) + 1] if ends else window


def _sender(headers) -> str:
    values = headers.get_all("From") or []
    for _, address in email.utils.getaddresses([str(v) for v in values]):
        address = address.strip().lower()
        if "@" in address:
            return address.encode("utf-8", "replace").decode("utf-8")
    return ""


def _in_domains(sender: str, domains: tuple[str, ...]) -> bool:
    """`ana@corp.example` and `ana@eu.corp.example` are both in corp.example."""
    domain = sender.rpartition("@")[2].rstrip(".")
    return any(domain == d or domain.endswith("." + d) for d in domains)


def _date(headers) -> datetime | None:
    value = headers.get("Date")
    if not value:
        return None
    try:
        sent = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if sent is None or not 1970 < sent.year < 2100:
        return None
    return sent


def _charsets(head: bytes, data: bytes) -> tuple[set[str], set[str]]:
    """The charsets a message declares (parts and encoded words), and those Python does not
    know, which `server.eml` reads as UTF-8 with replacement characters."""
    declared = set()
    lower = data.lower()
    start = 0 if lower.startswith(b"content-type:") else lower.find(b"\ncontent-type:")
    while start >= 0:
        found = _CHARSET.search(lower, start, start + MAX_CONTENT_TYPE)
        # the charset of this header: on its line or on a folded line right after it
        if found and b"\n\n" not in lower[start + 1 : found.start()]:
            line_end = lower.find(b"\n", start + 1)
            folded = line_end < 0 or found.start() < line_end
            while not folded and lower[line_end + 1 : line_end + 2] in (b" ", b"\t"):
                next_end = lower.find(b"\n", line_end + 1)
                folded = next_end < 0 or found.start() < next_end
                line_end = next_end
            if folded:
                declared.add(found.group(1).decode("ascii"))
        start = lower.find(b"\ncontent-type:", start + 1)
    declared |= {m.decode("ascii").lower() for m in _ENCODED_WORD.findall(head)}
    return declared, {name for name in declared if not _known_charset(name)}
