"""Mail exports as a stream of raw messages: mbox (Gmail Takeout included), Maildir, folders of
`.eml`, Outlook `.msg`, `.pst`, and `.zip` archives of these.

Nothing here parses a message: each one leaves as bytes with the position that names it
("Sent.mbox#12", "export.zip!Inbox/3.eml"), to be parsed and linted in a worker. Whatever cannot
be read (a broken zip, a file that is not mail, a message over the size cap) leaves as a problem
item with its position instead: counted and named in the report, never fatal.

Why our own mbox splitter rather than `mailbox.mbox`: the standard library reads the whole file
line by line in Python to build its table of contents (one dict entry per message, so memory
grows with the mailbox) before the first message can be read, and then reads every message a
second time. This splitter reads 1 MiB blocks once and finds "From " lines with `bytes.find`:
one pass, constant memory, and it works on a stream (a member of a zip). Like `mailbox.mbox` it
splits at every line that starts with "From ", and only when the next line looks like a header,
so a body line "From here on..." that a writer forgot to escape does not cut a message in two;
a `Content-Length` header is never trusted (mboxcl's lengths lie as often as they help).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..eml import not_a_message

MAX_MESSAGE_BYTES = 25 * 1024 * 1024  # what one message may take in memory; the rest is skipped
BLOCK = 1 << 20
SNIFF = 4096
MAX_FROM_LINE = 4096  # a longer "From " line is not a separator
MAX_HEADER_PEEK = 1024  # how far a "From " line's next line is read to see that it is a header
SORTED_NAMES = 10_000  # files of a folder read in name order; a larger folder in disk order
NESTED_ZIP_LIMIT = MAX_MESSAGE_BYTES  # a zip inside a zip is read into memory up to this size

# A file manager's, not the mail's: skipped, not counted as "not e-mail" (macOS, Windows).
METADATA_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Outlook .msg (an OLE compound file)
PST_MAGIC = b"!BDN"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"


class Kind:
    EML = "eml"  # RFC 822 bytes
    MSG = "msg"  # an Outlook .msg (OLE) file's bytes, converted in the worker
    PROBLEM = "problem"  # nothing to lint; `problem` says why
    PROGRESS = "progress"  # nothing at all: only moves the progress bar (a zip's directory)


class Problem:
    """Why something was not linted: the report's headings, in this order."""

    UNREADABLE = "unreadable"  # an I/O error, a broken archive or .msg or .pst
    NOT_MAIL = "not-mail"  # a file or message that is not e-mail
    OVER_CAP = "over-cap"  # larger than the cap: only its first MAX_MESSAGE_BYTES were read
    TRUNCATED = "truncated"  # the file ends in the middle of a line
    INVALID = "invalid"  # parsed, but no valid draft came of it
    FAILED = "failed"  # an unexpected error while linting it (a bug of ours)

    ORDER = (UNREADABLE, NOT_MAIL, OVER_CAP, TRUNCATED, INVALID, FAILED)


@dataclass(frozen=True, slots=True)
class Item:
    position: str
    kind: str
    data: bytes = b""
    problem: str | None = None  # a Problem kind: why it was not (or not wholly) read
    detail: str = ""  # what went wrong, in a few words; never message content
    progress: int = 0  # bytes of the source files on disk this item accounts for


def problem(position: str, kind: str, detail: str, progress: int = 0) -> Item:
    return Item(position, Kind.PROBLEM, problem=kind, detail=detail, progress=progress)


# --- what a source is ----------------------------------------------------------------------


def total_bytes(paths: list[str]) -> int | None:
    """The size on disk of every file under `paths` (the progress bar's total), or None when a
    source is not a regular file or folder."""
    total = 0
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            total += info.st_size
        elif stat.S_ISDIR(info.st_mode):
            total += _folder_bytes(path)
        else:
            return None
    return total


def _folder_bytes(folder: str) -> int:
    """What the files under `folder` weigh, read as os.scandir streams them (no list of names:
    os.walk would hold every name of a large Maildir at once)."""
    total = 0
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):  # gone since the folder was listed
                if entry.is_dir(follow_symlinks=False):
                    total += _folder_bytes(entry.path)
                elif entry.name not in METADATA_FILES:
                    total += entry.stat().st_size
    return total


