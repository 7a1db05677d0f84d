"""For the shared-state tests (tests/shared_state/): a Redis server of the test's own that it can
stop and start, `draftlint serve` in a process of its own, and reply-all drafts to the all-staff
list of `corp.example`."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis
import requests

API_KEY = "shared-state-key-0123456789"
ORG = "corp.example"
SECRET_KEY = "shared-state-tests-secret-key-0123456789"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
LIST = {"email": "all-staff@corp.example", "type": "group", "member_count": 2400}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def installed_script() -> str:
    return str(Path(sys.executable).with_name("draftlint"))


class OwnRedis:
    """A redis-server subprocess on a port of its own: `stop()` kills it, `start()` brings a new
    one up on the same port (empty: nothing is saved)."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._folder = folder
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self._folder)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)


class Server:
    """`draftlint serve` in its own process group, logging to a file."""

    def __init__(self, env: dict, folder: Path, name: str, workers: int = 1):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"{name}.log"
        self._log = self.log_path.open("wb")
        command = [
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
        ]
        self.process = subprocess.Popen(
            [installed_script(), *command],
            env=env,
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, self.log()
            try:
                if requests.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "not ready within 30 s:\n" + self.log()
            time.sleep(0.2)

    def lint(self, draft: dict) -> dict:
        response = requests.post(f"{self.base}/v1/lint", json=draft, headers=AUTH, timeout=5)
        assert response.status_code == 200, response.text
        return response.json()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)
        self._log.close()


def reply_all(author: str, thread: str = "conversation-1", **changes) -> dict:
    """A reply-all to the all-staff list by `author` (a local part at corp.example), as
    Outlook's send handler sends it (Outlook says "reply" for both)."""
    draft = {
        "client": "outlook",
        "compose_type": "reply",
        "subject": "Re: Parking garage closed on Friday",
        "from": {"email": f"{author}@corp.example", "name": author.title()},
        "to": [{"email": "facilities@corp.example", "name": "Facilities"}],
        "cc": [LIST],
        "body": {"content": "Does this include the visitor spaces?"},
        "in_reply_to": {"from": {"email": "facilities@corp.example"}},
        "thread_id": thread,
    }
    draft.update(changes)
    return draft


def storm(report: dict) -> list[dict]:
    """The report's reply-all-storm findings."""
    return [f for f in report["findings"] if f["rule"] == "reply-all-storm"]
