"""Facts from Microsoft Graph put into an Outlook draft before the core lints it.

The core only knows what the draft says (linters/ does no I/O). For a caller who signed in with
an Entra access token (verify.py), two facts the add-in cannot supply are looked up through
Graph on the person's behalf (graph.py):
- the size of each distribution list or Microsoft 365 group among the recipients that came without
  a `member_count` (the directory's count; Exchange's MailTips when that fails), kept per
  organisation for `OUTLOOK_GROUP_CACHE_SECONDS` (an hour), so a task pane re-linting every few
  seconds asks once. A list neither can size stays unknown (the policy's `unknown_group_size`)
  and is not asked about again for five minutes;
- the message replied to, found by its Internet message id when the draft names it without its
  sender and recipients (`item.inReplyTo`, Mailbox 1.14), else, for a reply, as the newest
  received message of its conversation (`item.conversationId`, in every version): who was on it
  decides reply versus reply-all, who the sender is and whether the author was only Bcc'd. Kept
  five minutes per user, in this process's memory only.

All look-ups of one lint share a budget (`OUTLOOK_GRAPH_BUDGET`, 1.5 s) and each call its own
timeout; after the token exchange, the lists' directory counts and the message run side by side
(a small thread pool shared by all requests, of which one lint uses at most
`MAX_CALLS_PER_LINT` workers, so a draft to twenty lists cannot starve the others), so three
lists cost about as long as one. The lint waits for them no longer than what is left of the
budget: a look-up still running then is a fact not known, and is left to finish on its own.
Whatever fails, the draft is linted with what is known: never an error to the client. When
Graph or the token endpoint does not answer at all (a timeout, a refused connection; noticed too
when a look-up the lint stopped waiting for ends so), the tenant's look-ups pause for half a
minute, so a live task pane is not slowed on every keystroke by an outage; calls not made
because the budget was spent are no outage and pause nothing. Logs say how many facts were
found and what failed (kind and HTTP status), never an address or a word of the mail.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from flask import Flask, current_app
from msgspec import structs

from linters.model import ComposeType, Draft, Original, Recipient, RecipientType

from .. import metrics
from ..identity import Identity
from .graph import (
    BudgetSession,
    GraphClient,
    GraphUnavailable,
    OnBehalfOf,
    budget,
    redact_logged_queries,
    remaining,
)
from .settings import OutlookSettings
from .verify import EntraVerifier

log = logging.getLogger(__name__)

EXTENSION = "draftlint.outlook"
UNKNOWN_TTL = 300.0  # seconds a list Graph could not size stays unknown without asking again
REPLIES = frozenset({ComposeType.REPLY, ComposeType.REPLY_ALL})
ORIGINAL_TTL = 300.0  # seconds a replied-to message is kept for its user
PAUSE_AFTER_OUTAGE = 30.0  # seconds without look-ups for a tenant whose Graph did not answer
MAX_GROUPS = 20  # groups looked up per draft; the rest count as unknown
# Graph calls in flight at once, across all requests of this process: as many as a gunicorn
# worker's request threads (server/gunicorn_server.py), so that each lint waiting for Graph can
# have its call in flight rather than queued behind the others'.
WORKERS = 16
MAX_CALLS_PER_LINT = 4  # of those, how many one lint may hold
MAX_CACHED_GROUPS = 50_000
MAX_CACHED_ORIGINALS = 2_000


class TTLCache:
    """A bounded, thread-safe map whose entries expire; the least recently used go first.

    Written here rather than taken from cachetools: its TLRUCache needs a lock around it and a
    time-to-use function to give entries their own lifetimes (an hour for a size, five minutes
    for "unknown"), which is as much code as this, plus a dependency.
    """

    def __init__(self, capacity: int, clock: Callable[[], float]):
        self._capacity = capacity
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()

    def get(self, key: Hashable) -> tuple[bool, object]:
        """(True, value) for a live entry, else (False, None)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False, None
            if entry[0] <= self._clock():
                del self._entries[key]
                return False, None
            self._entries.move_to_end(key)
            return True, entry[1]

    def put(self, key: Hashable, value: object, ttl: float) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)


