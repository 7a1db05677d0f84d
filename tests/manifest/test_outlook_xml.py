"""The add-in only XML manifest: valid against Microsoft's XSDs, and wired the way issue 5 needs."""

from __future__ import annotations

import pytest
from lxml import etree

from server.outlook import manifest

BT = "{http://schemas.microsoft.com/office/officeappbasictypes/1.0}"
V1_0 = "{http://schemas.microsoft.com/office/mailappversionoverrides}"
V1_1 = "{http://schemas.microsoft.com/office/mailappversionoverrides/1.1}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
CLIENT_ID = "7f6b1c2a-0000-4000-8000-00000000c0de"


def _parse(target) -> etree._Element:
    return etree.fromstring(manifest.render_outlook_xml(target).encode("utf-8"))


@pytest.mark.parametrize("send_mode", sorted(manifest.SEND_MODES))
@pytest.mark.parametrize(
    "base_url",
    ["https://lint.corp.example", "https://lint.corp.example:8443", "http://127.0.0.1:8000"],
)
def test_validates_against_the_official_xsds(xml_schema, base_url, send_mode):
    document = _parse(manifest.deployment(base_url, CLIENT_ID, send_mode))

    assert xml_schema.validate(document), xml_schema.error_log


def test_the_schema_rejects_what_it_should(xml_schema, xml_manifest):
    # The validator is live: a SendMode outside PromptUser/SoftBlock/Block fails.
    xml_manifest.find(".//{*}LaunchEvent[@Type='OnMessageSend']").set("SendMode", "Ask")

    assert not xml_schema.validate(xml_manifest)


def _resources(overrides) -> dict[str, str]:
    resources = overrides.find(overrides.tag.rsplit("}", 1)[0] + "}Resources")
    return {r.get("id"): r.get("DefaultValue") for r in resources.iter() if r.get("id")}


def _outer(xml_manifest):
    return xml_manifest.find(f"{V1_0}VersionOverrides")


def _inner(xml_manifest):
    return _outer(xml_manifest).find(f"{V1_1}VersionOverrides")


def test_version_overrides_1_0_wraps_1_1_as_its_last_child(xml_manifest):
    outer = _outer(xml_manifest)

    assert outer.get(XSI_TYPE) == "VersionOverridesV1_0"
    assert outer[-1] is _inner(xml_manifest)
    assert _inner(xml_manifest).get(XSI_TYPE) == "VersionOverridesV1_1"


def test_a_mail_app_for_compose_with_read_write_item(xml_manifest):
    assert xml_manifest.get(XSI_TYPE) == "MailApp"
    assert xml_manifest.findtext("{*}Permissions") == "ReadWriteItem"
    rule = xml_manifest.find("{*}Rule")
    assert (rule.get("ItemType"), rule.get("FormType")) == ("Message", "Edit")


@pytest.mark.parametrize("which", ["outer", "inner"])
def test_the_compose_button_opens_the_task_pane(xml_manifest, target, which):
    overrides = _outer(xml_manifest) if which == "outer" else _inner(xml_manifest)
    (surface,) = [
        point
        for point in overrides.iter("{*}ExtensionPoint")
        if point.get(XSI_TYPE) == "MessageComposeCommandSurface"
        and point.getparent().getparent().getparent() is overrides.find("{*}Hosts")
    ]
    (control,) = surface.iter("{*}Control")
    action = control.find("{*}Action")

    assert control.get("id") == manifest.TASKPANE_COMMAND_ID
    assert action.get(XSI_TYPE) == "ShowTaskpane"
    resid = action.find("{*}SourceLocation").get("resid")
    assert _resources(overrides)[resid] == f"{target.base_url}/outlook/taskpane.html"


def test_launch_events_run_in_the_event_runtime(xml_manifest, target):
    inner = _inner(xml_manifest)
    resources = _resources(inner)
    (runtime,) = inner.iter(f"{V1_1}Runtime")
    (override,) = runtime.findall(f"{V1_1}Override")
    (launch,) = [p for p in inner.iter(f"{V1_1}ExtensionPoint") if p.get(XSI_TYPE) == "LaunchEvent"]

    assert resources[runtime.get("resid")] == f"{target.base_url}/outlook/commands.html"
    assert override.get("type") == "javascript"
    assert resources[override.get("resid")] == f"{target.base_url}/outlook/launchevent.js"
    # The LaunchEvent runs in that runtime: same resid.
    assert launch.find(f"{V1_1}SourceLocation").get("resid") == runtime.get("resid")
    handlers = {e.get("Type"): e.get("FunctionName") for e in launch.iter(f"{V1_1}LaunchEvent")}
    assert handlers == {
        "OnMessageSend": "onMessageSendHandler",
        "OnMessageRecipientsChanged": "onRecipientsChangedHandler",
    }


def test_launch_events_only_in_1_1(xml_manifest):
    outer_points = [p.get(XSI_TYPE) for p in _outer(xml_manifest).iter(f"{V1_0}ExtensionPoint")]
    assert "LaunchEvent" not in outer_points


@pytest.mark.parametrize("send_mode", sorted(manifest.SEND_MODES))
def test_send_mode_comes_from_the_option(send_mode):
    document = _parse(manifest.deployment("https://lint.corp.example", CLIENT_ID, send_mode))

    (event,) = document.findall(".//{*}LaunchEvent[@Type='OnMessageSend']")
    assert event.get("SendMode") == send_mode


def test_send_mode_defaults_to_prompt_user(xml_manifest):
    (event,) = xml_manifest.findall(".//{*}LaunchEvent[@Type='OnMessageSend']")

    assert event.get("SendMode") == "PromptUser"


def test_every_resid_names_a_resource_of_its_block(xml_manifest):
    # The XSD does not check references; Outlook refuses a manifest with a dangling one.
    for overrides in (_outer(xml_manifest), _inner(xml_manifest)):
        known = set(_resources(overrides))
        nested = overrides.find(f"{V1_1}VersionOverrides")
        used = {
            element.get("resid")
            for element in overrides.iter()
            if element.get("resid")
            and (nested is None or nested not in element.iterancestors())
            and element is not nested
        }
        assert used, "no resid found"
        assert used <= known, used - known


def test_web_application_info_for_single_sign_on(xml_manifest, target):
    info = _inner(xml_manifest).find(f"{V1_1}WebApplicationInfo")

    assert info.findtext(f"{V1_1}Id") == CLIENT_ID
    assert info.findtext(f"{V1_1}Resource") == f"api://lint.corp.example/{CLIENT_ID}"
    assert [s.text for s in info.iter(f"{V1_1}Scope")] == list(manifest.SSO_SCOPES)


def test_the_sso_resource_keeps_the_port():
    target = manifest.deployment("https://lint.corp.example:8443", CLIENT_ID)

    assert target.sso_resource == f"api://lint.corp.example:8443/{CLIENT_ID}"


def test_icons_and_app_domains(xml_manifest, target):
    images = {i.get("id"): i.get("DefaultValue") for i in _inner(xml_manifest).iter(f"{BT}Image")}
    assert images["Icon.80x80"] == f"{target.base_url}/static/outlook/icon-80.png"
    assert xml_manifest.find("{*}IconUrl").get("DefaultValue").endswith("/icon-64.png")
    assert (
        xml_manifest.find("{*}HighResolutionIconUrl").get("DefaultValue").endswith("/icon-128.png")
    )
    domains = [d.text for d in xml_manifest.iter("{*}AppDomain")]
    assert domains == [target.base_url, manifest.SIGN_IN_ORIGIN]
