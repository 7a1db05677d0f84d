"""The deployment descriptor of the Gmail add-on, built from data for a public base URL.

The shape is Google's `Deployment` resource of the Google Workspace Add-ons API (REST
`projects.deployments`; protobuf `google.cloud.gsuiteaddons.v1.Deployment`): `oauthScopes` and
`addOns`, which is what `gcloud workspace-add-ons deployments create --deployment-file` reads. It
is built in Python rather than from a text template so that no value (a base URL with a quote in
it, say) can break the JSON, and so it ships inside the installed package.

HTTP deployments name their endpoints by URL where Apps Script manifests name functions, and the
compose action list is `composeTrigger.actions` (Apps Script's manifest calls it `selectActions`;
the Add-ons API protobuf has no such field and rejects it).
"""

from __future__ import annotations

from urllib.parse import urlsplit

MODES = ("metadata", "full")

_SCOPE = "https://www.googleapis.com/auth/"

# Scopes every deployment asks for: run as a Gmail add-on, see the open message's metadata, act
# on the draft being composed (updateDraftActionMarkup), and know who the user is.
METADATA_SCOPES = (
    _SCOPE + "gmail.addons.execute",
    _SCOPE + "gmail.addons.current.message.metadata",
    _SCOPE + "gmail.addons.current.action.compose",
    _SCOPE + "userinfo.email",
)
# `full` adds read access so the backend reads the auto-saved draft and the message it replies to
# through the Gmail API: suited to an add-on deployed inside one organisation.
FULL_SCOPES = (*METADATA_SCOPES, _SCOPE + "gmail.readonly")

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})

HOMEPAGE_PATH = "/gmail/homepage"
COMPOSE_PATH = "/gmail/compose"
FIX_PATH = "/gmail/fix"
WHY_PATH = "/gmail/why"
# Every URL Google's add-on runtime calls: the two triggers named here and the two that the
# cards' buttons name (cards.CheckContext.endpoint). A request's system ID token is issued for one.
ENDPOINT_PATHS = (HOMEPAGE_PATH, COMPOSE_PATH, FIX_PATH, WHY_PATH)
# A raster logo: Google renders it in its own UI, where SVG support is not documented.
LOGO_PATH = "/static/outlook/icon-128.png"


def check_base_url(url: str) -> str:
    """The public base URL without a trailing slash; ValueError saying what is wrong otherwise.

    Google calls the endpoints over HTTPS only; plain http is allowed for a loopback address, for
    trying the descriptor against a local server.
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        raise ValueError(f"--base-url {url!r} is not a URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError(f"--base-url {url!r}: give an absolute URL like https://lint.corp.example")
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise ValueError(
            f"--base-url {url!r}: Google calls add-on endpoints over HTTPS; plain http is only "
            "for 127.0.0.1 or localhost"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"--base-url {url!r}: no query, fragment or credentials, please")
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def build_descriptor(base_url: str, mode: str = "metadata") -> dict:
    """The deployment for `base_url` (checked) in `mode` (`metadata` or `full`)."""
    if mode not in MODES:
        raise ValueError(f"--mode {mode!r}: choose one of {', '.join(MODES)}")
    base = check_base_url(base_url)
    logo = base + LOGO_PATH
    return {
        "oauthScopes": list(FULL_SCOPES if mode == "full" else METADATA_SCOPES),
        "addOns": {
            "common": {
                "name": "draftlint",
                "logoUrl": logo,
                "homepageTrigger": {"runFunction": base + HOMEPAGE_PATH},
                # The fix button replaces the draft's recipients (updateDraftActionMarkup).
                "addOnWidgetSet": {"usedWidgets": ["UPDATE_SUBJECT_AND_RECIPIENTS"]},
            },
            "gmail": {
                "composeTrigger": {
                    "actions": [
                        {
                            "runFunction": base + COMPOSE_PATH,
                            "label": "Check draft",
                            "logoUrl": logo,
                        }
                    ],
                    # Recipients of the draft come with the event; its text never does.
                    "draftAccess": "METADATA",
                }
            },
            "httpOptions": {"authorizationHeader": "SYSTEM_ID_TOKEN"},
        },
    }
