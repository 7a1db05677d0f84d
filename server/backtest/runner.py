"""The backtest run: sources read in this process, chunks of raw messages linted in worker
processes, their tallies added up here, in order.

Memory stays flat whatever the mailbox size: the sources are streamed, at most `2 × jobs` chunks
(each at most CHUNK_MESSAGES messages or CHUNK_BYTES, plus one message up to the cap) are in
flight, and what comes back is counts. The workers are forked from this process once it has
loaded the lint core, so they share its ~55 MB of vocabulary instead of loading one each.
Ctrl-C (or SIGTERM) stops reading, lets the chunks already in the workers finish (a fraction of
a second), and returns what was read, marked as interrupted.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import random
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TextIO

from . import worker
from .sources import MAX_MESSAGE_BYTES, Item, read_sources, total_bytes
from .tally import Tally

CHUNK_MESSAGES = 64
CHUNK_BYTES = 4 * 1024 * 1024
IN_FLIGHT_PER_JOB = 2


@dataclass
class Options:
    sources: list[str]
    policy: object = None  # a validated policy document; None for the defaults
    policy_label: str = "the default policy"
    compare: object = None
    compare_label: str | None = None  # set when there is a policy to compare with
    domains: tuple[str, ...] = ()
    since: object = None  # datetime.date
    sample: int | None = None
    seed: int | None = None
    jobs: int = 0  # 0: os.cpu_count()
    excerpts: bool = False
    names: bool = False
    cap: int = MAX_MESSAGE_BYTES
    progress: bool = False


@dataclass
class RunInfo:
    """How the run went: the report's first lines."""

    sources: list[str]
    policy: str
    compare: str | None
    domains: list[str]
    since: str | None
    sample: int | None
    seed: int | None
    jobs: int
    cap: int
    excerpts: bool
    names: bool
    started: str = ""
    elapsed: float = 0.0
    processed: int = 0  # items of the sources handled (messages, and what was not mail)
    interrupted: bool = False
    stopped_because: str | None = None

    @property
    def rate(self) -> float:
        return self.processed / self.elapsed if self.elapsed > 0 else 0.0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Result:
    tally: Tally
    info: RunInfo
    lines: int = 0  # JSONL lines written
    eligible: int | None = None  # with --sample: how many messages qualified


def run(
    options: Options,
    jsonl: TextIO | None = None,
    items: Iterable[Item] | None = None,
) -> Result:
    """Backtest `options.sources` (or the given items, for tests); write each finding to `jsonl`."""
    jobs = options.jobs or os.cpu_count() or 1
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(1 << 30)
    info = RunInfo(
        sources=list(options.sources),
        policy=options.policy_label,
        compare=options.compare_label,
        domains=list(options.domains),
        since=options.since.isoformat() if options.since else None,
        sample=options.sample,
        seed=seed if options.sample else None,
        jobs=jobs,
        cap=options.cap,
        excerpts=options.excerpts,
        names=options.names,
        started=datetime.now(UTC).replace(microsecond=0).isoformat(),
    )
    settings = worker.Settings(
        policy=options.policy,
        compare=options.compare,
        compare_wanted=options.compare_label is not None,
        domains=tuple(d.lower().strip().lstrip("@").rstrip(".") for d in options.domains),
        since=options.since,
        excerpts=options.excerpts,
        names=options.names,
        key=os.urandom(16),
        cap=options.cap,
        jsonl=jsonl is not None,
    )
    total = total_bytes(options.sources) if items is None and options.progress else None

    def stream() -> Iterator[Item]:
        return iter(items) if items is not None else read_sources(options.sources, options.cap)

    started = time.monotonic()
    tally = Tally()
    result = Result(tally, info)
    with _Pool(jobs, settings) as pool, _terminate_as_interrupt():
        select = None
        if options.sample is not None:
            counts: list[int] = []
            done = pool.map_chunks(stream(), counts.append, "counting", total, options.progress)
            if done.interrupted:
                info.interrupted, info.stopped_because = True, done.reason
            else:
                result.eligible = sum(counts)
                select = _sample(counts, options.sample, seed)
        if not info.interrupted:

            def take(chunk_result: worker.ChunkResult) -> None:
                tally.merge(chunk_result.tally)
                info.processed += chunk_result.items
                if jsonl is not None and chunk_result.lines:
                    jsonl.write(chunk_result.lines)
                    result.lines += chunk_result.lines.count("\n")

            done = pool.map_chunks(stream(), take, "linting", total, options.progress, select)
            info.interrupted, info.stopped_because = done.interrupted, done.reason
    info.elapsed = round(time.monotonic() - started, 3)
    return result


def _sample(counts: list[int], size: int, seed: int) -> list[frozenset[int]]:
    """`size` ranks drawn among all qualifying messages, as each chunk's local ranks."""
    total = sum(counts)
    chosen = sorted(random.Random(seed).sample(range(total), min(size, total)))
    per_chunk: list[frozenset[int]] = []
    start = 0
    index = 0
    for count in counts:
        local = []
        while index < len(chosen) and chosen[index] < start + count:
            local.append(chosen[index] - start)
            index += 1
        per_chunk.append(frozenset(local))
        start += count
    return per_chunk


