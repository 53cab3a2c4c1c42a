"""CONN_MAX_AGE on a real server with SQLite: with BOLT_EMIT_SIGNALS, database
connections are closed and reused as Django documents, in the worker threads that run
sync handlers as much as in the thread async code's ORM calls run in."""

from __future__ import annotations

import pytest

from .runtime_helpers import runtime  # noqa: F401

REQUESTS = 8


def settings(tmp_path, max_age) -> dict:
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3"), "CONN_MAX_AGE": max_age}
    return {"DATABASES": {"default": database}, "BOLT_EMIT_SIGNALS": True}


def run(server, path: str) -> tuple[list[int], set[str]]:
    """The number of connections opened so far after each request, and the threads that queried."""
    counts, threads = [], set()
    for _ in range(REQUESTS):
        r = server.request("GET", path)
        assert r.status_code == 200, r.text
        counts.append(r.json()["opened"])
        threads.add(r.json()["thread"])
    return counts, threads


@pytest.mark.parametrize("path", ["/db/sync", "/db/async"])
def test_conn_max_age_0_closes_the_connection_at_the_end_of_each_request(runtime, tmp_path, path):  # noqa: F811
    server = runtime.start(settings=settings(tmp_path, 0))
    counts, _ = run(server, path)
    # Each request found its thread's connection closed by the previous one's end and
    # opened a new one.
    assert counts == list(range(counts[0], counts[0] + REQUESTS))


@pytest.mark.parametrize("path", ["/db/sync", "/db/async"])
def test_a_positive_conn_max_age_reuses_connections(runtime, tmp_path, path):  # noqa: F811
    server = runtime.start(settings=settings(tmp_path, 600))
    counts, threads = run(server, path)
    # One connection per thread that ran a query, however many requests.
    assert counts[-1] == len(threads) < REQUESTS
