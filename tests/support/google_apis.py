"""A stand-in for the Google services the Gmail add-on talks to, shared by tests/gmail and
tools/bench_gmail.py.

Served from threads on 127.0.0.1, with its own RSA keys, on two ports:
- `certs_url` (HTTPS, a self-signed certificate made the way tests/support/idp.py makes its own:
  `ca_bundle`, which the app trusts through `OIDC_CA_BUNDLE`): `/oauth2/v1/certs`, the ID-token
  signing certificates in Google's x509 JSON format, with a Cache-Control max-age as Google sends
  (`certs_cache_control`); `mint()` signs ID tokens with the newest key (or a rogue one), and
  `rotate()` publishes a new key under a new key id, as Google does;
- `base` (plain HTTP: the Gmail and Directory clients, httplib2, trust only the public CAs) for
  the APIs below (the HTTPS port answers them too):
- `/token`: the OAuth token endpoint for a service account's JWT-bearer grant (it checks the
  assertion's signature, subject and scope, and hands out an access token);
- `/gmail/v1/users/me/...`: `threads.get` (metadata format, only the requested headers),
  `messages.get` (raw format) and `drafts.list`, over the mailbox in `mailbox`, for the user
  access token `USER_TOKEN` only;
- `/admin/directory/v1/groups`: `groups.list`, paged, over `groups`, for a token from `/token`.

Tests set `delay` (seconds before each API answer) and `fail` (API name -> HTTP status) to
check that the add-on degrades, and read `calls` (method and path, never a body) to check caching.
`certs_answer` (bytes) replaces the certificates with another 200 answer, cacheable like them,
as a captive portal or a misconfigured proxy would serve. `reset()` puts the first key back.
Nothing in the app is patched: it reaches this server through its configured URLs.

This is a plain module, not a conftest: pytest puts tests/support on sys.path (pyproject.toml), so
conftests `import google_apis`, and tools/bench_gmail.py through tools/standins.py.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import idp
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

KID = "google-stand-in-key"
ADDON_SERVICE_ACCOUNT = "service-123456@gcp-sa-gsuiteaddons.iam.gserviceaccount.com"
OAUTH_CLIENT_ID = "98765-addon.apps.googleusercontent.com"
DIRECTORY_ACCOUNT = "draftlint-directory@corp-project.iam.gserviceaccount.com"
DIRECTORY_SCOPE = "https://www.googleapis.com/auth/admin.directory.group.readonly"
USER_TOKEN = "ya29.user-token-for-tests"
ISSUER = "https://accounts.google.com"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(key: rsa.RSAPrivateKey) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stand-in signing key")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@dataclass
class Message:
    """A message of the stand-in mailbox: its RFC 822 bytes, labels and time."""

    id: str
    thread_id: str
    raw: bytes
    labels: tuple[str, ...] = ()
    internal_date: int = 0


def message(
    id: str,
    thread_id: str,
    *,
    sender: str,
    to: str,
    cc: str = "",
    subject: str,
    body: str,
    html: bool = False,
    draft: bool = False,
    internal_date: int = 0,
    message_id: str | None = None,
) -> Message:
    """A message built with the standard library, as Gmail would store it."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, subject
    if cc:
        mail["Cc"] = cc
    if message_id:
        mail["Message-ID"] = message_id
    mail.set_content(body, subtype="html" if html else "plain")
    labels = ("DRAFT",) if draft else ("INBOX",)
    return Message(id, thread_id, bytes(mail), labels, internal_date)