def read_sources(paths: list[str], cap: int = MAX_MESSAGE_BYTES) -> Iterator[Item]:
    """Every message in every source, in order, as `Item`s."""
    for path in paths:
        yield from _read_path(path, cap)


def read_stream(
    position: str, stream: BinaryIO, size: int, cap: int = MAX_MESSAGE_BYTES
) -> Iterator[Item]:
    """Every message of one open file, as `Item`s named from `position` ("upload.mbox#3"),
    whose extension helps tell the kind as a file name does: an upload to the admin console.
    The stream must be seekable (a zip's directory is at its end); the caller closes it."""
    try:
        yield from _read_file(position, stream, size, cap)
    except OSError as exc:  # a read error half-way: what came before still counts
        yield problem(position, Problem.UNREADABLE, exc.strerror or type(exc).__name__)


def kind_of(name: str, head: bytes) -> str:
    """What a file named `name` that starts with `head` (its first SNIFF bytes) holds: "mbox",
    "eml", "msg", "pst", "zip", or "other" for anything that is not mail."""
    return _sniff(name, head)


def _read_path(path: str, cap: int) -> Iterator[Item]:
    try:
        info = os.stat(path)
    except OSError as exc:
        yield problem(path, Problem.UNREADABLE, exc.strerror or type(exc).__name__)
        return
    if stat.S_ISDIR(info.st_mode):
        yield from _read_folder(path, cap)
        return
    if not stat.S_ISREG(info.st_mode):
        yield problem(path, Problem.UNREADABLE, "not a regular file or folder")
        return
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below, also when the reader stops early
    except OSError as exc:
        yield problem(path, Problem.UNREADABLE, exc.strerror or type(exc).__name__, info.st_size)
        return
    with stream:
        try:
            yield from _read_file(path, stream, info.st_size, cap)
        except OSError as exc:  # a read error half-way: what came before still counts
            yield problem(path, Problem.UNREADABLE, exc.strerror or type(exc).__name__)


def _read_folder(path: str, cap: int) -> Iterator[Item]:
    """A Maildir (cur/ and new/, never tmp/), or any folder of mail files and folders."""
    maildir = all(os.path.isdir(os.path.join(path, sub)) for sub in ("cur", "new", "tmp"))
    yield from _walk(path, cap, skip={"tmp"} if maildir else set())


def _walk(folder: str, cap: int, skip: set[str] = frozenset()) -> Iterator[Item]:
    """The files of `folder`, then its subfolders (not symlinked ones), each in name order.

    Names are streamed from os.scandir: a folder of up to SORTED_NAMES files is read in name
    order, a larger one (a Maildir's cur/ of a million files) in the file system's order, so
    that no list of every name is ever held.
    """
    try:
        entries = os.scandir(folder)
    except OSError as exc:
        yield problem(folder, Problem.UNREADABLE, exc.strerror or type(exc).__name__)
        return
    subfolders: list[str] = []
    names: list[str] | None = []
    with entries:
        for entry in entries:
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_folder = False
            if is_folder:
                if entry.name not in skip:
                    subfolders.append(entry.name)
            elif entry.name in METADATA_FILES:
                continue
            elif names is None:
                yield from _read_path(entry.path, cap)
            else:
                names.append(entry.name)
                if len(names) > SORTED_NAMES:
                    for name in names:
                        yield from _read_path(os.path.join(folder, name), cap)
                    names = None
    for name in sorted(names or ()):
        yield from _read_path(os.path.join(folder, name), cap)
    for name in sorted(subfolders):
        yield from _walk(os.path.join(folder, name), cap)


# A file with no extension is a message (a Maildir's, an MH folder's) when it starts with header
# lines and one of them is a header every message has; `{"id": 1}` has a "header line" too.
_KNOWN_HEADER = re.compile(
    rb"(?im)^(?:from|to|subject|date|message-id|received|return-path|mime-version):"
)


def _sniff(name: str, head: bytes) -> str:
    """What a file holds, by its first bytes (and its extension where bytes cannot tell)."""
    lower = name.lower()
    if head.startswith(OLE_MAGIC):
        return "msg"
    if head.startswith(PST_MAGIC):
        return "pst"
    if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        return "zip"
    if lower.endswith(".pst") or lower.endswith(".ost"):
        return "pst"
    if lower.endswith(".zip"):
        return "zip"
    if lower.endswith(".msg"):
        return "msg"
    stripped = head.lstrip(b"\r\n")
    if stripped.startswith(b"From ") or lower.endswith((".mbox", ".mbx")):
        return "mbox"
    if lower.endswith(".eml") or (not_a_message(head) is None and _KNOWN_HEADER.search(head)):
        return "eml"
    return "other"


