"""Load shedding: with BOLT_MAX_PENDING (or --max-pending) a process answers 503 with
Retry-After at once when that many requests already wait for Python."""

from __future__ import annotations

import threading

import httpx
import pytest


CONCURRENT = 16


def _burst(server, count: int, ms: int) -> list[httpx.Response | Exception]:
    """``count`` simultaneous /slow requests, each on its own connection."""
    results: list[httpx.Response | Exception] = [None] * count  # type: ignore[list-item]
    gate = threading.Barrier(count)

    def one(i: int) -> None:
        try:
            gate.wait(timeout=30)
            results[i] = server.get(f"/slow?ms={ms}", timeout=30.0)
        except Exception as exc:  # recorded, asserted on below
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.parametrize("how", ["setting", "flag"])
def test_requests_over_max_pending_get_503_with_retry_after_and_service_recovers(runtime, how):
    if how == "setting":
        server = runtime.start(settings={"BOLT_MAX_PENDING": 2})
    else:
        server = runtime.start("--max-pending", "2")
    results = _burst(server, CONCURRENT, ms=1000)

    errors = [r for r in results if not isinstance(r, httpx.Response)]
    assert errors == [], errors
    statuses = sorted(r.status_code for r in results)
    assert set(statuses) <= {200, 503}, statuses
    shed = [r for r in results if r.status_code == 503]
    served = [r for r in results if r.status_code == 200]
    assert shed, f"no request was shed: {statuses}"
    assert len(served) >= 2, f"fewer than BOLT_MAX_PENDING requests were served: {statuses}"
    for r in shed:
        assert r.headers.get("retry-after", "").isdigit(), r.headers
        assert int(r.headers["retry-after"]) >= 1
        assert r.headers["content-type"].startswith("application/json")
        assert "detail" in r.json()
    for r in served:
        assert r.json()["slept_ms"] == 1000

    # Once the burst is over, requests are served again.
    after = [server.get("/slow?ms=10") for _ in range(5)]
    assert [r.status_code for r in after] == [200] * 5


def test_without_max_pending_a_burst_is_served_entirely(runtime):
    server = runtime.start()
    results = _burst(server, CONCURRENT, ms=300)
    assert [getattr(r, "status_code", r) for r in results] == [200] * CONCURRENT
