"""`draftlint backtest` run in this process (`--jobs 1`, unless a test is about the worker pool),
with the built-in rules: the backtest is about what they would have said.

The mailbox builders are in tests/support/backtest_mail.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from server import cli

# --- running the command ------------------------------------------------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str
    html: str
    lines: list[dict]

    @property
    def text(self) -> str:
        """Everything the run wrote, to search for what must not be there."""
        return self.out + self.html + json.dumps(self.lines)


@pytest.fixture
def backtest(tmp_path, capsys):
    """Run `draftlint backtest SOURCES... ARGS` (jobs 1, no progress bar); its outputs."""

    def run(*args: str) -> Run:
        report, jsonl = tmp_path / "report.html", tmp_path / "findings.jsonl"
        argv = ["backtest", *args, "--report", str(report), "--jsonl", str(jsonl), "--quiet"]
        if "--jobs" not in args:
            argv += ["--jobs", "1"]
        code = cli.main(argv)
        captured = capsys.readouterr()
        html = report.read_text(encoding="utf-8") if report.exists() else ""
        lines = []
        if jsonl.exists():
            lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
        return Run(code, captured.out, captured.err, html, lines)

    return run
