"""The identity-provider stand-in, shared by tests/admin and tests/browser.

A real OpenID provider on https://127.0.0.1:<port>, served from a thread with a self-signed
certificate (`IdentityProvider.ca_bundle`, which the app trusts through `OIDC_CA_BUNDLE`; a
browser is told to ignore certificate errors). It has its own RSA key, and two faces:
- `/entra/...`: discovery document, authorize endpoint (approves at once and redirects back with
  a code), token endpoint (checks the client secret, the redirect URI and the PKCE verifier, and
  returns a signed ID token), JWKS. MSAL runs against it unchanged (`oidc_authority`).
- `/google/...`: the same, with the certificates in Google's x509 format at /google/certs.

Tests choose who signs in (`idp.claims`) and can spoil the token (`idp.tamper`,
`idp.sign_with_rogue_key`) to check that verification refuses it; nothing is patched in the app.
The two key endpoints, `entra-keys` and `google-certs` by name, have switches: `key_calls` (each
fetch, by name), `key_fail` (names answering 503), `key_answers` (name -> bytes answered with 200
as an HTML page instead of the keys, as a captive portal would), `key_cache_control` (name -> its
Cache-Control header; none by default); `rotate()` signs new tokens with a new key under a new key
id, the old ones still published. `reset()` puts all of it back.

This is a plain module, not a conftest: pytest puts tests/support on sys.path (pyproject.toml),
so conftests `import idp` and build their fixtures on `serve()` and `reset()`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import secrets
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

ENTRA_CLIENT_ID = "5a1e0b6c-entra-client"
ENTRA_SECRET = "entra-secret-for-tests"
GOOGLE_CLIENT_ID = "1234-google-client.apps.googleusercontent.com"
GOOGLE_SECRET = "google-secret-for-tests"
KID = "stand-in-key-1"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _self_signed(key: rsa.RSAPrivateKey, name: str, ip: str | None = None) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
    )
    if ip:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False
        ).add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return builder.sign(key, hashes.SHA256())


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class IdentityProvider:
    base: str
    ca_bundle: str
    signing_key: rsa.RSAPrivateKey
    rogue_key: rsa.RSAPrivateKey
    signing_cert_pem: str
    claims: dict = field(default_factory=dict)  # who signs in next, and with what claims
    tamper: dict = field(default_factory=dict)  # claims to override after the defaults
    sign_with_rogue_key: bool = False
    authorize_requests: list = field(default_factory=list)
    token_requests: list = field(default_factory=list)
    pending: dict = field(default_factory=dict)  # code -> what the authorize request asked
    kid: str = KID  # the key id of `signing_key`, which signs new tokens
    older: dict[str, tuple[rsa.RSAPrivateKey, str]] = field(default_factory=dict)  # published
    key_calls: list[str] = field(default_factory=list)
    key_fail: set[str] = field(default_factory=set)
    key_answers: dict[str, bytes] = field(default_factory=dict)
    key_cache_control: dict[str, str] = field(default_factory=dict)

    def reset(self) -> None:
        self.claims, self.tamper, self.sign_with_rogue_key = {}, {}, False
        self.authorize_requests.clear()
        self.token_requests.clear()
        self.pending.clear()
        if KID in self.older:
            self.signing_key, self.signing_cert_pem = self.older[KID]
        self.older.clear()
        self.kid = KID
        for switch in (self.key_calls, self.key_fail, self.key_answers, self.key_cache_control):
            switch.clear()

    def rotate(self) -> str:
        """Sign new tokens with a new key under a new key id; the old ones stay published."""
        self.older[self.kid] = (self.signing_key, self.signing_cert_pem)
        self.kid = f"stand-in-key-{len(self.older) + 1}-{secrets.token_hex(4)}"
        self.signing_key = _new_key()
        cert = _self_signed(self.signing_key, "stand-in signing key")
        self.signing_cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        return self.kid

    def _published(self) -> dict[str, tuple[rsa.RSAPrivateKey, str]]:
        return {**self.older, self.kid: (self.signing_key, self.signing_cert_pem)}

    def jwks(self) -> dict:
        keys = []
        for kid, (key, _) in self._published().items():
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    def certificates(self) -> dict[str, str]:
        return {kid: pem for kid, (_, pem) in self._published().items()}

    def id_token(self, face: str, request: dict) -> str:
        now = int(time.time())
        if face == "entra":
            tid = self.claims.get("tid", "tenant-unknown")
            claims = {
                "iss": f"{self.base}/{tid}/v2.0",
                "aud": ENTRA_CLIENT_ID,
                "sub": "entra-subject",
                "oid": str(uuid.uuid4()),
                "tid": tid,
            }
        else:
            claims = {
                "iss": "https://accounts.google.com",
                "aud": GOOGLE_CLIENT_ID,
                "azp": GOOGLE_CLIENT_ID,
                "sub": "google-subject",
                "email_verified": True,
            }
        claims.update(iat=now - 1, nbf=now - 1, exp=now + 3600)
        if request.get("nonce"):
            claims["nonce"] = request["nonce"]
        claims.update(self.claims)
        claims.update(self.tamper)
        claims = {k: v for k, v in claims.items() if v is not None}
        key = self.rogue_key if self.sign_with_rogue_key else self.signing_key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})

    def follow(self, location: str) -> str:
        """What the browser does at the authorize endpoint: returns the redirect back to us."""
        response = requests.get(location, allow_redirects=False, verify=self.ca_bundle, timeout=5)
        assert response.status_code == 302, response.text
        return response.headers["Location"]


class _Handler(BaseHTTPRequestHandler):
    idp: IdentityProvider

    def log_message(self, format, *args):  # quiet
        pass

    def do_GET(self):
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        idp = self.idp
        if parts.path == "/entra/.well-known/openid-configuration":
            return self._json(
                {
                    "issuer": f"{idp.base}/entra",
                    "authorization_endpoint": f"{idp.base}/entra/authorize",
                    "token_endpoint": f"{idp.base}/entra/token",
                    "jwks_uri": f"{idp.base}/entra/keys",
                    "response_types_supported": ["code"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                }
            )
        if parts.path == "/entra/keys":
            return self._keys("entra-keys", idp.jwks)
        if parts.path == "/google/certs":
            return self._keys("google-certs", idp.certificates)
        if parts.path in ("/entra/authorize", "/google/authorize"):
            idp.authorize_requests.append(query)
            code = secrets.token_urlsafe(16)
            idp.pending[code] = {"face": parts.path.split("/")[1], **query}
            back = {"code": code, "state": query.get("state", "")}
            self.send_response(302)
            self.send_header("Location", f"{query['redirect_uri']}?{urlencode(back)}")
            self.end_headers()
            return None
        return self._json({"error": "not_found"}, 404)

    def do_POST(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        idp = self.idp
        idp.token_requests.append(form)
        if parts.path not in ("/entra/token", "/google/token"):
            return self._json({"error": "not_found"}, 404)
        face = parts.path.split("/")[1]
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        expected = (
            (ENTRA_CLIENT_ID, ENTRA_SECRET)
            if face == "entra"
            else (GOOGLE_CLIENT_ID, GOOGLE_SECRET)
        )
        if (client_id, secret) != expected:
            return self._json({"error": "invalid_client"}, 401)
        request = idp.pending.pop(form.get("code", ""), None)
        if request is None or request["face"] != face:
            return self._json({"error": "invalid_grant", "error_description": "bad code"}, 400)
        if form.get("redirect_uri") != request["redirect_uri"]:
            return self._json({"error": "invalid_grant", "error_description": "redirect"}, 400)
        challenge = _b64url(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
        if request.get("code_challenge_method") != "S256" or challenge != request.get(
            "code_challenge"
        ):
            return self._json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        body = {
            "token_type": "Bearer",
            "expires_in": 3600,
            "access_token": secrets.token_urlsafe(16),
            "scope": request.get("scope", "openid"),
            "id_token": idp.id_token(face, request),
        }
        if face == "entra":
            info = {"uid": "entra-subject", "utid": idp.claims.get("tid", "tenant-unknown")}
            body["client_info"] = _b64url(json.dumps(info).encode())
        return self._json(body)

    def _keys(self, name: str, keys):
        idp = self.idp
        idp.key_calls.append(name)
        cache = idp.key_cache_control.get(name)
        if name in idp.key_fail:
            return self._json({"error": "temporarily_unavailable"}, 503)
        if name in idp.key_answers:
            return self._send(idp.key_answers[name], "text/html", 200, cache)
        return self._send(json.dumps(keys()).encode(), "application/json", 200, cache)

    def _json(self, body: dict, status: int = 200):
        self._send(json.dumps(body).encode(), "application/json", status)

    def _send(self, data: bytes, kind: str, status: int, cache: str | None = None):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        if cache:
            self.send_header("Cache-Control", cache)
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def https_server(folder: Path, handler: type, name: str) -> Iterator[ThreadingHTTPServer]:
    """Serve `handler` over HTTPS on 127.0.0.1 from a thread until the block ends; its
    self-signed certificate goes into `folder` as cert.pem (the clients' CA bundle). It is
    issued to `name`, valid for the address 127.0.0.1: certificates of several stand-ins can
    then share one bundle (OpenSSL picks a trust anchor by its name)."""
    tls_key = _new_key()
    tls_cert = _self_signed(tls_key, name, ip="127.0.0.1")
    (folder / "cert.pem").write_bytes(tls_cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        tls_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def serve(folder: Path) -> Iterator[IdentityProvider]:
    """Run a stand-in until the block ends; its TLS key and certificate go into `folder`."""
    signing_key = _new_key()
    signing_cert = _self_signed(signing_key, "stand-in signing key")
    handler = type("Handler", (_Handler,), {})
    with https_server(folder, handler, "idp-stand-in") as server:
        handler.idp = IdentityProvider(
            base=f"https://127.0.0.1:{server.server_address[1]}",
            ca_bundle=str(folder / "cert.pem"),
            signing_key=signing_key,
            rogue_key=_new_key(),
            signing_cert_pem=signing_cert.public_bytes(serialization.Encoding.PEM).decode(),
        )
        yield handler.idp


def idp_config(idp: IdentityProvider) -> dict:
    """The app settings that point Microsoft and Google sign-in at the stand-in."""
    return {
        "ENTRA_CLIENT_ID": ENTRA_CLIENT_ID,
        "ENTRA_CLIENT_SECRET": ENTRA_SECRET,
        "ENTRA_OIDC_AUTHORITY": f"{idp.base}/entra",
        "ENTRA_JWKS_URI": f"{idp.base}/entra/keys",
        "ENTRA_ISSUER": f"{idp.base}/{{tenantid}}/v2.0",
        "GOOGLE_CLIENT_ID": GOOGLE_CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": GOOGLE_SECRET,
        "GOOGLE_AUTH_URI": f"{idp.base}/google/authorize",
        "GOOGLE_TOKEN_URI": f"{idp.base}/google/token",
        "GOOGLE_CERTS_URL": f"{idp.base}/google/certs",
        "OIDC_CA_BUNDLE": idp.ca_bundle,
    }
