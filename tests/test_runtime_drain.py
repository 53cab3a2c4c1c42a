"""Draining without dropping a request: on SIGTERM new connections are refused at once
while in-flight requests finish; on SIGTERM and on a SIGHUP reload, requests arriving on
open keep-alive connections are answered, with ``Connection: close``."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time


from .runtime_helpers import alive, read_response, request_head, wait_until
from .test_runtime_shutdown import _start_slow

RELOAD_TIMEOUT = 60


def _connect(port: int, timeout: float = 10.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


# --- SIGTERM ----------------------------------------------------------------------------


def test_after_sigterm_new_connections_are_refused_at_once_while_in_flight_requests_finish(runtime):
    server = runtime.start()
    slow = _start_slow(server, 3000)
    server.signal(signal.SIGTERM)
    time.sleep(0.3)
    started = time.monotonic()
    outcome = None
    try:
        with _connect(server.port, timeout=10.0) as sock:
            sock.sendall(request_head("/"))
            outcome = sock.recv(65536)  # b"" or a reset: not accepted, and no hang
    except (ConnectionRefusedError, ConnectionResetError) as exc:
        outcome = exc
    elapsed = time.monotonic() - started
    assert elapsed < 2, f"the new connection hung for {elapsed:.1f}s"
    assert isinstance(outcome, ConnectionRefusedError), f"new connection after SIGTERM: {outcome!r}"
    slow.join()
    assert slow.error is None, f"{slow.error!r}\n{server.output()}"
    assert slow.response.status_code == 200
    assert server.wait_exit(timeout=60) == 0


def test_a_request_on_an_idle_keep_alive_connection_during_the_drain_is_answered_with_connection_close(runtime):
    server = runtime.start()
    with _connect(server.port) as idle:
        idle.sendall(request_head("/pid", close=False))
        first = read_response(idle)
        assert first.status == 200 and first.headers.get("connection") != "close"
        slow = _start_slow(server, 3000)  # keeps the worker draining
        server.signal(signal.SIGTERM)
        time.sleep(0.3)
        idle.sendall(request_head("/pid", close=False))
        last = read_response(idle)
        assert last.status == 200, last
        assert last.headers.get("connection") == "close"
        assert idle.recv(65536) == b"", "the connection stayed open after Connection: close"
    slow.join()
    assert slow.response is not None and slow.response.status_code == 200
    assert server.wait_exit(timeout=60) == 0


def test_an_idle_keep_alive_connection_is_closed_soon_after_sigterm(runtime):
    server = runtime.start()
    with _connect(server.port, timeout=30.0) as idle:
        idle.sendall(request_head("/pid", close=False))
        assert read_response(idle).status == 200
        server.signal(signal.SIGTERM)
        started = time.monotonic()
        assert idle.recv(65536) == b""
        assert time.monotonic() - started < 10
    assert server.wait_exit(timeout=30) == 0


# --- SIGHUP under keep-alive load --------------------------------------------------------


class KeepAliveClients:
    """Threads each sending ``GET /pid`` over and over on one keep-alive connection, as
    load generators do: no check whether the server closed it in the meantime. A new
    connection is opened only after a ``Connection: close`` answer or a failure (which
    is recorded). Bounded by ``max_seconds`` and ``max_requests``."""

    def __init__(self, port: int, threads: int, max_seconds: float = 240, max_requests: int = 400_000) -> None:
        self.port = port
        self.deadline = time.monotonic() + max_seconds
        self.max_requests = max_requests
        self.ok = 0
        self.closed_by_server = 0
        self.pids: set[int] = set()
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        sock = None
        while not self._stop.is_set() and time.monotonic() < self.deadline and self.ok < self.max_requests:
            try:
                if sock is None:
                    sock = _connect(self.port)
                sock.sendall(request_head("/pid", close=False))
                r = read_response(sock)
                if r.status != 200:
                    raise AssertionError(f"status {r.status}: {r.body[:100]!r}")
                pid = json.loads(r.body)["pid"]
                with self._lock:
                    self.ok += 1
                    self.pids.add(pid)
                    if r.headers.get("connection") == "close":
                        self.closed_by_server += 1
                if r.headers.get("connection") == "close":
                    sock.close()
                    sock = None
            except Exception as exc:  # noqa: BLE001 - every failure is what the test counts
                with self._lock:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                if sock is not None:
                    sock.close()
                sock = None
        if sock is not None:
            sock.close()

    def count(self) -> int:
        with self._lock:
            return self.ok

    def wait_for_more(self, n: int, timeout: float) -> None:
        target = self.count() + n
        wait_until(lambda: self.count() >= target, timeout, f"{n} more requests")

    def __enter__(self) -> "KeepAliveClients":
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)


def test_five_sighup_reloads_under_keep_alive_load_fail_no_request(runtime):
    server = runtime.start("--processes", "2", workers=2)
    generations = [server.workers()]
    with KeepAliveClients(server.port, threads=8) as clients:
        clients.wait_for_more(200, 30)
        for _ in range(5):
            old = generations[-1]
            server.signal(signal.SIGHUP)
            new = wait_until(lambda: (w := server.workers()) and not (w & old) and len(w) == 2 and w,
                             RELOAD_TIMEOUT, "the old workers to be replaced and gone")
            generations.append(new)
            wait_until(lambda: not any(alive(pid) for pid in old), 30, "the old workers to exit")
            clients.wait_for_more(200, 30)
    assert clients.errors == [], (f"{len(clients.errors)} failed of {clients.ok + len(clients.errors)}, first: "
                                  f"{clients.errors[:5]}\n{server.output()[-3000:]}")
    # Every generation served, and the old workers closed their keep-alive connections
    # by answering with Connection: close.
    assert all(gen & clients.pids for gen in generations), (generations, clients.pids)
    assert clients.closed_by_server >= 5
    assert server.running()
