"""HTTP/1 framing at the edges, over raw sockets: bare-LF request heads, protocol
versions, and ``Expect: 100-continue`` with a body over the limit."""

from __future__ import annotations

import json
import socket
import time

import pytest

from .runtime_helpers import parse_raw_response, raw_exchange, read_response, request_head

# Long enough that a stalled request would be seen as one: every answer below must come
# well before it.
READ_TIMEOUT = 20
MAX_UPLOAD = 1000


@pytest.fixture(scope="module")
def server(module_runtime):
    return module_runtime.start(settings={"BOLT_READ_TIMEOUT": READ_TIMEOUT, "BOLT_MAX_UPLOAD_SIZE": MAX_UPLOAD})


def _exchange_timed(port: int, data: bytes) -> tuple[float, object]:
    started = time.monotonic()
    answer = raw_exchange(port, data, timeout=READ_TIMEOUT + 10)
    return time.monotonic() - started, answer


def _assert_bare_lf_refused(elapsed: float, r) -> None:
    assert elapsed < READ_TIMEOUT / 2, f"answered after {elapsed:.1f}s: the request stalled"
    assert r.status == 400, r
    assert r.headers["content-type"] == "application/json"
    assert "CRLF" in json.loads(r.body)["detail"]
    assert r.headers.get("connection") == "close"


@pytest.mark.parametrize("head", [
    b"GET / HTTP/1.1\nHost: x\n\n",
    b"GET / HTTP/1.1\r\nHost: x\n\n",
    b"GET / HTTP/1.1\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-A: b\n\r\n",
], ids=["all-bare-lf", "bare-lf-headers", "bare-lf-request-line", "bare-lf-last-header"])
def test_a_request_head_with_bare_lf_line_endings_is_refused_at_once(server, head):
    elapsed, r = _exchange_timed(server.port, head)
    _assert_bare_lf_refused(elapsed, r)


def test_a_bare_lf_head_on_a_keep_alive_connection_is_refused_at_once(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=READ_TIMEOUT + 10) as sock:
        sock.sendall(request_head("/", close=False))
        assert read_response(sock).status == 200
        sock.sendall(b"GET / HTTP/1.1\nHost: x\n\n")
        started = time.monotonic()
        r = read_response(sock)
        _assert_bare_lf_refused(time.monotonic() - started, r)



def _read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def _split_responses(data: bytes) -> list:
    """The responses (each with a Content-Length body) in ``data``, in order."""
    responses = []
    while data:
        head = data.partition(b"\r\n\r\n")[0]
        r = parse_raw_response(data)
        size = len(head) + 4 + int(r.headers.get("content-length", "0"))
        responses.append(r)
        data = data[size:]
    return responses


_CHUNKED_LINE_FEEDS = (b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"3\r\n\n\n\n\r\n0\r\n\r\n")


@pytest.mark.parametrize("first", [
    request_head("/", close=False),
    request_head("/upload", method="POST", body=b"a\n\nb\n", close=False),
    _CHUNKED_LINE_FEEDS,
], ids=["behind-a-get", "behind-a-body-of-line-feeds", "behind-a-chunked-body"])
@pytest.mark.parametrize("bare", [b"GET / HTTP/1.1\nHost: x\n\n", b"GET / HTTP/1.1\r\nHost: x\n\n"],
                         ids=["all-bare-lf", "bare-lf-headers"])
def test_a_bare_lf_head_pipelined_behind_a_request_is_refused_at_once(server, first, bare):
    with socket.create_connection(("127.0.0.1", server.port), timeout=READ_TIMEOUT + 10) as sock:
        started = time.monotonic()
        sock.sendall(first + bare)  # one packet: the server reads both heads at once
        answered, refused = _split_responses(_read_until_closed(sock))
        elapsed = time.monotonic() - started
    assert answered.status == 200, answered
    _assert_bare_lf_refused(elapsed, refused)


