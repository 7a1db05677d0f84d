"""`draftlint manifest outlook`: renders either manifest or the app package; bad input is one
clear line and exit code 2."""

from __future__ import annotations

import json
import zipfile

import pytest
from lxml import etree

from server.cli import main
from server.outlook import manifest

CLIENT_ID = "7f6b1c2a-0000-4000-8000-00000000c0de"
BASE = ["manifest", "outlook", "--base-url", "https://lint.corp.example", "--client-id", CLIENT_ID]


def test_prints_the_xml_manifest_by_default(capsys, xml_schema):
    assert main(BASE) == 0
    captured = capsys.readouterr()

    document = etree.fromstring(captured.out.encode("utf-8"))
    assert xml_schema.validate(document), xml_schema.error_log
    assert captured.err == ""


def test_prints_the_json_manifest(capsys, json_validator):
    assert main([*BASE, "--format", "json", "--send-mode", "Block"]) == 0

    document = json.loads(capsys.readouterr().out)
    assert list(json_validator.iter_errors(document)) == []
    event = document["extensions"][0]["autoRunEvents"][0]["events"][0]
    assert event["options"] == {"sendMode": "block"}


def test_send_mode_reaches_the_xml(capsys):
    assert main([*BASE, "--send-mode", "SoftBlock"]) == 0

    assert 'SendMode="SoftBlock"' in capsys.readouterr().out


def test_writes_to_a_file(tmp_path, capsys):
    out = tmp_path / "manifest.xml"

    assert main([*BASE, "-o", str(out)]) == 0

    target = manifest.deployment("https://lint.corp.example", CLIENT_ID)
    assert out.read_text(encoding="utf-8") == manifest.render_outlook_xml(target)
    assert target.add_in_id in capsys.readouterr().err


def test_writes_the_app_package_for_a_zip(tmp_path):
    out = tmp_path / "draftlint-outlook.zip"

    assert main([*BASE, "--format", "json", "-o", str(out)]) == 0

    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]


def test_http_on_loopback_is_allowed_for_development_with_a_warning(capsys):
    args = ["manifest", "outlook", "--base-url", "http://127.0.0.1:8000", "--client-id", CLIENT_ID]

    assert main(args) == 0
    captured = capsys.readouterr()
    assert "http://127.0.0.1:8000/outlook/taskpane.html" in captured.out
    assert "development only" in captured.err


@pytest.mark.parametrize(
    ("base_url", "client_id", "extra", "message"),
    [
        ("http://lint.corp.example", CLIENT_ID, [], "https only"),
        ("ftp://lint.corp.example", CLIENT_ID, [], "give an https URL"),
        ("lint.corp.example", CLIENT_ID, [], "give an https URL"),
        ("https://lint.corp.example/draftlint", CLIENT_ID, [], "origin only"),
        ("https://lint.corp.example/?x=1", CLIENT_ID, [], "origin only"),
        ("https://user:pw@lint.corp.example", CLIENT_ID, [], "no user name"),
        ("https://lint corp.example", CLIENT_ID, [], "not a host name"),
        ("https://lint_corp.example", CLIENT_ID, [], "not a host name"),
        ("https://lint.corp.example:99999", CLIENT_ID, [], "--base-url"),
        ("https://lint.corp.example", "corp.example", [], "GUID"),
        ("https://lint.corp.example", "7f6b1c2a-0000-4000-8000", [], "GUID"),
        ("http://127.0.0.1:8000", CLIENT_ID, ["--format", "json"], "requires https"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, base_url, client_id, extra, message):
    args = ["manifest", "outlook", "--base-url", base_url, "--client-id", client_id, *extra]

    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("draftlint: ")
    assert message in captured.err
    assert captured.err.count("\n") == 1


def test_an_unknown_send_mode_is_a_usage_error(capsys):
    assert main([*BASE, "--send-mode", "Ask"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_an_unwritable_output_is_an_input_error(tmp_path, capsys):
    assert main([*BASE, "-o", str(tmp_path / "missing" / "manifest.xml")]) == 2
    assert "No such file or directory" in capsys.readouterr().err


def test_the_manifest_group_lists_outlook(capsys):
    assert main(["manifest", "--help"]) == 0
    assert "outlook" in capsys.readouterr().out