class Enricher:
    """Adds group sizes and the replied-to message to drafts of Entra-authenticated callers."""

    def __init__(self, settings: OutlookSettings, *, clock: Callable[[], float] = time.monotonic):
        self._settings = settings
        self._clock = clock
        http = BudgetSession(settings.graph_timeout, settings.ca_bundle)
        self._obo = OnBehalfOf(settings, http, clock=clock)
        self._graph = GraphClient(settings.graph_url, http)
        self._groups = TTLCache(MAX_CACHED_GROUPS, clock)
        self._originals = TTLCache(MAX_CACHED_ORIGINALS, clock)
        self._paused: dict[str, float] = {}
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="graph")

    def enrich(self, draft: Draft, identity: Identity) -> Draft:
        if not (self._obo.configured and identity.assertion and identity.tenant):
            return draft
        sizes: dict[str, int] = {}
        unsized = []
        for key in _unsized_groups(draft)[:MAX_GROUPS]:
            hit, size = self._groups.get((identity.org, key))
            metrics.cache_lookup("outlook-groups", hit)
            if not hit:
                unsized.append(key)
            elif size is not None:
                sizes[key] = size
        original = None
        original_key = None
        wanted = _original_wanted(draft)
        if wanted is not None and identity.user:
            # Per user: the message is looked up in this person's mailbox.
            original_key = (identity.tenant, identity.user, *wanted)
            hit, original = self._originals.get(original_key)
            metrics.cache_lookup("outlook-messages", hit)
            if hit:
                original_key = None
        if (unsized or original_key) and self._clock() >= self._paused.get(identity.tenant, 0.0):
            original = self._look_up(identity, unsized, sizes, original_key) or original
        return _with_facts(draft, sizes, original)

    def _look_up(
        self, identity: Identity, unsized: list[str], sizes: dict[str, int], original_key
    ) -> Original | None:
        """Exchange the token and ask Graph, within the budget; found sizes go into `sizes` and
        the cache (an outage keeps what was found before it); returns the replied-to message."""
        started = time.perf_counter()
        original = None
        failures: list[GraphUnavailable] = []
        late: list[str] = []  # look-ups still running when the budget ended
        with budget(self._settings.graph_budget):
            [exchange] = self._run([lambda: self._obo.token(identity.tenant, identity.assertion)])
            done, token, failure = self._wait(exchange, identity.tenant, "token")
            if not done:
                late.append("token exchange")
            elif failure is not None:
                failures.append(failure)
            else:
                original = self._ask(identity, token, unsized, sizes, original_key, failures, late)
        ttl = self._settings.group_cache_seconds
        for key in unsized:
            if key in sizes:
                self._groups.put((identity.org, key), sizes[key], ttl)
        if any(f.unreachable for f in failures):
            self._pause(identity.tenant)
        log.info(
            "Graph look-ups: %d of %d groups sized, replied-to message %s, failures: %s, "
            "not done in time: %s, %.0f ms",
            sum(1 for key in unsized if key in sizes),
            len(unsized),
            "found" if original else ("not found" if original_key else "not needed"),
            "; ".join(str(f) for f in failures) or "none",
            ", ".join(late) or "none",
            (time.perf_counter() - started) * 1000,
        )
        return original

    def _ask(
        self, identity: Identity, token, unsized, sizes, original_key, failures, late
    ) -> Original | None:
        """The replied-to message and the directory counts side by side, MailTips for the lists
        the directory could not size as soon as the counts are in, then the message. A look-up
        not done when the budget ends is neither a fact nor a failure: it is not known."""
        org, tenant = identity.org, identity.tenant
        calls: list[Callable[[], object]] = []
        if original_key:
            kind, value = original_key[2:]
            find = (
                self._graph.replied_to if kind == "message" else self._graph.latest_in_conversation
            )
            calls.append(lambda: find(token, value))
        calls += [lambda key=key: self._directory_size(token, key) for key in unsized]
        jobs = self._run(calls)
        reading = jobs[0] if original_key else None
        leftover = []
        for key, job in zip(unsized, jobs[1:] if original_key else jobs, strict=True):
            done, size, failure = self._wait(job, tenant, "group")
            if not done:
                late.append("group count")
            elif size is None:
                leftover.append(key)
            else:
                sizes[key] = size
            failures += [failure] if failure else []
        if leftover and not any(f.unreachable for f in failures):
            [tipping] = self._run([lambda: self._graph.mail_tips_sizes(token, leftover)])
            done, tips, failure = self._wait(tipping, tenant, "mailtips")
            for key in leftover if done else ():
                if tips and key in tips:
                    sizes[key] = tips[key]
                elif failure is None:  # Graph answered: the list stays unknown for a while
                    self._groups.put((org, key), None, UNKNOWN_TTL)
            late += [] if done else ["MailTips"]
            failures += [failure] if failure else []
        original = None
        if reading is not None:
            done, original, failure = self._wait(reading, tenant, "message")
            if not done:
                late.append("message look-up")
            elif failure is None:
                self._originals.put(original_key, original, ORIGINAL_TTL)
            failures += [failure] if failure else []
        for job in jobs:  # those not started yet: no point once the lint has moved on
            job.cancel()
        return original

    def _wait(
        self, job: Future, tenant: str, kind: str
    ) -> tuple[bool, object, GraphUnavailable | None]:
        """(done, value, failure) of a look-up, waiting no longer than what is left of the
        budget. Not done in time (or never started) is no failure, the fact is just not known;
        should it end later with Graph unreachable, the tenant's look-ups pause then. `kind`
        names it in the metrics (server/metrics.py)."""
        finished, _ = futures.wait([job], timeout=remaining() or 0.0)
        if not finished or job.cancelled():
            job.add_done_callback(lambda ended: self._after_late(tenant, ended))
            metrics.lookup_failed("outlook", kind, "late")
            return False, None, None
        value, failure = _outcome(job.result)
        if failure is not None:
            reason = "unreachable" if failure.unreachable else "error"
            metrics.lookup_failed("outlook", kind, reason)
        return True, value, failure

    def _after_late(self, tenant: str, job: Future) -> None:
        if job.cancelled():
            return
        error = job.exception()
        if isinstance(error, GraphUnavailable) and error.unreachable:
            self._pause(tenant)

    def _pause(self, tenant: str) -> None:
        self._paused[tenant] = self._clock() + PAUSE_AFTER_OUTAGE

    def _directory_size(self, token: str, key: str) -> int | None:
        group_id = self._graph.group_id(token, key)
        return None if group_id is None else self._graph.people_in_group(token, group_id)

    def _run(self, calls: list[Callable[[], object]]) -> list[Future]:
        """A future for each call, run in order by at most `MAX_CALLS_PER_LINT` of the pool's
        workers: each takes the next call not yet started until none is left. A call whose
        future was cancelled (the lint stopped waiting) is skipped."""
        jobs: list[Future] = [Future() for _ in calls]
        queue = deque(zip(calls, jobs, strict=True))

        def lane() -> None:
            while True:
                try:
                    call, future = queue.popleft()  # atomic: lanes never take the same call
                except IndexError:
                    return
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(call())
                except BaseException as error:  # handed to the waiting lint, by `_outcome`
                    future.set_exception(error)

        for _ in range(min(MAX_CALLS_PER_LINT, len(calls))):
            # The copied context carries the budget's deadline into the worker thread.
            self._pool.submit(contextvars.copy_context().run, lane)
        return jobs


