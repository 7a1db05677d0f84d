"""The Microsoft stand-in for the Outlook identity tests: Entra ID and Microsoft Graph on 127.0.0.1.

One HTTPS server (self-signed, built the way tests/support/idp.py builds its own, whose helpers it
reuses) with:
- Entra's multi-tenant discovery document and signing keys (`/common/...`), with keys that can be
  rotated (`rotate()`) so a token can name a key id the app has not seen yet;
- each tenant's discovery document and token endpoint (`/{tenant}/...`), which MSAL uses for the
  on-behalf-of flow: it checks the client secret, the grant type
  (`urn:ietf:params:oauth:grant-type:jwt-bearer`), `requested_token_use=on_behalf_of` and that
  the assertion is a token this stand-in issued, and answers with a Graph token for that tenant;
- Microsoft Graph under `/graph/v1.0`: the group filter by mail, the transitive user `$count`
  (refused without `ConsistencyLevel: eventual`, as Graph does), `me/getMailTips` and the message
  filter by `internetMessageId` or `conversationId`, each tenant seeing only its own data.

Tests mint access tokens with `access_token(tenant, ...)` (any claim overridden or dropped, any key,
key id or algorithm), put directory data in `groups`, `mail_tips` and `messages`, and use the
switches: `fail` (endpoint names answering 503), `stall` (endpoint name -> seconds to wait before
answering), `trickle` (endpoint name -> seconds between the bytes of its answer's body: a server
that answers, but too slowly for any per-read timeout to notice), `documents` (endpoint name ->
the JSON served instead of the real answer, e.g. a malformed discovery document; bytes are served
as they are, as an HTML page), `cache_control` (endpoint name -> its Cache-Control header; none by
default) and `calls` (every endpoint hit, in order); `graph_peak` is the most Graph requests seen
in flight at once.
Endpoint names: `discovery`, `jwks`, `tenant-discovery`, `token`, `groups`, `count`, `mailtips`,
`messages`. Nothing in the app is patched.

Like idp.py this is a plain module that conftests import by name (`import entra`).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import idp
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "6c1f3f1e-7a55-4b8e-9d2a-0d7e5c1b2a01"
CLIENT_SECRET = "outlook-secret-for-tests"
APP_ID_URI = f"api://lint.corp.example/{CLIENT_ID}"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
_ODATA_EQ = re.compile(r"^(\w+) eq '((?:[^']|'')*)'$")


@dataclass
class MicrosoftStandIn:
    base: str
    ca_bundle: str
    keys: dict[str, rsa.RSAPrivateKey]  # kid -> key; all of them are published
    kid: str  # the key new tokens are signed with
    rogue_key: rsa.RSAPrivateKey = field(default_factory=idp._new_key)
    # (tenant, mail) -> (group id, people in it)
    groups: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    mail_tips: dict[tuple[str, str], int] = field(default_factory=dict)  # (tenant, address)
    messages: dict[tuple[str, str], dict] = field(default_factory=dict)  # (tenant, message id)
    fail: set[str] = field(default_factory=set)
    stall: dict[str, float] = field(default_factory=dict)
    trickle: dict[str, float] = field(default_factory=dict)
    documents: dict[str, object] = field(default_factory=dict)
    cache_control: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    graph_in_flight: int = 0
    graph_peak: int = 0
    _count_lock: threading.Lock = field(default_factory=threading.Lock)
    token_requests: list[dict] = field(default_factory=list)
    issued: set[str] = field(default_factory=set)  # access tokens for our API it minted
    graph_tokens: dict[str, str] = field(default_factory=dict)  # Graph token -> tenant
    released: threading.Event = field(default_factory=threading.Event)

    def reset(self) -> None:
        self.released.set()  # wake anything still stalled from the last test
        self.released = threading.Event()
        for kid in list(self.keys)[1:]:
            del self.keys[kid]
        self.kid = next(iter(self.keys))
        for collection in (
            self.groups,
            self.mail_tips,
            self.messages,
            self.stall,
            self.trickle,
            self.documents,
            self.cache_control,
        ):
            collection.clear()
        self.graph_peak = 0
        self.fail.clear()
        self.calls.clear()
        self.token_requests.clear()
        self.issued.clear()
        self.graph_tokens.clear()

    def rotate(self) -> str:
        """Publish a new signing key and sign new tokens with it; the old one stays published."""
        self.kid = f"key-{len(self.keys) + 1}-{secrets.token_hex(4)}"
        self.keys[self.kid] = idp._new_key()
        return self.kid

    def jwks(self) -> dict:
        keys = []
        for kid, key in self.keys.items():
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    def issuer(self, tenant: str) -> str:
        return f"{self.base}/{tenant}/v2.0"

    def access_token(
        self,
        tenant: str,
        *,
        key=None,
        kid: str | None = None,
        algorithm: str = "RS256",
        **claims,
    ) -> str:
        """An access token for our API, as Entra would issue it to the add-in. A claim given as
        None is left out; `key`, `kid` and `algorithm` forge the signature."""
        now = int(time.time())
        body = {
            "aud": CLIENT_ID,
            "iss": self.issuer(tenant),
            "iat": now - 5,
            "nbf": now - 5,
            "exp": now + 3600,
            "tid": tenant,
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, tenant)),
            "scp": "access_as_user",
            "ver": "2.0",
            "name": "Peter Smith",
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        headers = {"typ": "JWT"}
        if kid != "":  # "" leaves the key id out
            headers["kid"] = self.kid if kid is None else kid
        signing_key = self.keys[self.kid] if key is None else key
        if algorithm == "none":
            signing_key = None
        token = jwt.encode(body, signing_key, algorithm=algorithm, headers=headers)
        self.issued.add(token)
        return token


class _Handler(BaseHTTPRequestHandler):
    standin: MicrosoftStandIn
    endpoint: str | None = None  # the endpoint this request is for, once known

    def log_message(self, format, *args):  # quiet
        pass

    def do_GET(self):
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        s = self.standin
        path = parts.path
        if path == "/common/v2.0/.well-known/openid-configuration":
            if self._switched("discovery"):
                return None
            return self._json(
                {
                    "issuer": f"{s.base}/{{tenantid}}/v2.0",
                    "jwks_uri": f"{s.base}/common/discovery/v2.0/keys",
                    "token_endpoint": f"{s.base}/common/oauth2/v2.0/token",
                }
            )
        if path == "/common/discovery/v2.0/keys":
            if self._switched("jwks"):
                return None
            return self._json(s.jwks())
        match = re.fullmatch(r"/([0-9a-f-]{36})/v2\.0/\.well-known/openid-configuration", path)
        if match:
            tenant = match.group(1)
            s.calls.append("tenant-discovery")
            return self._json(
                {
                    "issuer": s.issuer(tenant),
                    "authorization_endpoint": f"{s.base}/{tenant}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{s.base}/{tenant}/oauth2/v2.0/token",
                    "jwks_uri": f"{s.base}/common/discovery/v2.0/keys",
                }
            )
        if path.startswith("/graph/v1.0/"):
            return self._graph("GET", path[len("/graph/v1.0/") :], query, None)
        return self._json({"error": "not_found"}, 404)

    def do_POST(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        s = self.standin
        match = re.fullmatch(r"/([0-9a-f-]{36})/oauth2/v2\.0/token", parts.path)
        if match:
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            return self._token(match.group(1), form)
        if parts.path.startswith("/graph/v1.0/"):
            return self._graph("POST", parts.path[len("/graph/v1.0/") :], {}, raw)
        s.calls.append("unknown")
        return self._json({"error": "not_found"}, 404)

    # --- Entra's token endpoint: the on-behalf-of exchange ---------------------------------------

    def _token(self, tenant: str, form: dict):
        s = self.standin
        s.calls.append("token")
        self.endpoint = "token"
        s.token_requests.append(form)
        self._stall("token")
        if "token" in s.fail:
            return self._json({"error": "temporarily_unavailable"}, 503)
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return self._json({"error": "invalid_client"}, 401)
        if form.get("grant_type") != JWT_BEARER or form.get("requested_token_use") != (
            "on_behalf_of"
        ):
            return self._json({"error": "unsupported_grant_type"}, 400)
        assertion = form.get("assertion", "")
        if assertion not in s.issued or jwt.decode(
            assertion, options={"verify_signature": False}
        ).get("tid") != (tenant):
            return self._json({"error": "invalid_grant"}, 400)
        if GRAPH_SCOPE not in form.get("scope", "").split():
            return self._json({"error": "invalid_scope"}, 400)
        graph_token = f"graph-{secrets.token_urlsafe(16)}"
        s.graph_tokens[graph_token] = tenant
        return self._json(
            {
                "token_type": "Bearer",
                "access_token": graph_token,
                "expires_in": 3600,
                "scope": GRAPH_SCOPE,
            }
        )

    # --- Microsoft Graph -------------------------------------------------------------------------

    def _graph(self, method: str, path: str, query: dict, body: str | None):
        s = self.standin
        with s._count_lock:
            s.graph_in_flight += 1
            s.graph_peak = max(s.graph_peak, s.graph_in_flight)
        try:
            return self._graph_answer(method, path, query, body)
        finally:
            with s._count_lock:
                s.graph_in_flight -= 1

    def _graph_answer(self, method: str, path: str, query: dict, body: str | None):
        s = self.standin
        name = _graph_endpoint(method, path)
        s.calls.append(name)
        self.endpoint = name
        self._stall(name)
        if name in s.fail:
            return self._json({"error": {"code": "serviceNotAvailable"}}, 503)
        authorization = self.headers.get("Authorization", "")
        tenant = s.graph_tokens.get(authorization.removeprefix("Bearer "))
        if tenant is None:
            return self._json({"error": {"code": "InvalidAuthenticationToken"}}, 401)
        if name == "groups":
            mail = _odata_eq(query.get("$filter", ""), "mail")
            group = s.groups.get((tenant, (mail or "").lower()))
            return self._json({"value": [{"id": group[0]}] if group else []})
        if name == "count":
            if self.headers.get("ConsistencyLevel") != "eventual":
                return self._json({"error": {"code": "Request_UnsupportedQuery"}}, 400)
            group_id = path.split("/")[1]
            for (owner, _), (known_id, people) in s.groups.items():
                if owner == tenant and known_id == group_id:
                    return self._text(str(people))
            return self._json({"error": {"code": "Request_ResourceNotFound"}}, 404)
        if name == "mailtips":
            request = json.loads(body or "{}")
            if request.get("MailTipsOptions") != "totalMemberCount":
                return self._json({"error": {"code": "ErrorInvalidRequest"}}, 400)
            value = []
            for address in request.get("EmailAddresses", []):
                count = s.mail_tips.get((tenant, address.lower()))
                tips = {"emailAddress": {"address": address}}
                if count is None:
                    tips["error"] = {"code": "RecipientNotFound"}
                else:
                    tips["totalMemberCount"] = count
                value.append(tips)
            return self._json({"value": value})
        if name == "messages":
            expression = query.get("$filter", "")
            message_id = _odata_eq(expression, "internetMessageId")
            if message_id is not None:
                message = s.messages.get((tenant, message_id))
                return self._json({"value": [message] if message else []})
            conversation = _odata_eq(expression, "conversationId")
            if conversation is None or "$orderby" in query:
                return self._json({"error": {"code": "InefficientFilter"}}, 400)
            found = [
                message
                for (owner, _), message in s.messages.items()
                if owner == tenant and message.get("conversationId") == conversation
            ]
            return self._json({"value": found[: int(query.get("$top", "10"))]})
        return self._json({"error": {"code": "BadRequest"}}, 400)

    def _switched(self, name: str) -> bool:
        """Record a call to a discovery or keys endpoint and apply the switches; True when the
        answer has been sent (a failure or a replacement document)."""
        s = self.standin
        s.calls.append(name)
        self.endpoint = name
        self._stall(name)
        if name in s.fail:
            self._json({"error": "temporarily_unavailable"}, 503)
            return True
        if name in s.documents:
            document = s.documents[name]
            if isinstance(document, bytes):
                self._send(document, "text/html", 200)
            else:
                self._send(json.dumps(document).encode(), "application/json", 200)
            return True
        return False

    def _stall(self, name: str) -> None:
        """Wait the configured time (or until the test is over) before answering."""
        seconds = self.standin.stall.get(name)
        if seconds:
            self.standin.released.wait(seconds)

    def _json(self, body: dict, status: int = 200):
        self._send(json.dumps(body).encode(), "application/json", status)

    def _text(self, text: str):
        self._send(text.encode(), "text/plain", 200)

    def _send(self, data: bytes, content_type: str, status: int):
        interval = self.standin.trickle.get(self.endpoint or "")
        released = self.standin.released
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            cache_control = self.standin.cache_control.get(self.endpoint or "")
            if cache_control:
                self.send_header("Cache-Control", cache_control)
            self.end_headers()
            if not interval:
                self.wfile.write(data)
                return
            self.wfile.flush()
            for n in range(len(data)):  # one byte at a time, until the test is over
                if released.wait(interval):
                    self.wfile.write(data[n:])
                    break
                self.wfile.write(data[n : n + 1])
                self.wfile.flush()
        except OSError:  # the client gave up waiting (a stall test): nothing to do
            pass


def _graph_endpoint(method: str, path: str) -> str:
    if method == "GET" and path == "groups":
        return "groups"
    if method == "GET" and re.fullmatch(
        r"groups/[^/]+/transitiveMembers/microsoft\.graph\.user/\$count", path
    ):
        return "count"
    if method == "POST" and path == "me/getMailTips":
        return "mailtips"
    if method == "GET" and path == "me/messages":
        return "messages"
    return f"unknown {method} {path}"


def _odata_eq(expression: str, prop: str) -> str | None:
    match = _ODATA_EQ.match(expression)
    if not match or match.group(1) != prop:
        return None
    return match.group(2).replace("''", "'")


@contextmanager
def serve(folder: Path) -> Iterator[MicrosoftStandIn]:
    """Run the stand-in until the block ends; its TLS certificate goes into `folder`."""
    handler = type("Handler", (_Handler,), {})
    with idp.https_server(folder, handler, "entra-stand-in") as server:
        handler.standin = MicrosoftStandIn(
            base=f"https://127.0.0.1:{server.server_address[1]}",
            ca_bundle=str(folder / "cert.pem"),
            keys={"key-1": idp._new_key()},
            kid="key-1",
        )
        try:
            yield handler.standin
        finally:
            handler.standin.released.set()  # stalled answers end before the server stops


def outlook_config(standin: MicrosoftStandIn, *, with_secret: bool = True) -> dict:
    """The app settings that point Entra verification, MSAL and Graph at the stand-in."""
    config = {
        "OUTLOOK_CLIENT_ID": CLIENT_ID,
        "OUTLOOK_APP_ID_URI": APP_ID_URI,
        "OUTLOOK_OPENID_CONFIG": f"{standin.base}/common/v2.0/.well-known/openid-configuration",
        "OUTLOOK_ISSUER": f"{standin.base}/{{tenantid}}/v2.0",
        "OUTLOOK_OIDC_AUTHORITY": f"{standin.base}/{{tenantid}}/v2.0",
        "OUTLOOK_GRAPH_URL": f"{standin.base}/graph/v1.0",
        "OIDC_CA_BUNDLE": standin.ca_bundle,
    }
    if with_secret:
        config["OUTLOOK_CLIENT_SECRET"] = CLIENT_SECRET
    return config
