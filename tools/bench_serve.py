"""`make bench` (issue 12): lint throughput through gunicorn as deployed, on this machine.

Each candidate worker setting serves the app from deploy/gunicorn.conf.py (what `draftlint serve`
runs; tests/deploy/test_gunicorn_conf.py keeps the two equal), with only `--worker-class` and
`--threads` changed, 2 workers, a SQLite database, and the Microsoft and Google stand-ins of the
tests (tests/support/entra.py, google_apis.py) in this process as Entra, Graph and Google. For
each one:

- alone: `POST /v1/lint` of a 2 KB reply-all by API key, 16 connections (tools/loadgen.py);
- with slow look-ups: the same load while 8 Outlook clients lint with an Entra token a reply whose
  replied-to message Graph answers for after 1 s (a new conversation id per request, so no cache
  helps), and 4 Gmail clients run the compose action in `full` mode, whose Gmail API answers each
  call after 1 s. The server must keep answering the API-key lints meanwhile.

Then the chosen setting as a company runs it: `draftlint serve` sharing PostgreSQL (a schema of
its own in `$TEST_POSTGRES_URL`'s database) and a Redis of its own (redis-server, on a free port),
once as one replica and once as two, loaded together. On one 2-core machine, two replicas share
the same two cores: the figure says what the shared state costs and that nothing serialises the
replicas, not how far they scale on machines of their own.

Graph's per-call timeout is raised to 2 s (default 1 s) and a lint's look-up budget to 2.5 s
(default 1.5 s), so that an answer after 1 s arrives even on a busy machine: at the defaults,
every look-up would time out, the tenant's look-ups would pause for half a minute
(server/outlook/enrich.py), and the slow phase would measure nothing slow. The Outlook lints'
p50 of about a second shows that they did wait.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from server.gunicorn_server import THREADS

from . import bench_gmail
from .bench import reply_all_draft
from .bench_http import (
    HOST,
    Load,
    draftlint_command,
    free_port,
    problems,
    stop,
    wait_ready,
)
from .standins import load

ROOT = Path(__file__).resolve().parents[1]
ORG = "corp.example"
WORKERS = 2
CONNECTIONS = 16
OUTLOOK_CLIENTS = 8
GMAIL_CLIENTS = 4
SLOW = 1.0  # seconds each enrichment stand-in takes to answer in the slow phase
HEAD_BUFFERING = "server.gunicorn_server.HeadBufferingWorker"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# What the chosen setting must keep while look-ups are slow: this share of the API-key
# throughput measured alone, and every API-key lint answered sooner than one slow look-up (none
# waited for a thread held by one).
KEEPS_ANSWERING = 0.5


@dataclass(frozen=True)
class Candidate:
    name: str
    worker_class: str
    threads: int

    @property
    def chosen(self) -> bool:
        return (self.worker_class, self.threads) == (HEAD_BUFFERING, THREADS)


CANDIDATES = (
    Candidate("sync (gunicorn's default)", "sync", 1),
    Candidate("gthread, 4 threads", "gthread", 4),
    Candidate("head-buffering, 4 threads", HEAD_BUFFERING, 4),
    Candidate("head-buffering, 16 threads", HEAD_BUFFERING, 16),
    Candidate("head-buffering, 32 threads", HEAD_BUFFERING, 32),
)


@dataclass
class StandIns:
    microsoft: object
    google: object
    google_module: ModuleType
    tenant: str
    env: dict[str, str]


def _environment(config: dict) -> dict[str, str]:
    """App settings as `$DRAFTLINT_*` variables (DATABASE_URL keeps its own name)."""
    env = {}
    for name, value in config.items():
        text = json.dumps(value) if isinstance(value, dict) else str(value)
        env[name if name == "DATABASE_URL" else f"DRAFTLINT_{name}"] = text
    return env


@contextlib.contextmanager
def stand_ins(folder: Path) -> Iterator[StandIns]:
    """Entra with Graph, and Google, on 127.0.0.1; the settings that point the app at them."""
    entra, google_apis = load("entra"), load("google_apis")
    (folder / "microsoft").mkdir()
    (folder / "google").mkdir()
    with (
        entra.serve(folder / "microsoft") as microsoft,
        google_apis.serve(folder / "google") as google,
    ):
        bundle = folder / "ca-bundle.pem"
        certificates = (microsoft.ca_bundle, google.ca_bundle)
        bundle.write_text("\n".join(Path(pem).read_text().strip() for pem in certificates) + "\n")
        google.support = google_apis
        bench_gmail._mailbox(google_apis, google)
        config = {
            **entra.outlook_config(microsoft),
            **google_apis.app_config(google, folder / "google"),
            "OIDC_CA_BUNDLE": str(bundle),
            "OUTLOOK_GRAPH_TIMEOUT": 2.0,
            "OUTLOOK_GRAPH_BUDGET": 2.5,
            "GMAIL_MODE": "full",
            "PUBLIC_BASE_URL": bench_gmail.BASE,
        }
        yield StandIns(microsoft, google, google_apis, str(uuid.uuid4()), _environment(config))


@contextlib.contextmanager
def slowed(services: StandIns) -> Iterator[None]:
    """Graph's message look-up and every Gmail API call answer after `SLOW` seconds."""
    services.microsoft.stall["messages"] = SLOW
    services.google.delay = SLOW
    try:
        yield
    finally:
        services.microsoft.stall.pop("messages", None)
        services.google.delay = 0.0


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command[3:])} failed: {done.stderr[-2000:]}")