def _read_file(position: str, stream: BinaryIO, size: int, cap: int) -> Iterator[Item]:
    head = stream.read(SNIFF)
    kind = _sniff(position, head)
    if kind == "mbox":
        yield from split_mbox(position, _Rewound(head, stream), cap)
    elif kind == "zip":
        stream.seek(0)
        yield from _read_zip(position, stream, size, cap)
    elif kind == "pst":
        from .outlook import read_pst

        yield from read_pst(position, stream, size, cap)
    elif kind in ("eml", "msg"):
        data, over = _capped(head, stream, cap)
        yield _message(position, Kind.MSG if kind == "msg" else Kind.EML, data, over, size)
    else:
        yield problem(position, Problem.NOT_MAIL, _not_mail_reason(head), size)


def _not_mail_reason(head: bytes) -> str:
    why = not_a_message(head)
    return f"not an e-mail message: {why}" if why else "not an e-mail message"


def _message(position: str, kind: str, data: bytes, over: bool, progress: int) -> Item:
    if over:
        return Item(
            position, kind, data, Problem.OVER_CAP, f"read the first {len(data):,} bytes", progress
        )
    return Item(position, kind, data, progress=progress)


def _capped(head: bytes, stream: BinaryIO, cap: int) -> tuple[bytes, bool]:
    """The whole file, or its first `cap` bytes and True when it is longer."""
    rest = stream.read(max(cap - len(head), 0) + 1)
    data = head + rest
    if len(data) > cap:
        return data[:cap], True
    return data, False


