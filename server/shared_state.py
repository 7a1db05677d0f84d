"""State the server's processes share through one Redis (`REDIS_URL`), or keep each for itself.

One process needs nothing shared. Several (gunicorn's workers, replicas behind a load balancer)
differ, unless they share a Redis, in what each keeps in its own memory:
- a published policy: with Redis every process serves it within a second (below); without, each
  finds it by asking the database, every `POLICY_REFRESH_SECONDS`;
- the reply-all-storm counts (server/thread_activity.py): without Redis each process counts only
  the reply-alls it linted itself, so a storm spread over N processes looks N times smaller;
- the rate limits (server/limits.py): `RATE_LIMIT_STORAGE` is `REDIS_URL` unless set apart.
Group sizes (Outlook's Graph look-ups, Gmail's Directory) stay cached in each process, with or
without Redis: an hour each, so a process asks about a group once an hour, and sharing them would
add a Redis round trip to every lint that names a group to save a Graph call an hour.
`draftlint serve` says at start what is kept per process when it runs several without Redis
(`--workers` above 1, or `REPLICAS` above 1).

Why a polled number and not pub/sub for a publish. A commit that adds a policy version increments
one Redis counter, the publish generation (`watch_publishes` in server/store/cache.py); each
process reads it at most every `PUBLISH_POLL_SECONDS` (0.5 s) while it serves requests, and a
changed number sends it to the database for the organisations it has cached. A subscriber would
need a thread and a connection of its own in every gunicorn worker, and a message published while
it reconnects is lost; a GET costs a tenth of a millisecond and cannot miss a change.

Fail open (DESIGN.md): each Redis call has `TIMEOUT` (50 ms) to connect and to answer, with no
retry. After a failure a `Breaker` leaves Redis alone for `RETRY_SECONDS` (2 s), then one request
tries it again; meanwhile policies come from the database as without Redis, and the
reply-all-storm rule is skipped and named in the report's `failed_rules`. One warning is logged
when an outage starts, one line when it ends.

Keys start with `KEY_PREFIX` (tests give each app its own through create_app's dict key
`REDIS_KEY_PREFIX`). Nothing in them or in their values is mail: thread ids and authors appear
only as keyed hashes (`SharedState.digest`: HMAC-SHA256 under a key derived from `SECRET_KEY`,
which every replica shares; a process without one hashes under a random key of its own).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import urlsplit

import redis
from flask import Flask, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

from .config import redis_url
from .store.cache import Breaker

log = logging.getLogger(__name__)

EXTENSION = "draftlint.shared"
KEY_PREFIX = "draftlint"
TIMEOUT = 0.05  # seconds to connect to Redis, and for each answer, on the lint path
RETRY_SECONDS = 2.0  # after a failure, how long the lint path leaves Redis alone
START_TIMEOUT = 1.0  # `draftlint serve`'s one look at whether Redis answers
PUBLISH_GENERATION = "policy-generation"

T = TypeVar("T")


def limiter_storage(url: str) -> str:
    """`REDIS_URL` as the rate limiter's storage URI (the limits library spells a socket
    redis+unix://)."""
    scheme, _, rest = url.partition("://")
    return f"redis+unix://{rest}" if scheme.lower() == "unix" else url


def describe(url: str) -> str:
    """Where a Redis URL points, without its password: for logs."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "unix":
        return f"unix:{parts.path}"
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}{parts.path or '/0'}"


class SharedStateUnavailable(Exception):
    """No Redis is configured, it failed just now, or it failed less than `RETRY_SECONDS` ago."""


class RedisBreaker(Breaker):
    """The store's breaker (server/store/cache.py), saying what a Redis outage costs."""

    def announce_failure(self, error: BaseException) -> None:
        log.warning(
            "Redis failed (%s): reply-all-storm is skipped (named in each report's "
            "failed_rules) and policies are rechecked in the database only; trying Redis again "
            "every %g s.",
            type(error).__name__,
            self.retry_seconds,
        )

    def announce_recovery(self, lasted: float) -> None:
        log.info("Redis answers again, after %.0f s.", lasted)


