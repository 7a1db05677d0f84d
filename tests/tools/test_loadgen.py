"""tools/loadgen.py, the load generator of `make bench`: against a small server of the test's own,
it counts answers by status, measures their latency, and with `--vary` sends a different body
each time, of one length."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tools import loadgen


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the app's server does
    bodies: list[bytes]

    def log_message(self, format, *args):  # quiet
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.bodies.append(body)
        status = 200 if b"ok" in body else 418
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


@pytest.fixture
def recorder():
    handler = type("Handler", (_Recorder,), {"bodies": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/lint", handler.bodies
    server.shutdown()
    server.server_close()


def test_counts_statuses_and_latency(recorder):
    url, bodies = recorder
    result = loadgen.run(url, b'{"ok": true}', connections=2, seconds=0.3, warmup=0.1)
    assert result["statuses"].keys() == {"200"}
    assert result["requests_per_second"] > 0 and not result["errors"]
    latency = result["latency"]
    assert 0 < latency["p50_ms"] <= latency["p99_ms"] <= latency["max_ms"]
    assert set(bodies) == {b'{"ok": true}'}

    refused = loadgen.run(url, b'{"no": true}', connections=1, seconds=0.2, warmup=0.0)
    assert refused["statuses"].keys() == {"418"}


def test_vary_makes_every_body_unique_and_of_one_length(recorder):
    url, bodies = recorder
    body = b'{"ok": true, "thread": "conversation-######"}'
    loadgen.run(url, body, connections=3, seconds=0.3, warmup=0.0, vary="######")
    assert len(bodies) > 3
    assert len(set(bodies)) == len(bodies)
    assert {len(each) for each in bodies} == {len(body)}
    assert b'{"ok": true, "thread": "conversation-000000"}' in bodies


def test_vary_needs_its_mark_in_the_body():
    with pytest.raises(SystemExit, match="not in the body"):
        loadgen.Requests(b"POST / HTTP/1.1\r\n\r\n", b"{}", b"####")


def test_only_loopback_is_loaded():
    with pytest.raises(SystemExit, match="only loads servers on this machine"):
        loadgen.run("http://192.0.2.1:80/", b"{}", seconds=0.1, warmup=0.0)
