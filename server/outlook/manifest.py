"""The Outlook add-in's manifests, rendered for one deployment: a public base URL and the client
id of the organisation's Microsoft Entra app registration.

Two formats describe the same add-in, and an admin uploads either in the Microsoft 365 admin
center (event-based add-ins are admin-deployed only):
- the add-in only XML manifest (`MailApp`; VersionOverrides 1.0 wrapping 1.1): a compose-window
  button that opens the task pane; in 1.1 also Smart Alerts on send (`OnMessageSend`, SendMode
  from the option, default PromptUser) and `OnMessageRecipientsChanged`, both in the event
  runtime (the HTML page; classic Outlook on Windows loads the JS file named by the Override);
  `WebApplicationInfo` for single sign-on;
- the unified manifest for Microsoft 365 (schema v1.30) with the same runtimes, ribbon button and
  `autoRunEvents`. Its two package icons are named by relative path, so `write_app_package`
  writes the zip an admin uploads: manifest.json, color.png, outline.png.

Templates are data, not code: Jinja2 templates in the repository's top-level `manifest/` folder
(`outlook*.j2`, and the package icons beside them), loaded from the repository checkout next to
this package. `draftlint manifest outlook` therefore works from a `pip install -e .` checkout (the
supported way to run the CLI); a wheel carries `server/` only and says so with a clear error.

The add-in Id is a uuid5 of the normalised base URL and client id: rendering again for the same
deployment gives the same Id (so an admin's re-upload updates the add-in instead of adding a
second one), and a different base URL gives a different add-in.
"""

from __future__ import annotations

import io
import ipaddress
import json
import re
import uuid
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

MANIFEST_DIR = Path(__file__).resolve().parents[2] / "manifest"

# The pages and scripts the manifests point Outlook at, under the base URL. The task pane, the
# event runtime's page and its classic-Windows script are issue 5's front end (served by Flask).
TASKPANE_PATH = "/outlook/taskpane.html"
COMMANDS_PATH = "/outlook/commands.html"
LAUNCHEVENT_PATH = "/outlook/launchevent.js"
ICON_SIZES = (16, 32, 64, 80, 128)
RIBBON_ICON_SIZES = (16, 32, 80)  # the three sizes both manifests require for a ribbon button

# Ids the front end relies on. `TASKPANE_COMMAND_ID` is the button's id, which is what the
# Smart Alerts handler passes as `commandId` to open the task pane from the send dialog.
TASKPANE_COMMAND_ID = "draftlintOpenPane"
TASKPANE_ACTION_ID = "openDraftlintPane"
GROUP_ID = "draftlintGroup"
SEND_HANDLER = "onMessageSendHandler"
RECIPIENTS_HANDLER = "onRecipientsChangedHandler"

# SendMode: the add-in only manifest's names, and the unified manifest's names for the same modes.
SEND_MODES = {"PromptUser": "promptUser", "SoftBlock": "softBlock", "Block": "block"}
DEFAULT_SEND_MODE = "PromptUser"

# Scopes listed in WebApplicationInfo: sign-in, and the Microsoft Graph permissions the server's
# on-behalf-of calls use (group member counts, MailTips, the replied-to message's recipients).
SSO_SCOPES = ("openid", "profile", "GroupMember.Read.All", "Mail.Read")
# Where the sign-in fallback dialog goes, so Outlook keeps it in the add-in's window.
SIGN_IN_ORIGIN = "https://login.microsoftonline.com"

GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
DEFAULT_PORTS = {"https": 443, "http": 80}
HOSTNAME = re.compile(
    r"(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)
# Namespace of the add-in Ids; fixed forever, or every deployment's add-in Id changes.
ADD_IN_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/draftlint/outlook-add-in")

NAME = "draftlint"
FULL_NAME = "draftlint: lint your draft before you send it"
SHORT_DESCRIPTION = "Flags low-effort mail while you write and asks once more on send."
DESCRIPTION = (  # at most 250 characters (the XML manifest's LongString)
    "draftlint checks the message you are writing for content-free reply-alls, vague questions, "
    "empty check-ins and other low-effort mail, shows what it found with one-click fixes, and "
    "asks once more on send. Your organisation's admin sets the rules."
)
BUTTON_LABEL = "Check draft"
BUTTON_TOOLTIP = "Shows what draftlint found in this draft, with one-click fixes."


class ManifestError(ValueError):
    """A base URL or client id that cannot make a working manifest; the message says why."""


@dataclass(frozen=True)
class LaunchEvent:
    type: str  # the add-in only manifest's name
    unified_type: str  # the unified manifest's name for the same event
    function: str
    send_mode: str | None = None

    @property
    def unified_send_mode(self) -> str | None:
        return SEND_MODES[self.send_mode] if self.send_mode else None


@dataclass(frozen=True)
class Deployment:
    """What one organisation's manifest is rendered for. Build it with `deployment()`."""

    base_url: str  # scheme://host[:port], lower case, no trailing slash
    client_id: str  # lower case GUID
    send_mode: str = DEFAULT_SEND_MODE

    @property
    def netloc(self) -> str:
        return urlsplit(self.base_url).netloc

    @property
    def add_in_id(self) -> str:
        return str(uuid.uuid5(ADD_IN_ID_NAMESPACE, f"{self.base_url}|{self.client_id}"))

    @property
    def sso_resource(self) -> str:
        return f"api://{self.netloc}/{self.client_id}"

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def launch_events(self) -> tuple[LaunchEvent, ...]:
        return (
            LaunchEvent("OnMessageSend", "messageSending", SEND_HANDLER, self.send_mode),
            LaunchEvent(
                "OnMessageRecipientsChanged", "messageRecipientsChanged", RECIPIENTS_HANDLER
            ),
        )

    @property
    def front_end_urls(self) -> dict[str, str]:
        return {
            "taskpane": self.url(TASKPANE_PATH),
            "commands": self.url(COMMANDS_PATH),
            "launchevent": self.url(LAUNCHEVENT_PATH),
        }


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def parse_base_url(raw: str) -> str:
    """The public origin the add-in is served from, normalised (`https://host[:port]`).

    https, or http on a loopback host for development. An origin only: Microsoft's well-known
    allowed-add-ins file must sit at the origin's root, so the app is served from the root too.
    """
    text = raw.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ManifestError(f"--base-url {raw!r}: {exc}") from None
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("https", "http") or not host:
        raise ManifestError(
            f"--base-url {raw!r}: give an https URL, like https://lint.corp.example"
        )
    if parts.scheme.lower() == "http" and host not in LOOPBACK_HOSTS:
        raise ManifestError(
            f"--base-url {raw!r}: Outlook loads add-ins over https only; plain http is allowed "
            "for development on localhost or 127.0.0.1"
        )
    if not (HOSTNAME.fullmatch(host) or _is_ip(host)):
        raise ManifestError(
            f"--base-url {raw!r}: {host!r} is not a host name (use the punycode form of an "
            "international domain name)"
        )
    if parts.username is not None or parts.password is not None:
        raise ManifestError(f"--base-url {raw!r}: no user name or password in the URL")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ManifestError(
            f"--base-url {raw!r}: give the origin only (scheme, host, port), like "
            "https://lint.corp.example: the add-in's files and the well-known file are served "
            "from the root"
        )
    scheme = parts.scheme.lower()
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    return f"{scheme}://{netloc}"


def parse_client_id(raw: str) -> str:
    """The Entra app registration's Application (client) ID, a GUID, in lower case."""
    text = raw.strip().strip("{}")
    if not GUID.fullmatch(text):
        raise ManifestError(
            f"--client-id {raw!r}: give the Application (client) ID of the app registration, a "
            "GUID like 7f6b1c2a-0000-4000-8000-00000000c0de (Entra admin center > App "
            "registrations > Overview)"
        )
    return text.lower()


def deployment(base_url: str, client_id: str, send_mode: str = DEFAULT_SEND_MODE) -> Deployment:
    """A checked `Deployment`; raises `ManifestError` with a message naming the bad value."""
    if send_mode not in SEND_MODES:
        raise ManifestError(f"--send-mode {send_mode!r}: one of {', '.join(SEND_MODES)}")
    return Deployment(parse_base_url(base_url), parse_client_id(client_id), send_mode)


def _environment(autoescape: bool) -> Environment:
    if not MANIFEST_DIR.is_dir():
        raise ManifestError(
            f"the manifest templates are not at {MANIFEST_DIR}: run draftlint from a repository "
            "checkout installed with `pip install -e .`"
        )
    return Environment(
        loader=FileSystemLoader(MANIFEST_DIR),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _version() -> str:
    try:
        return metadata.version("draftlint")
    except metadata.PackageNotFoundError:  # running from a checkout that was never installed
        return "0.0.0"


def _context(target: Deployment) -> dict:
    version = _version()
    urls = {
        **target.front_end_urls,
        "support": target.url("/"),
        **{f"icon_{size}": target.url(f"/static/outlook/icon-{size}.png") for size in ICON_SIZES},
    }
    return {
        "add_in_id": target.add_in_id,
        "version": version,
        "xml_version": f"{version}.0",
        "provider": NAME,
        "name": NAME,
        "full_name": FULL_NAME,
        "short_description": SHORT_DESCRIPTION,
        "description": DESCRIPTION,
        "button_label": BUTTON_LABEL,
        "button_tooltip": BUTTON_TOOLTIP,
        "urls": urls,
        "ribbon_icons": [{"size": s, "url": urls[f"icon_{s}"]} for s in RIBBON_ICON_SIZES],
        "app_domains": [target.base_url, SIGN_IN_ORIGIN],
        "valid_domains": [target.netloc, urlsplit(SIGN_IN_ORIGIN).netloc],
        "ids": {
            "group": GROUP_ID,
            "taskpane_command": TASKPANE_COMMAND_ID,
            "taskpane_action": TASKPANE_ACTION_ID,
        },
        "launch_events": target.launch_events,
        "client_id": target.client_id,
        "sso_resource": target.sso_resource,
        "sso_scopes": SSO_SCOPES,
    }


def _render(template: str, target: Deployment, *, autoescape: bool) -> str:
    try:
        return _environment(autoescape).get_template(template).render(_context(target))
    except TemplateNotFound as exc:
        raise ManifestError(f"missing manifest template {exc.name} in {MANIFEST_DIR}") from None


def render_outlook_xml(target: Deployment) -> str:
    """The add-in only XML manifest."""
    return _render("outlook.xml.j2", target, autoescape=True)


def render_outlook_json(target: Deployment) -> str:
    """The unified manifest, as indented JSON. Its runtimes must be https (the schema says so)."""
    if not target.base_url.startswith("https://"):
        raise ManifestError(
            "the unified manifest requires https URLs for its runtimes; use --format xml for an "
            "http development server, or serve it over https (e.g. https://localhost:8443)"
        )
    document = json.loads(_render("outlook.json.j2", target, autoescape=False))
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


PACKAGE_ICONS = {"color.png": "outlook-color.png", "outline.png": "outlook-outline.png"}


def write_app_package(target: Deployment) -> bytes:
    """The app package an admin uploads for the unified manifest: manifest.json and its icons.

    Fixed timestamps, so the same deployment always gives the same bytes.
    """
    manifest = render_outlook_json(target)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        entries = [("manifest.json", manifest.encode("utf-8"))]
        entries += [
            (name, (MANIFEST_DIR / source).read_bytes()) for name, source in PACKAGE_ICONS.items()
        ]
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(info, data)
    return buffer.getvalue()


def allowed_add_in_scripts(base_url: str) -> list[str]:
    """The JavaScript files of this origin allowed to get SSO tokens and make CORS requests from
    the JavaScript-only runtime (classic Outlook on Windows), for the well-known file."""
    return [base_url.rstrip("/") + LAUNCHEVENT_PATH]
