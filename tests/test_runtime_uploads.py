"""Large uploads on a real server: spooled to disk, never whole in Python's memory."""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile

import httpx
import pytest


MiB = 1024 * 1024
THRESHOLD = 1 * MiB
LIMIT = 256 * MiB
SETTINGS = {"BOLT_MEMORY_SPOOL_THRESHOLD": THRESHOLD, "BOLT_MAX_UPLOAD_SIZE": LIMIT}


@pytest.fixture(scope="module")
def server(module_runtime):
    return module_runtime.start(settings=SETTINGS)


def peak_rss(pid: int) -> int:
    """The process's resident-set high-water mark, in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


def test_upload_ten_times_the_threshold_is_spooled_and_memory_stays_bounded(server):
    pid = server.worker_pid()
    content = os.urandom(10 * THRESHOLD)
    digest = hashlib.sha256(content).hexdigest()
    files = {"doc": ("big.bin", content, "application/octet-stream")}
    # Warm up: the first request of a route imports and allocates what every later one reuses.
    assert server.request("POST", "/upload-file", files=files).status_code == 200
    before = peak_rss(pid)
    assert server.request("POST", "/trace/start").status_code == 200
    for _ in range(3):
        r = server.request("POST", "/upload-file", files=files)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["size"] == len(content) and body["sha256"] == digest
        assert body["on_disk"] is True
        # Python never held the body or the file whole: its allocations peaked well
        # below the file's size (the multipart body reached it as a file).
        assert body["python_peak"] < 3 * THRESHOLD, body["python_peak"]
    # The Go core streamed the body to a file: the process did not hold it either.
    grown = peak_rss(pid) - before
    assert grown < 4 * MiB, f"three {len(content)}-byte uploads grew the server's peak RSS by {grown} bytes"


def test_a_200_mb_upload_does_not_grow_the_server_by_its_size(server):
    """The body goes from the socket to a temporary file in the Go core, and Python
    parses it from there chunk by chunk: neither holds it whole."""
    pid = server.worker_pid()
    size = 200 * MiB
    digest = hashlib.sha256()
    with tempfile.TemporaryFile() as f:
        for _ in range(size // MiB):
            chunk = os.urandom(MiB)
            digest.update(chunk)
            f.write(chunk)
        f.seek(0)
        # Warm up with a small spooled upload: buffers every later upload reuses.
        warm = {"doc": ("warm.bin", os.urandom(4 * THRESHOLD), "application/octet-stream")}
        assert server.request("POST", "/upload-file", files=warm).status_code == 200
        before = peak_rss(pid)
        r = server.request("POST", "/upload-file", files={"doc": ("big.bin", f, "application/octet-stream")},
                           timeout=180)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["size"] == size and body["sha256"] == digest.hexdigest() and body["on_disk"] is True
    grown = peak_rss(pid) - before
    assert grown < 16 * MiB, f"a {size}-byte upload grew the server's peak RSS by {grown} bytes"


@pytest.mark.parametrize("size", [100, 2 * THRESHOLD])
def test_the_body_file_is_not_a_header_and_a_header_cannot_name_one(server, size):
    """A spooled body reaches Python as a field of the request: its headers are what the
    client sent, and a client header naming a file is just a header."""
    content = os.urandom(size)
    r = server.request("POST", "/upload-request", files={"doc": ("f.bin", content, "application/octet-stream")},
                       headers={"Bolt-Body-File": "/etc/passwd"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["size"] == size and body["on_disk"] is (size > THRESHOLD)
    assert body["headers"]["bolt-body-file"] == "/etc/passwd"
    assert [name for name in body["headers"] if name.startswith(":")] == []
    if size > THRESHOLD:
        assert body["body"] == 0  # the body came as the file, not as bytes too


def test_small_upload_stays_in_memory(server):
    r = server.request("POST", "/upload-file", files={"doc": ("s.txt", b"hello", "text/plain")})
    assert r.status_code == 200
    assert r.json()["size"] == 5 and r.json()["on_disk"] is False


def test_over_the_body_limit_is_413_before_the_body_is_read(server):
    """Only the head and the first 8 KiB of the body are sent: the answer comes from the declared
    Content-Length, and the connection closes rather than read what is left."""
    head = (f"POST /upload-file HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {LIMIT + 1}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head.encode() + b"--b\r\n" + b"x" * (8 * 1024))
        reply = b""
        try:
            while chunk := sock.recv(65536):
                reply += chunk
        except ConnectionResetError:  # closed with sent bytes unread: the answer came first
            pass
    assert reply.startswith(b"HTTP/1.1 413"), reply
    assert reply.endswith(b'{"detail":"Request body too large (max %d bytes)"}' % LIMIT), reply


def test_file_limits_give_the_same_422_from_the_server_as_from_python(server):
    """A small body is checked by Python; one past the spool threshold by the server while
    it streams to disk, which stops at the first file over a limit."""
    wrong_type = [("a.txt", b"x", "text/plain"), ("a.txt", b"x" * (3 * THRESHOLD), "text/plain")]
    answers = []
    for name, content, content_type in wrong_type:
        r = server.request("POST", "/avatar", files={"img": (name, content, content_type)})
        assert r.status_code == 422
        answers.append((r.headers["content-type"], r.content))
    assert answers[0] == answers[1]
    assert answers[0][1] == (
        b'{"detail":[{"type":"file_invalid_content_type","loc":["body","img"],'
        b'"msg":"Invalid content type \'text/plain\'","ctx":{"allowed_types":["image/*"],"actual_type":"text/plain"}}]}'
    )
    big = server.request("POST", "/avatar", files={"img": ("a.png", b"x" * (5 * THRESHOLD), "image/png")})
    assert big.status_code == 422
    assert big.json() == {"detail": [{
        "type": "file_too_large", "loc": ["body", "img"], "msg": f"File exceeds maximum size of {2 * MiB} bytes",
        # The server stopped reading at the first byte past the limit.
        "ctx": {"max_size": 2 * MiB, "actual_size": 2 * MiB + 1},
    }]}
    ok = server.request("POST", "/avatar", files={"img": ("a.png", b"x" * (2 * MiB), "image/png")})
    assert ok.status_code == 200 and ok.json() == {"size": 2 * MiB}


def python_answer(content_type: str, body: bytes) -> bytes:
    """The 422 body Python's own checks give for ``body`` on ``/limited``."""
    from django_bolt._forms import parse_form
    from django_bolt.error_handlers import request_validation_error_handler
    from django_bolt.exceptions import RequestValidationError
    from django_bolt.uploads import FileLimits

    form = parse_form(content_type, body, max_sizes={"docs": 10})
    errors = []
    for limits in (FileLimits("docs", 10, 2, ("text/plain",), 2), FileLimits("cover", None, 3, None, None)):
        errors += limits.check(form.files[limits.key], form.oversized)
    return request_validation_error_handler(RequestValidationError(errors))[2]


