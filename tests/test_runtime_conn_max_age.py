"""CONN_MAX_AGE on a real server with SQLite: with BOLT_EMIT_SIGNALS, database
connections are closed and reused as Django documents, in the worker threads that run
sync handlers as much as in the thread async code's ORM calls run in."""

from __future__ import annotations

import itertools
import json
import time

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


def run_stream(server, query: str = "") -> tuple[list[int], set[str]]:
    """As ``run``, for a sync generator: each chunk reports after its own query."""
    counts, threads = [], set()
    for _ in range(REQUESTS):
        r = server.request("GET", "/db/stream/sync" + query)
        assert r.status_code == 200, r.text
        rows = [json.loads(line) for line in r.text.splitlines()]
        counts.append(rows[-1]["opened"])
        threads.update(row["thread"] for row in rows)
    return counts, threads


def test_conn_max_age_0_closes_a_sync_generators_connection_at_the_end_of_its_stream(runtime, tmp_path):  # noqa: F811
    server = runtime.start(settings=settings(tmp_path, 0))
    counts, _ = run_stream(server)
    # The worker thread that ran the generator closed its connection when the stream
    # ended: the next stream opened a new one.
    assert counts == list(range(counts[0], counts[0] + REQUESTS))


def test_a_positive_conn_max_age_reuses_a_sync_generators_connections(runtime, tmp_path):  # noqa: F811
    server = runtime.start(settings=settings(tmp_path, 600))
    counts, threads = run_stream(server)
    assert counts[-1] == len(threads) < REQUESTS


def test_a_sync_generator_that_waits_between_chunks_queries_in_every_stretch(runtime, tmp_path):  # noqa: F811
    server = runtime.start(settings=settings(tmp_path, 0))
    r = server.request("GET", "/db/stream/sync?chunks=4&ms=20")
    assert r.status_code == 200, r.text
    rows = [json.loads(line) for line in r.text.splitlines()]
    # A producer that ran longer than its time slice gives its worker thread back after
    # the chunk, so each chunk here was a stretch of its own, in whichever thread: each
    # stretch's connection was closed at its end, and each chunk's query opened a new one.
    opened = [row["opened"] for row in rows]
    assert opened == list(range(opened[0], opened[0] + 4))


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_request_finished_of_a_stream_is_sent_once_the_stream_has_ended(runtime, tmp_path, kind):  # noqa: F811
    server = runtime.start(settings=settings(tmp_path, 0))
    before = server.request("GET", "/signals/finished").json()["finished"]
    r = server.request("GET", f"/signals/stream/{kind}")
    assert r.status_code == 200, r.text
    # While the stream ran, only the previous request had finished (Django sends
    # request_finished when it closes a streamed response, not when the view returns).
    assert [json.loads(line)["finished"] for line in r.text.splitlines()] == [before + 1] * 3
    # Then the stream's own, once: each poll's own request_finished is sent before its
    # answer goes out, so poll k (from 0) sees before + 2 + k once the stream's has come.
    deadline = time.monotonic() + 10
    for polls in itertools.count():
        seen = server.request("GET", "/signals/finished").json()["finished"]
        if seen == before + 2 + polls:
            break
        assert seen == before + 1 + polls, "request_finished sent more than once"
        assert time.monotonic() < deadline, "the stream's request_finished never came"
