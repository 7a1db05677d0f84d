"""The Directory cache under concurrency: an expired list is served while one request refreshes
it, and a listing has a total deadline. GroupDirectory talks to the Google stand-in through its
real client; only its clock is shifted (real time plus an offset) to expire entries."""

import threading
import time

import pytest

from server.gmail.directory import GroupDirectory, GroupSizes

ORG = "corp.example"
TTL = 3600.0


@pytest.fixture
def shift():
    """[seconds]: added to the monotonic clock the directory reads."""
    return [0.0]


@pytest.fixture
def directory(google, tmp_path, shift):
    def make(*, refresh_deadline: float = 5.0, timeout: float = 2.0) -> GroupDirectory:
        return GroupDirectory(
            google.service_account_file(tmp_path),
            {ORG: "admin@corp.example"},
            api_root=google.base + "/",
            timeout=timeout,
            ttl=TTL,
            refresh_deadline=refresh_deadline,
            clock=lambda: time.monotonic() + shift[0],
        )

    return make


def _groups(google, count: int, size: int) -> None:
    google.groups[:] = [
        {"email": f"g{i}@corp.example", "directMembersCount": str(size)} for i in range(count)
    ]


def _pages(google) -> int:
    return google.count("/admin/directory/v1/groups")


def _wait_for(condition, seconds: float = 5.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_stale_entry_is_served_while_another_request_refreshes(google, directory, shift):
    groups = directory()
    _groups(google, 1, 30)
    assert groups.lookup(ORG).sizes == {"g0@corp.example": 30}
    assert _pages(google) == 1

    _groups(google, 1, 40)
    google.delay = 1.0  # the refresh is slow
    shift[0] += TTL + 1  # the entry has expired
    refreshed: list[GroupSizes] = []
    refresher = threading.Thread(target=lambda: refreshed.append(groups.lookup(ORG)))
    refresher.start()
    try:
        _wait_for(lambda: _pages(google) == 2)  # the refresh is under way
        for _ in range(5):
            started = time.monotonic()
            served = groups.lookup(ORG)
            assert time.monotonic() - started < 0.3  # not waiting on the refresh
            assert served.sizes == {"g0@corp.example": 30} and not served.failed
        assert _pages(google) == 2  # only one request refreshes
    finally:
        refresher.join(timeout=10)
    assert refreshed[0].sizes == {"g0@corp.example": 40}
    google.delay = 0.0
    assert groups.lookup(ORG).sizes == {"g0@corp.example": 40}  # the new list, kept
    assert _pages(google) == 2


def test_first_listing_is_waited_for_once(google, directory):
    """With nothing to serve, concurrent requests wait for the one listing."""
    groups = directory()
    _groups(google, 1, 12)
    google.delay = 0.3
    results: list[GroupSizes] = []
    threads = [
        threading.Thread(target=lambda: results.append(groups.lookup(ORG))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert [r.sizes for r in results] == [{"g0@corp.example": 12}] * 4
    assert _pages(google) == 1


def test_a_slow_refresh_stops_at_the_deadline_and_keeps_the_old_list(google, directory, shift):
    groups = directory(refresh_deadline=0.5)
    google.page_size = 1
    _groups(google, 20, 30)
    assert groups.lookup(ORG).sizes["g19@corp.example"] == 30
    assert _pages(google) == 20

    _groups(google, 20, 99)
    google.delay = 0.2  # 20 pages: 4 s, far past the deadline
    shift[0] += TTL + 1
    started = time.monotonic()
    served = groups.lookup(ORG)
    elapsed = time.monotonic() - started
    assert elapsed < 0.5 + 0.2 + 0.5  # the deadline, one more page, slack
    assert served.sizes["g0@corp.example"] == 30 and not served.failed  # the old list stays
    assert _pages(google) < 20 + 8
    # The failure is remembered for a minute: no request waits on the listing meanwhile.
    pages = _pages(google)
    started = time.monotonic()
    assert groups.lookup(ORG).sizes["g0@corp.example"] == 30
    assert time.monotonic() - started < 0.1
    assert _pages(google) == pages


def test_a_first_listing_past_the_deadline_is_a_failure(google, directory):
    groups = directory(refresh_deadline=0.3)
    google.page_size = 1
    _groups(google, 20, 30)
    google.delay = 0.2
    started = time.monotonic()
    assert groups.lookup(ORG).failed
    assert time.monotonic() - started < 0.3 + 0.2 + 0.5
