"""Fixtures for the manifest tests: Microsoft's schemas and rendered manifests.

The schemas are offline copies vendored in tests/vendor/outlook-schemas/ (its README.md says where
each file comes from and under which terms), so the schema tests run in every checkout and never
skip: a missing file fails them. `DRAFTLINT_SCHEMAS` points at another folder of the same layout.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from server.outlook import manifest

VENDORED_SCHEMAS = Path(__file__).resolve().parents[1] / "vendor" / "outlook-schemas"
SCHEMAS = Path(os.environ.get("DRAFTLINT_SCHEMAS", VENDORED_SCHEMAS))
XSD_ROOT = SCHEMAS / "outlook-xml" / "OfficeAppManifestV1_1.xsd"
JSON_SCHEMA = SCHEMAS / "m365-json" / "MicrosoftTeams.schema.json"

BASE_URL = "https://lint.corp.example"
CLIENT_ID = "7f6b1c2a-0000-4000-8000-00000000c0de"


def _require(path: Path) -> Path:
    if not path.is_file():
        pytest.fail(
            f"{path} is missing: Microsoft's manifest schemas are vendored in {VENDORED_SCHEMAS}",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def xml_schema():
    """The appforoffice/1.1 schema; lxml resolves its xs:import schemaLocations (sibling files,
    named as the imports spell them) from the same folder, so nothing is fetched."""
    from lxml import etree

    root = _require(XSD_ROOT)
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(root), parser))


@pytest.fixture(scope="session")
def json_validator():
    """A draft-04 validator for the unified manifest schema v1.30. The schema's `$ref`s are all
    local (`#/definitions/...`), which this fixture checks so a future copy with a remote `$ref`
    fails here instead of reaching for the network."""
    import jsonschema

    schema = json.loads(_require(JSON_SCHEMA).read_text(encoding="utf-8"))
    remote = sorted({ref for ref in _refs(schema) if not ref.startswith("#")})
    assert not remote, f"the schema has remote $refs; register local copies for {remote}"
    # No check_schema(): one pattern uses \p{L}, which Python's re cannot compile, and only
    # customFunctions names (absent from a mail add-in) are matched against it (see README.md).
    return jsonschema.Draft4Validator(schema)


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


@pytest.fixture
def target() -> manifest.Deployment:
    return manifest.deployment(BASE_URL, CLIENT_ID)


@pytest.fixture
def xml_manifest(target):
    from lxml import etree

    return etree.fromstring(manifest.render_outlook_xml(target).encode("utf-8"))


@pytest.fixture
def json_manifest(target) -> dict:
    return json.loads(manifest.render_outlook_json(target))
