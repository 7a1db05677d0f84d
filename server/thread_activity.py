"""The reply-all-storm rule's fact: how many people replied to all on a thread lately, and to
how many recipients (`Draft.thread_activity`, linters/rules/reply_all_storm.py).

What is kept, per organisation and thread, and nothing else (DESIGN.md: thread ids are stored
only hashed): under a keyed hash of the organisation and the thread id (`SharedState.digest`),
the keyed hashes of the people who replied to all, each with when they last did and how many
people their reply-all reached. Both expire one window (the policy's `window_minutes`) after the
last reply-all; older entries are dropped whenever the thread is looked at. No thread id, subject,
address or word of a draft. An author's hash includes the thread, so the same person cannot be
followed from one thread to another. Kept in Redis when `REDIS_URL` is set (shared by every
process), else in this process's memory (`MAX_THREADS` threads, the least recent go first).

When a reply-all counts. At lint time, when a reply in a thread (a `thread_id`: Outlook's
conversation id, which its send handler sends; Gmail's thread id) reaches more than the
original sender (the core's `is_reply_all`). Counting needs no change in the clients, and the
lint that matters comes at send: Outlook's send handler lints every send, Gmail's "Check draft"
is a click. Each author counts once per thread however often a draft is linted (the set is keyed
by author), and a later lint of that author's reply on the thread that no longer goes to all
(the "Reply to ... only" fix taken) takes them out again. What this cannot see: a reply-all the
author drafts, is warned about and then discards counts until the window ends; a reply-all sent
from a client without draftlint does not count at all. The count errs on the side of warning;
a storm made of mail draftlint never saw stays invisible to it.

The fact says how many *other* people replied to all (the author is never counted against
themselves) and the largest audience among their reply-alls. The rule off in the policy (or not
loaded), or a draft without a sender (`from`: whom to count), means nothing is looked up or
kept. When Redis cannot be asked, the draft is linted without the fact and the rule is named in
the report's `failed_rules`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace

from flask import Flask, current_app

from linters import Policy, Report, Severity, lint
from linters.context import LintContext
from linters.model import ComposeType, Draft, ThreadActivity
from linters.rules.reply_all_storm import RULE_ID

from .identity import with_fallback
from .shared_state import SharedState, SharedStateUnavailable
from .store.cache import Resolved

log = logging.getLogger(__name__)

EXTENSION = "draftlint.thread_activity"
REPLIES = frozenset({ComposeType.REPLY, ComposeType.REPLY_ALL})
MAX_REPLIERS = 10_000  # kept per thread; beyond, the longest quiet go first
MAX_THREADS = 10_000  # kept in a process's memory without Redis

ADD, REMOVE = "add", "remove"

# One round trip, atomic. KEYS: when each replier last replied to all (sorted set, score: unix
# time), how many people each one reached (sorted set, score: audience). ARGV: now, window
# seconds, the author's hash, add | remove, the author's audience, the most repliers kept.
# Returns {other repliers, the largest audience among them}.
_OBSERVE = """
local when, reach = KEYS[1], KEYS[2]
local now, window, me, action = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4]
local stale = redis.call('ZRANGEBYSCORE', when, '-inf', '(' .. (now - window), 'LIMIT', 0, 1000)
for _, member in ipairs(stale) do
  redis.call('ZREM', when, member)
  redis.call('ZREM', reach, member)
end
if action == 'add' then
  redis.call('ZADD', when, now, me)
  redis.call('ZADD', reach, tonumber(ARGV[5]), me)
  local excess = redis.call('ZCARD', when) - tonumber(ARGV[6])
  if excess > 0 then
    for _, member in ipairs(redis.call('ZRANGE', when, 0, excess - 1)) do
      redis.call('ZREM', when, member)
      redis.call('ZREM', reach, member)
    end
  end
  local ttl = math.ceil(window)
  redis.call('EXPIRE', when, ttl)
  redis.call('EXPIRE', reach, ttl)
elseif action == 'remove' then
  redis.call('ZREM', when, me)
  redis.call('ZREM', reach, me)
end
local others = redis.call('ZCARD', when)
if redis.call('ZSCORE', when, me) then
  others = others - 1
end
local largest = 0
local top = redis.call('ZREVRANGE', reach, 0, 1, 'WITHSCORES')
for i = 1, #top, 2 do
  if top[i] ~= me then
    largest = tonumber(top[i + 1])
    break
  end