@dataclass
class GoogleStandIn:
    base: str  # plain HTTP: the APIs
    tls_base: str  # HTTPS: the certificates
    ca_bundle: str  # the HTTPS port's self-signed certificate
    signing_key: rsa.RSAPrivateKey  # the newest key, which signs new tokens
    rogue_key: rsa.RSAPrivateKey
    directory_key: rsa.RSAPrivateKey
    certificate_pem: str
    kid: str = KID
    older: dict[str, tuple[rsa.RSAPrivateKey, str]] = field(default_factory=dict)  # still published
    certs_cache_control: str = "public, max-age=3600"
    mailbox: dict[str, Message] = field(default_factory=dict)  # message id -> message
    groups: list[dict] = field(default_factory=list)
    page_size: int = 200
    delay: float = 0.0
    fail: dict[str, int] = field(default_factory=dict)  # "gmail" | "directory" | "certs" | "token"
    calls: list[tuple[str, str]] = field(default_factory=list)
    certs_answer: bytes | None = None  # a 200 answered instead of the certificates
    issued: set[str] = field(default_factory=set)  # access tokens handed out by /token
    subjects: list[str] = field(default_factory=list)  # whom each /token grant impersonates
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        self.mailbox.clear()
        self.groups.clear()
        self.fail.clear()
        self.calls.clear()
        self.subjects.clear()
        self.page_size, self.delay = 200, 0.0
        self.certs_answer = None
        self.certs_cache_control = "public, max-age=3600"
        if KID in self.older:
            self.signing_key, self.certificate_pem = self.older[KID]
        self.older.clear()
        self.kid = KID

    def rotate(self) -> str:
        """Sign new tokens with a new key under a new key id; the old ones stay published."""
        self.older[self.kid] = (self.signing_key, self.certificate_pem)
        self.kid = f"google-key-{len(self.older) + 1}-{secrets.token_hex(4)}"
        self.signing_key = _key()
        self.certificate_pem = _certificate(self.signing_key)
        return self.kid

    def certificates(self) -> dict[str, str]:
        """What `/oauth2/v1/certs` answers: key id -> PEM certificate, every published key."""
        published = {kid: pem for kid, (_, pem) in self.older.items()}
        return {**published, self.kid: self.certificate_pem}

    def add(self, *messages: Message) -> None:
        for item in messages:
            self.mailbox[item.id] = item

    def count(self, prefix: str) -> int:
        with self.lock:
            return sum(1 for _, path in self.calls if path.startswith(prefix))

    @property
    def certs_url(self) -> str:
        return f"{self.tls_base}/oauth2/v1/certs"

    def mint(self, claims: dict, *, rogue: bool = False, lifetime: int = 3600) -> str:
        """An ID token signed by the stand-in's key (or a rogue key it does not publish)."""
        now = int(time.time())
        body = {"iss": ISSUER, "iat": now - 1, "exp": now + lifetime, **claims}
        body = {k: v for k, v in body.items() if v is not None}
        key = self.rogue_key if rogue else self.signing_key
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": self.kid})

    def system_token(self, audience: str, **claims) -> str:
        """The token Google's add-on runtime sends in `Authorization: Bearer`."""
        base = {
            "aud": audience,
            "azp": "1122334455",
            "sub": "1122334455",
            "email": ADDON_SERVICE_ACCOUNT,
            "email_verified": True,
        }
        return self.mint({**base, **claims})

    def user_token(self, email: str = "ana@corp.example", **claims) -> str:
        """The user's ID token (`authorizationEventObject.userIdToken`)."""
        domain = email.rpartition("@")[2]
        base = {
            "aud": OAUTH_CLIENT_ID,
            "azp": OAUTH_CLIENT_ID,
            "sub": "user-" + email,
            "email": email,
            "email_verified": True,
            "hd": domain,
        }
        return self.mint({**base, **claims})

    def service_account_file(self, folder: Path) -> str:
        """A service-account key file whose token endpoint is this stand-in."""
        path = folder / "directory-service-account.json"
        path.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": "corp-project",
                    "private_key_id": "directory-key",
                    "private_key": _pem(self.directory_key),
                    "client_email": DIRECTORY_ACCOUNT,
                    "client_id": "5566778899",
                    "token_uri": f"{self.base}/token",
                }
            )
        )
        return str(path)