class SharedState:
    """The Redis client (None without `REDIS_URL`), its breaker, key names and keyed hashes."""

    def __init__(
        self,
        url: str | None,
        *,
        secret: bytes,
        prefix: str = KEY_PREFIX,
        timeout: float = TIMEOUT,
        breaker: Breaker | None = None,
    ):
        self.url = url
        self.prefix = prefix
        self.breaker = breaker or RedisBreaker(retry_seconds=RETRY_SECONDS)
        # Derived, so that the hashes here never equal anything SECRET_KEY signs elsewhere.
        self._key = hmac.new(secret, b"draftlint shared state", hashlib.sha256).digest()
        self.client: redis.Redis | None = None
        if url:
            self.client = redis.Redis.from_url(
                url,
                socket_connect_timeout=timeout,
                socket_timeout=timeout,
                # redis-py retries three times by default, with backoff: a lint must not wait.
                retry=Retry(NoBackoff(), 0),
                health_check_interval=0,
            )

    @property
    def shared(self) -> bool:
        return self.client is not None

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def digest(self, *values: str) -> str:
        """A keyed hash of `values`: the same in every process sharing SECRET_KEY, and telling
        nothing of them to whoever reads Redis."""
        data = "\0".join(values).encode("utf-8", "surrogatepass")
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()[:32]

    def run(self, call: Callable[[redis.Redis], T]) -> T:
        """`call(client)`'s answer, or SharedStateUnavailable: without Redis, during an outage
        (without calling it), or when it raises a Redis error."""
        if self.client is None or not self.breaker.allows():
            raise SharedStateUnavailable
        try:
            answer = call(self.client)
        except redis.RedisError as error:
            self.breaker.failed(error)
            raise SharedStateUnavailable(type(error).__name__) from None
        self.breaker.succeeded()
        return answer


class PublishSignal:
    """The publish generation in Redis (server/store/cache.py's `PublishSignal`)."""

    def __init__(self, shared: SharedState):
        self._shared = shared
        self._key = shared.key(PUBLISH_GENERATION)

    def generation(self) -> int | None:
        try:
            value = self._shared.run(lambda client: client.get(self._key))
        except SharedStateUnavailable:
            return None
        try:
            return int(value or 0)
        except ValueError:
            return None

    def bump(self) -> None:
        # After a commit, off the lint path: tried even while the breaker keeps lints away.
        client = self._shared.client
        if client is None:
            return
        try:
            client.incr(self._key)
        except redis.RedisError as error:
            log.warning(
                "A policy was published, but Redis could not be told (%s): other processes "
                "serve it once they recheck the database (POLICY_REFRESH_SECONDS).",
                type(error).__name__,
            )


def init_app(app: Flask) -> SharedState:
    """Make the app's shared state from `REDIS_URL`, `REDIS_KEY_PREFIX` and `SECRET_KEY`."""
    url = app.config.get("REDIS_URL") or None
    if url is not None:
        try:
            url = redis_url(url)
        except ValueError as error:
            raise ValueError(f"REDIS_URL: {error}") from None
    configured = app.config.get("SECRET_KEY")
    if configured:
        secret = configured if isinstance(configured, bytes) else str(configured).encode()
    else:
        secret = secrets.token_bytes(32)
        if url is not None:
            log.warning(
                "No DRAFTLINT_SECRET_KEY: this process hashes thread ids under a key of its own, "
                "so its reply-all-storm counts are not shared with the other processes."
            )
    shared = SharedState(
        url, secret=secret, prefix=app.config.get("REDIS_KEY_PREFIX") or KEY_PREFIX
    )
    app.extensions[EXTENSION] = shared
    return shared


def current_shared_state() -> SharedState:
    return current_app.extensions[EXTENSION]


def per_process(config: Mapping, *, workers: int) -> str | None:
    """What is kept per process when `workers` processes on each of `REPLICAS` replicas run
    without Redis, as a warning to log at start; None when nothing is."""
    replicas = int(config.get("REPLICAS") or 1)
    processes = workers * replicas
    if config.get("REDIS_URL") or processes <= 1:
        return None
    kept = [
        "reply-all-storm counts (each process sees only the reply-alls it linted)",
        f"published policies (each process rechecks the database every "
        f"{config.get('POLICY_REFRESH_SECONDS', 2):g} s instead of serving a publish within 1 s)",
        "group sizes from Graph and the Directory (cached an hour in each process)",
    ]
    storage = config.get("RATE_LIMIT_STORAGE") or "memory://"
    if storage.startswith("memory"):
        kept.insert(1, f"rate-limit counts (a caller may get up to {processes} times each limit)")
    return (
        f"No DRAFTLINT_REDIS_URL, and {processes} processes ({workers} workers x {replicas} "
        f"replicas): each keeps its own " + "; ".join(kept) + ". Set DRAFTLINT_REDIS_URL to "
        "share them."
    )


def check_at_start(app: Flask, *, workers: int) -> None:
    """`draftlint serve`: warn about what is kept per process, or say whether Redis answers."""
    warning = per_process(app.config, workers=workers)
    if warning:
        log.warning("%s", warning)
    shared = app.extensions.get(EXTENSION)
    if shared is None or shared.client is None:
        return
    where = describe(shared.url)
    client = redis.Redis.from_url(
        shared.url, socket_connect_timeout=START_TIMEOUT, socket_timeout=START_TIMEOUT
    )
    try:
        client.ping()
    except redis.RedisError as error:
        log.warning(
            "Redis at %s does not answer (%s): linting carries on, and shares state once it does.",
            where,
            type(error).__name__,
        )
    else:
        log.info("Sharing state through Redis at %s.", where)
    finally:
        client.close()  # in gunicorn's parent: no connection for the workers to inherit
