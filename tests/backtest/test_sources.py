"""Reading exports: every message once, in order, named by its position; what is not mail,
broken or too big is a problem item, never an exception."""

from __future__ import annotations

import io
import mailbox
import os
import zipfile

import pytest
from backtest_mail import message, raw_message, write_maildir, zipped
from hypothesis import given, settings
from hypothesis import strategies as st

from server.backtest import sources
from server.backtest.sources import Kind, Problem, read_sources, split_mbox


def _split(data: bytes, cap: int = sources.MAX_MESSAGE_BYTES) -> list[sources.Item]:
    return [i for i in split_mbox("box", io.BytesIO(data), cap) if i.kind != Kind.PROGRESS]


def _messages(items) -> list[sources.Item]:
    return [i for i in items if i.kind in (Kind.EML, Kind.MSG)]


def test_an_mbox_is_split_at_from_lines_that_head_a_message():
    data = (
        b"From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\nFirst.\n"
        b"From here on, a body line the writer did not escape.\n\n"
        b"From b@x Mon Jan  1 00:00:00 2024\nSubject: two\n\nSecond.\n\n"
        b"From c@x Mon Jan  1 00:00:00 2024\r\nSubject: three\r\n\r\nThird.\r\n"
    )
    items = _split(data)
    assert [i.position for i in items] == ["box#1", "box#2", "box#3"]
    assert items[0].data.startswith(b"Subject: one") and b"From here on" in items[0].data
    assert items[2].data == b"Subject: three\r\n\r\nThird.\r\n"
    assert all(i.problem is None for i in items)


def test_the_last_message_of_a_cut_file_is_read_and_marked_truncated():
    items = _split(b"From a@x 1\nSubject: one\n\nFirst.\n\nFrom b@x 2\nSubject: two\n\nSeco")
    assert [i.problem for i in items] == [None, Problem.TRUNCATED]
    assert items[1].data == b"Subject: two\n\nSeco"


def test_a_message_over_the_cap_keeps_its_first_bytes_and_the_next_message_is_whole():
    big = b"Subject: big\n\n" + b"x" * 5000 + b"\n"
    items = _split(b"From a@x 1\n" + big + b"From b@x 2\nSubject: next\n\nHello\n", cap=1000)
    assert items[0].problem == Problem.OVER_CAP and len(items[0].data) == 1000
    assert items[1].problem is None and items[1].data == b"Subject: next\n\nHello\n"


def test_a_content_length_header_is_not_trusted():
    claim = b"Content-Length: 524288000\n"
    data = b"From a@x 1\nSubject: one\n" + claim + b"\nShort.\n\nFrom b@x 2\nSubject: two\n\nB\n"
    assert [i.data.split(b"\n")[0] for i in _split(data)] == [b"Subject: one", b"Subject: two"]


@settings(max_examples=60, deadline=None)
@given(
    bodies=st.lists(
        st.lists(
            st.sampled_from(["text", "From the desk of", "", "Subject: x", "From", ">From y"]),
            max_size=6,
        ),
        min_size=1,
        max_size=8,
    ),
    block=st.integers(min_value=7, max_value=90),
)
def test_the_splitter_agrees_with_the_standard_library_across_block_boundaries(
    tmp_path_factory, bodies, block
):
    """Any block size gives the messages `mailbox.mbox` finds (where every "From " line that
    is followed by a header starts a message, as it is in a well-formed mbox)."""
    parts = []
    for n, lines in enumerate(bodies):
        body = "\n".join(">" + line if line.startswith("From") else line for line in lines)
        parts.append(f"From s{n}@x Mon Jan  1 00:00:00 2024\nSubject: m{n}\n\n{body}\n\n")
    data = "".join(parts).encode()
    path = tmp_path_factory.mktemp("mbox") / "box"
    path.write_bytes(data)
    expected = [m.as_bytes(unixfrom=False) for m in mailbox.mbox(path)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sources, "BLOCK", block)
        found = [i.data for i in _split(data)]
    assert len(found) == len(expected) == len(bodies)
    for mine, theirs in zip(found, expected, strict=True):
        assert mine.rstrip(b"\n").replace(b"\n", b"") == theirs.rstrip(b"\n").replace(b"\n", b"")


def test_progress_adds_up_to_the_file_size(tmp_path):
    path = tmp_path / "box.mbox"
    path.write_bytes(b"".join(b"From a@x 1\nSubject: %d\n\nBody\n\n" % n for n in range(500)))
    items = list(read_sources([str(path)]))
    assert len(_messages(items)) == 500
    assert sum(i.progress for i in items) == path.stat().st_size


def test_a_maildir_reads_cur_and_new_but_not_tmp(tmp_path):
    folder = write_maildir(tmp_path / "Mail", [message(subject=f"m{n}") for n in range(5)])
    (folder / "tmp" / "half-written").write_bytes(message(subject="in tmp"))
    items = _messages(read_sources([str(folder)]))
    assert len(items) == 5
    assert not any(b"in tmp" in i.data for i in items)


