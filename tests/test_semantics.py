"""How handlers run inside the server: contexts, tasks, concurrency, ORM, sync handlers,
the embedded interpreter. Served by tests/semantics_project."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from .conftest import VENV, parent_pid, token, wait_until


def _client(server, n: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    return httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=30.0)


# --- contextvars and tasks -----------------------------------------------------------


def test_contextvars_do_not_leak_between_concurrent_requests(semantics_server):
    tags = [f"req-{i}-{token()[:8]}" for i in range(50)]

    async def fire():
        async with _client(semantics_server, 50) as c:
            return await asyncio.gather(*(c.get(f"/ctx/{t}") for t in tags))

    responses = asyncio.run(fire())
    for tag, r in zip(tags, responses):
        assert r.status_code == 200
        assert r.json() == {"tag": tag, "before": "<default>", "after": tag}


def test_contextvar_is_fresh_for_each_request_on_one_connection(semantics_server):
    with httpx.Client(base_url=semantics_server.base_url, timeout=10.0) as c:
        for i in range(5):
            assert c.get(f"/ctx/seq{i}").json()["before"] == "<default>"


def test_handler_runs_in_one_task_across_awaits(semantics_server):
    for _ in range(3):
        r = semantics_server.get("/task")
        assert r.status_code == 200
        assert r.json() == {"has_task": True, "same_task": True}


def test_asyncio_timeout_cancels_inside_the_handler(semantics_server):
    started = time.monotonic()
    r = semantics_server.get("/timeout")
    elapsed = time.monotonic() - started
    assert r.status_code == 200
    body = r.json()
    assert body["caught"] is True
    assert body["elapsed"] < 0.9
    assert elapsed < 0.9


def test_work_a_handler_leaves_to_the_loop_runs_while_the_server_is_idle(semantics_server):
    # The handler returns at once, leaving a task, a callback and a 50 ms timer to the
    # loop; nothing else arrives to wake the loop up, yet all three run.
    tag = token()
    assert semantics_server.get(f"/leave/{tag}").json() == {"started": True}
    wait_until(lambda: semantics_server.get(f"/leave/{tag}/done").json()["done"] == ["callback", "task", "timer"],
               timeout=5)


def test_a_handler_that_suspends_is_resumed_by_the_loop_thread(semantics_server):
    # Started on the thread that received the request or on the loop thread, a handler
    # continues on the loop thread after it suspends, with its loop running.
    with httpx.Client(base_url=semantics_server.base_url, timeout=10.0) as c:
        for _ in range(5):
            body = c.get("/thread").json()
            assert body["loop_is_running"] is True
            assert body["resumed_on_main"] is True


def test_awaiting_handlers_run_concurrently(semantics_server):
    async def fire():
        async with _client(semantics_server, 50) as c:
            started = time.monotonic()
            rs = await asyncio.gather(*(c.get("/sleep?ms=200") for _ in range(50)))
            return rs, time.monotonic() - started

    responses, elapsed = asyncio.run(fire())
    assert all(r.status_code == 200 for r in responses)
    assert all(r.json()["slept_ms"] == 200 for r in responses)
    # Serially these would take 10 s.
    assert elapsed < 5.0
    assert max(r.json()["in_flight_on_entry"] for r in responses) > 1


# --- async ORM -------------------------------------------------------------------------------


def test_async_orm_create_get_iterate_count(semantics_server):
    prefix = f"async-{token()[:8]}-"
    created = []
    for i in range(3):
        r = semantics_server.post("/notes", json={"text": f"{prefix}{i}"})
        assert r.status_code == 200
        created.append(r.json())
    assert [n["text"] for n in created] == [f"{prefix}{i}" for i in range(3)]

    one = semantics_server.get(f"/notes/{created[1]['id']}")
    assert one.status_code == 200
    assert one.json() == created[1]

    listed = semantics_server.get("/notes", params={"prefix": prefix})
    assert listed.json() == created

    count = semantics_server.get("/notes/count", params={"prefix": prefix})
    assert count.json() == {"count": 3}

    missing = semantics_server.get("/notes/999999999")
    assert missing.status_code == 404


def test_async_orm_under_concurrency(semantics_server):
    prefix = f"conc-{token()[:8]}-"

    async def fire():
        async with _client(semantics_server, 20) as c:
            return await asyncio.gather(*(c.post("/notes", json={"text": f"{prefix}{i}"}) for i in range(20)))

    responses = asyncio.run(fire())
    assert all(r.status_code == 200 for r in responses)
    assert len({r.json()["id"] for r in responses}) == 20
    assert semantics_server.get("/notes/count", params={"prefix": prefix}).json() == {"count": 20}


# --- sync handlers ------------------------------------------------------------------------------


def test_sync_handler_uses_the_orm_in_a_worker_thread(semantics_server):
    prefix = f"sync-{token()[:8]}-"
    made = semantics_server.post("/sync/notes", json={"text": f"{prefix}a"})
    assert made.status_code == 200
    assert made.json()["text"] == f"{prefix}a"
    assert made.json()["thread"].startswith("bolt-worker")
    # Rows written by async handlers are visible to sync ones and the other way round.
    assert semantics_server.post("/notes", json={"text": f"{prefix}b"}).status_code == 200
    listed = semantics_server.get("/sync/notes", params={"prefix": prefix}).json()
    assert listed["count"] == 2
    assert listed["texts"] == [f"{prefix}a", f"{prefix}b"]
    assert semantics_server.get("/notes/count", params={"prefix": prefix}).json() == {"count": 2}


def test_blocking_sync_handler_does_not_block_the_loop(semantics_server):
    tok = token()
    result: dict = {}

    def slow():
        result["response"] = semantics_server.get(f"/sync/sleep?token={tok}&ms=1500", timeout=30.0)

    worker = threading.Thread(target=slow)
    worker.start()
    try:
        wait_until(lambda: semantics_server.get(f"/sync/started?token={tok}").json()["started"], timeout=15,
                   message="the sync handler to start")
        # The sync handler is sleeping in a worker thread; async routes still answer.
        pings = [semantics_server.get("/ping") for _ in range(3)]
        still_sleeping = worker.is_alive()
    finally:
        worker.join(timeout=30)
    assert all(p.status_code == 200 and p.json() == {"pong": True} for p in pings)
    assert still_sleeping, "the pings were only answered after the sync handler finished"
    assert result["response"].status_code == 200
    assert result["response"].json()["slept_ms"] == 1500


def test_short_sync_sleep_alongside_async_requests(semantics_server):
    tok = token()
    with ThreadPoolExecutor(max_workers=4) as pool:
        sleeper = pool.submit(semantics_server.get, f"/sync/sleep?token={tok}&ms=300")
        pings = [pool.submit(semantics_server.get, "/ping") for _ in range(5)]
        assert all(p.result(timeout=30).status_code == 200 for p in pings)
        assert sleeper.result(timeout=30).json()["slept_ms"] == 300


def test_sync_dependency_of_async_handler_uses_the_orm_in_a_worker_thread(semantics_server):
    prefix = f"dep-{token()[:8]}-"
    for suffix in "ab":
        assert semantics_server.post("/notes", json={"text": f"{prefix}{suffix}"}).status_code == 200
    response = semantics_server.get("/dep/notes", params={"prefix": prefix})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["texts"] == [f"{prefix}a", f"{prefix}b"]
    assert body["thread"].startswith("bolt-worker")
    assert not body["handler_thread"].startswith("bolt-worker")


def test_blocking_sync_dependency_does_not_block_the_loop(semantics_server):
    tok = token()
    with ThreadPoolExecutor(max_workers=1) as pool:
        held = pool.submit(semantics_server.get, "/dep/held", params={"token": tok}, timeout=60.0)
        wait_until(lambda: semantics_server.get("/dep/started", params={"token": tok}).json()["started"],
                   timeout=15, message="the sync dependency to start")
        # The dependency is blocked in a worker thread until this async route releases it:
        # were it on the event loop, the release could not be answered before it gave up.
        assert semantics_server.post("/dep/release", params={"token": tok}).status_code == 200
        response = held.result(timeout=60)
    assert response.status_code == 200
    assert response.json() == {"released": True}


# --- the embedded interpreter -------------------------------------------------------------------


def test_server_embeds_the_virtualenv(semantics_server):
    env = semantics_server.get("/env").json()
    venv = str(VENV)
    assert os.path.realpath(env["prefix"]) == os.path.realpath(venv)
    assert os.path.normpath(env["executable"]) == os.path.join(venv, "bin", "python")
    site_packages = os.path.join(os.path.realpath(venv), "lib")
    assert os.path.realpath(env["msgspec"]).startswith(site_packages)
    assert "site-packages" in env["msgspec"]
    # The venv is not the base installation: its site-packages reached the embedded interpreter.
    assert os.path.realpath(env["base_prefix"]) != os.path.realpath(venv)


def test_one_process_serves_every_request(semantics_server):
    pids = {
        httpx.get(semantics_server.url("/pid"), timeout=10.0, headers={"connection": "close"}).json()["pid"]
        for _ in range(10)
    }
    assert len(pids) == 1
    (pid,) = pids
    # The process runbolt became, or a worker it started.
    assert pid == semantics_server.pid or parent_pid(pid) == semantics_server.pid


def test_a_test_client_inside_the_server_is_refused_with_a_message(semantics_server):
    r = semantics_server.get("/testclient-inside")
    assert r.status_code == 200
    assert "TestClient cannot run inside the runbolt server" in r.json()["refused"]
