"""Hostile clients against real servers: input built to break the server gets a clear
error answer (4xx with a message), never a 500, a hang or a dropped connection.

Each test here is a case an earlier version got wrong."""

from __future__ import annotations

import httpx


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
