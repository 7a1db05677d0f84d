"""The manifests name only events Outlook documents, with the send mode where it belongs.

Outlook's launch events as Microsoft documents them: the add-in only manifest's name (the
`Type` of a `LaunchEvent`) and the unified manifest's name (the `type` in `autoRunEvents`).

Source: "Activate add-ins with events", section "Supported events", table "Outlook events"
(https://learn.microsoft.com/office/dev/add-ins/develop/event-based-activation#supported-events,
page dated 03/16/2026). The XSD types `LaunchEvent/@Type` as a plain string, so a misspelt event
validates; these tests hold the manifests to this list instead. Events that exist only in the
add-in only manifest have no unified name (None).
"""

OUTLOOK_LAUNCH_EVENTS = {
    "OnNewMessageCompose": "newMessageComposeCreated",
    "OnNewAppointmentOrganizer": "newAppointmentOrganizerCreated",
    "OnMessageAttachmentsChanged": "messageAttachmentsChanged",
    "OnAppointmentAttachmentsChanged": "appointmentAttachmentsChanged",
    "OnMessageRecipientsChanged": "messageRecipientsChanged",
    "OnAppointmentAttendeesChanged": "appointmentAttendeesChanged",
    "OnAppointmentTimeChanged": "appointmentTimeChanged",
    "OnAppointmentRecurrenceChanged": "appointmentRecurrenceChanged",
    "OnInfoBarDismissClicked": "infoBarDismissClicked",
    "OnMessageSend": "messageSending",
    "OnAppointmentSend": "appointmentSending",
    "OnMessageCompose": "messageComposeOpened",
    "OnAppointmentOrganizer": "appointmentOrganizerOpened",
    "OnMessageFromChanged": "messageFromChanged",
    "OnAppointmentFromChanged": "appointmentFromChanged",
    "OnSensitivityLabelChanged": "sensitivityLabelChanged",
    "OnMessageReadWithCustomAttachment": None,
    "OnMessageReadWithCustomHeader": None,
    "OnMessageRead": None,
}

# Only these two accept a send mode ("Available send mode options" in "Handle OnMessageSend and
# OnAppointmentSend events in your Outlook add-in with Smart Alerts",
# https://learn.microsoft.com/office/dev/add-ins/outlook/onmessagesend-onappointmentsend-events).
SEND_EVENTS = {"OnMessageSend", "OnAppointmentSend"}
SEND_MODES = {"PromptUser": "promptUser", "SoftBlock": "softBlock", "Block": "block"}


def _xml_events(xml_manifest) -> list:
    return xml_manifest.findall(".//{*}LaunchEvent")


def test_the_xml_manifest_names_documented_events(xml_manifest):
    events = _xml_events(xml_manifest)

    assert [e.get("Type") for e in events] == ["OnMessageSend", "OnMessageRecipientsChanged"]
    assert all(e.get("Type") in OUTLOOK_LAUNCH_EVENTS for e in events)


def test_the_xml_send_mode_is_only_on_send_events(xml_manifest):
    for event in _xml_events(xml_manifest):
        if event.get("Type") in SEND_EVENTS:
            assert event.get("SendMode") in SEND_MODES
        else:
            assert event.get("SendMode") is None


def test_the_json_manifest_names_the_same_events_by_their_unified_names(
    xml_manifest, json_manifest
):
    (extension,) = json_manifest["extensions"]
    events = [e for group in extension["autoRunEvents"] for e in group["events"]]
    xml_events = _xml_events(xml_manifest)

    assert [e["type"] for e in events] == [OUTLOOK_LAUNCH_EVENTS[x.get("Type")] for x in xml_events]
    assert [e["actionId"] for e in events] == [x.get("FunctionName") for x in xml_events]
    for event, xml_event in zip(events, xml_events, strict=True):
        mode = xml_event.get("SendMode")
        assert event.get("options") == ({"sendMode": SEND_MODES[mode]} if mode else None)


def test_the_list_is_the_one_the_renderer_maps_from():
    # The renderer's own event and send-mode names agree with the documented tables.
    from server.outlook import manifest

    target = manifest.deployment(
        "https://lint.corp.example", "7f6b1c2a-0000-4000-8000-00000000c0de"
    )
    for event in target.launch_events:
        assert OUTLOOK_LAUNCH_EVENTS[event.type] == event.unified_type
    assert manifest.SEND_MODES == SEND_MODES
