"""The Outlook add-in's configuration, read once when the app is built.

Each key from the app's config (server/config.py: the environment's `$DRAFTLINT_<KEY>` lands
there), else the default:
- `OUTLOOK_CLIENT_ID`: the add-in's app registration; Entra tokens are accepted only when set.
- `OUTLOOK_CLIENT_SECRET`: its secret, for the on-behalf-of flow to Microsoft Graph
  (graph.py); without it tokens are still accepted, and drafts are linted without Graph.
- `OUTLOOK_APP_ID_URI`: the application ID URI, also accepted as audience (`api://host/<id>`).
- `OUTLOOK_OPENID_CONFIG` (Entra's multi-tenant discovery document by default) or
  `OUTLOOK_JWKS_URI` (wins when set): where the signing keys are; https only (server/keys.py).
- `OUTLOOK_ISSUER`: the issuer template, `{tenantid}` standing for the token's `tid`.
- `OUTLOOK_AUTHORITY` (`https://login.microsoftonline.com/{tenantid}`) or
  `OUTLOOK_OIDC_AUTHORITY` (a non-Entra OpenID provider for MSAL, with `{tenantid}`; the tests'
  stand-in); `OUTLOOK_GRAPH_URL` (https://graph.microsoft.com/v1.0); `OUTLOOK_GRAPH_SCOPES`
  (space-separated; Graph's `.default`); `OUTLOOK_GRAPH_TIMEOUT` (seconds per call, 1);
  `OUTLOOK_GRAPH_BUDGET` (seconds for all of a lint's look-ups, 1.5);
  `OUTLOOK_GROUP_CACHE_SECONDS` (3600): see graph.py and enrich.py.
- `OIDC_CA_BUNDLE`: a CA file trusted for all of these calls (the tests' self-signed stand-in).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..keys import https_url

ENTRA_OPENID_CONFIG = (
    "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
)
ENTRA_ISSUER = "https://login.microsoftonline.com/{tenantid}/v2.0"
ENTRA_AUTHORITY = "https://login.microsoftonline.com/{tenantid}"
GRAPH_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPES = ("https://graph.microsoft.com/.default",)


@dataclass(frozen=True, slots=True)
class OutlookSettings:
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    app_id_uri: str | None = None
    openid_config: str = ENTRA_OPENID_CONFIG
    jwks_uri: str | None = None
    issuer: str = ENTRA_ISSUER
    authority: str = ENTRA_AUTHORITY
    oidc_authority: str | None = None
    graph_url: str = GRAPH_URL
    graph_scopes: tuple[str, ...] = GRAPH_SCOPES
    graph_timeout: float = 1.0
    graph_budget: float = 1.5
    group_cache_seconds: float = 3600.0
    ca_bundle: str | bool = True

    @classmethod
    def from_config(cls, config: Mapping) -> OutlookSettings:
        def get(key: str, default=None):
            value = config.get(key)
            return default if value is None or value == "" else value

        scopes = get("OUTLOOK_GRAPH_SCOPES", GRAPH_SCOPES)
        if isinstance(scopes, str):
            scopes = scopes.split()
        jwks_uri = get("OUTLOOK_JWKS_URI")
        return cls(
            client_id=get("OUTLOOK_CLIENT_ID"),
            client_secret=get("OUTLOOK_CLIENT_SECRET"),
            app_id_uri=get("OUTLOOK_APP_ID_URI"),
            openid_config=https_url(
                get("OUTLOOK_OPENID_CONFIG", ENTRA_OPENID_CONFIG), "OUTLOOK_OPENID_CONFIG"
            ),
            jwks_uri=jwks_uri and https_url(jwks_uri, "OUTLOOK_JWKS_URI"),
            issuer=get("OUTLOOK_ISSUER", ENTRA_ISSUER),
            authority=get("OUTLOOK_AUTHORITY", ENTRA_AUTHORITY),
            oidc_authority=get("OUTLOOK_OIDC_AUTHORITY"),
            graph_url=get("OUTLOOK_GRAPH_URL", GRAPH_URL).rstrip("/"),
            graph_scopes=tuple(scopes),
            graph_timeout=float(get("OUTLOOK_GRAPH_TIMEOUT", 1.0)),
            graph_budget=float(get("OUTLOOK_GRAPH_BUDGET", 1.5)),
            group_cache_seconds=float(get("OUTLOOK_GROUP_CACHE_SECONDS", 3600.0)),
            ca_bundle=get("OIDC_CA_BUNDLE", True),
        )

    @property
    def accepts_tokens(self) -> bool:
        return bool(self.client_id)

    @property
    def audiences(self) -> tuple[str, ...]:
        return tuple(a for a in (self.client_id, self.app_id_uri) if a)
