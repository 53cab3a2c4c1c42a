"""Prometheus metrics served by the Go core at BOLT_METRICS_PATH."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

import pytest

from .runtime_helpers import (
    Family, alive, connection_to_worker, parse_prometheus, read_response, request_head, runtime_env, sample_value,
    wait_until,
)

REQUESTS = "bolt_requests_total"
DURATION = "bolt_request_duration_seconds"


@pytest.fixture(scope="module")
def metered(module_runtime):
    return module_runtime.start(settings={"BOLT_METRICS": True})


@pytest.fixture(scope="module")
def custom_path(module_runtime):
    return module_runtime.start(settings={"BOLT_METRICS": True, "BOLT_METRICS_PATH": "/ops/prometheus"})


def _scrape(server, path: str = "/metrics") -> dict[str, Family]:
    r = server.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4"), r.headers
    return parse_prometheus(r.text)


def _count(families, route: str, status: int, method: str = "GET") -> float:
    return sample_value(families, REQUESTS, default=0, method=method, route=route, status=str(status))


def test_the_parser_rejects_what_is_not_prometheus_text():
    for bad in ("no_value_here\n", 'x{a="1} 2\n', "# TYPE x countr\nx 1\n", "x 1 2 3\n",
                "# TYPE x counter\ny_total 1\n", 'x{a="1",a="2"} 1\n'):
        with pytest.raises(ValueError):
            parse_prometheus(bad)
    ok = parse_prometheus('# HELP h_seconds d\n# TYPE h_seconds histogram\nh_seconds_bucket{le="+Inf",p="a\\"b"} 2\n'
                          "h_seconds_sum 0.5\nh_seconds_count 2\n")
    assert ok["h_seconds"].samples[0].labels == {"le": "+Inf", "p": 'a"b'}


def test_metrics_count_requests_by_route_and_status(metered):
    before = _scrape(metered)
    made = {("/", 200): 3, ("/items/{item_id}", 200): 2, ("/status", 418): 1, ("/status", 503): 2}
    for _ in range(3):
        assert metered.get("/").status_code == 200
    assert metered.get("/items/1").status_code == 200
    assert metered.get("/items/2").status_code == 200
    assert metered.get("/status?code=418").status_code == 418
    for _ in range(2):
        assert metered.get("/status?code=503").status_code == 503
    for _ in range(2):
        assert metered.get("/no/such/route").status_code == 404

    after = _scrape(metered)
    for (route, status), n in made.items():
        assert _count(after, route, status) - _count(before, route, status) == n, (route, status)
    unmatched = [s for s in after[REQUESTS].samples if s.labels["route"] == "(unmatched)" and s.labels["status"] == "404"]
    old_unmatched = [s for s in before[REQUESTS].samples if s.labels["route"] == "(unmatched)" and s.labels["status"] == "404"]
    assert sum(s.value for s in unmatched) - sum(s.value for s in old_unmatched) == 2
    # The metrics endpoint does not count itself, nor invent routes.
    routes = {s.labels["route"] for s in after[REQUESTS].samples}
    assert "/metrics" not in routes
    assert routes <= {"/", "/items/{item_id}", "/status", "/slow", "(unmatched)"}, routes


def test_metric_families_are_typed_and_histograms_are_consistent(metered):
    for path in ("/", "/items/7", "/slow?ms=30"):
        assert metered.get(path).status_code == 200
    families = _scrape(metered)
    assert families[REQUESTS].type == "counter"
    assert families[DURATION].type == "histogram"
    assert families["bolt_python_pending"].type == "gauge"
    assert families["bolt_open_connections"].type == "gauge"
    assert families["bolt_worker_restarts_total"].type == "counter"
    for fam in families.values():
        assert fam.help, f"{fam.name} has no HELP"

    per_route: dict[tuple[str, str], dict] = {}
    for s in families[DURATION].samples:
        key = (s.labels["method"], s.labels["route"])
        entry = per_route.setdefault(key, {"buckets": []})
        if s.name.endswith("_bucket"):
            entry["buckets"].append((float(s.labels["le"]), s.value))
        else:
            entry[s.name.rsplit("_", 1)[1]] = s.value
    assert ("GET", "/slow") in per_route
    for key, entry in per_route.items():
        bounds = [le for le, _ in entry["buckets"]]
        counts = [n for _, n in entry["buckets"]]
        assert bounds == sorted(bounds) and bounds[-1] == float("inf"), key
        assert counts == sorted(counts), f"{key}: buckets are not cumulative: {counts}"
        assert counts[-1] == entry["count"], key
        assert entry["sum"] >= 0
        total = sum(s.value for s in families[REQUESTS].samples
                    if (s.labels["method"], s.labels["route"]) == key)
        assert entry["count"] == total, key
    slow = per_route[("GET", "/slow")]
    assert slow["sum"] >= 0.03, "a 30 ms request took less than 30 ms"

    assert sample_value(families, "bolt_python_pending") == 0
    assert sample_value(families, "bolt_open_connections") >= 1
    assert sample_value(families, "bolt_worker_restarts_total") == 0
    assert abs(sample_value(families, "bolt_process_start_time_seconds") - time.time()) < 3600


def test_metrics_path_setting_moves_the_endpoint(custom_path):
    families = _scrape(custom_path, "/ops/prometheus")
    assert REQUESTS in families
    assert custom_path.get("/metrics").status_code == 404


def test_metrics_are_off_by_default(module_runtime):
    plain = module_runtime.start()
    assert plain.get("/metrics").status_code == 404


def _scrape_on(sock) -> dict[str, Family]:
    """A scrape on a kept-alive connection, so a chosen worker answers it."""
    sock.sendall(request_head("/metrics", close=False))
    r = read_response(sock)
    assert r.status == 200, r
    return parse_prometheus(r.body.decode())


def test_one_scrape_shows_every_worker_of_the_server(runtime):
    server = runtime.start("--processes", "2", settings={"BOLT_METRICS": True}, workers=2)
    first, second = sorted(server.workers())
    on_first = connection_to_worker(server.port, first)
    on_second = connection_to_worker(server.port, second)
    before = _count(_scrape_on(on_first), "/pid", 200)

    # Requests on fresh connections until each worker has answered several.
    answered: Counter[int] = Counter()

    def both_served() -> bool:
        answered[server.worker_pid()] += 1
        return len(answered) == 2 and min(answered.values()) >= 5
    wait_until(both_served, 60, "requests answered by both workers", interval=0)
    made = sum(answered.values())

    # Whichever worker answers the scrape, it counts every worker's requests.
    for sock in (on_first, on_second):
        assert _count(_scrape_on(sock), "/pid", 200) - before == made
    families = _scrape_on(on_second)
    assert sample_value(families, "bolt_worker_processes") == 2
    assert {s.labels["worker"] for s in families["bolt_worker_restarts_total"].samples} == {"0", "1"}
    assert sample_value(families, "bolt_python_pending") == 0
    # Each worker holds one of our two connections; another worker's gauges are at most a second old.
    wait_until(lambda: sample_value(_scrape_on(on_first), "bolt_open_connections") >= 2, 10,
               "both workers' open connections in one scrape")

    # A worker that dies takes its gauges but not its counts: the totals never go back.
    on_second.close()
    os.kill(second, signal.SIGKILL)
    wait_until(lambda: not alive(second) and len(server.workers()) == 2, 30, "the killed worker's replacement")
    assert _count(_scrape_on(on_first), "/pid", 200) - before == made
    families = wait_until(lambda: (f := _scrape_on(on_first)) and sample_value(f, "bolt_worker_processes") == 2 and f,
                          60, "the replacement in the scrape")
    assert _count(families, "/pid", 200) - before == made
    assert sample_value(families, "bolt_worker_restarts_total", worker="0") + \
        sample_value(families, "bolt_worker_restarts_total", worker="1") == 1
    on_first.close()


def test_a_killed_supervisors_metrics_directory_is_removed_by_the_next_server(runtime, tmp_path):
    env = runtime_env({"BOLT_METRICS": True})
    env["TMPDIR"] = str(tmp_path)
    killed = runtime.start("--processes", "2", env=env, workers=2)
    left = [p for p in tmp_path.iterdir() if p.name.startswith("bolt-metrics-")]
    assert len(left) == 1, left
    workers = killed.workers()
    os.kill(killed.proc.pid, signal.SIGKILL)  # no chance to clean up
    wait_until(lambda: not any(alive(pid) for pid in [killed.proc.pid, *workers]), 30,
               "the supervisor and its workers to end")
    assert left[0].exists()

    runtime.start("--processes", "2", env=env, workers=2)
    now = [p for p in tmp_path.iterdir() if p.name.startswith("bolt-metrics-")]
    assert len(now) == 1 and now[0] != left[0], now
