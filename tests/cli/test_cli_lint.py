"""`draftlint lint`: readable and JSON output, policies, exit codes, input errors."""

import io
import json
import subprocess
import sys

import pytest

from server.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_findings_are_printed_readably_and_exit_1(capsys, samples):
    code, out, err = run(capsys, "lint", str(samples / "reply_all.json"))

    assert code == 1
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == "warning  test-says-word  Says 'OK'."
    assert lines[1] == "    > OK"
    assert lines[2] == "    Say something more."
    assert lines[-1] == "Audience: 3"


def test_a_clean_draft_exits_0(capsys, samples):
    code, out, _ = run(capsys, "lint", str(samples / "clean.json"))

    assert code == 0
    assert out.splitlines() == ["No findings.", "Audience: 1"]


def test_json_output_is_the_report(capsys, samples):
    code, out, _ = run(capsys, "lint", "--format", "json", str(samples / "reply_all.json"))

    assert code == 1
    report = json.loads(out)
    assert set(report) == {"findings", "audience", "policy", "elapsed_ms", "failed_rules"}
    assert report["findings"][0]["rule"] == "test-says-word"
    assert report["audience"] == 3


def test_an_eml_is_linted(capsys, samples):
    code, out, _ = run(capsys, "lint", str(samples / "reply_all_plain.eml"))

    assert code == 1
    assert "test-says-word" in out
    assert out.splitlines()[-1] == "Audience: 3"


@pytest.mark.parametrize(("name", "expected_code"), [("reply_all.json", 1), ("clean.json", 0)])
def test_stdin_json(capsys, monkeypatch, samples, name, expected_code):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((samples / name).read_bytes())))
    code, _, _ = run(capsys, "lint", "-")
    assert code == expected_code


def test_stdin_eml_is_sniffed(capsys, monkeypatch, samples):
    data = (samples / "reply_all_plain.eml").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, _ = run(capsys, "lint", "-")
    assert code == 1
    assert "Audience: 3" in out


def test_a_policy_lowering_severity_exits_0(capsys, samples):
    code, out, _ = run(
        capsys,
        "lint",
        "--policy",
        str(samples / "policy_hint.yaml"),
        str(samples / "reply_all.json"),
    )
    assert code == 0
    assert out.startswith("hint  test-says-word")


def test_a_json_policy_sets_options(capsys, samples):
    code, out, _ = run(
        capsys, "lint", "--policy", str(samples / "policy_word.json"), str(samples / "clean.json")
    )
    assert code == 1
    assert "Says 'agenda'." in out


def test_an_invalid_policy_names_the_fields_and_exits_2(capsys, samples):
    code, out, err = run(
        capsys,
        "lint",
        "--policy",
        str(samples / "policy_unknown_rule.yaml"),
        str(samples / "clean.json"),
    )
    assert code == 2
    assert out == ""
    assert "invalid policy" in err
    assert "rules.no-such-rule: Unknown rule id." in err
    assert "rules.test-says-word.severity:" in err


def test_a_policy_with_a_huge_number_exits_2(capsys, samples, tmp_path):
    policy = tmp_path / "huge.yaml"
    policy.write_text("unknown_group_size: " + "9" * 5000 + "\n")
    code, out, err = run(capsys, "lint", "--policy", str(policy), str(samples / "clean.json"))
    assert code == 2
    assert out == ""
    assert "too many digits" in err


def test_an_invalid_draft_names_the_fields_and_exits_2(capsys, samples):
    code, out, err = run(capsys, "lint", str(samples / "invalid_draft.json"))

    assert code == 2
    assert out == ""
    assert "to.0.email: Missing data for required field." in err
    assert "compose_type:" in err


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad_utf8.json", "Invalid UTF-8 at byte 16"),
        ("nul.json", "NUL byte"),
        ("does-not-exist.json", "No such file or directory"),
    ],
)
def test_unreadable_input_is_a_clear_error_and_exit_2(capsys, samples, name, message):
    code, out, err = run(capsys, "lint", str(samples / name))

    assert code == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err
    assert err.startswith("draftlint: ")


def test_an_eml_with_nul_bytes_is_refused(capsys, tmp_path):
    path = tmp_path / "outlook.eml"
    path.write_bytes(b"\xd0\xcf\x11\xe0\x00\x00\x00\x00")  # the start of an OLE (.msg) file
    code, _, err = run(capsys, "lint", str(path))
    assert code == 2
    assert ".msg" in err


def test_a_directory_is_a_clear_error(capsys, tmp_path):
    code, _, err = run(capsys, "lint", str(tmp_path))
    assert code == 2
    assert "Is a directory" in err


def test_a_missing_policy_file_exits_2(capsys, samples):
    code, _, err = run(capsys, "lint", "--policy", "nowhere.yaml", str(samples / "clean.json"))
    assert code == 2
    assert "nowhere.yaml: No such file or directory" in err


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["lint"]) == 2
    assert main(["lint", "x.json", "--format", "xml"]) == 2
    assert main(["frobnicate"]) == 2
    capsys.readouterr()


def test_lone_surrogates_in_a_draft_are_refused_naming_the_field(capsys, tmp_path):
    path = tmp_path / "surrogate.json"
    path.write_text('{"body": {"content": "OK \\ud800 there"}}')
    code, out, err = run(capsys, "lint", str(path))
    assert code == 2
    assert out == ""
    assert "body.content" in err and "surrogate" in err


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "draft.eml", "empty input"),
        (b" \n\n", "draft.json", "empty input"),
        (b"hello there\nno headers here\n", "draft.eml", "not an e-mail message"),
    ],
)
def test_empty_input_and_non_messages_exit_2(capsys, tmp_path, content, name, message):
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = run(capsys, "lint", str(path))
    assert code == 2 and out == ""
    assert message in err


def test_empty_stdin_exits_2(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"")))
    code, out, err = run(capsys, "lint", "-")
    assert code == 2 and out == ""
    assert "-: empty input" in err


def test_an_unreachable_database_is_one_line_and_exit_2(capsys):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    code, out, err = run(capsys, "db", "upgrade", "--database-url", url)
    assert code == 2 and out == ""
    assert err.startswith("draftlint: the database failed: ")
    assert len(err.strip().splitlines()) == 1


def test_a_closed_pipe_ends_quietly(tmp_path):
    """`draftlint parse --batch big.jsonl | head -c 1`: no BrokenPipeError traceback."""
    drafts = tmp_path / "many.jsonl"
    drafts.write_text('{"body": {"content": "Thanks all, see you there"}}\n' * 20_000)
    script = "import sys; from server.cli import main; sys.exit(main(sys.argv[1:]))"
    reader = subprocess.Popen(["head", "-c", "1"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    writer = subprocess.run(
        [sys.executable, "-c", script, "parse", "--batch", str(drafts)],
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        check=False,
        timeout=120,
    )
    reader.stdin.close()
    reader.wait()
    assert b"Traceback" not in writer.stderr and b"BrokenPipe" not in writer.stderr
    assert writer.returncode == 141
