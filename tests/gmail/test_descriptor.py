"""The Gmail add-on deployment descriptor, checked against Google's own protobuf messages."""

import json

import pytest
from google.cloud.gsuiteaddons_v1.types import AddOns, Deployment
from google.protobuf import json_format

from server.cli import main
from server.gmail.descriptor import (
    FULL_SCOPES,
    METADATA_SCOPES,
    build_descriptor,
    check_base_url,
)

BASE = "https://lint.corp.example"
SCOPE = "https://www.googleapis.com/auth/"


@pytest.mark.parametrize("mode", ["metadata", "full"])
def test_descriptor_parses_into_googles_protobuf(mode):
    descriptor = build_descriptor(BASE, mode)
    # The whole file is a Deployment; its addOns an AddOns. Unknown fields are errors, so a
    # misspelt or Apps-Script-only key (selectActions) would fail here.
    deployment = Deployment.pb()()
    json_format.ParseDict(descriptor, deployment, ignore_unknown_fields=False)
    add_ons = AddOns.from_json(json.dumps(descriptor["addOns"]), ignore_unknown_fields=False)

    assert add_ons.common.name == "draftlint"
    assert add_ons.common.logo_url.startswith(f"{BASE}/static/")
    assert add_ons.common.homepage_trigger.run_function == f"{BASE}/gmail/homepage"
    compose = add_ons.gmail.compose_trigger
    assert compose.draft_access == compose.DraftAccess.METADATA
    [action] = compose.actions
    assert (action.label, action.run_function) == ("Check draft", f"{BASE}/gmail/compose")
    assert add_ons.http_options.authorization_header.name == "SYSTEM_ID_TOKEN"


def test_scopes_by_mode():
    metadata = build_descriptor(BASE, "metadata")["oauthScopes"]
    full = build_descriptor(BASE, "full")["oauthScopes"]
    assert metadata == list(METADATA_SCOPES)
    assert set(metadata) == {
        SCOPE + "gmail.addons.execute",
        SCOPE + "gmail.addons.current.message.metadata",
        SCOPE + "gmail.addons.current.action.compose",
        SCOPE + "userinfo.email",
    }
    assert full == list(FULL_SCOPES)
    assert set(full) - set(metadata) == {SCOPE + "gmail.readonly"}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://lint.corp.example/", "https://lint.corp.example"),
        ("https://lint.corp.example/draftlint/", "https://lint.corp.example/draftlint"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://localhost:8000/", "http://localhost:8000"),
    ],
)
def test_base_url_accepted(given, expected):
    assert check_base_url(given) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "http://lint.corp.example",
        "ftp://lint.corp.example",
        "lint.corp.example",
        "https://",
        "https://lint.corp.example/?x=1",
        "https://lint.corp.example/#top",
        "https://user:pw@lint.corp.example",
        "http://[::1",
    ],
)
def test_base_url_rejected(bad):
    with pytest.raises(ValueError, match="--base-url"):
        check_base_url(bad)


def test_bad_mode_rejected():
    with pytest.raises(ValueError, match="--mode"):
        build_descriptor(BASE, "everything")


# --- the command ----------------------------------------------------------------------------


def test_cli_prints_the_descriptor(capsys):
    assert main(["manifest", "gmail", "--base-url", BASE + "/", "--mode", "full"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == build_descriptor(BASE, "full")


def test_cli_defaults_to_metadata_mode(capsys):
    assert main(["manifest", "gmail", "--base-url", BASE]) == 0
    assert json.loads(capsys.readouterr().out)["oauthScopes"] == list(METADATA_SCOPES)


def test_cli_writes_a_file(tmp_path, capsys):
    target = tmp_path / "gmail.json"
    assert main(["manifest", "gmail", "--base-url", BASE, "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(target.read_text(encoding="utf-8")) == build_descriptor(BASE)


def test_cli_loopback_http_allowed(capsys):
    assert main(["manifest", "gmail", "--base-url", "http://127.0.0.1:8000"]) == 0
    assert "http://127.0.0.1:8000/gmail/compose" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["manifest", "gmail", "--base-url", "http://lint.corp.example"],
        ["manifest", "gmail", "--base-url", "not a url"],
        ["manifest", "gmail", "--base-url", BASE, "--mode", "everything"],
        ["manifest", "gmail"],
    ],
)
def test_cli_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "draftlint" in captured.err
    assert "Traceback" not in captured.err


def test_cli_unwritable_output_exits_2(tmp_path, capsys):
    target = tmp_path / "missing" / "gmail.json"
    assert main(["manifest", "gmail", "--base-url", BASE, "-o", str(target)]) == 2
    assert str(target) in capsys.readouterr().err