class _Handler(BaseHTTPRequestHandler):
    google: GoogleStandIn

    def log_message(self, format, *args):  # quiet
        pass

    def do_GET(self):
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        google = self.google
        with google.lock:
            google.calls.append(("GET", parts.path))
        if parts.path == "/oauth2/v1/certs":
            if "certs" in google.fail:
                return self._json({"error": "unavailable"}, google.fail["certs"])
            cache = google.certs_cache_control
            if google.certs_answer is not None:
                return self._raw(google.certs_answer, "text/html", cache=cache)
            return self._json(google.certificates(), cache=cache)
        if parts.path.startswith("/gmail/v1/users/me/"):
            return self._gmail(parts.path.removeprefix("/gmail/v1/users/me/"), query)
        if parts.path == "/admin/directory/v1/groups":
            return self._directory(query)
        return self._json({"error": {"code": 404, "message": "not found"}}, 404)

    def do_POST(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        google = self.google
        with google.lock:
            google.calls.append(("POST", parts.path))
        if parts.path != "/token":
            return self._json({"error": "not_found"}, 404)
        if "token" in google.fail:
            return self._json({"error": "unavailable"}, google.fail["token"])
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self._json({"error": "unsupported_grant_type"}, 400)
        try:
            claims = jwt.decode(
                form.get("assertion", ""),
                google.directory_key.public_key(),
                algorithms=["RS256"],
                # google-auth addresses the assertion to Google's token endpoint, wherever the
                # key file's token_uri points.
                audience="https://oauth2.googleapis.com/token",
            )
        except jwt.PyJWTError:
            return self._json({"error": "invalid_grant"}, 400)
        if claims.get("iss") != DIRECTORY_ACCOUNT or DIRECTORY_SCOPE not in claims.get(
            "scope", ""
        ).split(" "):
            return self._json({"error": "unauthorized_client"}, 401)
        token = "directory-" + secrets.token_urlsafe(12)
        with google.lock:
            google.issued.add(token)
            google.subjects.append(str(claims.get("sub")))
        return self._json({"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    # --- the APIs -------------------------------------------------------------------------

    def _api_gate(self, api: str, tokens: set[str]) -> bool:
        """Wait `delay`, fail as told, check the bearer token; True when answered already."""
        google = self.google
        if google.delay:
            time.sleep(google.delay)
        if api in google.fail:
            status = google.fail[api]
            self._json({"error": {"code": status, "message": "stand-in failure"}}, status)
            return True
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in tokens:
            self._json({"error": {"code": 401, "message": "bad token"}}, 401)
            return True
        return False

    def _gmail(self, path: str, query: dict):
        if self._api_gate("gmail", {USER_TOKEN}):
            return None
        mailbox = self.google.mailbox
        kind, _, item = path.partition("/")
        if kind == "drafts" and not item:
            drafts = sorted(
                (m for m in mailbox.values() if "DRAFT" in m.labels),
                key=lambda m: -m.internal_date,
            )[: int(query.get("maxResults", ["100"])[0])]
            listed = [
                {"id": "r-" + m.id, "message": {"id": m.id, "threadId": m.thread_id}}
                for m in drafts
            ]
            return self._json({"drafts": listed} if listed else {})
        if kind == "threads" and item:
            messages = [m for m in mailbox.values() if m.thread_id == item]
            if not messages:
                return self._json({"error": {"code": 404, "message": "no thread"}}, 404)
            wanted = {h.lower() for h in query.get("metadataHeaders", [])}
            return self._json({"id": item, "messages": [_metadata(m, wanted) for m in messages]})
        if kind == "messages" and item in mailbox:
            raw = base64.urlsafe_b64encode(mailbox[item].raw).decode().rstrip("=")
            return self._json({"raw": raw})
        return self._json({"error": {"code": 404, "message": "not found"}}, 404)

    def _directory(self, query: dict):
        if self._api_gate("directory", self.google.issued):
            return None
        if query.get("customer") != ["my_customer"]:
            return self._json({"error": {"code": 400, "message": "customer"}}, 400)
        start = int(query.get("pageToken", ["0"])[0])
        size = min(self.google.page_size, int(query.get("maxResults", ["200"])[0]))
        page = {"groups": self.google.groups[start : start + size]}
        if start + size < len(self.google.groups):
            page["nextPageToken"] = str(start + size)
        return self._json(page)

    def _json(self, body: dict, status: int = 200, cache: str | None = None):
        self._raw(json.dumps(body).encode(), "application/json", status, cache)

    def _raw(self, data: bytes, kind: str, status: int = 200, cache: str | None = None):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        if cache:
            self.send_header("Cache-Control", cache)
        self.end_headers()
        self.wfile.write(data)


def _metadata(item: Message, wanted: set[str]) -> dict:
    parsed = message_from_bytes(item.raw)
    headers = [{"name": k, "value": str(v)} for k, v in parsed.items() if k.lower() in wanted]
    return {
        "id": item.id,
        "threadId": item.thread_id,
        "labelIds": list(item.labels),
        "internalDate": str(item.internal_date),
        "sizeEstimate": len(item.raw),
        "payload": {"headers": headers},
    }


@contextmanager
def serve(folder: Path | None = None) -> Iterator[GoogleStandIn]:
    """Run the stand-in until the block ends; its TLS certificate goes into `folder` (a
    temporary one when not given)."""
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        handler = type("Handler", (_Handler,), {})
        tls = stack.enter_context(idp.https_server(folder, handler, "google-stand-in-tls"))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        signing_key = _key()
        google = GoogleStandIn(
            base=f"http://127.0.0.1:{server.server_address[1]}",
            tls_base=f"https://127.0.0.1:{tls.server_address[1]}",
            ca_bundle=str(folder / "cert.pem"),
            signing_key=signing_key,
            rogue_key=_key(),
            directory_key=_key(),
            certificate_pem=_certificate(signing_key),
        )
        handler.google = google
        thread = threading.Thread(target=server.serve_forever, name="google-stand-in", daemon=True)
        thread.start()
        try:
            yield google
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def app_config(google: GoogleStandIn, folder: Path, **overrides) -> dict:
    """The app settings that point the Gmail add-on at the stand-in."""
    return {
        "GMAIL_ADDON_SERVICE_ACCOUNT": ADDON_SERVICE_ACCOUNT,
        "GMAIL_OAUTH_CLIENT_ID": OAUTH_CLIENT_ID,
        "GMAIL_CERTS_URL": google.certs_url,
        "OIDC_CA_BUNDLE": google.ca_bundle,
        "GMAIL_API_ROOT": google.base + "/",
        "GMAIL_DIRECTORY_API_ROOT": google.base + "/",
        "GMAIL_DIRECTORY_CREDENTIALS": google.service_account_file(folder),
        "GMAIL_DIRECTORY_ADMINS": {"corp.example": "admin@corp.example"},
        "GMAIL_TIMEOUT": 2,
        **overrides,
    }
