"""The Gmail add-on's configuration, read once when the app is built.

Each key is read from the app's config, else from `$DRAFTLINT_<KEY>`, else the default:
- `GMAIL_MODE`: `metadata` (recipients only, the default) or `full` (the auto-saved draft and the
  message it answers are read through the Gmail API); must match the deployed descriptor.
- `GMAIL_ADDON_SERVICE_ACCOUNT`: the e-mail of the deployment's add-on service account
  (`service-<project number>@gcp-sa-gsuiteaddons.iam.gserviceaccount.com`, shown by
  `gcloud workspace-add-ons get-authorization`); Google signs every request's ID token as it.
- `GMAIL_OAUTH_CLIENT_ID`: the deployment's OAuth client id, the audience of the user's ID token.
- `GMAIL_CERTS_URL`, `GMAIL_ISSUERS`: Google's ID-token certificates (x509 JSON, or a JWK set;
  https only, server/keys.py) and issuers (Google's by default; tests point them at a stand-in).
  `OIDC_CA_BUNDLE` is trusted for the certificates, as for admin sign-in.
- `GMAIL_API_ROOT`, `GMAIL_DIRECTORY_API_ROOT`: where the Gmail and Admin SDK APIs are reached
  (Google's by default; tests and the benchmark use a local stand-in).
- `GMAIL_DIRECTORY_CREDENTIALS`: a service-account key file (JSON) with domain-wide delegation
  for the `admin.directory.group.readonly` scope; `GMAIL_DIRECTORY_ADMINS`: organisation slug ->
  the admin it acts as (a JSON object in the environment). Without both, a group's address
  counts as one recipient.
- `GMAIL_TIMEOUT` (seconds per Google API call, default 2) and `GMAIL_GROUP_CACHE_SECONDS`
  (how long an organisation's group sizes are kept, default 3600).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..keys import https_url
from .descriptor import MODES

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
DEFAULT_TIMEOUT = 2.0
DEFAULT_GROUP_CACHE_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class GmailSettings:
    mode: str = "metadata"
    service_account: str | None = None
    oauth_client_id: str | None = None
    certs_url: str = GOOGLE_CERTS_URL
    issuers: tuple[str, ...] = GOOGLE_ISSUERS
    ca_bundle: str | bool = True
    gmail_api_root: str | None = None
    directory_api_root: str | None = None
    directory_credentials: str | None = None
    directory_admins: Mapping[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    group_cache_seconds: float = DEFAULT_GROUP_CACHE_SECONDS

    @classmethod
    def from_config(cls, config: Mapping) -> GmailSettings:
        """Settings from a Flask config (server/config.py); ValueError naming a bad key."""

        def get(key: str, default=None):
            value = config.get(key)
            return default if value is None or value == "" else value

        mode = get("GMAIL_MODE", "metadata")
        if mode not in MODES:
            raise ValueError(f"GMAIL_MODE {mode!r}: choose one of {', '.join(MODES)}")
        issuers = get("GMAIL_ISSUERS", GOOGLE_ISSUERS)
        if isinstance(issuers, str):  # from the environment: a comma-separated list
            issuers = [issuer.strip() for issuer in issuers.split(",")]
        admins = get("GMAIL_DIRECTORY_ADMINS", {})
        try:
            admins = json.loads(admins) if isinstance(admins, str) else admins
        except ValueError:
            admins = None
        if not (isinstance(admins, Mapping) and all(isinstance(v, str) for v in admins.values())):
            raise ValueError('GMAIL_DIRECTORY_ADMINS must be {"organisation": "admin e-mail"}')
        return cls(
            mode=mode,
            service_account=_lower(get("GMAIL_ADDON_SERVICE_ACCOUNT")),
            oauth_client_id=get("GMAIL_OAUTH_CLIENT_ID"),
            certs_url=https_url(get("GMAIL_CERTS_URL", GOOGLE_CERTS_URL), "GMAIL_CERTS_URL"),
            issuers=tuple(issuers),
            ca_bundle=get("OIDC_CA_BUNDLE", True),
            gmail_api_root=get("GMAIL_API_ROOT"),
            directory_api_root=get("GMAIL_DIRECTORY_API_ROOT"),
            directory_credentials=get("GMAIL_DIRECTORY_CREDENTIALS"),
            directory_admins=dict(admins),
            timeout=_seconds("GMAIL_TIMEOUT", get("GMAIL_TIMEOUT", DEFAULT_TIMEOUT)),
            group_cache_seconds=_seconds(
                "GMAIL_GROUP_CACHE_SECONDS",
                get("GMAIL_GROUP_CACHE_SECONDS", DEFAULT_GROUP_CACHE_SECONDS),
            ),
        )


def _seconds(key: str, value: object) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not seconds > 0:
        raise ValueError(f"{key} must be a positive number of seconds")
    return seconds


def _lower(value: str | None) -> str | None:
    return value.strip().lower() if value else None
