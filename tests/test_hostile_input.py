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


def test_storage_file_named_by_a_path_climbing_name_is_a_400(semantics_server):
    # Django's storage refuses such names with SuspiciousFileOperation; Django answers
    # every SuspiciousOperation with 400, and so does a handler here (it was a 500).
    for name in ("../../outside.txt", "/etc/passwd"):
        r = semantics_server.get("/uploads/read", params={"name": name})
        assert r.status_code == 400, (name, r.status_code, r.text)
        assert r.json() == {"detail": "Bad Request"}
    saved = semantics_server.post("/uploads/save", files={"up": ("notes.txt", b"hi", "text/plain")}).json()["saved"]
    assert semantics_server.get("/uploads/read", params={"name": saved}).json() == {"content": "hi"}


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


def test_upload_saved_under_the_client_file_name_never_fails_on_the_name(semantics_server):
    # Names a storage cannot create (a NUL byte, 300 characters: a 500 each) or that
    # pick a directory: the handler gets them reduced as Django reduces upload names.
    cases = {
        b"a\x00b.txt": "ab.txt",
        b"n" * 300 + b".txt": "n" * 251 + ".txt",
        b"sub/dir/name.txt": "name.txt",
    }
    for sent, kept in cases.items():
        body = (b'--B\r\nContent-Disposition: form-data; name="up"; filename="' + sent + b'"\r\n'
                b"Content-Type: text/plain\r\n\r\nhi\r\n--B--\r\n")
        r = semantics_server.post("/uploads/save", content=body,
                                  headers={"content-type": "multipart/form-data; boundary=B"})
        assert r.status_code == 200, (sent[:40], r.status_code, r.text[:300])
        saved = r.json()["saved"]
        # The storage may add a suffix to a name already taken.
        assert saved == kept or (saved.startswith(kept.rsplit(".", 1)[0][:200]) and "/" not in saved), saved


def test_json_nested_past_the_recursion_limit_is_a_422(semantics_server):
    # A body that decodes into Any (a field of a struct, a dict) was decoded until the
    # interpreter's recursion limit: a 500. 100,000 levels are past the limit of every
    # supported Python. (A query value that deep does not fit in a request head; the
    # binding tests cover query values.)
    deep = b"[" * 100_000 + b"]" * 100_000
    for path, body in (("/json/any", deep), ("/json/envelope", b'{"kind": "k", "data": ' + deep + b"}")):
        r = semantics_server.post(path, content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422, (path, r.status_code, r.text[:300])
        (error,) = r.json()["detail"]
        assert (error["type"], error["loc"]) == ("json_invalid", ["body"])
        assert error["msg"] == "JSON is malformed: nested too deeply"
    shallow = semantics_server.post("/json/any", content=b"[[[]]]", headers={"content-type": "application/json"})
    assert shallow.json() == {"type": "list"}
