"""Thread-sensitive sync calls from async handlers (``sync_to_async``, which Django's async
ORM uses for every query) on a real server: they run on one thread that is not the one
running the handler, one request's calls share that thread's database connection (so a
transaction spans calls), exceptions reach the handler, and many concurrent requests all
get their answers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .runtime_helpers import runtime  # noqa: F401


def settings(tmp_path) -> dict:
    return {"DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")}}}


def test_calls_run_on_one_sync_thread_without_a_running_loop(runtime, tmp_path):  # noqa: F811
    server = runtime.start(settings=settings(tmp_path))
    threads = set()
    for _ in range(5):
        r = server.request("GET", "/db/threads?calls=3")
        assert r.status_code == 200, r.text
        body = r.json()
        for site in body["calls"]:
            assert site["thread"] != body["handler"]
            assert site["loop_running"] is False  # Django's async_unsafe would refuse a query here
            assert site["name"] == "bolt-sync"
            threads.add(site["thread"])
    assert len(threads) == 1


def test_concurrent_requests_all_answer_from_the_same_thread(runtime, tmp_path):  # noqa: F811
    server = runtime.start(settings=settings(tmp_path))

    def get(_):
        r = server.request("GET", "/db/threads?calls=2")
        assert r.status_code == 200, r.text
        return {site["thread"] for site in r.json()["calls"]}

    with ThreadPoolExecutor(32) as pool:
        threads = set().union(*pool.map(get, range(200)))
    assert len(threads) == 1


def test_a_transaction_spans_calls_of_one_request(runtime, tmp_path):  # noqa: F811
    server = runtime.start(settings=settings(tmp_path))
    for _ in range(2):
        r = server.request("GET", "/db/rollback")
        assert r.status_code == 200, r.text
        assert r.json() == {"inside": 1, "after": 0}


def test_an_exception_in_the_call_reaches_the_handler(runtime, tmp_path):  # noqa: F811
    server = runtime.start(settings=settings(tmp_path))
    r = server.request("GET", "/db/raises")
    assert r.status_code == 200, r.text
    assert r.json() == {"raised": "LookupError", "message": "no such note"}


def test_sync_code_may_call_async_code_that_calls_sync_code(runtime, tmp_path):  # noqa: F811
    server = runtime.start(settings=settings(tmp_path))
    r = server.request("GET", "/db/nested")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["inner"] == body["outer"]


def test_a_finished_call_does_not_wait_for_the_slow_call_queued_behind_it(runtime, tmp_path):  # noqa: F811
    """The sync thread runs its queued calls before it wakes the loop, but the loop still
    collects a finished call's result while a slow one runs."""
    import time

    server = runtime.start(settings=settings(tmp_path))

    def get(ms):
        r = server.request("GET", f"/db/sleep?ms={ms}")
        assert r.status_code == 200, r.text
        return r.json()

    with ThreadPoolExecutor(3) as pool:
        busy = pool.submit(get, 300)  # holds the thread while the next two queue up
        time.sleep(0.1)
        quick = pool.submit(get, 0)
        time.sleep(0.1)
        slow = pool.submit(get, 4000)
        assert quick.result() == {"ms": 0}
        assert busy.result() == {"ms": 300}
        assert not slow.done()  # both answered while the slow call still runs
        assert slow.result() == {"ms": 4000}


def test_a_call_given_up_while_queued_never_runs_and_the_thread_goes_on(runtime, tmp_path):  # noqa: F811
    """A handler that stops waiting for a queued call (a timeout cancels it) gets its
    answer at once; the call is dropped, like a pool's queued work item, and the calls
    queued after it still run and answer."""
    import time

    server = runtime.start(settings=settings(tmp_path))

    def get(path):
        r = server.request("GET", path)
        assert r.status_code == 200, r.text
        return r.json()

    with ThreadPoolExecutor(4) as pool:
        busy = pool.submit(get, "/db/sleep?ms=1500")  # holds the thread
        time.sleep(0.2)
        gave_up = pool.submit(get, "/db/gives-up?ms=100")
        time.sleep(0.1)
        after = pool.submit(get, "/db/threads?calls=2")
        assert gave_up.result() == {"gave_up": True}
        assert not busy.done()  # answered while its call was still queued
        assert busy.result() == {"ms": 1500}
        assert len(after.result()["calls"]) == 2
    assert get("/db/late-calls") == {"ran": 0}
    assert get("/db/gives-up?ms=5000") == {"gave_up": False}
    assert get("/db/late-calls") == {"ran": 1}
