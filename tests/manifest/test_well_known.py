"""/.well-known/microsoft-officeaddins-allowed.json: the JavaScript files of this origin allowed
to get SSO tokens and make CORS requests from classic Outlook on Windows' JavaScript-only
runtime. Shape, as Microsoft documents it: `{"allowed": [absolute URLs of .js files]}` at the
origin's root (https://learn.microsoft.com/office/dev/add-ins/develop/use-sso-in-event-based-activation).
"""

from __future__ import annotations

import pytest
from lxml import etree

from server.app import create_app
from server.outlook import manifest

PATH = "/.well-known/microsoft-officeaddins-allowed.json"
CLIENT_ID = "7f6b1c2a-0000-4000-8000-00000000c0de"


def _app(registry, tmp_path, **config):
    return create_app(
        {
            "TESTING": True,
            "API_KEYS": {"test-key-0123456789": "corp.example"},
            "DATABASE_URL": f"sqlite:///{tmp_path / 'well-known.sqlite3'}",
            **config,
        },
        registry=registry,
    )


def test_lists_the_launch_event_script_of_this_origin(registry, tmp_path):
    client = _app(registry, tmp_path).test_client()

    response = client.get(PATH, base_url="https://lint.corp.example")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {"allowed": ["https://lint.corp.example/outlook/launchevent.js"]}


def test_the_public_base_url_wins_over_the_request_behind_a_proxy(registry, tmp_path):
    app = _app(registry, tmp_path, PUBLIC_BASE_URL="https://lint.corp.example/")

    response = app.test_client().get(PATH, base_url="http://10.0.0.7:8000")

    assert response.get_json() == {"allowed": ["https://lint.corp.example/outlook/launchevent.js"]}


@pytest.mark.parametrize(
    "base_url", ["https://lint.corp.example", "https://lint.corp.example:8443"]
)
def test_it_allows_exactly_the_script_the_xml_manifest_names(registry, tmp_path, base_url):
    target = manifest.deployment(base_url, CLIENT_ID)
    document = etree.fromstring(manifest.render_outlook_xml(target).encode("utf-8"))
    urls = {u.get("id"): u.get("DefaultValue") for u in document.iter("{*}Url")}
    (override,) = document.iter("{*}Override")

    response = _app(registry, tmp_path).test_client().get(PATH, base_url=base_url)

    assert response.get_json()["allowed"] == [urls[override.get("resid")]]
