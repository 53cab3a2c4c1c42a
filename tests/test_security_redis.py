"""State shared through Redis by several server processes (Decisions 12 and 18):
``DjangoCacheRevocation`` on a Redis cache, and ``BOLT_RATE_LIMIT_BACKEND``.

A private redis-server is started for the session; the security project's "redis"
profile runs with ``--processes 2``.
"""

from __future__ import annotations

import pytest

from .security_helpers import bearer, claims, fetch, mint, unique

pytest.importorskip("redis", reason="Django's RedisCache needs the redis package (pip install redis)")


@pytest.fixture(scope="module")
def redis_bolt(security_servers, redis_url):
    try:
        return security_servers.get("redis", "--processes", "2", SECURITY_REDIS_URL=redis_url)
    except RuntimeError as exc:
        pytest.fail(str(exc))


def pids_seen(server, path: str, attempts: int = 60, **kwargs) -> set[int]:
    """Worker pids answering ``path`` over fresh connections, stopping once two are seen."""
    pids: set[int] = set()
    for _ in range(attempts):
        response = fetch(server.url(path), **kwargs)
        assert response.status == 200, (response.status, response.body[:200])
        pids.add(response.json()["pid"])
        if len(pids) >= 2:
            break
    return pids


def test_both_worker_processes_serve_requests(redis_bolt):
    assert len(pids_seen(redis_bolt, "/r/pid")) == 2


def test_revocation_in_one_worker_applies_to_every_worker(redis_bolt, material):
    jti = unique("jti")
    headers = bearer(mint(claims(sub="redis-user", jti=jti), material.hs_secret))
    assert len(pids_seen(redis_bolt, "/r/me", headers=headers)) == 2

    logout = fetch(redis_bolt.url("/r/logout"), method="POST", headers=headers)
    assert logout.status == 200, logout.body
    assert logout.json()["revoked"] == jti

    statuses = [fetch(redis_bolt.url("/r/me"), headers=headers).status for _ in range(24)]
    assert statuses == [401] * len(statuses)
    # Both workers are still up and still accept other tokens.
    fresh = bearer(mint(claims(sub="redis-user", jti=unique("jti")), material.hs_secret))
    assert len(pids_seen(redis_bolt, "/r/me", headers=fresh)) == 2


def test_rate_limit_is_shared_by_the_worker_processes(redis_bolt):
    """rps=1, burst=10 for one client across both workers: about 10 requests pass in
    total, where separate per-process buckets would let about 20 through."""
    import time

    client = unique()
    started = time.monotonic()
    results = []
    for _ in range(30):
        response = fetch(redis_bolt.url("/r/limited"), headers={"x-client": client})
        assert response.status in (200, 429), (response.status, response.body[:200])
        results.append(response)
    elapsed = time.monotonic() - started

    passed = [r for r in results if r.status == 200]
    first_limited = next(i for i, r in enumerate(results) if r.status == 429)
    assert first_limited >= 10
    assert 10 <= len(passed) <= 10 + int(elapsed) + 1, (len(passed), elapsed)
    limited = results[first_limited]
    assert limited.headers["x-ratelimit-burst"] == "10"
    assert int(limited.headers["retry-after"]) >= 1
