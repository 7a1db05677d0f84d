"""The Gmail add-on's settings: defaults, the environment (through server/config.py), and clear
errors for bad values."""

import pytest

from server.config import from_environment
from server.gmail.settings import GOOGLE_CERTS_URL, GOOGLE_ISSUERS, GmailSettings


def test_defaults():
    settings = GmailSettings.from_config({})
    assert settings.mode == "metadata"
    assert settings.certs_url == GOOGLE_CERTS_URL and settings.issuers == GOOGLE_ISSUERS
    assert settings.service_account is None and settings.directory_admins == {}
    assert settings.timeout == 2.0 and settings.group_cache_seconds == 3600.0


def test_environment(monkeypatch):
    monkeypatch.setenv("DRAFTLINT_GMAIL_MODE", "full")
    monkeypatch.setenv("DRAFTLINT_GMAIL_ADDON_SERVICE_ACCOUNT", " Service-1@GCP.example ")
    monkeypatch.setenv("DRAFTLINT_GMAIL_DIRECTORY_ADMINS", '{"corp.example": "admin@corp.example"}')
    monkeypatch.setenv(
        "DRAFTLINT_GMAIL_ISSUERS", "https://accounts.google.com, accounts.google.com"
    )
    monkeypatch.setenv("DRAFTLINT_GMAIL_TIMEOUT", "0.5")
    settings = GmailSettings.from_config(from_environment())
    assert settings.mode == "full"
    assert settings.service_account == "service-1@gcp.example"
    assert settings.directory_admins == {"corp.example": "admin@corp.example"}
    assert settings.issuers == ("https://accounts.google.com", "accounts.google.com")
    assert settings.timeout == 0.5


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"GMAIL_MODE": "everything"}, "GMAIL_MODE"),
        ({"GMAIL_DIRECTORY_ADMINS": "not json"}, "GMAIL_DIRECTORY_ADMINS"),
        ({"GMAIL_DIRECTORY_ADMINS": {"corp.example": 1}}, "GMAIL_DIRECTORY_ADMINS"),
        ({"GMAIL_TIMEOUT": "soon"}, "GMAIL_TIMEOUT"),
        ({"GMAIL_GROUP_CACHE_SECONDS": -5}, "GMAIL_GROUP_CACHE_SECONDS"),
    ],
)
def test_bad_values_name_the_key(config, key):
    with pytest.raises(ValueError, match=key):
        GmailSettings.from_config(config)
