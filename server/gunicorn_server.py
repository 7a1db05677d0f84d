"""gunicorn, embedded: `draftlint serve` runs the app under gunicorn without a config file.

The workers are gunicorn's threaded (`gthread`) workers, with one change, `HeadBufferingWorker`:
each request head is read in the worker's event loop, and a thread gets the connection only once
its head is complete. Stock gthread hands a connection to a thread as soon as its first byte
arrives, and the thread then reads the head with blocking reads, so a client that sends one header
line a second holds a thread for as long as it likes (sync workers: the whole worker). Here slow
clients cost a selector entry each (up to `worker_connections`, 1000 a worker), and one whose head
is not complete within `HEADER_TIMEOUT` seconds gets a 408 and is closed. gunicorn's own limits
stay as they are (a request line of 4094 bytes, 100 header fields of 8190): they bound what a head
may hold, and so what is buffered for one. A slow request body still holds a thread.

The worker overrides gthread internals (`enqueue_req`, `murder_keepalived`, the connection's
parser), so pyproject.toml keeps gunicorn to the major version tested;
tests/cli/test_serve_slow_clients.py fails if an upgrade undoes what this does.

Metrics (server/metrics.py): each worker writes its values to files in
`$PROMETHEUS_MULTIPROC_DIR`, which `/metrics` adds up. `metrics_folder()` sets that before the
app, and with it prometheus_client, is imported (a fresh temporary folder, removed at exit, unless
the operator chose one: that one is emptied of an earlier run's files, so give every server its
own), and `child_exit` tells prometheus-client when a worker is gone. gunicorn's own log lines
follow `$DRAFTLINT_LOG_FORMAT` as the app's do (`Logger`, server/logs.py).
"""

from __future__ import annotations

import contextlib
import glob
import io
import os
import selectors
import shutil
import tempfile
import time
from collections.abc import Iterator
from functools import partial

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger as GunicornLogger
from gunicorn.workers.gthread import ThreadWorker

from .config import environment_setting
from .logs import formatter

HEADER_TIMEOUT = 10  # seconds a head may take: from accept, or from a kept-alive one's next byte
# A worker's threads, for requests whose head has arrived. An Outlook lint holds one while Graph
# answers (up to the 1.5 s look-up budget), a Gmail compose action while the Gmail API does: with
# 4, eight Outlook and four Gmail clients waiting 1 s each made Outlook lints wait 4 s in line;
# with 16 they take the 1 s and API-key lints keep 70-80 % of their throughput, p99 < 0.1 s; 32
# gained nothing beyond run-to-run noise (`make bench`, tools/bench_serve.py).
THREADS = 16
STOP_LINGER = 2.0  # seconds a stopping worker still gives a head to finish
REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
HEAD_END = b"\r\n\r\n"


class HeadBufferingWorker(ThreadWorker):
    """gunicorn's gthread worker, reading request heads in its event loop (see the module doc).

    It reads plain HTTP/1.1 only: with TLS or HTTP/2 configured (neither is, by `draftlint serve`),
    connections go to the threads as in stock gthread.
    """

    header_timeout = HEADER_TIMEOUT

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.heads: dict = {}  # connection whose head is being read -> its deadline
        self.stop_deadline: float | None = None
        # The parser would reject a head this long without reading more: hand it on to say so.
        self.max_head = (
            (self.cfg.limit_request_line or 8190)
            + 2
            + (self.cfg.limit_request_fields or 32768)
            * ((self.cfg.limit_request_field_size or 8190) + 2)
            + 4
        )
        self.buffers_heads = not (
            self.cfg.is_ssl
            or "h2" in (getattr(self.cfg, "http_protocols", None) or ())
            or getattr(self.cfg, "http2_cleartext", None) in ("prior-knowledge", "both")
        )

    def enqueue_req(self, conn):
        """Every way into the thread pool (a new connection, a kept-alive one that became
        readable, a deferred one, pipelined bytes) comes through here, on the event loop."""
        if not self.buffers_heads:
            super().enqueue_req(conn)
            return
        buffered = b""
        if conn.parser is not None:  # kept alive: what it read past the last request comes first
            buffered = conn.parser.unreader.buf.getvalue()
            conn.parser.unreader.buf = io.BytesIO()
        conn.head = bytearray(buffered)
        if self._head_complete(conn.head, len(buffered)):
            self._hand_on(conn)
            return
        conn.sock.setblocking(False)
        self.heads[conn] = time.monotonic() + self.header_timeout
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._read_head, conn))
        self._read_head(conn, conn.sock)  # it is often there already

    def _head_complete(self, head: bytearray, new: int) -> bool:
        """Whether `head`, whose last `new` bytes just arrived, is for the parser to take now:
        its blank line has come, or it holds a bare LF or more than a head may hold (the parser
        rejects those at once). Only the new bytes are searched."""
        since = len(head) - new
        end = head.find(HEAD_END, max(0, since - 3))
        lf = head.find(b"\n", since)
        while lf >= 0 and (end < 0 or lf < end):
            if lf == 0 or head[lf - 1] != 0x0D:
                return True
            lf = head.find(b"\n", lf + 1)
        return end >= 0 or len(head) > self.max_head

    def _read_head(self, conn, _fileobj):
        if conn not in self.heads:
            return
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(conn)
            return
        conn.head += data
        if self._head_complete(conn.head, len(data)):
            self._hand_on(conn)

    def _forget(self, conn):
        if self.heads.pop(conn, None) is not None:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(conn.sock)

    def _hand_on(self, conn):
        self._forget(conn)
        head, conn.head = bytes(conn.head), None
        conn.sock.setblocking(True)
        if conn.parser is None:
            conn.init()  # plain HTTP/1.1: makes the parser, reads nothing
        conn.parser.unreader.unread(head)
        conn.data_ready = True  # the thread need not wait for data
        super().enqueue_req(conn)

    def _drop(self, conn, answer: bytes = b""):
        self._forget(conn)
        conn.head = None
        if answer:
            try:  # bytes left unread would turn the close into a reset, losing the answer
                for _ in range(16):
                    if not conn.sock.recv(65536):
                        break
            except OSError:
                pass
            with contextlib.suppress(OSError):
                conn.sock.send(answer)
        self.nr_conns -= 1
        conn.close()

    def murder_keepalived(self, *args, **kwargs):
        """The event loop calls this at least once a second, while serving and while stopping,
        and with force=True when it is done: cut the heads that are out of time too."""
        super().murder_keepalived(*args, **kwargs)
        force = kwargs.get("force", args[0] if args else False)
        now = time.monotonic()
        if not self.alive and self.stop_deadline is None:
            self.stop_deadline = now + STOP_LINGER
        stopped = self.stop_deadline is not None and now >= self.stop_deadline
        for conn, deadline in list(self.heads.items()):
            if force or stopped:
                self._drop(conn)
            elif now >= deadline:
                if conn.head:  # a client that sent nothing (a browser's preconnect) gets no 408
                    peer = conn.client[0] if isinstance(conn.client, tuple) else conn.client
                    self.log.info(
                        "Request head from %s not complete within %s s: 408, closed.",
                        peer,
                        self.header_timeout,
                    )
                self._drop(conn, REQUEST_TIMEOUT if conn.head else b"")


