"""`draftlint serve` keeps answering while slow clients trickle their request heads (slowloris).

A real server runs as a subprocess (gunicorn, 2 workers, API key, a migrated SQLite file): more
slow clients than it has workers each send one header line a second, and meanwhile `/healthz` and
`/v1/lint` must still answer a normal client promptly; the slow clients must then be cut off
(their head is not complete within the header timeout), not held forever.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from server.cli import main
from server.gunicorn_server import HEADER_TIMEOUT, THREADS, GunicornServer, HeadBufferingWorker

API_KEY = "slow-clients-key-0123456789"
WORKERS = 2
SLOW_CLIENTS = 8  # four times the workers
PROMPT = 3.0  # seconds: generous, a free server answers in milliseconds
DRAFT = {
    "compose_type": "reply_all",
    "to": [{"email": "a@x.example"}, {"email": "b@x.example"}, {"email": "c@x.example"}],
    "body": {"content": "Thanks all!"},
}


def installed_script() -> str:
    return str(Path(sys.executable).with_name("draftlint"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """The base URL of a running `draftlint serve`; its process group is gone afterwards."""
    database_url = f"sqlite:///{tmp_path / 'draftlint.sqlite3'}"
    assert main(["db", "upgrade", "--database-url", database_url]) == 0
    # The organisation the API key names (the server refuses keys naming none).
    admin = ["admin", "create", "--org", "x.example", "--email", "ops@x.example"]
    assert main([*admin, "--database-url", database_url]) == 0
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DRAFTLINT_API_KEYS": json.dumps({API_KEY: "x.example"}),
    }
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    command = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS)]
    server = subprocess.Popen(
        [installed_script(), *command],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the workers are ended with it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if requests.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the server was not ready within 30 s"
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()  # gunicorn's graceful shutdown
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # whatever is left of the group
        server.wait(timeout=15)
        log.close()


class SlowClients:
    """Raw connections that each send `GET /healthz HTTP/1.1` and then one header line a second,
    never the blank line that ends the head; each notes when the server closed it."""

    def __init__(self, port: int, count: int):
        self.sockets = [
            socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)
        ]
        self.opened = time.monotonic()
        self.closed_at: dict[int, float] = {}
        self.answers: dict[int, bytes] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def __enter__(self):
        for sock in self.sockets:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            sock.setblocking(False)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()

    def _trickle(self):
        line = 0
        while not self._stop.wait(1.0) and len(self.closed_at) < len(self.sockets):
            line += 1
            for index, sock in enumerate(self.sockets):
                if index in self.closed_at:
                    continue
                self._read(index, sock)
                if index in self.closed_at:
                    continue
                try:
                    sock.send(f"X-Slow-{line}: {index}\r\n".encode())
                except OSError:
                    self.closed_at[index] = time.monotonic()

    def _read(self, index: int, sock: socket.socket):
        while True:
            try:
                data = sock.recv(4096)
            except BlockingIOError:
                return
            except OSError:  # reset by the server
                data = b""
            if not data:
                self.closed_at[index] = time.monotonic()
                return
            self.answers[index] = self.answers.get(index, b"") + data


def test_serve_runs_head_buffering_threaded_workers(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'draftlint.sqlite3'}")
    monkeypatch.delenv("DRAFTLINT_API_KEYS", raising=False)
    started = {}

    def run(self):
        started.update(worker=self.cfg.worker_class, threads=self.cfg.threads, bind=self.cfg.bind)

    monkeypatch.setattr(GunicornServer, "run", run)
    assert main(["serve", "--port", "9000"]) == 0
    assert started == {
        "worker": HeadBufferingWorker,
        "threads": THREADS,
        "bind": ["127.0.0.1:9000"],
    }


@pytest.mark.parametrize(
    ("chunks", "complete"),
    [
        ([b"GET / HTTP/1.1\r\nHost: x\r\n"], False),
        ([b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"], True),
        ([b"GET / HTTP/1.1\r\nHost: x\r\n\r", b"\n"], True),  # the blank line split
        ([b"GET / HTTP/1.1\r", b"\nHost: x\r\n"], False),  # a CRLF split is no bare LF
        ([b"GET / HTTP/1.1\nHost: x\n"], True),  # bare LF: the parser's 400, at once
        ([b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n", b"\n\n"], True),
        ([b"GET / HTTP/1.1\r\n", b"X: " + b"a" * 200], True),  # longer than a head may be
    ],
)
def test_a_head_is_handed_on_when_the_parser_can_take_it(chunks, complete):
    worker = HeadBufferingWorker.__new__(HeadBufferingWorker)  # only max_head is read
    worker.max_head = 100
    head = bytearray()
    done = False
    for chunk in chunks:
        head += chunk
        done = worker._head_complete(head, len(chunk))
    assert done is complete


def timed(call):
    started = time.monotonic()
    try:
        response = call()
    except requests.RequestException as exc:
        return exc, time.monotonic() - started
    return response, time.monotonic() - started


def test_slow_clients_tie_up_neither_probes_nor_linting(served):
    port = int(served.rsplit(":", 1)[1])
    with SlowClients(port, SLOW_CLIENTS) as slow:
        time.sleep(2)  # every slow client has been accepted and has sent its first lines
        assert not slow.closed_at, "slow clients were cut off before the header timeout"

        health, elapsed = timed(lambda: requests.get(f"{served}/healthz", timeout=PROMPT + 2))
        assert isinstance(health, requests.Response), f"/healthz failed: {health!r}"
        assert health.status_code == 200
        assert elapsed < PROMPT, f"/healthz took {elapsed:.1f} s behind {SLOW_CLIENTS} slow clients"

        lint, elapsed = timed(
            lambda: requests.post(
                f"{served}/v1/lint",
                json=DRAFT,
                headers={"Authorization": f"Bearer {API_KEY}"},
                timeout=PROMPT + 2,
            )
        )
        assert isinstance(lint, requests.Response), f"/v1/lint failed: {lint!r}"
        assert lint.status_code == 200, lint.text
        assert elapsed < PROMPT, f"/v1/lint took {elapsed:.1f} s behind {SLOW_CLIENTS} slow clients"

        # Still trickling, and then cut off: their heads never complete within the header timeout.
        deadline = slow.opened + HEADER_TIMEOUT + 4
        while len(slow.closed_at) < SLOW_CLIENTS and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(slow.closed_at) == SLOW_CLIENTS, "slow clients were held past the header timeout"
        held = [closed - slow.opened for closed in slow.closed_at.values()]
        assert min(held) >= HEADER_TIMEOUT - 1
        assert slow.answers, "no slow client was told why it was cut off"
        for answer in slow.answers.values():
            assert answer.startswith(b"HTTP/1.1 408 "), answer
