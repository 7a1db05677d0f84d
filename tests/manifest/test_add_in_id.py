"""The add-in Id: stable for one deployment, different for another."""

from __future__ import annotations

import uuid

from server.outlook import manifest

CLIENT_ID = "7f6b1c2a-0000-4000-8000-00000000c0de"
OTHER_CLIENT_ID = "0b5e7a11-1111-4111-8111-111111111111"


def _id(base_url: str, client_id: str = CLIENT_ID) -> str:
    return manifest.deployment(base_url, client_id).add_in_id


def test_rendering_twice_gives_the_same_id_and_the_same_bytes():
    first = manifest.deployment("https://lint.corp.example", CLIENT_ID)
    again = manifest.deployment("https://lint.corp.example", CLIENT_ID)

    assert manifest.render_outlook_xml(first) == manifest.render_outlook_xml(again)
    assert manifest.render_outlook_json(first) == manifest.render_outlook_json(again)
    assert uuid.UUID(first.add_in_id).version == 5


def test_the_same_deployment_written_differently_gives_the_same_id():
    expected = _id("https://lint.corp.example")

    assert _id("https://LINT.corp.example/") == expected
    assert _id("HTTPS://lint.corp.example:443") == expected
    assert _id(" https://lint.corp.example ", CLIENT_ID.upper()) == expected
    assert _id("https://lint.corp.example", "{" + CLIENT_ID + "}") == expected


def test_loopback_hosts_for_development():
    assert manifest.parse_base_url("http://[::1]:8000/") == "http://[::1]:8000"
    assert manifest.parse_base_url("http://LOCALHOST:80") == "http://localhost"


def test_other_deployments_get_other_ids():
    ids = {
        _id("https://lint.corp.example"),
        _id("https://lint.other.example"),
        _id("https://lint.corp.example:8443"),
        _id("https://lint.corp.example", OTHER_CLIENT_ID),
    }

    assert len(ids) == 4


def test_the_send_mode_does_not_change_the_id():
    # Changing the send mode updates the deployed add-in rather than adding a second one.
    ids = {
        manifest.deployment("https://lint.corp.example", CLIENT_ID, mode).add_in_id
        for mode in manifest.SEND_MODES
    }

    assert len(ids) == 1


def test_the_id_is_pinned():
    # The namespace and the name format are part of every deployed add-in's identity: changing
    # either would make every organisation's next upload a second add-in.
    assert _id("https://lint.corp.example") == "c1a7813f-e147-5c4a-a187-b792d9610678"
