"""Throughput of `POST /v1/lint` through gunicorn, against a bare Flask endpoint (issue 27).

Both servers run as `draftlint serve` runs the app: embedded gunicorn
(`server.gunicorn_server.GunicornServer`, whatever worker settings it gives) with 2 workers, the
same logging set-up. The draftlint one is `draftlint serve` itself, authenticated by an API key
from `$DRAFTLINT_API_KEYS`, with a fresh SQLite database (`draftlint db upgrade`) in a temporary
folder where the key's organisation is created, and a rate limit no run reaches. The bare one
(`python -m tools.bench_http bare --port N`) only decodes the JSON body and answers a small JSON
object: the floor of serving that body with Flask at all, so the ratio of the two is what our
own work per request costs.

Load comes from `tools.loadgen`, in a process of its own: 16 connections, a warm-up second, then a
few seconds counted. Only loopback addresses are used; the servers are stopped at the end.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
WORKERS = 2  # `draftlint serve`'s default
CONNECTIONS = 16
BENCH_ORG = "bench.example"


def bare_app():
    """Flask, one route that JSON-decodes the body, nothing else."""
    from flask import Flask, jsonify, request

    app = Flask("bare")

    @app.post("/json")
    def decode():
        data = request.get_json()
        return jsonify({"fields": len(data)})

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok"})

    return app


def serve_bare(port: int, workers: int = WORKERS) -> None:
    """The bare app under gunicorn, with the options and logging of `draftlint serve`."""
    from server.gunicorn_server import GunicornServer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    GunicornServer(bare_app(), {"bind": f"{HOST}:{port}", "workers": workers}).run()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def draftlint_command(*args: str) -> list[str]:
    # The CLI's entry point in this interpreter, from the current directory's packages.
    return [
        sys.executable,
        "-c",
        "import sys; from server.cli import main; sys.exit(main())",
        *args,
    ]


def wait_ready(url: str, process: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}):\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after {timeout:.0f} s:\n{log.read_text()[-2000:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()  # gunicorn's master stops its workers on SIGTERM
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@dataclass
class Servers:
    lint_url: str
    bare_url: str
    api_key: str


@contextmanager
def servers(workers: int = WORKERS) -> Iterator[Servers]:
    """Start `draftlint serve` and the bare app; stop both on exit."""
    with tempfile.TemporaryDirectory(prefix="draftlint-bench-") as folder:
        folder_path = Path(folder)
        api_key = "bench-" + secrets.token_hex(16)
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder_path / 'bench.db'}",
            "DRAFTLINT_API_KEYS": json.dumps({api_key: BENCH_ORG}),
            # One key sends thousands of requests a second here: a limit far above that keeps the
            # limiter's work per request in the measurement without ever refusing one.
            "DRAFTLINT_RATE_LIMIT_API": "100000000/minute",
        }
        subprocess.run(draftlint_command("db", "upgrade"), env=env, check=True, capture_output=True)
        # The organisation an API key names must exist (it gets no admin's sign-in from here).
        admin = ["admin", "create", "--org", BENCH_ORG, "--email", f"bench@{BENCH_ORG}"]
        subprocess.run(draftlint_command(*admin), env=env, check=True, capture_output=True)
        lint_port, bare_port = free_port(), free_port()
        lint_log, bare_log = folder_path / "draftlint.log", folder_path / "bare.log"
        started = []
        try:
            with lint_log.open("w") as lint_out, bare_log.open("w") as bare_out:
                serve = ["serve", "--host", HOST, "--port", str(lint_port)]
                bare = ["-m", "tools.bench_http", "bare", "--port", str(bare_port)]
                workers_option = ["--workers", str(workers)]
                started.append(
                    subprocess.Popen(
                        draftlint_command(*serve, *workers_option),
                        env=env,
                        stdout=lint_out,
                        stderr=subprocess.STDOUT,
                    )
                )
                started.append(
                    subprocess.Popen(
                        [sys.executable, *bare, *workers_option],
                        env=env,
                        stdout=bare_out,
                        stderr=subprocess.STDOUT,
                    )
                )
            wait_ready(f"http://{HOST}:{lint_port}/readyz", started[0], lint_log)
            wait_ready(f"http://{HOST}:{bare_port}/healthz", started[1], bare_log)
            yield Servers(
                lint_url=f"http://{HOST}:{lint_port}/v1/lint",
                bare_url=f"http://{HOST}:{bare_port}/json",
                api_key=api_key,
            )
        finally:
            for process in started:
                stop(process)


class Load:
    """tools.loadgen running in a process of its own against `url`; `result()` waits for it."""

    def __init__(
        self,
        url: str,
        body: bytes,
        *,
        token: str | None,
        seconds: float,
        warmup: float,
        connections: int = CONNECTIONS,
        vary: str | None = None,
    ):
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as file:
            file.write(body)
        self._body = Path(file.name)
        self._timeout = seconds + warmup + 60
        command = [sys.executable, "-m", "tools.loadgen", "--url", url, "--body", file.name]
        command += ["--connections", str(connections), "--seconds", str(seconds)]
        command += ["--warmup", str(warmup)]
        if token:
            command += ["--token", token]
        if vary:
            command += ["--vary", vary]
        self._process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def result(self) -> dict:
        """Requests per second, statuses, errors and latency (see tools.loadgen)."""
        try:
            out, err = self._process.communicate(timeout=self._timeout)
        finally:
            self._body.unlink(missing_ok=True)
        if self._process.returncode:
            raise RuntimeError(f"loadgen failed ({self._process.returncode}): {err[-2000:]}")
        return json.loads(out)


def load(url: str, body: bytes, *, token: str | None, seconds: float, warmup: float) -> dict:
    """Run tools.loadgen in its own process against `url` and wait for its figures."""
    return Load(url, body, token=token, seconds=seconds, warmup=warmup).result()


@dataclass
class Throughput:
    name: str
    lint_rps: float
    bare_rps: float
    problems: list[str]

    @property
    def ratio(self) -> float:
        return self.lint_rps / self.bare_rps if self.bare_rps else 0.0


def problems(result: dict, what: str) -> list[str]:
    """What went wrong in a loadgen run: answers other than 200, errors, no answer at all."""
    found = []
    others = {k: v for k, v in result["statuses"].items() if k != "200"}
    if others:
        found.append(f"{what}: answers other than 200: {others}")
    if result["errors"]:
        found.append(f"{what}: connection errors: {result['errors']}")
    if not result["statuses"]:
        found.append(f"{what}: no answer at all")
    return found


def compare(
    running: Servers,
    name: str,
    body: bytes,
    *,
    rounds: int = 2,
    seconds: float = 3.0,
    warmup: float = 1.0,
) -> Throughput:
    """Requests per second of /v1/lint and of the bare endpoint for the same body, alternating
    `rounds` times and keeping each one's best (the machine may be busy with other work)."""
    lint_best = bare_best = 0.0
    found: list[str] = []
    for _ in range(rounds):
        bare = load(running.bare_url, body, token=None, seconds=seconds, warmup=warmup)
        lint = load(running.lint_url, body, token=running.api_key, seconds=seconds, warmup=warmup)
        found += problems(bare, "bare") + problems(lint, "/v1/lint")
        bare_best = max(bare_best, bare["requests_per_second"])
        lint_best = max(lint_best, lint["requests_per_second"])
    return Throughput(name, lint_best, bare_best, found)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tools.bench_http")
    commands = parser.add_subparsers(dest="command", required=True)
    bare = commands.add_parser("bare", help="serve the bare Flask endpoint under gunicorn")
    bare.add_argument("--port", type=int, required=True)
    bare.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args(argv)
    if args.command == "bare":
        serve_bare(args.port, args.workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