end
return {others, largest}
"""


class RedisTally:
    """The counts in Redis, shared by every process."""

    def __init__(self, shared: SharedState):
        self._shared = shared
        self._script = shared.client.register_script(_OBSERVE)

    def observe(
        self, thread: str, author: str, action: str, audience: int, window: float, now: float
    ) -> tuple[int, int]:
        keys = [self._shared.key("storm", thread, suffix) for suffix in ("when", "reach")]
        args = [repr(now), repr(window), author, action, audience, MAX_REPLIERS]
        others, largest = self._shared.run(lambda client: self._script(keys, args, client))
        return int(others), int(largest)


class MemoryTally:
    """The same counts in this process's memory: complete with one process, a part of the
    truth with several (`draftlint serve` says so at start)."""

    def __init__(self):
        self._lock = threading.Lock()
        # thread -> author -> (when, audience)
        self._threads: OrderedDict[str, dict[str, tuple[float, int]]] = OrderedDict()

    def observe(
        self, thread: str, author: str, action: str, audience: int, window: float, now: float
    ) -> tuple[int, int]:
        with self._lock:
            repliers = self._threads.get(thread)
            if repliers is None:
                if action != ADD:
                    return 0, 0
                repliers = self._threads[thread] = {}
            for member in [m for m, (when, _) in repliers.items() if when < now - window]:
                del repliers[member]
            if action == ADD:
                repliers[author] = (now, audience)
                if len(repliers) > MAX_REPLIERS:
                    del repliers[min(repliers, key=lambda m: repliers[m][0])]
            elif action == REMOVE:
                repliers.pop(author, None)
            if repliers:
                self._threads.move_to_end(thread)
                while len(self._threads) > MAX_THREADS:
                    self._threads.popitem(last=False)
            else:
                del self._threads[thread]
            others = [reach for member, (_, reach) in repliers.items() if member != author]
            return len(others), max(others, default=0)


class ThreadActivityCounter:
    """Fills in `Draft.thread_activity` for a reply in a thread, counting the reply if it goes
    to all."""

    def __init__(self, shared: SharedState, *, clock: Callable[[], float] = time.time):
        self._shared = shared
        self._tally = RedisTally(shared) if shared.shared else MemoryTally()
        self._clock = clock

    def fill_in(self, draft: Draft, org: str, policy: Policy) -> tuple[Draft, bool]:
        """The draft with the thread's activity, and whether it could not be had (Redis down)
        for a reply-all the rule would judge."""
        settings = policy.rules.get(RULE_ID)
        if settings is None or settings.severity is Severity.OFF:
            return draft, False
        if draft.compose_type not in REPLIES or not draft.thread_id or draft.sender is None:
            return draft, False
        ctx = LintContext(draft, unknown_group_size=policy.unknown_group_size)
        reply_all = ctx.is_reply_all
        window_minutes = settings.options["window_minutes"]
        thread = self._shared.digest(RULE_ID, org, draft.thread_id)
        author = self._shared.digest(RULE_ID, org, draft.thread_id, draft.sender.key)
        try:
            repliers, audience = self._tally.observe(
                thread,
                author,
                ADD if reply_all else REMOVE,
                ctx.audience,
                window_minutes * 60.0,
                self._clock(),
            )
        except SharedStateUnavailable:
            return replace(draft, thread_activity=None), reply_all
        activity = ThreadActivity(repliers, audience, window_minutes)
        return replace(draft, thread_activity=activity), False


def init_app(app: Flask, shared: SharedState) -> None:
    app.extensions[EXTENSION] = ThreadActivityCounter(shared)


def lint_in_thread(draft: Draft, org: str, resolved: Resolved) -> Report:
    """Lint `draft` for `org` under the resolved policy (its fallback said in the report), with
    the thread's reply-all activity filled in first; when that could not be had, the
    reply-all-storm rule is named in `failed_rules`."""
    counter: ThreadActivityCounter = current_app.extensions[EXTENSION]
    draft, unavailable = counter.fill_in(draft, org, resolved.policy)
    report = with_fallback(lint(draft, resolved.policy), resolved)
    if report.failed_rules:  # rule ids only: what the draft said stays out of the log
        log.error("Rules failed and were skipped: %s", ", ".join(report.failed_rules))
    # A Redis outage is not the rule's fault: server/shared_state.py logs it once.
    if unavailable and RULE_ID not in report.failed_rules:
        report = replace(report, failed_rules=(*report.failed_rules, RULE_ID))
    return report