def test_pipelined_crlf_requests_after_bodies_of_line_feeds_are_all_served(server):
    body = b"a\n\nb\n"
    requests = [request_head("/upload", method="POST", body=body, close=False), _CHUNKED_LINE_FEEDS,
                request_head("/", close=False), request_head("/upload", method="POST", body=body)]
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"".join(requests))
        responses = _split_responses(_read_until_closed(sock))
    assert [r.status for r in responses] == [200, 200, 200, 200], responses
    assert [json.loads(r.body).get("size") for r in responses] == [len(body), 3, None, len(body)]


def test_line_feeds_in_a_body_are_not_taken_for_a_bare_lf_head(server):
    body = b"a\n\nb\n" * 50
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        for _ in range(3):  # on one keep-alive connection: heads after bodies are read right
            sock.sendall(request_head("/upload", method="POST", body=body, close=False))
            r = read_response(sock)
            assert r.status == 200, r
            assert json.loads(r.body) == {"size": len(body)}


@pytest.mark.parametrize("version", ["HTTP/9.9", "HTTP/2.0", "HTTP/0.9", "HTTP/3.1"])
def test_an_unsupported_http_version_is_answered_505(server, version):
    r = raw_exchange(server.port, f"GET / {version}\r\nHost: x\r\n\r\n".encode())
    assert r.status == 505, r
    assert r.headers["content-type"] == "application/json"
    assert "HTTP Version Not Supported" in json.loads(r.body)["detail"]
    assert r.headers.get("connection") == "close"


@pytest.mark.parametrize("version", ["HTTP/1.0", "HTTP/1.1", "HTTP/1.2"])
def test_http_1_requests_are_served(server, version):
    r = raw_exchange(server.port, f"GET / {version}\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert r.status == 200, r
    assert json.loads(r.body)["ok"] is True


def _expect_continue(port: int, length: int, body: bytes | None) -> tuple[bytes, bytes]:
    """Send a head with ``Expect: 100-continue``; return what came back before the body
    was sent, and everything after sending it (when ``body`` is given)."""
    head = (f"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n"
            "Expect: 100-continue\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        first = sock.recv(65536)
        rest = b""
        if body is not None and first.startswith(b"HTTP/1.1 100"):
            sock.sendall(body)
            while chunk := sock.recv(65536):
                rest += chunk
        else:
            try:
                while chunk := sock.recv(65536):
                    first += chunk
            except ConnectionResetError:
                pass
    return first, rest


def test_expect_continue_over_the_upload_limit_is_refused_before_the_body(server):
    first, _ = _expect_continue(server.port, MAX_UPLOAD + 1, None)
    assert first.startswith(b"HTTP/1.1 413 "), first[:200]
    assert b"100 Continue" not in first
    head, _, body = first.partition(b"\r\n\r\n")
    assert b"Content-Type: application/json" in head
    assert json.loads(body) == {"detail": f"Request body too large (max {MAX_UPLOAD} bytes)"}


def test_expect_continue_within_the_limit_invites_the_body(server):
    body = b"x" * MAX_UPLOAD
    first, rest = _expect_continue(server.port, len(body), body)
    assert first == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert rest.startswith(b"HTTP/1.1 200 "), rest[:200]
    assert json.loads(rest.partition(b"\r\n\r\n")[2]) == {"size": MAX_UPLOAD}


@pytest.mark.parametrize("request_bytes", [
    b"G\x01T / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /a\x7fb HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\n\r\n",  # HTTP/1.1 without Host
    b"GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
    b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
], ids=["control-byte-in-method", "control-byte-in-path", "no-host", "header-without-colon", "bad-chunk-size",
        "two-content-lengths"])
def test_a_malformed_request_is_answered_400_json(server, request_bytes):
    r = raw_exchange(server.port, request_bytes)
    assert r.status == 400, r
    assert r.headers["content-type"] == "application/json"
    assert json.loads(r.body)["detail"].startswith("Bad Request")
    assert r.headers.get("connection") == "close"