def prepare_database(env: dict[str, str], tenant: str) -> None:
    """Schema, the organisation (an API key must name one), its Entra tenant and Google domain."""
    _run(draftlint_command("db", "upgrade"), env)
    _run(draftlint_command("admin", "create", "--org", ORG, "--email", f"it@{ORG}"), env)
    _run(draftlint_command("org", "alias", "--org", ORG, "--entra-tenant", tenant), env)
    _run(draftlint_command("org", "alias", "--org", ORG, "--google-domain", ORG), env)


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path


@contextlib.contextmanager
def serving(command: list[str], env: dict[str, str], log: Path, port: int) -> Iterator[Server]:
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_ready(f"http://{HOST}:{port}/readyz", process, log)
        yield Server(f"http://{HOST}:{port}", process, log)
    finally:
        stop(process)


def gunicorn_command(candidate: Candidate, port: int) -> list[str]:
    return [
        *(sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")),
        *("--bind", f"{HOST}:{port}", "--workers", str(WORKERS)),
        *("--worker-class", candidate.worker_class, "--threads", str(candidate.threads)),
    ]


# --- the requests ----------------------------------------------------------------------------

MARK = "#" * 12  # tools.loadgen --vary: a new number in each request


def api_draft() -> bytes:
    return json.dumps(reply_all_draft()).encode()


def outlook_draft() -> bytes:
    """A reply that names neither the replied-to sender nor its recipients, only its
    conversation: the server asks Graph for the conversation's newest received message."""
    draft = reply_all_draft()
    draft.pop("in_reply_to")
    draft.update(compose_type="reply", thread_id=f"conversation-{MARK}")
    return json.dumps(draft).encode()


def gmail_event(services: StandIns) -> tuple[bytes, str]:
    """The compose action's event and the system token it is authorised by."""
    google = services.google
    system = google.system_token(f"{bench_gmail.BASE}/gmail/compose")
    event = {
        "commonEventObject": {"hostApp": "GMAIL", "platform": "WEB"},
        "authorizationEventObject": {
            "systemIdToken": system,
            "userIdToken": google.user_token("ana@corp.example"),
            "userOAuthToken": services.google_module.USER_TOKEN,
        },
        "gmail": {
            "threadId": "thread-1",
            "toRecipients": ["peter@corp.example"],
            "ccRecipients": [*bench_gmail.TEAM, "all-staff@corp.example"],
        },
    }
    return json.dumps(event).encode(), system


@dataclass
class Figures:
    alone: dict
    busy: dict
    outlook: dict
    gmail: dict

    def problems(self) -> list[str]:
        found = problems(self.alone, "alone") + problems(self.busy, "with slow look-ups")
        found += problems(self.outlook, "Outlook") + problems(self.gmail, "Gmail")
        return found

    @property
    def kept(self) -> float:
        alone = self.alone["requests_per_second"]
        return self.busy["requests_per_second"] / alone if alone else 0.0


def measure(server: Server, services: StandIns, api_key: str, seconds: float) -> Figures:
    lint_url, body = f"{server.url}/v1/lint", api_draft()
    # The best of two runs: the machine may be busy with other work.
    alone = max(
        (Load(lint_url, body, token=api_key, seconds=seconds, warmup=1.0).result() for _ in "12"),
        key=lambda result: result["requests_per_second"],
    )
    gmail_body, system = gmail_event(services)
    entra_token = services.microsoft.access_token(services.tenant)
    with slowed(services):
        # The slow clients start first and run past both ends of the measured window.
        slow_seconds, slow_warmup = seconds + 2.0, 1.5
        outlook = Load(
            lint_url,
            outlook_draft(),
            token=entra_token,
            seconds=slow_seconds,
            warmup=slow_warmup,
            connections=OUTLOOK_CLIENTS,
            vary=MARK,
        )
        gmail = Load(
            f"{server.url}/gmail/compose",
            gmail_body,
            token=system,
            seconds=slow_seconds,
            warmup=slow_warmup,
            connections=GMAIL_CLIENTS,
        )
        busy = Load(lint_url, body, token=api_key, seconds=seconds, warmup=2.5).result()
        return Figures(alone, busy, outlook.result(), gmail.result())


def _latency(result: dict) -> str:
    latency = result.get("latency") or {}
    return f"{latency.get('p50_ms', 0):7.1f} {latency.get('p99_ms', 0):7.1f}"


def _row(name: str, figures: Figures) -> str:
    return (
        f"{name:<38} {figures.alone['requests_per_second']:7,.0f} "
        f"{figures.busy['requests_per_second']:9,.0f} {figures.kept:5.0%} {_latency(figures.busy)}"
        f" {figures.outlook['requests_per_second']:8.1f} {_latency(figures.outlook)}"
        f" {figures.gmail['requests_per_second']:7.1f} {_latency(figures.gmail)}"
    )


def workers(folder: Path, seconds: float) -> bool:
    """Every candidate, alone and with slow look-ups; True when the chosen one keeps answering."""
    print(
        f"\n== Serving: /v1/lint through gunicorn, {WORKERS} workers, each candidate worker "
        f"setting ({os.cpu_count()} cores) ==\n"
        f"2 KB reply-all by API key, {CONNECTIONS} connections: alone, then while "
        f"{OUTLOOK_CLIENTS} Outlook clients wait {SLOW:.0f} s on Graph and {GMAIL_CLIENTS} Gmail "
        f"clients {SLOW:.0f} s per Gmail API call\n"
    )
    print(
        f"{'':<38} {'alone':>7} {'with slow look-ups':>29}   {'Outlook':>23} {'Gmail':>23}\n"
        f"{'worker setting':<38} {'req/s':>7} {'req/s':>9} {'kept':>5} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'lints/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'acts/s':>7} {'p50 ms':>7}"
        f" {'p99 ms':>7}"
    )
    chosen_ok = False
    with stand_ins(folder) as services:
        for number, candidate in enumerate(CANDIDATES):
            api_key = "bench-" + secrets.token_hex(16)
            env = {
                **os.environ,
                **services.env,
                "DATABASE_URL": f"sqlite:///{folder / f'candidate-{number}.db'}",
                "DRAFTLINT_API_KEYS": json.dumps({api_key: ORG}),
                # Far above what a run sends: the limiter's work stays in, no request is refused.
                "DRAFTLINT_RATE_LIMIT_API": "100000000/minute",
                "DRAFTLINT_RATE_LIMIT_GMAIL": "100000000/minute",
            }
            prepare_database(env, services.tenant)
            port = free_port()
            log = folder / f"candidate-{number}.log"
            with serving(gunicorn_command(candidate, port), env, log, port) as server:
                figures = measure(server, services, api_key, seconds)
            name = candidate.name + (" (chosen)" if candidate.chosen else "")
            print(_row(name, figures))
            for problem in figures.problems():
                print(f"      {problem}")
            if candidate.chosen:
                chosen_ok = (
                    not figures.problems()
                    and figures.kept >= KEEPS_ANSWERING
                    and figures.busy["latency"]["max_ms"] < SLOW * 1000
                )
    verdict = "PASS" if chosen_ok else "FAIL"
    print(
        f"{verdict}  the chosen setting keeps >= {KEEPS_ANSWERING:.0%} of its API-key throughput"
        f" while the look-ups are slow, every API-key lint answered within {SLOW:.0f} s, every"
        " answer a 200"
    )
    return chosen_ok


# --- replicas --------------------------------------------------------------------------------


def replicas(folder: Path, seconds: float) -> bool:
    """`draftlint serve` as one replica, then as two, on PostgreSQL and Redis."""
    print(
        f"\n== Replicas: `draftlint serve` ({WORKERS} workers each) sharing PostgreSQL and Redis,"
        f" 2 KB reply-all by API key, {CONNECTIONS} connections in all ==\n"
    )
    own_redis = load("shared_redis").OwnRedis(folder)
    own_redis.start()
    ok = True
    try:
        postgres_url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        with load("servers").postgres_schema(postgres_url, prefix="bench") as database_url:
            api_key = "bench-" + secrets.token_hex(16)
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "DRAFTLINT_REDIS_URL": own_redis.url,
                "DRAFTLINT_REPLICAS": "2",
                "DRAFTLINT_SECRET_KEY": secrets.token_urlsafe(32),
                "DRAFTLINT_API_KEYS": json.dumps({api_key: ORG}),
                "DRAFTLINT_RATE_LIMIT_API": "100000000/minute",
            }
            prepare_database(env, str(uuid.uuid4()))
            body = api_draft()
            with contextlib.ExitStack() as stack:
                started = []
                for number in range(2):
                    port = free_port()
                    command = draftlint_command(
                        "serve", "--host", HOST, "--port", str(port), "--workers", str(WORKERS)
                    )
                    log = folder / f"replica-{number}.log"
                    started.append(stack.enter_context(serving(command, env, log, port)))
                for count in (1, 2):
                    share = CONNECTIONS // count
                    loads = [
                        Load(
                            f"{server.url}/v1/lint",
                            body,
                            token=api_key,
                            seconds=seconds,
                            warmup=1.0,
                            connections=share,
                        )
                        for server in started[:count]
                    ]
                    results = [each.result() for each in loads]
                    total = sum(result["requests_per_second"] for result in results)
                    each = " + ".join(f"{r['requests_per_second']:,.0f}" for r in results)
                    p99 = max(result["latency"].get("p99_ms", 0.0) for result in results)
                    print(
                        f"{count} replica{'s' if count > 1 else ' '} {total:7,.0f} req/s"
                        f" ({each}; {share} connections each), p99 {p99:.1f} ms"
                    )
                    for number, result in enumerate(results):
                        for problem in problems(result, f"replica {number + 1}"):
                            print(f"      {problem}")
                            ok = False
    finally:
        own_redis.stop()
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench_serve", description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="measured seconds per load")
    args = parser.parse_args(argv)
    load_average = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"(load average before the run: {load_average})")
    with tempfile.TemporaryDirectory(prefix="draftlint-bench-serve-") as folder:
        for part in ("workers", "replicas"):
            (Path(folder) / part).mkdir()
        kept = workers(Path(folder) / "workers", args.seconds)
        shared = replicas(Path(folder) / "replicas", args.seconds)
    return 0 if kept and shared else 1


if __name__ == "__main__":
    raise SystemExit(main())
