"""Request limits and timeouts on real connections: read timeout, head size, header
count and size, body size, keep-alive."""

from __future__ import annotations

import socket
import time

import pytest

from django_bolt._runtime import protocol
from django_bolt.error_handlers import format_error_response

from .runtime_helpers import raw_exchange, read_response, request_head

READ_TIMEOUT = 2
KEEP_ALIVE = 3
LIMITS = {
    "BOLT_READ_TIMEOUT": READ_TIMEOUT,
    "BOLT_KEEP_ALIVE": KEEP_ALIVE,
    "BOLT_MAX_HEADER_BYTES": 4096,
    "BOLT_MAX_HEADER_SIZE": 1024,
    "BOLT_MAX_UPLOAD_SIZE": 1000,
}


@pytest.fixture(scope="module")
def limited(module_runtime):
    return module_runtime.start(settings=LIMITS)


def _headers(count: int, size: int = 1, prefix: str = "X-Extra") -> list[tuple[str, str]]:
    return [(f"{prefix}-{i}", "v" * size) for i in range(count)]


def _trickle(port: int, data: bytes, max_seconds: float) -> tuple[float, bytes, bool]:
    """Send ``data`` one byte per second; returns (seconds until the server ended the
    exchange, what it sent, whether it closed the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
        started = time.monotonic()
        for byte in data:
            if time.monotonic() - started > max_seconds:
                break
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                return time.monotonic() - started, b"", True
            try:
                got = sock.recv(65536)
            except socket.timeout:
                continue  # the one-second pause between bytes
            except OSError:
                return time.monotonic() - started, b"", True
            elapsed = time.monotonic() - started
            if not got:
                return elapsed, b"", True
            # The server answered: it must also close the connection.
            sock.settimeout(5.0)
            rest = got
            try:
                while chunk := sock.recv(65536):
                    rest += chunk
            except socket.timeout:
                return elapsed, rest, False
            except OSError:
                pass
            return elapsed, rest, True
        return time.monotonic() - started, b"", False


SLOW_HEAD = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"z" * 40 + b"\r\n\r\n"


def test_a_client_trickling_its_request_head_is_disconnected_after_the_read_timeout(limited):
    elapsed, answer, closed = _trickle(limited.port, SLOW_HEAD, max_seconds=READ_TIMEOUT + 10)
    assert closed, f"the connection was still open after {elapsed:.1f}s (answer {answer[:100]!r})"
    assert READ_TIMEOUT - 0.5 <= elapsed <= READ_TIMEOUT + 8, f"disconnected after {elapsed:.1f}s"
    assert b"200 OK" not in answer
    assert limited.answers(), "the server stopped answering after the slow client"


def test_a_timed_out_request_head_is_answered_408(limited):
    elapsed, answer, closed = _trickle(limited.port, SLOW_HEAD, max_seconds=READ_TIMEOUT + 10)
    assert closed
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]


def test_a_request_head_larger_than_max_header_bytes_is_answered_431(limited):
    # Six 900-byte values: every value is under BOLT_MAX_HEADER_SIZE, the head is over 4096 bytes.
    big = raw_exchange(limited.port, request_head("/", headers=_headers(6, 900)))
    assert big.status == 431
    assert big.headers.get("connection") == "close"
    small = raw_exchange(limited.port, request_head("/", headers=_headers(3, 900)))
    assert small.status == 200, small.body


def test_more_than_max_header_count_header_lines_are_answered_400(limited):
    # The head already has Host and Connection: 98 more make 100 lines, 99 make 101.
    at_limit = raw_exchange(limited.port, request_head("/", headers=_headers(98)))
    assert at_limit.status == 200, at_limit.body
    over = raw_exchange(limited.port, request_head("/", headers=_headers(99)))
    assert over.status == 400
    assert b"Too many headers" in over.body


def test_header_limits_also_apply_to_paths_without_a_route(limited):
    too_many = raw_exchange(limited.port, request_head("/no/such/route", headers=_headers(99)))
    assert too_many.status == 400
    too_large = raw_exchange(limited.port, request_head("/no/such/route", headers=_headers(1, 1025)))
    assert too_large.status == 400


def test_a_header_value_larger_than_max_header_size_is_answered_400(limited):
    at_limit = raw_exchange(limited.port, request_head("/", headers=[("X-Value", "b" * 1024)]))
    assert at_limit.status == 200, at_limit.body
    over = raw_exchange(limited.port, request_head("/", headers=[("X-Value", "b" * 1025)]))
    assert over.status == 400
    assert b"1024" in over.body, over.body


def test_a_body_larger_than_max_upload_size_is_answered_413_json(limited):
    at_limit = limited.post("/upload", content=b"x" * 1000)
    assert at_limit.status_code == 200
    assert at_limit.json() == {"size": 1000}
    over = limited.post("/upload", content=b"x" * 1001)
    assert over.status_code == 413
    assert over.headers["content-type"].startswith("application/json")
    assert "1000" in over.json()["detail"]


def test_the_413_body_is_the_one_python_writes_for_the_same_condition(limited):
    # Go refuses the body before Python runs; its answer must be byte for byte what
    # Python's error path encodes for the same detail (python/tests/test_error_bodies.py
    # compares the other statuses).
    over = limited.post("/upload", content=b"x" * 1001)
    status, headers, body = format_error_response(413, protocol.DETAIL_BODY_TOO_LARGE.format(limit=1000))
    assert (over.status_code, over.headers["content-type"], over.content) == (status, dict(headers)["content-type"], body)


def test_a_chunked_body_larger_than_max_upload_size_is_answered_413_json(limited):
    chunk = b"y" * 700
    request = (b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
               b"Connection: close\r\n\r\n" + (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 2 + b"0\r\n\r\n")
    over = raw_exchange(limited.port, request)
    assert over.status == 413
    assert over.headers["content-type"].startswith("application/json")
    assert b'"detail"' in over.body


def test_a_keep_alive_connection_serves_several_requests_then_closes_when_idle(limited):
    with socket.create_connection(("127.0.0.1", limited.port), timeout=KEEP_ALIVE + 10) as sock:
        for _ in range(3):
            sock.sendall(request_head("/pid", close=False))
            r = read_response(sock)
            assert r.status == 200
            assert r.headers.get("connection", "").lower() != "close"
        idle_since = time.monotonic()
        assert sock.recv(1) == b"", "the server sent data on an idle connection"
        idle = time.monotonic() - idle_since
    assert KEEP_ALIVE - 0.5 <= idle <= KEEP_ALIVE + 8, f"idle connection closed after {idle:.1f}s"


@pytest.mark.parametrize("how", ["setting", "flag"])
def test_keep_alive_zero_closes_every_connection_after_one_response(runtime, how):
    if how == "setting":
        server = runtime.start(settings={"BOLT_KEEP_ALIVE": 0})
    else:
        server = runtime.start("--keep-alive", "0")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request_head("/", close=False) + request_head("/pid", close=False))
        first = read_response(sock)
        assert first.status == 200
        assert first.headers.get("connection", "").lower() == "close"
        # The second request on the connection is not answered: the server closed it.
        rest = b""
        while chunk := sock.recv(65536):
            rest += chunk
        assert rest == b"", rest[:200]