class _Rewound:
    """A stream with bytes already read from it put back in front."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self._head = head
        self._stream = stream

    def read(self, size: int) -> bytes:
        if self._head:
            data, self._head = self._head, b""
            return data
        return self._stream.read(size)


# --- zip -----------------------------------------------------------------------------------


def _read_zip(position: str, stream: BinaryIO, size: int, cap: int) -> Iterator[Item]:
    try:
        archive = zipfile.ZipFile(stream)
        members = [
            m
            for m in archive.infolist()
            if not m.is_dir()
            and not m.filename.startswith("__MACOSX/")
            and m.filename.rsplit("/", 1)[-1] not in METADATA_FILES
        ]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        yield problem(position, Problem.UNREADABLE, f"not a readable zip ({_short(exc)})", size)
        return
    with archive:
        left = size
        for member in members:
            where = f"{position}!{member.filename}"
            share = min(member.compress_size, left)
            left -= share
            try:
                yield from _read_member(where, archive, member, cap, share)
            except (
                zipfile.BadZipFile,
                zlib.error,
                OSError,
                EOFError,
                ValueError,
                RuntimeError,
            ) as exc:
                # a bad CRC, a broken deflate stream, a truncated, encrypted or odd entry
                yield problem(where, Problem.UNREADABLE, _short(exc), share)
        if left > 0:
            yield _progress(left)


def _progress(amount: int) -> Item:
    return Item("", Kind.PROGRESS, progress=amount)


def _read_member(
    where: str, archive: zipfile.ZipFile, member: zipfile.ZipInfo, cap: int, share: int
) -> Iterator[Item]:
    with archive.open(member) as stream:
        head = stream.read(SNIFF)
        kind = _sniff(member.filename, head)
        if kind == "mbox":
            items = split_mbox(where, _Rewound(head, stream), cap)
            yield from _spread(items, share)
        elif kind == "zip":
            data, over = _capped(head, stream, NESTED_ZIP_LIMIT)
            if over:
                yield problem(where, Problem.UNREADABLE, "a zip inside a zip over 25 MB", share)
                return
            import io

            yield from _spread(_read_zip(where, io.BytesIO(data), len(data), cap), share)
        elif kind == "pst":
            from .outlook import read_pst

            yield from _spread(read_pst(where, stream, member.file_size, cap), share)
        elif kind in ("eml", "msg"):
            data, over = _capped(head, stream, cap)
            yield _message(where, Kind.MSG if kind == "msg" else Kind.EML, data, over, share)
        else:
            yield problem(where, Problem.NOT_MAIL, _not_mail_reason(head), share)


def _spread(items: Iterator[Item], share: int) -> Iterator[Item]:
    """Items of a zip member: their progress counts compressed bytes, given all at its end."""
    for item in items:
        if item.progress:
            item = Item(item.position, item.kind, item.data, item.problem, item.detail, 0)
        yield item
    if share:
        yield _progress(share)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


# --- mbox ----------------------------------------------------------------------------------


def _is_header_line(line: bytes) -> bool:
    name, colon, _ = line.partition(b":")
    return bool(colon) and bool(name) and all(33 <= c <= 126 for c in name)


class _Message:
    """The message being read: its pieces, kept up to the cap."""

    __slots__ = ("over", "parts", "size")

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.over = False

    def add(self, piece: bytes, cap: int) -> None:
        if self.over or not piece:
            return
        room = cap - self.size
        if len(piece) > room:
            piece, self.over = piece[:room], True
        self.parts.append(piece)
        self.size += len(piece)

    def take(self) -> tuple[bytes, bool]:
        return b"".join(self.parts), self.over


def split_mbox(position: str, stream, cap: int = MAX_MESSAGE_BYTES) -> Iterator[Item]:
    """The messages of an mbox stream, each without its "From " line, numbered from 1."""
    data = b"\n"  # a virtual newline: a "From " line at the very start is a separator too
    pos = 0  # data[:pos] belongs to the current message already
    scan = 0  # where to look for the next "\nFrom "
    current = _Message()
    started = False  # a "From " line was seen (text before the first one is a message only if
    number = 0  # it is not blank)
    read = 0
    reported = 0
    eof = False
    last_byte = b"\n"
    while True:
        hit = data.find(b"\nFrom ", scan)
        if hit < 0 or not _decidable(data, hit, eof):
            if eof:
                break
            # Keep what may start a separator; the rest belongs to the current message.
            keep = hit if hit >= 0 else max(pos, len(data) - 5)
            current.add(data[pos:keep], cap)
            block = stream.read(BLOCK)
            if not block:
                eof = True
            else:
                read += len(block)
                last_byte = block[-1:]
            data, pos, scan = data[keep:] + block, 0, 0
            continue
        line_end = data.find(b"\n", hit + 1)
        next_end = data.find(b"\n", line_end + 1) if line_end >= 0 else -1
        next_line = data[line_end + 1 : next_end if next_end >= 0 else len(data)]
        if line_end < 0 or line_end - hit > MAX_FROM_LINE or not _is_header_line(next_line):
            scan = hit + 1
            continue
        current.add(data[pos : hit + 1], cap)
        body, over = current.take()
        if started or body.strip():
            number += 1
            yield _mbox_item(position, number, body, over, read - reported)
            reported = read
        started = True
        current = _Message()
        pos = scan = line_end + 1
        if pos > BLOCK:  # drop what is done with, so `data` stays about a block long
            data, scan = data[pos:], 0
            pos = 0
    current.add(data[pos:], cap)
    body, over = current.take()
    if started or body.strip():
        number += 1
        item = _mbox_item(position, number, body, over, read - reported)
        if last_byte != b"\n" and not over:
            item = Item(
                item.position,
                item.kind,
                item.data,
                Problem.TRUNCATED,
                "the file ends in the middle of a line",
                item.progress,
            )
        yield item
    elif read > reported:
        yield _progress(read - reported)


def _decidable(data: bytes, hit: int, eof: bool) -> bool:
    """Whether enough follows a "\\nFrom " at `hit` to tell if it is a separator."""
    if eof:
        return True
    line_end = data.find(b"\n", hit + 1, hit + 1 + MAX_FROM_LINE + 1)
    if line_end < 0:
        return len(data) - hit > MAX_FROM_LINE + 1
    return data.find(b"\n", line_end + 1, line_end + 1 + MAX_HEADER_PEEK) >= 0 or (
        len(data) - line_end > MAX_HEADER_PEEK
    )


def _mbox_item(position: str, number: int, body: bytes, over: bool, progress: int) -> Item:
    return _message(f"{position}#{number}", Kind.EML, body, over, progress)
