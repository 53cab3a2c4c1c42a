"""Hostile clients against real servers: input built to break the server gets a clear
error answer (4xx with a message), never a 500, a hang or a dropped connection.

Each test here is a case an earlier version got wrong."""

from __future__ import annotations

import os

from .conftest import EXAMPLE_PROJECT, example_env


def deleted_files_open(pid: int) -> list[str]:
    """The files ``pid`` holds open that were removed from their directory (a temporary
    file keeps its disk space until its last descriptor is closed)."""
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        if target.endswith(" (deleted)"):
            out.append(target)
    return out


def test_upload_saved_under_a_path_climbing_name_is_a_400(semantics_server):
    # Django's storage refuses such names with SuspiciousFileOperation; Django answers
    # every SuspiciousOperation with 400, and so does a handler here.
    for name in ("../../outside.txt", "/etc/passwd"):
        r = semantics_server.post("/uploads/save", files={"up": (name, b"hi", "text/plain")})
        assert r.status_code == 400, (name, r.status_code, r.text)
        assert r.json() == {"detail": "Bad Request"}
    fine = semantics_server.post("/uploads/save", files={"up": ("notes.txt", b"hi", "text/plain")})
    assert fine.status_code == 200, fine.text
    assert fine.json()["saved"].startswith("notes")


def test_slow_route_refuses_a_sleep_it_would_never_finish(example_server):
    # /bench/slow?ms= is the client's own sleep: an unbounded one held the request (and
    # its connection) open for as long as the client asked, years if it liked.
    for ms in ("99999999999", "-5"):
        r = example_server.get(f"/bench/slow?ms={ms}", timeout=10.0)
        assert r.status_code == 422, (ms, r.status_code, r.text)
        assert r.json()["detail"][0]["loc"] == ["query", "ms"]
    assert example_server.get("/bench/slow?ms=20").json() == {"slept_ms": 20}


def test_malformed_large_upload_leaves_no_temporary_file_open(servers, example_db):
    # A file part past the spool threshold (1 MiB) is written to a temporary file as it
    # is parsed; a body that turns out malformed (no closing boundary) is a 422, and the
    # temporary files of the parts read so far were left open, a descriptor and the
    # file's disk space held for every such request until a garbage collection ran.
    server = servers.start(EXAMPLE_PROJECT, env=example_env(example_db))
    (worker,) = server.workers()
    before = deleted_files_open(worker)
    part = (b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n'
            + b"x" * (3 << 20))
    for _ in range(3):
        r = server.post("/upload", content=part, headers={"content-type": "multipart/form-data; boundary=B"})
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["type"] == "multipart_invalid"
    # The answer is written after the form is dropped: nothing may be left by now.
    assert deleted_files_open(worker) == before
