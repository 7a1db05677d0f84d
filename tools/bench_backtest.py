"""`make bench` (backtest): messages per second and peak memory of `draftlint backtest` on a
generated mbox of typical sent mail, with every core.

Typical here is the mix a sent folder holds, written as the clients write it: replies to all in
Outlook on the web HTML (multipart/alternative with a plain part, 1–6 quoted messages), Gmail
and classic Outlook (Word HTML) replies, plain-text new messages, and forwards with a 20 KB
attachment; 5–40 KB each, about 14 KB on average; about one in five says only "OK with me" or
"Thanks all!", the rest say something. Every message is from corp.example and linted: no
header filter saves any work.

The backtest runs as `draftlint backtest` in a subprocess; its process tree's resident memory
(the runner, the forkserver and the workers, added up) is sampled every 50 ms. Targets (issue
13): ≥ 1,000 messages/s on this 2-core machine, peak RSS ≤ 250 MB on a 200,000-message mbox.
The mbox lives in a temporary folder, removed afterwards.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .bench import PARAGRAPH, gmail_reply, outlook_reply, word_reply

TARGET_RATE = 1000.0  # messages/s
TARGET_RSS_MB = 250.0
MESSAGES = 200_000
PEOPLE = [f"person{i}@corp.example" for i in range(40)]
SHORT = ("OK with me", "Thanks all!", "+1", "Sounds good, thanks Julie")
SUBSTANCE = (
    PARAGRAPH,
    "<div>Can we move the review to Thursday 3 pm? Legal still has two open questions on the "
    "addendum, and I would like Marc in the room for those.</div>",
    "<div>Numbers for Q3: revenue 4.2M (+8%), churn 2.1%, and the EMEA pipeline is 30% lower "
    "than plan because two deals slipped to October.</div>",
)
ATTACHMENT = base64.encodebytes(os.urandom(15_000)).decode("ascii")


def _text(html: str) -> str:
    """A plain alternative, as clients write one next to the HTML (roughly)."""
    return html.replace("<br>", "\n").replace("</div>", "\n").replace("</p>", "\n")


def _headers(n: int, rng: random.Random, subject: str, recipients: int, extra: str = "") -> str:
    sender = PEOPLE[n % len(PEOPLE)]
    others = rng.sample([p for p in PEOPLE if p != sender], recipients)
    month = 1 + n % 12
    return (
        f"From: {sender.split('@')[0].title()} <{sender}>\n"
        f"To: {others[0]}\n"
        + (f"Cc: {', '.join(others[1:])}\n" if recipients > 1 else "")
        + f"Subject: {subject}\n"
        f"Date: Tue, {1 + n % 28:02d} {_MONTHS[month - 1]} 2024 09:{n % 60:02d}:00 +0200\n"
        f"Message-ID: <{n}.{rng.getrandbits(32)}@corp.example>\n"
        f"{extra}MIME-Version: 1.0\n"
    )


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _alternative(html: str) -> str:
    return (
        'Content-Type: multipart/alternative; boundary="alt"\n\n'
        '--alt\nContent-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: 8bit\n\n'
        f"{_text(html)}\n"
        '--alt\nContent-Type: text/html; charset="utf-8"\nContent-Transfer-Encoding: 8bit\n\n'
        f"{html}\n--alt--\n"
    )


def typical_message(n: int, rng: random.Random) -> bytes:
    """One message of the mix described above."""
    new = rng.choice(SHORT) if rng.random() < 0.2 else rng.choice(SUBSTANCE)
    kind = rng.random()
    reply = "In-Reply-To: <parent@corp.example>\nReferences: <parent@corp.example>\n"
    if kind < 0.40:
        body = outlook_reply(f"<div>{new}</div>", rng.randint(1, 6))
        text = _headers(n, rng, "RE: Launch plan", rng.randint(2, 12), reply) + _alternative(body)
    elif kind < 0.60:
        body = gmail_reply(f"<div>{new}</div>", rng.randint(1, 4))
        text = _headers(n, rng, "Re: Launch plan", rng.randint(1, 6), reply) + _alternative(body)
    elif kind < 0.75:
        body = word_reply(new, rng.randint(1, 4))
        text = _headers(n, rng, "RE: Budget", rng.randint(1, 8), reply) + _alternative(body)
    elif kind < 0.90:
        plain = _text(rng.choice(SUBSTANCE)) * rng.randint(1, 3)
        text = (
            _headers(n, rng, "Launch checklist", rng.randint(1, 5))
            + 'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: 8bit\n\n'
            + plain
            + "\n--\nPeter Smith\n"
        )
    else:
        text = (
            _headers(n, rng, "Fwd: Q3 report", rng.randint(1, 3))
            + 'Content-Type: multipart/mixed; boundary="mix"\n\n--mix\n'
            + _alternative(
                f"<div>{new}</div><br>---------- Forwarded message ---------<br>"
                + "From: Julie &lt;julie@corp.example&gt;<br>Subject: Q3 report<br>"
                + PARAGRAPH
            )
            + '--mix\nContent-Type: application/pdf; name="q3.pdf"\n'
            + 'Content-Disposition: attachment; filename="q3.pdf"\n'
            + f"Content-Transfer-Encoding: base64\n\n{ATTACHMENT}--mix--\n"
        )
    return text.encode("utf-8")


def write_mbox(path: Path, count: int, seed: int = 13) -> int:
    """`count` typical messages as an mbox at `path`; its size in bytes.

    A pool of 2,000 messages is made once and written over and over with fresh headers: making
    each one anew would take longer than linting it.
    """
    rng = random.Random(seed)
    pool = [typical_message(n, rng) for n in range(2000)]
    with open(path, "wb") as out:
        for n in range(count):
            data = pool[n % len(pool)]
            out.write(b"From person@corp.example Tue May 14 09:12:00 2024\n")
            out.write(data)
            out.write(b"\n")
    return path.stat().st_size


@dataclass
class Memory:
    """Peaks over the run's process tree (the runner and its workers), in MB."""

    pss: float = 0.0  # proportional set size, added up: what the run takes from the machine
    rss: float = 0.0  # resident set size, added up: counts pages the processes share once each
    largest: float = 0.0  # resident set size of the largest process


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _rollup(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KB, from /proc/PID/smaps_rollup."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def run_backtest(mbox: Path, jobs: int) -> tuple[float, float, Memory, int, str]:
    """Run the command; (wall seconds, CPU seconds of the tree, memory peaks, messages read,
    output)."""
    command = [str(Path(sys.executable).with_name("draftlint")), "backtest", str(mbox)]
    command += ["--quiet", "--jobs", str(jobs)]
    memory = Memory()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            sizes = [_rollup(pid) for pid in _tree(process.pid)]
            memory.rss = max(memory.rss, sum(r for r, _ in sizes) / 1024)
            memory.pss = max(memory.pss, sum(p for _, p in sizes) / 1024)
            memory.largest = max(memory.largest, max((r for r, _ in sizes), default=0) / 1024)
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    elapsed = time.monotonic() - started
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if process.returncode != 0:
        raise SystemExit(f"draftlint backtest failed ({process.returncode}):\n{err}")
    read = int(out.split("Read ", 1)[1].split(" ", 1)[0].replace(",", ""))
    return elapsed, cpu, memory, read, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench_backtest", description=__doc__)
    parser.add_argument("--messages", type=int, default=MESSAGES, help="size of the mbox")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    print("== draftlint backtest: a generated mbox of typical sent mail ==")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="draftlint-bench-") as folder:
        mbox = Path(folder) / "sent.mbox"
        started = time.monotonic()
        size = write_mbox(mbox, args.messages)
        print(
            f"wrote {args.messages:,} messages, {size / 1e6:,.0f} MB "
            f"({size / args.messages / 1024:.1f} KB each) in {time.monotonic() - started:.0f} s"
        )
        elapsed, cpu, memory, read, out = run_backtest(mbox, args.jobs)
    load_after = os.getloadavg()[0]
    rate = read / elapsed
    print(out.strip())
    cores = os.cpu_count() or 1
    print(
        f"{read:,} messages in {elapsed:.1f} s wall clock (start-up included), {args.jobs} jobs; "
        f"{cpu:.1f} CPU-seconds, {cpu / read * 1000:.2f} ms a message: {read / cpu * cores:,.0f} "
        f"messages/s if all {cores} cores were the run's"
    )
    print(
        f"load average (1 min) {load_before:.1f} before, {load_after:.1f} after, on {cores} cores"
    )
    if max(load_before, load_after) > cores:
        print("  (the machine was busy with other work: the wall-clock rate is low)")
    print(
        f"memory peaks: {memory.pss:,.0f} MB PSS added up over the processes, {memory.rss:,.0f} MB "
        f"RSS added up (shared pages counted in each), largest process {memory.largest:,.0f} MB"
    )
    results = [
        (
            "messages/s, typical mail, wall clock",
            rate,
            f">= {TARGET_RATE:,.0f}",
            rate >= TARGET_RATE,
        ),
        (
            f"peak memory (PSS of all processes), {args.messages:,} messages",
            memory.pss,
            f"<= {TARGET_RSS_MB:.0f} MB",
            memory.pss <= TARGET_RSS_MB,
        ),
    ]
    for name, value, target, passed in results:
        print(f"{'PASS' if passed else 'FAIL'}  {name}: {value:,.0f} (target {target})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
