"""``--processes 2``: a supervisor with two worker processes sharing the port."""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest

from .conftest import parent_pid, port_is_bindable


def _pid_of_fresh_connection(server) -> int:
    # A new connection per request, so the kernel may pick either worker's socket.
    # A restarting worker's connections wait in its socket's backlog: allow for a slow start.
    r = httpx.get(server.url("/pid"), timeout=60.0, headers={"connection": "close"})
    assert r.status_code == 200
    return r.json()["pid"]


def _collect_pids(server, want: int, max_requests: int = 400) -> set[int]:
    seen: set[int] = set()
    for _ in range(max_requests):
        seen.add(_pid_of_fresh_connection(server))
        if len(seen) >= want:
            break
    return seen


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def pool_server(start_semantics):
    return start_semantics("--processes", "2")


def test_both_workers_serve(pool_server):
    pids = _collect_pids(pool_server, 2)
    assert len(pids) == 2, f"only saw pids {pids} in 400 requests"
    assert pool_server.pid not in pids, "the supervisor itself should not serve"
    for pid in pids:
        assert parent_pid(pid) == pool_server.pid


def test_killed_worker_is_restarted_and_service_continues(pool_server):
    pids = _collect_pids(pool_server, 2)
    assert len(pids) == 2
    victim, survivor = sorted(pids)
    os.kill(victim, signal.SIGKILL)

    failures = []
    new_pids: set[int] = set()
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        try:
            pid = _pid_of_fresh_connection(pool_server)
        except httpx.HTTPError as exc:
            failures.append(repr(exc))
            continue
        assert pid != victim, "a killed worker answered"
        if pid != survivor:
            new_pids.add(pid)
            break
    assert new_pids, f"no restarted worker answered within 45s:\n{pool_server.output()}"
    assert not failures, f"requests failed after the kill: {failures[:5]}"
    replacement = new_pids.pop()
    assert parent_pid(replacement) == pool_server.pid
    assert not _alive(victim)
    assert "restarting" in pool_server.output()


def test_sigterm_stops_supervisor_and_workers(pool_server):
    pids = _collect_pids(pool_server, 2)
    pool_server.signal(signal.SIGTERM)
    assert pool_server.wait_exit() == 0, pool_server.output()
    for pid in pids:
        assert not _alive(pid), f"worker {pid} outlived the supervisor"
    assert port_is_bindable(pool_server.port)


def test_requests_wait_for_a_restarting_worker_instead_of_failing(start_semantics):
    server = start_semantics("--processes", "1")
    victim = _pid_of_fresh_connection(server)
    assert parent_pid(victim) == server.pid
    os.kill(victim, signal.SIGKILL)
    # Sent while no worker runs: queued on the socket the supervisor keeps open.
    pids = [_pid_of_fresh_connection(server) for _ in range(3)]
    assert victim not in pids
    assert len(set(pids)) == 1
    assert parent_pid(pids[0]) == server.pid