# --- metrics and logs -------------------------------------------------------------------------

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own variable
# The temporary folder `prepare_metrics_folder` made, if it did, and the process that made it.
_made_folder: list[tuple[int, str]] = []


def prepare_metrics_folder() -> None:
    """Point `$PROMETHEUS_MULTIPROC_DIR` at an empty folder: the operator's, its earlier run's
    files removed (they would be added to this run's), else a new temporary one. Call it before
    prometheus_client is imported: it reads the variable once, at import."""
    path = os.environ.get(MULTIPROC_DIR)
    if path:
        os.makedirs(path, exist_ok=True)
        for stale in glob.glob(os.path.join(glob.escape(path), "*.db")):
            with contextlib.suppress(FileNotFoundError):
                os.remove(stale)
        return
    path = tempfile.mkdtemp(prefix="draftlint-metrics-")
    os.environ[MULTIPROC_DIR] = path
    _made_folder.append((os.getpid(), path))


def remove_metrics_folder(_server=None) -> None:
    """Remove the temporary folder `prepare_metrics_folder` made (gunicorn's `on_exit`), in the
    process that made it only: a worker leaving unwinds the same stack (`draftlint serve`'s
    `metrics_folder()`), and must not take its siblings' files with it."""
    while _made_folder and _made_folder[-1][0] == os.getpid():
        _, path = _made_folder.pop()
        shutil.rmtree(path, ignore_errors=True)
        if os.environ.get(MULTIPROC_DIR) == path:
            del os.environ[MULTIPROC_DIR]


@contextlib.contextmanager
def metrics_folder() -> Iterator[None]:
    prepare_metrics_folder()
    try:
        yield
    finally:
        remove_metrics_folder()


def child_exit(_server, worker) -> None:
    """gunicorn's `child_exit`, in the arbiter: the worker's live gauges go with it (its
    counters and histograms stay in the sum)."""
    if os.environ.get(MULTIPROC_DIR):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


class Logger(GunicornLogger):
    """gunicorn's logger, its lines in `$DRAFTLINT_LOG_FORMAT` (server/logs.py) like the app's."""

    def setup(self, cfg):
        super().setup(cfg)
        if environment_setting("LOG_FORMAT") == "json":
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    if getattr(handler, "_gunicorn", False):
                        handler.setFormatter(formatter("json"))


class GunicornServer(BaseApplication):
    def __init__(self, app: Flask, options: dict):
        self.application = app
        self.options = {
            "worker_class": HeadBufferingWorker,
            "threads": THREADS,
            "logger_class": "server.gunicorn_server.Logger",
            "child_exit": child_exit,
            "on_exit": remove_metrics_folder,
            # gunicorn 27's runtime-control socket sits at one fixed path per user, so two servers
            # on a machine (replicas, tests) would fight over it; nothing here uses it.
            "control_socket_disable": True,
            **options,
        }
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application
