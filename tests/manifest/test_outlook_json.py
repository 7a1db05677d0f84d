"""The unified manifest for Microsoft 365: valid against its JSON schema (v1.30), equivalent to
the XML manifest, and packaged with its icons."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import pytest

from server.outlook import manifest

CLIENT_ID = "7f6b1c2a-0000-4000-8000-00000000c0de"


def _errors(validator, document) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


@pytest.mark.parametrize("send_mode", sorted(manifest.SEND_MODES))
@pytest.mark.parametrize("base_url", ["https://lint.corp.example", "https://localhost:8443"])
def test_validates_against_the_official_json_schema(json_validator, base_url, send_mode):
    target = manifest.deployment(base_url, CLIENT_ID, send_mode)
    document = json.loads(manifest.render_outlook_json(target))

    assert _errors(json_validator, document) == []


def test_the_schema_rejects_what_it_should(json_validator, json_manifest):
    # The validator is live: the XML spelling of a send mode is not the unified one.
    event = json_manifest["extensions"][0]["autoRunEvents"][0]["events"][0]
    event["options"]["sendMode"] = "PromptUser"

    assert _errors(json_validator, json_manifest)


def _extension(document) -> dict:
    (extension,) = document["extensions"]
    return extension


def _actions(document) -> dict[str, tuple[dict, dict]]:
    return {
        action["id"]: (runtime, action)
        for runtime in _extension(document)["runtimes"]
        for action in runtime["actions"]
    }


def test_the_button_opens_the_task_pane_in_compose(json_manifest, target):
    (ribbon,) = _extension(json_manifest)["ribbons"]
    (tab,) = ribbon["tabs"]
    (group,) = tab["groups"]
    (control,) = group["controls"]
    runtime, action = _actions(json_manifest)[control["actionId"]]

    assert ribbon["contexts"] == ["mailCompose"]
    assert tab["builtInTabId"] == "TabDefault"
    # The Smart Alerts handler's commandId names this control in either manifest.
    assert control["id"] == manifest.TASKPANE_COMMAND_ID
    assert action["type"] == "openPage"
    assert runtime["code"] == {"page": f"{target.base_url}/outlook/taskpane.html"}
    assert {icon["size"] for icon in control["icons"]} == {16, 32, 80}


def test_auto_run_events_run_functions_in_the_event_runtime(json_manifest, target):
    (auto_run,) = _extension(json_manifest)["autoRunEvents"]
    actions = _actions(json_manifest)

    for event in auto_run["events"]:
        runtime, action = actions[event["actionId"]]
        assert action["type"] == "executeFunction"
        assert runtime["code"] == {
            "page": f"{target.base_url}/outlook/commands.html",
            "script": f"{target.base_url}/outlook/launchevent.js",
        }


def test_sso_and_identity_match_the_xml_manifest(json_manifest, xml_manifest, target):
    assert json_manifest["id"] == xml_manifest.findtext("{*}Id") == target.add_in_id
    assert json_manifest["webApplicationInfo"] == {
        "id": CLIENT_ID,
        "resource": f"api://lint.corp.example/{CLIENT_ID}",
    }
    assert json_manifest["validDomains"] == ["lint.corp.example", "login.microsoftonline.com"]
    permissions = json_manifest["authorization"]["permissions"]["resourceSpecific"]
    assert permissions == [{"name": "MailboxItem.ReadWrite.User", "type": "Delegated"}]


def test_http_bases_are_refused_because_the_schema_needs_https():
    target = manifest.deployment("http://127.0.0.1:8000", CLIENT_ID)

    with pytest.raises(manifest.ManifestError, match="https"):
        manifest.render_outlook_json(target)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", data[16:24])


def test_the_app_package_holds_the_manifest_and_the_icons_it_names(target, json_validator):
    package = zipfile.ZipFile(io.BytesIO(manifest.write_app_package(target)))
    document = json.loads(package.read("manifest.json"))

    assert document == json.loads(manifest.render_outlook_json(target))
    assert _errors(json_validator, document) == []
    assert sorted(package.namelist()) == sorted(
        ["manifest.json", document["icons"]["color"], document["icons"]["outline"]]
    )
    # Sizes the schema's descriptions ask for: color 192x192, outline 32x32.
    assert _png_size(package.read(document["icons"]["color"])) == (192, 192)
    assert _png_size(package.read(document["icons"]["outline"])) == (32, 32)


def test_the_app_package_is_reproducible(target):
    assert manifest.write_app_package(target) == manifest.write_app_package(target)
