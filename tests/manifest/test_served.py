"""Every URL the manifests give Outlook is served by the app, as a production app serves it (no
dev mode, no credentials): Outlook fetches them anonymously."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from lxml import etree

from server.app import create_app
from server.outlook import manifest

BASE_URL = "https://lint.corp.example"
CLIENT_ID = "7f6b1c2a-0000-4000-8000-00000000c0de"

# The add-in's own pages and script (issue 5's front end), which Outlook loads from the manifests.
FRONT_END = {manifest.TASKPANE_PATH, manifest.COMMANDS_PATH, manifest.LAUNCHEVENT_PATH}

# URLs in the manifests that are not ours: the sign-in origin (AppDomains, so Outlook keeps the
# sign-in dialog in the add-in's window) and the unified manifest's `$schema`.
EXTERNAL = {
    manifest.SIGN_IN_ORIGIN,
    "https://developer.microsoft.com/json-schemas/teams/v1.30/MicrosoftTeams.schema.json",
}


@pytest.fixture
def client(registry, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "API_KEYS": {"test-key-0123456789": "corp.example"},
            "DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite3'}",
        },
        registry=registry,
    )
    return app.test_client()


def _xml_urls(text: str) -> set[str]:
    root = etree.fromstring(text.encode("utf-8"))
    values = [v for element in root.iter() for v in element.attrib.values()]
    values += [element.text.strip() for element in root.iter() if element.text]
    return {v for v in values if v.startswith(("http://", "https://"))}


def _json_urls(node) -> set[str]:
    if isinstance(node, dict):
        return set().union(*(_json_urls(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_json_urls(v) for v in node))
    if isinstance(node, str) and node.startswith(("http://", "https://")):
        return {node}
    return set()


def _manifest_urls() -> set[str]:
    target = manifest.deployment(BASE_URL, CLIENT_ID)
    xml_urls = _xml_urls(manifest.render_outlook_xml(target))
    json_urls = _json_urls(json.loads(manifest.render_outlook_json(target)))
    assert xml_urls and json_urls
    return xml_urls | json_urls


def test_every_url_in_the_manifests_is_served(client):
    urls = _manifest_urls()
    ours = {url for url in urls if url == BASE_URL or url.startswith(BASE_URL + "/")}

    assert urls - ours == EXTERNAL
    assert {BASE_URL + path for path in FRONT_END} <= ours
    unserved = set()
    for url in sorted(ours):
        path = urlsplit(url).path or "/"
        response = client.get(path, base_url=BASE_URL)
        if response.status_code != 200:
            unserved.add(path)
    assert not unserved, f"unserved URLs in the manifests: {sorted(unserved)}"


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [
        (manifest.TASKPANE_PATH, "text/html"),
        (manifest.COMMANDS_PATH, "text/html"),
        (manifest.LAUNCHEVENT_PATH, "text/javascript"),
    ],
)
def test_the_front_end_is_served_anonymously_with_its_type(client, path, mimetype):
    response = client.get(path, base_url=BASE_URL)

    assert response.status_code == 200
    assert response.mimetype == mimetype


def _script_config(response) -> dict:
    script = response.get_data(as_text=True)
    return json.loads(script.split("var DRAFTLINT_CONFIG = ", 1)[1].split(";\n", 1)[0])


def test_the_handler_script_carries_this_deployments_settings(client):
    config = _script_config(client.get(manifest.LAUNCHEVENT_PATH, base_url=BASE_URL))

    assert config == {
        "apiBase": BASE_URL,
        "clientId": None,
        "apiScope": None,
        "commandId": manifest.TASKPANE_COMMAND_ID,
        "sendHandler": manifest.SEND_HANDLER,
        "recipientsHandler": manifest.RECIPIENTS_HANDLER,
    }


def test_behind_a_proxy_the_script_names_the_public_url_and_the_add_in_client(registry, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "API_KEYS": {"test-key-0123456789": "corp.example"},
            "DATABASE_URL": f"sqlite:///{tmp_path / 'proxy.sqlite3'}",
            "PUBLIC_BASE_URL": BASE_URL,
            "OUTLOOK_CLIENT_ID": CLIENT_ID,
        },
        registry=registry,
    )

    response = app.test_client().get(manifest.LAUNCHEVENT_PATH, base_url="http://10.0.0.7:8000")

    config = _script_config(response)
    assert (config["apiBase"], config["clientId"]) == (BASE_URL, CLIENT_ID)
    assert config["apiScope"] == f"api://lint.corp.example/{CLIENT_ID}/access_as_user"


def test_a_configured_application_id_uri_names_the_scope(registry, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'uri.sqlite3'}",
            "OUTLOOK_CLIENT_ID": CLIENT_ID,
            "OUTLOOK_APP_ID_URI": "api://draftlint.corp.example",
        },
        registry=registry,
    )

    response = app.test_client().get(manifest.LAUNCHEVENT_PATH, base_url=BASE_URL)

    assert _script_config(response)["apiScope"] == "api://draftlint.corp.example/access_as_user"


@pytest.mark.parametrize("size", manifest.ICON_SIZES)
def test_the_icons_are_pngs_of_their_size(client, size):
    response = client.get(f"/static/outlook/icon-{size}.png", base_url=BASE_URL)

    assert response.status_code == 200
    assert response.mimetype == "image/png"
    data = response.get_data()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert (int.from_bytes(data[16:20]), int.from_bytes(data[20:24])) == (size, size)