@pytest.mark.parametrize("padding", [0, 2 * THRESHOLD], ids=["in memory", "spooled"])
def test_every_file_limit_is_checked_by_the_server_with_pythons_answer(server, padding):
    files = [("docs", ("a.txt", b"x", "text/plain")), ("cover", ("c.png", b"ab", "image/png"))]
    if not padding:
        # Every problem at once: the server reads a body in memory whole.
        files += [("docs", ("b.exe", b"MZ", "application/x-msdownload")), ("docs", ("c.txt", b"0123456789x", "text/plain"))]
    data = {"padding": "p" * padding}  # a form field: past the threshold, the body is spooled
    request = httpx.Request("POST", server.url("/limited"), files=files, data=data)
    body = request.read()
    r = server.request("POST", "/limited", content=body, headers={"content-type": request.headers["content-type"]})
    assert r.status_code == 422
    assert r.content == python_answer(request.headers["content-type"], body)
    types = [e["type"] for e in r.json()["detail"]]
    assert types == (["file_too_small", "file_too_small"] if padding else [
        "file_too_many", "file_too_small", "file_invalid_content_type", "file_too_large", "file_too_small"])
    ok = server.request("POST", "/limited", files=[("docs", ("a.txt", b"ab", "text/plain")), ("cover", ("c.png", b"abc", "image/png"))])
    assert ok.status_code == 200 and ok.json() == {"docs": [2], "cover": 3}