def test_a_folder_of_files_names_what_is_not_mail(tmp_path):
    (tmp_path / "a.eml").write_bytes(message())
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + os.urandom(200))
    (tmp_path / "notes.txt").write_text("Remember to call the bank.\n")
    (tmp_path / "empty.eml").write_bytes(b"")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")  # skipped, not counted
    # a "header line" first, but no header every message has (the npm corpus ships these)
    (tmp_path / "00001.json").write_text('{"id":"00001","text":"From: a@b\\nSubject: x"}')
    items = list(read_sources([str(tmp_path)]))
    problems = {os.path.basename(i.position): i.problem for i in items if i.kind == Kind.PROBLEM}
    assert problems == dict.fromkeys(["photo.jpg", "notes.txt", "00001.json"], Problem.NOT_MAIL)
    # an empty .eml is a message by its name; the worker finds it is not one
    assert sorted(os.path.basename(i.position) for i in _messages(items)) == ["a.eml", "empty.eml"]


def test_a_zip_holds_any_of_the_formats(tmp_path):
    inner = zipped({"deep.eml": message(subject="deep")})
    box = b"".join(b"From a@x 1\n" + message(subject=f"boxed {n}") + b"\n" for n in range(3))
    path = tmp_path / "export.zip"
    path.write_bytes(
        zipped(
            {
                "Takeout/Mail/All mail.mbox": box,
                "one.eml": message(subject="one"),
                "inner.zip": inner,
                "readme.pdf": b"%PDF-1.4 not mail",
                "folder/": b"",
                "__MACOSX/._one.eml": b"\x00\x05\x16\x07 resource fork",  # skipped
            }
        )
    )
    items = list(read_sources([str(path)]))
    positions = [i.position for i in _messages(items)]
    assert positions == [
        f"{path}!Takeout/Mail/All mail.mbox#1",
        f"{path}!Takeout/Mail/All mail.mbox#2",
        f"{path}!Takeout/Mail/All mail.mbox#3",
        f"{path}!one.eml",
        f"{path}!inner.zip!deep.eml",
    ]
    assert [(i.position, i.problem) for i in items if i.problem] == [
        (f"{path}!readme.pdf", Problem.NOT_MAIL)
    ]
    assert sum(i.progress for i in items) == path.stat().st_size


def test_a_broken_zip_is_one_problem(tmp_path):
    whole = zipped({f"{n}.eml": message() for n in range(3)})
    path = tmp_path / "cut.zip"
    path.write_bytes(whole[: len(whole) // 2])
    items = list(read_sources([str(path)]))
    assert [(i.problem, i.detail.split(" (")[0]) for i in items] == [
        (Problem.UNREADABLE, "not a readable zip")
    ]


def test_a_zip_member_claiming_500_mb_is_read_up_to_the_cap(tmp_path):
    """The header says 500 MB; what is read is bounded by the cap, and the lie is an error."""
    data = bytearray(zipped({"huge.eml": message(subject="huge"), "next.eml": message()}))
    claim = (500 * 1024 * 1024).to_bytes(4, "little")
    local = data.find(b"PK\x03\x04")
    data[local + 22 : local + 26] = claim  # local header: uncompressed size
    central = data.find(b"PK\x01\x02")
    data[central + 24 : central + 28] = claim  # central directory: uncompressed size
    path = tmp_path / "claims.zip"
    path.write_bytes(bytes(data))
    items = list(read_sources([str(path)], cap=64 * 1024))
    assert len(items) >= 2
    by_name = {i.position.rsplit("!", 1)[-1]: i for i in items if i.position}
    assert by_name["next.eml"].kind == Kind.EML
    assert by_name["huge.eml"].kind in (Kind.EML, Kind.PROBLEM)
    assert all(len(i.data) <= 64 * 1024 for i in items)


def test_a_corrupt_member_is_named_and_the_others_read(tmp_path):
    data = bytearray(zipped({"bad.eml": message(body="x" * 2000), "good.eml": message()}))
    start = data.find(b"PK\x03\x04") + 30 + len("bad.eml")
    data[start + 10 : start + 20] = b"\x00" * 10  # scramble the deflate stream
    path = tmp_path / "scrambled.zip"
    path.write_bytes(bytes(data))
    items = list(read_sources([str(path)]))
    assert [i.position.rsplit("!", 1)[-1] for i in _messages(items)] == ["good.eml"]
    assert [i.problem for i in items if i.problem] == [Problem.UNREADABLE]


def test_a_missing_source_and_a_device_are_problems(tmp_path):
    items = list(read_sources([str(tmp_path / "nope.mbox"), "/dev/null"]))
    assert [i.problem for i in items] == [Problem.UNREADABLE, Problem.UNREADABLE]


def test_a_message_with_odd_bytes_is_read_as_bytes(tmp_path):
    data = raw_message("From: a@corp.example\nSubject: caf\xe9", b"Gr\xfc\xdfe \x00\x01\xff")
    path = tmp_path / "odd.eml"
    path.write_bytes(data)
    (item,) = read_sources([str(path)])
    assert item.kind == Kind.EML and item.data == path.read_bytes()


def test_zipfile_is_left_closed(tmp_path):
    path = tmp_path / "a.zip"
    path.write_bytes(zipped({"a.eml": message()}))
    list(read_sources([str(path)]))
    with zipfile.ZipFile(path) as archive:  # still a good zip, and nothing holds it
        assert archive.namelist() == ["a.eml"]