def chunked(items: Iterable[Item]) -> Iterator[list[Item]]:
    """Items in chunks of at most CHUNK_MESSAGES or CHUNK_BYTES (one big message goes alone).

    Deterministic: the same sources give the same chunks, which --sample's two passes rely on.
    """
    chunk: list[Item] = []
    size = 0
    for item in items:
        if chunk and (len(chunk) >= CHUNK_MESSAGES or size + len(item.data) > CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += len(item.data)
    if chunk:
        yield chunk


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: stop, and report what was read."""


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass
class _Done:
    interrupted: bool = False
    reason: str | None = None


class _Progress:
    """A tqdm bar over the sources' bytes on disk (time left from that), with messages and
    messages per second beside it; a plain counter when the total is unknown."""

    def __init__(self, label: str, total: int | None, enabled: bool):
        self.bar = None
        self.started = time.monotonic()
        self.items = 0
        if not enabled:
            return
        from tqdm import tqdm

        self.label = label
        layout = (
            "{desc} {percentage:3.0f}%|{bar:24}| [{elapsed}<{remaining}]"
            if total
            else "{desc} [{elapsed}]"
        )
        self.bar = tqdm(
            total=total or None,
            desc=f"{label}: 0 messages",
            unit="B",
            unit_scale=True,
            bar_format=layout,
            file=sys.stderr,
            mininterval=0.5,
            dynamic_ncols=True,
        )

    def advance(self, progress: int, items: int) -> None:
        self.items += items
        if self.bar is None:
            return
        rate = self.items / max(time.monotonic() - self.started, 1e-9)
        self.bar.set_description_str(
            f"{self.label}: {self.items:,} messages, {rate:,.0f}/s", refresh=False
        )
        self.bar.update(progress)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _Pool:
    """Worker processes (or this process with one job) fed chunks, at most a few in flight."""

    def __init__(self, jobs: int, settings: worker.Settings):
        self.jobs = jobs
        self.settings = settings
        self.executor: ProcessPoolExecutor | None = None
        self.local: worker.Worker | None = None

    def __enter__(self) -> _Pool:
        if self.jobs > 1:
            # fork: each worker starts as a copy of this process, with the lint core already
            # warm and frozen (worker.prepare), sharing its pages: a spawned or forkserver
            # worker would load it all again. Every worker is started here, before the progress
            # bar's thread exists.
            worker.prepare(self.settings)
            self.executor = ProcessPoolExecutor(
                self.jobs,
                multiprocessing.get_context("fork"),
                initializer=worker.adopt,
                initargs=(os.getpid(),),
            )
            self.executor.submit(int).result()  # starts them all (fork starts all at once)
        else:
            # A worker of this run's own, not the module's: runs in threads of one process
            # (the admin console's) must not share one.
            self.local = worker.Worker(self.settings)
        return self

    def __exit__(self, *exc) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            gc.unfreeze()

    def map_chunks(
        self,
        items: Iterator[Item],
        take,
        label: str,
        total: int | None,
        show: bool,
        select: list[frozenset[int]] | None = None,
    ) -> _Done:
        """Run every chunk; `take` each result in order. Stops early on Ctrl-C."""
        count_only = label == "counting"
        progress = _Progress(label, total, show)
        flight: deque[Future] = deque()
        limit = self.jobs * IN_FLIGHT_PER_JOB

        def handle(result: worker.ChunkResult) -> None:
            progress.advance(result.progress, result.items)
            take(result.eligible if count_only else result)

        done = _Done()
        try:
            for index, chunk_items in enumerate(chunked(items)):
                chosen = None if select is None else select[index]
                chunk = worker.Chunk(index, chunk_items, count_only, chosen)
                if self.local is not None:
                    handle(self.local.run(chunk))
                    continue
                flight.append(self.executor.submit(worker.run_chunk, chunk))
                while len(flight) >= limit:
                    handle(flight.popleft().result())
            while flight:
                handle(flight.popleft().result())
        except _Terminated:
            done = _Done(True, "terminated (SIGTERM)")
        except KeyboardInterrupt:
            done = _Done(True, "interrupted (Ctrl-C)")
        except BrokenProcessPool:
            done = _Done(True, "a worker process died (out of memory?)")
        finally:
            if done.interrupted:
                self._finish(flight, handle)
            progress.close()
        return done

    def _finish(self, flight: deque[Future], handle) -> None:
        """After Ctrl-C: drop the chunks not started, keep those the workers already have."""
        for future in flight:
            future.cancel()
        for future in flight:
            if future.cancelled():
                continue
            try:
                handle(future.result())
            except (BrokenProcessPool, KeyboardInterrupt):
                break
            except Exception:
                continue
