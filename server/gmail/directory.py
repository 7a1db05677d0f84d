"""Google Group sizes through the Admin SDK Directory API, cached per organisation.

A recipient of a Gmail draft is only an address; whether it is a group of 400 decides whether a
"+1" goes to a crowd. The organisation's groups are listed once (`groups.list` for the admin's
customer, only `email`, `aliases` and `directMembersCount`) and kept for an hour, so a compose
action costs no Directory call at all, and a group's address or alias maps to its size.
`directMembersCount` counts direct members: a nested group counts as one.

The call runs as a service account with domain-wide delegation, impersonating the admin
configured for the organisation, with the read-only group scope. When it fails or times out the
last good list is kept; with none, the failure is remembered for a minute (so each compose does
not wait on a dead API again) and reported, and a group counts as one recipient.

An expired list is still served: one request refreshes it (the one that takes the
organisation's lock) while the others answer at once with the old list. Only an organisation's
very first listing is waited for. A listing stops at `refresh_deadline` seconds in total (checked
between pages, so it lasts at most that plus one call's timeout); a listing cut short counts as
a failure and the old list stays.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import google_auth_httplib2
import httplib2
from google.oauth2 import service_account
from googleapiclient.discovery import build

SCOPE = "https://www.googleapis.com/auth/admin.directory.group.readonly"
PAGE_SIZE = 200  # the API's maximum
MAX_PAGES = 50  # 10,000 groups; past that a group counts as one recipient
RETRY_AFTER_FAILURE = 60.0  # seconds
REFRESH_DEADLINE = 5.0  # seconds for a whole listing, all pages


class ListingTooSlow(Exception):
    """The listing did not finish within the refresh deadline."""


@dataclass(frozen=True, slots=True)
class GroupSizes:
    """Group address (or alias), lower-cased -> its direct member count. `failed` says the
    Directory could not be asked, so sizes are unknown rather than known to be none."""

    sizes: Mapping[str, int] = field(default_factory=dict)
    failed: bool = False


@dataclass(slots=True)
class _Entry:
    groups: GroupSizes
    expires: float


class GroupDirectory:
    """Group sizes per organisation; `admins` maps an organisation to the admin it acts as."""

    def __init__(
        self,
        credentials_file: str | None,
        admins: Mapping[str, str],
        *,
        api_root: str | None,
        timeout: float,
        ttl: float,
        refresh_deadline: float = REFRESH_DEADLINE,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._credentials_file = credentials_file
        self._admins = dict(admins)
        self._timeout = timeout
        self._ttl = ttl
        self._refresh_deadline = refresh_deadline
        self._clock = clock
        self._cache: dict[str, _Entry] = {}
        self._credentials: dict[str, service_account.Credentials] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._service = None
        if credentials_file:
            self._service = build(
                "admin",
                "directory_v1",
                http=httplib2.Http(timeout=timeout),
                static_discovery=True,
                cache_discovery=False,
                client_options={"api_endpoint": api_root} if api_root else None,
            )

    def configured_for(self, org: str) -> bool:
        return self._service is not None and org in self._admins

    def lookup(self, org: str) -> GroupSizes:
        """The organisation's group sizes (empty when not configured for it)."""
        if not self.configured_for(org):
            return GroupSizes()
        entry = self._cache.get(org)
        if entry is not None and entry.expires > self._clock():
            return entry.groups
        with self._guard:
            lock = self._locks.setdefault(org, threading.Lock())
        # One refresh per organisation at a time. With an old list, whoever finds the refresh
        # running answers with that list at once; only a first listing is waited for.
        if not lock.acquire(blocking=entry is None):
            return entry.groups
        try:
            entry = self._cache.get(org)
            if entry is not None and entry.expires > self._clock():
                return entry.groups
            try:
                groups = GroupSizes(self._list_groups(org))
                self._cache[org] = _Entry(groups, self._clock() + self._ttl)
            except Exception:  # HttpError, refresh failures, timeouts: all mean "unknown"
                stale = entry.groups if entry is not None and not entry.groups.failed else None
                groups = stale or GroupSizes(failed=True)
                self._cache[org] = _Entry(groups, self._clock() + RETRY_AFTER_FAILURE)
            return groups
        finally:
            lock.release()

    def _list_groups(self, org: str) -> dict[str, int]:
        http = google_auth_httplib2.AuthorizedHttp(
            self._credentials_for(org), http=httplib2.Http(timeout=self._timeout)
        )
        sizes: dict[str, int] = {}
        token = None
        deadline = self._clock() + self._refresh_deadline
        for _ in range(MAX_PAGES):
            if self._clock() > deadline:
                raise ListingTooSlow(org)
            page = (
                self._service.groups()
                .list(
                    customer="my_customer",
                    maxResults=PAGE_SIZE,
                    pageToken=token,
                    fields="groups(email,aliases,directMembersCount),nextPageToken",
                )
                .execute(http=http)
            )
            for group in page.get("groups") or []:
                count = int(group.get("directMembersCount") or 0)
                for address in [group.get("email"), *(group.get("aliases") or [])]:
                    if isinstance(address, str) and address:
                        sizes[address.strip().lower()] = count
            token = page.get("nextPageToken")
            if not token:
                break
        return sizes

    def _credentials_for(self, org: str) -> service_account.Credentials:
        # Kept per organisation so the access token is reused until it expires.
        credentials = self._credentials.get(org)
        if credentials is None:
            credentials = service_account.Credentials.from_service_account_file(
                self._credentials_file, scopes=[SCOPE], subject=self._admins[org]
            )
            self._credentials[org] = credentials
        return credentials
