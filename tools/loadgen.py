"""A small HTTP load generator, like `wrk -c 16`: POST one body over and over, count answers.

`python -m tools.loadgen --url http://127.0.0.1:8001/v1/lint --body draft.json --seconds 3`
prints one JSON line: requests per second, the number of answers by status, errors, and the
latency of the counted answers (p50, p99, max, in milliseconds).

`--vary MARK` makes every request's body unique: the first MARK in it is replaced by a decimal
number of the same width, a new one per request (a thread id, say, that the server must look up
each time instead of finding it in its cache).

Meant to run in a process of its own (tools/bench.py starts it), so the server under test and the
client do not share an interpreter. Threads over plain sockets, one per connection: the request is
built once as bytes, and an answer is read just far enough to know its status and length, so the
client costs little next to the server. A connection is kept open when the server allows it;
gunicorn's sync workers close each one after the answer, so then every request connects anew, as
wrk's do against them. Every loop is bounded by the deadline, and only loopback is accepted.
"""

from __future__ import annotations

import argparse
import ipaddress
import itertools
import json
import socket
import statistics
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

_HEADER_END = b"\r\n\r\n"


def build_head(host: str, port: int, path: str, body: bytes, token: str | None) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: keep-alive",
    ]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


class Requests:
    """The bytes of each request: always the same, or with `mark` replaced by a new number."""

    def __init__(self, head: bytes, body: bytes, mark: bytes | None = None):
        self._fixed = None if mark else head + body
        if mark:
            if mark not in body:
                raise SystemExit(f"--vary: {mark.decode()!r} is not in the body")
            before, _, after = body.partition(mark)
            self._before, self._after, self._width = head + before, after, len(mark)
            self._numbers = itertools.count()  # next() on it is atomic under the GIL

    def next(self) -> bytes:
        if self._fixed is not None:
            return self._fixed
        number = str(next(self._numbers)).zfill(self._width).encode("ascii")
        if len(number) > self._width:
            raise OverflowError("--vary: the mark is too short for this many requests")
        return self._before + number + self._after


def _read_answer(sock: socket.socket, pending: bytes) -> tuple[int, bool, bytes]:
    """Read one answer; return its status, whether the connection stays open, and any bytes
    read past it."""
    data = pending
    while _HEADER_END not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the answer's headers")
        data += chunk
    head, _, rest = data.partition(_HEADER_END)
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    keep_alive = lines[0].startswith(b"HTTP/1.1")
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            keep_alive = value.strip().lower() == b"keep-alive"
    while len(rest) < length:
        chunk = sock.recv(max(65536, length - len(rest)))
        if not chunk:
            raise ConnectionError("closed before the end of the answer")
        rest += chunk
    return status, keep_alive, rest[length:]


class _Counts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.latencies: list[float] = []


def _connection(
    address: tuple[str, int],
    requests: Requests,
    measure_from: float,
    deadline: float,
    counts: _Counts,
) -> None:
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    latencies: list[float] = []
    sock = None
    pending = b""
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            if sock is None:
                sock = socket.create_connection(address, timeout=10)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                pending = b""
            sock.sendall(requests.next())
            status, keep_alive, pending = _read_answer(sock, pending)
        except (OSError, ValueError, IndexError) as exc:
            if time.perf_counter() >= measure_from:
                errors[type(exc).__name__] += 1
            if sock is not None:
                sock.close()
            sock = None
            time.sleep(0.001)
            continue
        answered = time.perf_counter()
        if answered >= measure_from:
            statuses[status] += 1
            latencies.append(answered - started)
        if not keep_alive:
            sock.close()
            sock = None
    if sock is not None:
        sock.close()
    with counts.lock:
        counts.statuses.update(statuses)
        counts.errors.update(errors)
        counts.latencies.extend(latencies)


def _milliseconds(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return {}
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(p99 * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def run(
    url: str,
    body: bytes,
    *,
    token: str | None = None,
    connections: int = 16,
    seconds: float = 3.0,
    warmup: float = 1.0,
    vary: str | None = None,
) -> dict:
    """Load `url` with `connections` concurrent clients for `warmup` + `seconds`; answers that
    arrive during the warm-up are not counted. `vary`: see the module doc."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
        raise SystemExit(f"loadgen only loads servers on this machine, not {host}")
    head = build_head(host, port, parts.path or "/", body, token)
    requests = Requests(head, body, vary.encode() if vary else None)
    counts = _Counts()
    start = time.perf_counter()
    measure_from = start + warmup
    deadline = measure_from + seconds
    threads = [
        threading.Thread(
            target=_connection,
            args=((host, port), requests, measure_from, deadline, counts),
            daemon=True,
        )
        for _ in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + warmup + 30)
    answered = sum(counts.statuses.values())
    return {
        "requests_per_second": answered / seconds,
        "statuses": {str(k): v for k, v in sorted(counts.statuses.items())},
        "errors": dict(counts.errors),
        "latency": _milliseconds(counts.latencies),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.loadgen", description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--body", type=Path, required=True, help="file holding the body to POST")
    parser.add_argument("--token", help="sent as 'Authorization: Bearer <token>'")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--vary", metavar="MARK", help="replaced by a new number in each request")
    args = parser.parse_args(argv)
    result = run(
        args.url,
        args.body.read_bytes(),
        token=args.token,
        connections=args.connections,
        seconds=args.seconds,
        warmup=args.warmup,
        vary=args.vary,
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
