"""`draftlint backtest` end to end: each message sent becomes the draft it was, is linted, and
shows up as counts in the report and as lines in the JSONL; nothing odd in the sources stops it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from backtest_mail import TEAM, mbox, message, outlook_msg, raw_message, write_maildir, zipped
from hypothesis import given, settings
from hypothesis import strategies as st

from server.backtest import Tally, render_report, report_context
from server.backtest.sources import Problem

OUTSIDER = "someone@elsewhere.example"
MARKER = "zebra-umbrella-7f3c"  # in subjects and bodies: must not reach the outputs


def _mailbox() -> list[bytes]:
    """Mail of corp.example and of others, in May and June 2024."""
    return [
        # content-free reply-all, to 5 people
        message(subject=f"Re: Offsite {MARKER}", to=TEAM[:5], body=f"+1\n\n{MARKER}\n"[:3]),
        # a reply-all that says something
        message(
            subject=f"Re: Offsite {MARKER}",
            to=TEAM[:5],
            body=f"I can host on the 14th, {MARKER}: room 4 has the projector.",
        ),
        # a German reply prefix, to one person
        message(subject="AW: Budget", to=[TEAM[1]], body="Danke, Peter!"),
        # a forward that says nothing (French prefix)
        message(subject="TR: Rapport", to=[TEAM[2]], body="FYI"),
        # a new message saying something is attached, with nothing attached
        message(
            subject="Slides",
            to=[TEAM[3]],
            body="Please find attached the slides.",
            date="Mon, 03 Jun 2024 10:00:00 +0000",
        ),
        # not from corp.example
        message(sender=OUTSIDER, to=TEAM[:5], subject="Re: Offsite", body="+1"),
    ]


def _write_mbox(tmp_path, messages) -> str:
    path = tmp_path / "Sent.mbox"
    path.write_bytes(mbox(messages))
    return str(path)


def test_each_message_sent_is_linted_as_the_draft_it_was(backtest, tmp_path):
    run = backtest(_write_mbox(tmp_path, _mailbox()), "--from-domain", "corp.example")
    assert run.code == 0, run.err
    assert "Read 6 messages" in run.out and "Linted 5;" in run.out
    rules = {(line["position"].rsplit("#", 1)[1], line["rule"]) for line in run.lines}
    assert ("1", "content-free-reply-all") in rules
    assert ("4", "bare-forward") in rules
    assert ("5", "missing-attachment") in rules
    assert not any(pos in ("2", "3", "6") for pos, _ in rules)
    first = next(line for line in run.lines if line["rule"] == "content-free-reply-all")
    assert first == {
        "position": f"{tmp_path}/Sent.mbox#1",
        "compose_type": "reply_all",
        "audience": 5,
        "month": "2024-05",
        "rule": "content-free-reply-all",
        "severity": "warning",
    }


def test_the_report_counts_kinds_rules_audiences_and_months(backtest, tmp_path):
    run = backtest(_write_mbox(tmp_path, _mailbox()), "--from-domain", "corp.example")
    html = run.html
    assert re.search(r"<div class=\"value\">6</div><div class=\"label\">messages read", html)
    assert re.search(r"<div class=\"value\">5</div><div class=\"label\">linted", html)
    # the share of reply-alls flagged: one of the two
    assert '50.0%</div><div class="label">of replies to all flagged (1 of 2)' in html
    assert "sent from outside --from-domain" in html
    for heading in ("audience-svg-title", "month-svg-title"):
        assert f'aria-labelledby="{heading}"' in html
    assert '<th scope="row">2024-05</th><td>4</td><td>2</td><td>50.0%</td>' in html
    assert '<th scope="row">2024-06</th><td>1</td><td>1</td><td>100.0%</td>' in html
    assert '<th scope="row">5–9</th><td>2</td><td>1</td><td>50.0%</td>' in html


def test_the_outputs_hold_no_mail_content_and_no_address(backtest, tmp_path):
    run = backtest(_write_mbox(tmp_path, _mailbox()))
    assert run.code == 0
    assert MARKER not in run.text
    assert "@" not in run.html.replace(f"{tmp_path}", "")
    assert not re.search(r"[\w.-]+@[\w-]+\.example", run.text)
    assert re.search(r"<code>person-[0-9a-f]{6}</code>", run.html)
    assert all("excerpt" not in line for line in run.lines)


def test_names_and_excerpts_only_when_asked(backtest, tmp_path):
    run = backtest(_write_mbox(tmp_path, _mailbox()), "--names", "--excerpts")
    assert "<code>ana@corp.example</code>" in run.html
    assert "<blockquote>+1</blockquote>" in run.html
    assert any(line.get("excerpt") == "+1" for line in run.lines)


def test_the_html_stands_alone(backtest, tmp_path):
    html = backtest(_write_mbox(tmp_path, _mailbox()), "--excerpts").html
    assert "<script" not in html.lower()
    assert not re.search(r"\b(src|href)\s*=", html, re.I)
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.I)
    assert "@import" not in html and "url(" not in html
    assert html.count('<svg class="chart"') == 2


def test_compare_shows_what_a_rule_turned_off_changes(backtest, tmp_path):
    quiet = tmp_path / "quiet.yaml"
    quiet.write_text(
        "rules:\n  bare-forward: {severity: 'off'}\n  missing-attachment: {severity: block}\n"
    )
    run = backtest(_write_mbox(tmp_path, _mailbox()), "--compare", str(quiet))
    assert run.code == 0, run.err
    rows = dict(
        re.findall(
            r'<tr><th scope="row"><code>([a-z-]+)</code></th>(.*?)</tr>',
            run.html.split('class="numbers compare"')[1].split("</table>")[0],
        )
    )
    assert re.match(
        r"<td>1</td><td>0</td><td class=\"down\">-1</td><td>hint</td><td>off or",
        rows["bare-forward"],
    )
    assert "<td>warning</td><td>block</td>" in rows["missing-attachment"]
    assert {(line["rule"], line["policy"]) for line in run.lines} >= {
        ("bare-forward", "policy"),
        ("missing-attachment", "compare"),
    }
    assert ("bare-forward", "compare") not in {(line["rule"], line["policy"]) for line in run.lines}


def test_since_and_sample(backtest, tmp_path):
    source = _write_mbox(tmp_path, _mailbox())
    run = backtest(source, "--since", "2024-06-01")
    assert "Linted 1;" in run.out and "sent before --since" in run.html
    run = backtest(source, "--sample", "3", "--seed", "7")
    assert "Linted 3;" in run.out and "not in the --sample" in run.html
    again = backtest(source, "--sample", "3", "--seed", "7")
    assert [line["position"] for line in again.lines] == [line["position"] for line in run.lines]


def test_headers_make_a_reply_when_the_subject_does_not(backtest, tmp_path):
    mail = message(
        subject="New subject",
        to=TEAM[:4],
        body="+1\n\nOn Mon, Jane Doe <jane@corp.example> wrote:\n> shall we?\n",
        headers={"In-Reply-To": "<x@corp.example>"},
    )
    run = backtest(_write_mbox(tmp_path, [mail]))
    assert [(line["compose_type"], line["rule"]) for line in run.lines] == [
        ("reply_all", "content-free-reply-all")
    ]


@pytest.mark.parametrize(
    ("charset", "text"),
    [("windows-1252", "OK – thanks “all”"), ("iso-2022-jp", "了解です"), ("iso-8859-1", "Ça va")],
)
def test_odd_charsets_are_read(backtest, tmp_path, charset, text):
    mail = message(body=text, charset=charset)
    run = backtest(_write_mbox(tmp_path, [mail]))
    assert run.code == 0 and "Linted 1;" in run.out
    assert f"<code>{charset}</code>" in run.html


def test_an_unknown_charset_is_counted_and_the_message_linted(backtest, tmp_path):
    mail = raw_message(
        "From: ana@corp.example\nTo: "
        + ", ".join(TEAM[:4])
        + "\nSubject: =?x-klingon?Q?Re=3A_Plan?="
        "\nContent-Type: text/plain; charset=x-klingon\nContent-Transfer-Encoding: 8bit",
        b"OK \xff\xfe with me\n",
    )
    run = backtest(_write_mbox(tmp_path, [mail]))
    assert run.code == 0 and "Linted 1;" in run.out
    assert "<code>x-klingon</code></th><td>1</td><td>unknown: read as UTF-8" in run.html


def test_nothing_in_the_sources_is_fatal(backtest, tmp_path):
    """Non-mail files, a cut zip, a broken .msg, a truncated mbox, a message over the cap, a
    header claiming 500 MB, 8-bit garbage: each counted and named, the rest linted."""
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    (folder / "broken.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    (folder / "cut.zip").write_bytes(zipped({"a.eml": message()})[:40])
    (folder / "empty.eml").write_bytes(b"")
    claim = raw_message(
        "From: ana@corp.example\nTo: member1@corp.example\nSubject: big?\n"
        "Content-Length: 524288000",
        b"Short, whatever the header says.\n",
    )
    garbage = b"From: \xff\xfe\x00\nSubject: \x00\x01\x02\n\n" + bytes(range(256))
    whole = mbox([message(), claim, garbage, message(subject="Re: last")])
    (folder / "cut.mbox").write_bytes(whole[:-20])
    (folder / "deep.eml").write_bytes(
        b"From: ana@corp.example\nContent-Type: multipart/mixed; boundary=b\n\n"
        + b"--b\nContent-Type: multipart/mixed; boundary=b\n\n" * 2000
    )
    run = backtest(str(folder))
    assert run.code == 0, run.err
    assert "Traceback" not in run.err
    problems = re.findall(r"<h3>([^<:]+):[^<]*: (\d+)</h3>", run.html)
    headings = {h.split(":")[0]: int(n) for h, n in problems}
    assert headings == {"Unreadable": 2, "Not e-mail": 2, "Truncated": 1}, problems
    for name in ("photo.jpg", "broken.msg", "cut.zip", "empty.eml", "cut.mbox#4"):
        assert name in run.html
    assert "Read 5 messages" in run.out  # cut.mbox's four (the last truncated) and deep.eml


def test_a_message_over_the_cap_is_linted_on_its_first_bytes(tmp_path, monkeypatch, backtest):
    from server.backtest import runner

    monkeypatch.setattr(runner, "MAX_MESSAGE_BYTES", 50_000)
    monkeypatch.setattr(runner.Options, "__init__", _with_cap(runner.Options.__init__, 50_000))
    big = message(body="+1\n" + "x" * 200_000, to=TEAM[:5])
    run = backtest(_write_mbox(tmp_path, [big, message()]))
    assert run.code == 0
    assert (
        "Over the size cap" in run.html and "Sent.mbox#1: read the first 50,000 bytes" in run.html
    )
    assert "Read 2 messages" in run.out


def _with_cap(init, cap):
    def patched(self, *args, **kwargs):
        kwargs["cap"] = cap
        init(self, *args, **kwargs)

    return patched


def test_maildir_eml_folder_and_zip_give_the_same_counts(backtest, tmp_path):
    mail = _mailbox()
    maildir = write_maildir(tmp_path / "Maildir", mail)
    emls = tmp_path / "emls"
    emls.mkdir()
    for n, data in enumerate(mail):
        (emls / f"{n}.eml").write_bytes(data)
    archive = tmp_path / "all.zip"
    archive.write_bytes(zipped({f"{n}.eml": data for n, data in enumerate(mail)}))
    counts = []
    for source in (maildir, emls, archive, _write_mbox(tmp_path, mail)):
        run = backtest(str(source), "--from-domain", "corp.example")
        counts.append(sorted(line["rule"] for line in run.lines))
    assert counts[0] == counts[1] == counts[2] == counts[3]
    assert counts[0] == ["bare-forward", "content-free-reply-all", "missing-attachment"]


def test_an_outlook_msg_is_read_with_its_recipients(backtest, tmp_path):
    data = outlook_msg(
        "Re: Offsite agenda",
        ("Ana Silva", "ana@corp.example"),
        [("Bo", TEAM[0], 1), ("Cy", TEAM[1], 1), ("Di", TEAM[2], 2), ("Ed", TEAM[3], 3)],
        "Thanks all!\r\n\r\nOn Monday, Jane <jane@corp.example> wrote:\r\n> the plan\r\n",
    )
    (tmp_path / "sent.msg").write_bytes(data)
    (tmp_path / "cut.msg").write_bytes(data[: len(data) // 3])
    run = backtest(str(tmp_path / "sent.msg"), str(tmp_path / "cut.msg"))
    assert run.code == 0, run.err
    assert [(line["rule"], line["audience"]) for line in run.lines] == [
        ("content-free-reply-all", 4)
    ]
    assert "cut.msg: not a readable .msg" in run.html


def test_a_corrupt_pst_is_named_with_a_clear_reason(backtest, tmp_path):
    (tmp_path / "archive.pst").write_bytes(b"!BDN" + b"\x00" * 2000)
    run = backtest(str(tmp_path / "archive.pst"))
    assert run.code == 0
    assert "archive.pst: not a readable .pst" in run.html


def test_usage_errors_are_one_line(backtest, tmp_path):
    source = _write_mbox(tmp_path, _mailbox())
    for args, says in (
        ((str(tmp_path / "nope.mbox"),), "no such file or folder"),
        ((source, "--since", "May 2024"), "YYYY-MM-DD"),
        ((source, "--from-domain", "not a domain"), "--from-domain"),
        ((source, "--sample", "0"), "--sample"),
    ):
        run = backtest(*args)
        assert run.code == 2 and says in run.err and "Traceback" not in run.err


def test_ctrl_c_reports_what_was_read(tmp_path):
    from server.backtest import Options, run
    from server.backtest.sources import Item, Kind

    def items():
        for n in range(200):
            yield Item(f"box#{n + 1}", Kind.EML, message(subject=f"Re: {n}", body="+1"))
            if n == 149:
                raise KeyboardInterrupt

    result = run(Options(sources=["box"], jobs=1), items=items())
    assert result.info.interrupted and "Ctrl-C" in result.info.stopped_because
    assert 0 < result.tally.read <= 150
    html = render_report(result.tally, result.info.to_dict())
    assert "Stopped early" in html


def test_a_tally_survives_json_and_draws_the_same_report(tmp_path):
    from server.backtest import Options, run
    from server.backtest.sources import Item, Kind

    mail = [Item(f"box#{n}", Kind.EML, data) for n, data in enumerate(_mailbox())]
    result = run(Options(sources=["box"], jobs=1, compare_label="same"), items=mail)
    info = result.info.to_dict()
    again = Tally.from_dict(result.tally.to_dict())
    assert render_report(again, info) == render_report(result.tally, info)
    assert report_context(again, info)["flagged"] == 4  # the outsider's "+1" too


def test_the_worker_pool_gives_what_one_process_gives(tmp_path, backtest):
    source = tmp_path / "many.mbox"
    source.write_bytes(mbox(_mailbox() * 40))
    one = backtest(str(source), "--jobs", "1")
    two = backtest(str(source), "--jobs", "2")
    assert two.code == 0, two.err
    assert two.lines == one.lines and len(one.lines) == 4 * 40
    assert "on 2 processes" in two.html


def test_problems_named_are_capped(tmp_path):
    tally = Tally()
    for n in range(120):
        tally.add_problem(Problem.NOT_MAIL, f"x#{n}", "not an e-mail message")
    html = render_report(tally, _info())
    assert html.count("<li>x#") == 50 and "and 70 more." in html


def _info() -> dict:
    from server.backtest import RunInfo

    return RunInfo(
        sources=["x"],
        policy="p",
        compare=None,
        domains=[],
        since=None,
        sample=None,
        seed=None,
        jobs=1,
        cap=1 << 20,
        excerpts=False,
        names=False,
    ).to_dict()


def test_ctrl_c_in_a_terminal_stops_every_process_and_writes_the_report(tmp_path):
    """SIGINT to the whole process group, as a terminal sends it: the workers ignore it, the
    runner stops, reports what was read and exits 130; no process is left behind."""
    source = tmp_path / "big.mbox"
    source.write_bytes(mbox(_mailbox()) * 4000)  # 24,000 messages: far longer than the wait
    report = tmp_path / "report.html"
    command = [
        str(Path(sys.executable).with_name("draftlint")),
        "backtest",
        str(source),
        "--jobs",
        "2",
        "--quiet",
        "--report",
        str(report),
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    time.sleep(4)
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert b"Stopped early: interrupted (Ctrl-C)" in out and b"Traceback" not in err
    assert "Stopped early" in report.read_text(encoding="utf-8")
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # nothing of the group is left


@settings(max_examples=40, deadline=None)
@given(
    blobs=st.lists(
        st.one_of(
            st.binary(max_size=600),
            st.builds(
                lambda head, body: head + b"\n\n" + body,
                st.sampled_from(
                    [
                        b"From: a@corp.example\nTo: b@corp.example, c@corp.example\nSubject: Re: x",
                        b"Content-Type: multipart/mixed; boundary=q\nFrom: =?x-bad?Q?=FF?= <a@b>",
                        b"From: \xff\xfe\nDate: Tue, 99 Foo 2024 25:61:00\nTo: ,,,<>",
                        b"Subject: =?iso-2022-jp?B?GyRCJDMbKEI=?=\nContent-Type: text/html",
                    ]
                ),
                st.binary(max_size=400),
            ),
        ),
        max_size=6,
    ),
    kind=st.sampled_from(["eml", "msg"]),
)
def test_any_bytes_are_counted_never_raised(blobs, kind):
    from server.backtest import Options, run
    from server.backtest.sources import Item

    items = [Item(f"x#{n}", kind, data) for n, data in enumerate(blobs)]
    result = run(Options(sources=["x"], jobs=1), items=items)
    tally = result.tally
    assert not result.info.interrupted
    assert Problem.FAILED not in tally.problems, tally.problem_positions
    handled = tally.read + tally.problems[Problem.NOT_MAIL] + tally.problems[Problem.UNREADABLE]
    assert handled == len(blobs)
