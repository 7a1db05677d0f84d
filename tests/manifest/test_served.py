"""Every URL the manifests give Outlook is served by the app, as a production app serves it (no
dev mode, no credentials): Outlook fetches them anonymously."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from lxml import etree

from server import manifests
from server.app import create_app

BASE_URL = "https://lint.corp.example"
CLIENT_ID = "7f6b1c2a-0000-4000-8000-00000000c0de"

# TODO(issue 5, Build item 2): the task pane, the event runtime's page and its classic-Windows
# script are the front end built next. The manifests already point at them; until they exist,
# these, and only these, may be unserved. Remove each entry as its file lands.
FRONT_END_TODO = {"/outlook/taskpane.html", "/outlook/commands.html", "/outlook/launchevent.js"}

# URLs in the manifests that are not ours: the sign-in origin (AppDomains, so Outlook keeps the
# sign-in dialog in the add-in's window) and the unified manifest's `$schema`.
EXTERNAL = {
    manifests.SIGN_IN_ORIGIN,
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
    target = manifests.deployment(BASE_URL, CLIENT_ID)
    xml_urls = _xml_urls(manifests.render_outlook_xml(target))
    json_urls = _json_urls(json.loads(manifests.render_outlook_json(target)))
    assert xml_urls and json_urls
    return xml_urls | json_urls


def test_the_todo_list_is_exactly_the_front_end_issue_5_builds_next():
    assert {
        manifests.TASKPANE_PATH,
        manifests.COMMANDS_PATH,
        manifests.LAUNCHEVENT_PATH,
    } == FRONT_END_TODO


def test_every_url_in_the_manifests_is_served(client):
    urls = _manifest_urls()
    ours = {url for url in urls if url == BASE_URL or url.startswith(BASE_URL + "/")}

    assert urls - ours == EXTERNAL
    unserved = set()
    for url in sorted(ours):
        path = urlsplit(url).path or "/"
        response = client.get(path, base_url=BASE_URL)
        if response.status_code != 200:
            unserved.add(path)
    newly_served = FRONT_END_TODO - unserved
    assert not newly_served, f"now served, so remove from FRONT_END_TODO: {sorted(newly_served)}"
    assert unserved == FRONT_END_TODO, f"unserved URLs in the manifests: {sorted(unserved)}"


@pytest.mark.parametrize("size", manifests.ICON_SIZES)
def test_the_icons_are_pngs_of_their_size(client, size):
    response = client.get(f"/static/outlook/icon-{size}.png", base_url=BASE_URL)

    assert response.status_code == 200
    assert response.mimetype == "image/png"
    data = response.get_data()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert (int.from_bytes(data[16:20]), int.from_bytes(data[20:24])) == (size, size)
