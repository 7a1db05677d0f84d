"""`--batch`: JSON Lines in, one result per line out, in order; bad lines never stop the batch."""

import io
import json
import sys

from server.cli import main


def batch_output(capsys, *argv: str) -> tuple[int, list[dict]]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert err == ""
    return code, [json.loads(line) for line in out.splitlines()]


def test_lint_batch_keeps_order_and_reports_bad_lines(capsys, samples):
    code, results = batch_output(capsys, "lint", "--batch", str(samples / "batch.jsonl"))

    assert code == 2  # some lines could not be read
    assert len(results) == 7  # 8 lines, one blank
    first, second, bad_json, bad_schema, bad_utf8, too_deep, last = results
    assert first["findings"][0]["rule"] == "test-says-word"
    assert first["audience"] == 2
    assert second["findings"] == []
    assert bad_json["line"] == 3
    assert bad_json["error"]["status"] == 400
    assert "Malformed JSON" in bad_json["error"]["detail"]
    assert bad_schema == {
        "line": 5,
        "error": {
            "type": "about:blank",
            "title": "Unprocessable Entity",
            "status": 422,
            "detail": "The draft failed validation.",
            "errors": {"to": {"0": {"email": ["Missing data for required field."]}}},
        },
    }
    assert bad_utf8["line"] == 6
    assert "Invalid UTF-8" in bad_utf8["error"]["detail"]
    assert too_deep["line"] == 7
    assert "nested too deeply" in too_deep["error"]["detail"]
    assert last["findings"][0]["excerpt"] == "OK"


def test_lint_batch_exit_codes(capsys, tmp_path):
    clean = tmp_path / "clean.jsonl"
    clean.write_text('{"body": {"content": "fine"}}\n' * 3)
    loud = tmp_path / "loud.jsonl"
    loud.write_text('{"body": {"content": "fine"}}\n{"body": {"content": "OK"}}\n')

    assert batch_output(capsys, "lint", "--batch", str(clean))[0] == 0
    assert batch_output(capsys, "lint", "--batch", str(loud))[0] == 1


def test_lint_batch_from_stdin(capsys, monkeypatch):
    lines = b'{"body": {"content": "OK"}}\n{"body": {"content": "no"}}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines)))
    code, results = batch_output(capsys, "lint", "--batch", "-")
    assert code == 1
    assert [len(r["findings"]) for r in results] == [1, 0]


def test_lint_batch_streams(capsys, monkeypatch):
    """Each report is written before the next line is read: nothing waits for the whole file."""
    written_before_second_line = []

    class Stdin:
        def __init__(self):
            self.buffer = self

        def __iter__(self):
            yield b'{"body": {"content": "OK"}}\n'
            written_before_second_line.append(capsys.readouterr().out)
            yield b'{"body": {"content": "no"}}\n'

    monkeypatch.setattr(sys, "stdin", Stdin())
    assert main(["lint", "--batch", "-"]) == 1
    assert '"test-says-word"' in written_before_second_line[0]


def test_parse_batch(capsys, samples):
    code, results = batch_output(capsys, "parse", "--batch", str(samples / "batch.jsonl"))

    assert code == 2
    assert len(results) == 7
    assert results[0]["new_text"] == "OK"
    assert results[1]["body"] == "Nothing to see"
    assert results[3]["line"] == 5
    assert results[6]["new_text"] == "last, OK"


def test_batch_with_format_text_prints_text_per_line(capsys, samples):
    code = main(["lint", "--batch", "--format", "text", str(samples / "batch.jsonl")])
    out, err = capsys.readouterr()
    assert code == 2 and err == ""
    assert out.startswith("== line 1\n")
    assert "== line 3\ninvalid: " in out and "Malformed JSON" in out
    assert not any(line.startswith("{") for line in out.splitlines())


def test_parse_batch_with_format_text(capsys, samples):
    assert main(["parse", "--batch", "--format", "text", str(samples / "batch.jsonl")]) == 2
    out, _ = capsys.readouterr()
    assert "== line 2\n" in out and "Nothing to see" in out
