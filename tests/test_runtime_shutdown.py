"""SIGTERM/SIGINT drain in-flight work then exit 0; the drain is bounded by the shutdown
timeout; a second signal ends everything at once."""

from __future__ import annotations

import signal
import threading
import time

import httpx
import pytest

from .runtime_helpers import (
    alive, connection_to_worker, environ_of, new_token, read_response, request_head, wait_until,
)


class InFlight:
    """One request in a background thread; ``response`` or ``error`` once it ends."""

    def __init__(self, server, path: str, timeout: float = 60.0) -> None:
        self.response: httpx.Response | None = None
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, args=(server, path, timeout), daemon=True)
        self._thread.start()

    def _run(self, server, path: str, timeout: float) -> None:
        try:
            self.response = server.get(path, timeout=timeout)
        except Exception as exc:
            self.error = exc

    def join(self, timeout: float = 60.0) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the request thread did not finish"


def _start_slow(server, ms: int) -> InFlight:
    """A /slow request that has reached its handler."""
    token = new_token()
    request = InFlight(server, f"/slow?ms={ms}&token={token}", timeout=ms / 1000 + 60)
    wait_until(lambda: server.get(f"/started?token={token}").json()["started"], 30,
               "the slow request to reach its handler")
    return request


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_a_slow_request_lets_it_complete_then_exits_zero(runtime, sig):
    server = runtime.start()
    workers = server.workers()
    request = _start_slow(server, 1500)
    server.signal(sig)
    code = server.wait_exit(timeout=60)
    request.join()
    assert request.error is None, f"{request.error!r}\n{server.output()}"
    assert request.response.status_code == 200
    assert request.response.json()["slept_ms"] == 1500
    assert code == 0, server.output()
    assert not any(alive(pid) for pid in workers)
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url("/"), timeout=5.0)


def test_sigterm_during_a_stream_lets_it_send_every_event(runtime):
    server = runtime.start()
    events: list[str] = []
    with httpx.Client(timeout=30.0) as client:
        with client.stream("GET", server.url("/stream?n=6&ms=300")) as response:
            assert response.status_code == 200
            lines = response.iter_lines()
            for line in lines:
                if line.startswith("data:"):
                    events.append(line)
                    break
            server.signal(signal.SIGTERM)
            events += [line for line in lines if line.startswith("data:")]
    assert events == [f"data: {i}" for i in range(6)]
    assert server.wait_exit(timeout=60) == 0, server.output()


def test_the_drain_is_bounded_by_the_shutdown_timeout(runtime):
    server = runtime.start(settings={"BOLT_SHUTDOWN_TIMEOUT": 1})
    workers = server.workers()
    request = _start_slow(server, 30000)
    signalled = time.monotonic()
    server.signal(signal.SIGTERM)
    code = server.wait_exit(timeout=40)
    took = time.monotonic() - signalled
    request.join()
    assert code == 0, server.output()
    # One second of drain, plus the five seconds the supervisor allows before it kills.
    assert took < 20, f"exited {took:.1f}s after SIGTERM with BOLT_SHUTDOWN_TIMEOUT = 1"
    assert request.response is None or request.response.status_code != 200
    assert not any(alive(pid) for pid in workers)


def test_a_second_sigterm_ends_a_long_drain_at_once(runtime):
    server = runtime.start("--shutdown-timeout", "120")
    workers = server.workers()
    request = _start_slow(server, 60000)
    shorter = _start_slow(server, 4000)
    server.signal(signal.SIGTERM)
    server.wait_output("shutting down", timeout=15)
    # The shorter request answered after the signal shows the drain under way, and the
    # long one keeps the server in it.
    shorter.join()
    assert shorter.error is None and shorter.response.status_code == 200, (
        f"the first SIGTERM did not let in-flight requests finish: {shorter.error!r}\n{server.output()}")
    assert server.running(), "the first SIGTERM did not wait for the in-flight request"
    second = time.monotonic()
    server.signal(signal.SIGTERM)
    server.wait_exit(timeout=30)
    took = time.monotonic() - second
    request.join()
    assert took < 10, f"exited {took:.1f}s after the second SIGTERM"
    assert request.response is None or request.response.status_code != 200
    wait_until(lambda: not any(alive(pid) for pid in workers), 10, "the workers to be gone")


def test_sigterm_lets_in_flight_requests_finish_on_every_worker(runtime):
    # Slot 1 is signalled after slot 0 has drained: a worker must get one SIGTERM only,
    # or it takes the second as "exit now" and cuts its request.
    server = runtime.start("--processes", "2", workers=2)
    by_slot = {environ_of(pid)["BOLT_WORKER"]: pid for pid in server.workers()}
    assert set(by_slot) == {"0", "1"}
    durations = {"0": 1500, "1": 3000}
    results: dict[str, object] = {}
    probes, slows, tokens = {}, {}, {}
    try:
        for slot, pid in by_slot.items():
            probes[slot] = connection_to_worker(server.port, pid)
            slows[slot] = connection_to_worker(server.port, pid)
            tokens[slot] = new_token()

        def slow(slot: str) -> None:
            try:
                slows[slot].sendall(request_head(f"/slow?ms={durations[slot]}&token={tokens[slot]}", close=False))
                results[slot] = read_response(slows[slot])
            except Exception as exc:
                results[slot] = exc

        threads = [threading.Thread(target=slow, args=(slot,), daemon=True) for slot in by_slot]
        for t in threads:
            t.start()
        for slot in by_slot:
            def started(slot=slot) -> bool:
                probes[slot].sendall(request_head(f"/started?token={tokens[slot]}", close=False))
                return b'"started":true' in read_response(probes[slot]).body
            wait_until(started, 30, f"the slow request of worker {slot} to start", interval=0.1)
        server.signal(signal.SIGTERM)
        code = server.wait_exit(timeout=60)
        for t in threads:
            t.join(timeout=30)
    finally:
        for sock in [*probes.values(), *slows.values()]:
            sock.close()
    for slot in by_slot:
        result = results.get(slot)
        assert getattr(result, "status", None) == 200, f"worker {slot}: {result!r}\n{server.output()}"
    assert code == 0
    assert "second signal" not in server.output()