def _outcome(call: Callable[[], object]) -> tuple[object, GraphUnavailable | None]:
    """(value, None), or (None, the failure): fail open, a fact we cannot get never fails a lint.
    Anything but GraphUnavailable is a surprise, reported by its type only."""
    try:
        return call(), None
    except GraphUnavailable as error:
        return None, error
    except Exception as error:
        return None, GraphUnavailable(f"unexpected {type(error).__name__}")


def _unsized_groups(draft: Draft) -> list[str]:
    """The distinct keys of group recipients that came without a member count."""
    seen: dict[str, None] = {}
    for recipient in draft.recipients:
        if recipient.type is RecipientType.GROUP and recipient.member_count is None:
            seen.setdefault(recipient.key, None)
    return list(seen)


def _original_wanted(draft: Draft) -> tuple[str, str] | None:
    """How to find the message a reply answers, when the draft does not say who was on it:
    ("message", its Internet message id) or, without one, ("conversation", the conversation id);
    None when nothing is to be looked up."""
    original = draft.in_reply_to
    if original is not None:
        if original.sender is not None or original.to or original.cc or original.bcc:
            return None
        if original.message_id:
            return ("message", original.message_id)
    if draft.compose_type in REPLIES and draft.thread_id:
        return ("conversation", draft.thread_id)
    return None


def _with_facts(draft: Draft, sizes: dict[str, int], original: Original | None) -> Draft:
    def sized(recipients: tuple[Recipient, ...]) -> tuple[Recipient, ...]:
        return tuple(
            structs.replace(r, member_count=sizes[r.key])
            if r.type is RecipientType.GROUP and r.member_count is None and r.key in sizes
            else r
            for r in recipients
        )

    changes: dict = {}
    if sizes:
        changes.update(to=sized(draft.to), cc=sized(draft.cc), bcc=sized(draft.bcc))
    if original is not None:
        subject = draft.in_reply_to.subject if draft.in_reply_to is not None else ""
        changes["in_reply_to"] = replace(original, subject=subject or original.subject)
    return replace(draft, **changes) if changes else draft


# --- wiring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutlookServices:
    """What the API shares across requests: the settings, the token verifier with its cached
    signing keys, and the enricher with its caches."""

    settings: OutlookSettings
    verifier: EntraVerifier
    enricher: Enricher


def init_app(app: Flask) -> None:
    redact_logged_queries()
    settings = OutlookSettings.from_config(app.config)
    app.extensions[EXTENSION] = OutlookServices(
        settings=settings, verifier=EntraVerifier(settings), enricher=Enricher(settings)
    )


def services() -> OutlookServices:
    return current_app.extensions[EXTENSION]
