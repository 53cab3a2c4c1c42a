"""One multipart body, one answer: whether it arrives with Content-Length, chunked, or
through the TestClient, the example project's form routes see the same bytes and give
the same response (the server hands multipart bodies to Python as sent).

The server is driven over raw sockets; the TestClient runs in a separate interpreter set
up for the example project, on the same bodies.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

import pytest

from .conftest import EXAMPLE_PROJECT, example_env
from .runtime_helpers import raw_exchange
from .servers import PYTHON

BOUNDARY = "XyZb0und4ry"


@dataclass(frozen=True)
class Case:
    path: str
    body: bytes
    status: int
    expected: object  # the JSON answer, or a callable checking it
    boundary: str = BOUNDARY


def _part(name: str, content: bytes, filename: str | bytes | None = None,
          content_type: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"'.encode()
    if filename is not None:
        fn = filename if isinstance(filename, bytes) else filename.encode()
        disposition += b'; filename="' + fn + b'"'
    head = b"Content-Disposition: " + disposition + b"\r\n"
    if content_type:
        head += f"Content-Type: {content_type}\r\n".encode()
    return b"--" + BOUNDARY.encode() + b"\r\n" + head + b"\r\n" + content + b"\r\n"


def _body(*parts: bytes) -> bytes:
    return b"".join(parts) + b"--" + BOUNDARY.encode() + b"--\r\n"


def _invalid(detail) -> bool:
    return isinstance(detail, dict) and any(e.get("type") == "multipart_invalid" for e in detail["detail"])


def _uploaded(n: int):
    return lambda got: got["uploaded"] == n and got["total_bytes"] == n


CASES = {
    "empty-filename-file-part": Case(
        "/mixed-form", _body(_part("title", b"t"), _part("attachment", b"", filename="")), 200,
        {"title": "t", "description": "", "has_attachment": True, "attachment_size": 0}),
    "latin-1-field": Case(
        "/mixed-form", _body(_part("title", "café".encode("iso-8859-1"),
                                   content_type="text/plain; charset=iso-8859-1")), 200,
        {"title": "café", "description": "", "has_attachment": False, "attachment_size": 0}),
    "unknown-charset": Case(
        "/mixed-form", _body(_part("title", b"t", content_type="text/plain; charset=nope")), 422, _invalid),
    "1001-file-parts": Case(
        "/upload", _body(*(_part("file", b"x", filename=f"f{i}.txt") for i in range(1001))), 200,
        _uploaded(1001)),
    "nul-in-filename": Case(
        "/upload", _body(_part("file", b"abc", filename=b"a\x00b.txt")), 200,
        lambda got: got["uploaded"] == 1 and got["total_bytes"] == 3),
    "wrong-boundary": Case(
        "/mixed-form", _body(_part("title", b"t")), 422, _invalid, boundary="not-the-boundary"),
    "truncated": Case(
        "/mixed-form", _body(_part("title", b"t"))[:-10], 422, _invalid),
    "plain-fields-and-file": Case(
        "/mixed-form", _body(_part("title", b"t"), _part("description", b"d"),
                             _part("attachment", b"12345", filename="a.bin",
                                   content_type="application/octet-stream")), 200,
        {"title": "t", "description": "d", "has_attachment": True, "attachment_size": 5}),
}


def _content_type(case: Case) -> str:
    return f"multipart/form-data; boundary={case.boundary}"


def _raw_request(case: Case, chunked: bool) -> bytes:
    head = (f"POST {case.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"Content-Type: {_content_type(case)}\r\n")
    if not chunked:
        return (head + f"Content-Length: {len(case.body)}\r\n\r\n").encode() + case.body
    out = (head + "Transfer-Encoding: chunked\r\n\r\n").encode()
    for i in range(0, len(case.body), 700):  # parts split across chunks
        chunk = case.body[i:i + 700]
        out += f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    return out + b"0\r\n\r\n"


TESTCLIENT_SCRIPT = r"""
import json, sys, django
django.setup()
from django_bolt.testing import TestClient
from testproject.api import api
cases = json.load(sys.stdin)
out = {}
with TestClient(api) as client:
    for name, (path, content_type, body) in cases.items():
        r = client.post(path, content=body.encode("latin-1"), headers={"content-type": content_type})
        try:
            answer = r.json()
        except ValueError:
            answer = r.text
        out[name] = [r.status_code, answer]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def testclient_answers(example_db) -> dict:
    cases = {name: [c.path, _content_type(c), c.body.decode("latin-1")] for name, c in CASES.items()}
    env = {**example_env(example_db), "DJANGO_SETTINGS_MODULE": "testproject.settings"}
    done = subprocess.run([PYTHON, "-c", TESTCLIENT_SCRIPT], input=json.dumps(cases), cwd=EXAMPLE_PROJECT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return {name: tuple(answer) for name, answer in json.loads(done.stdout.splitlines()[-1]).items()}


def _answer(example_server, case: Case, framing: str, testclient_answers: dict, name: str):
    if framing == "testclient":
        return testclient_answers[name]
    r = raw_exchange(example_server.port, _raw_request(case, chunked=framing == "chunked"))
    assert r.headers.get("content-type") == "application/json", (r.status, r.headers, r.body[:300])
    return r.status, json.loads(r.body)


@pytest.mark.parametrize("framing", ["content-length", "chunked", "testclient"])
@pytest.mark.parametrize("name", list(CASES))
def test_a_multipart_body_gets_the_same_answer_however_it_is_framed(example_server, testclient_answers, name,
                                                                   framing):
    case = CASES[name]
    status, got = _answer(example_server, case, framing, testclient_answers, name)
    assert status == case.status, (status, got)
    if callable(case.expected):
        assert case.expected(got), got
    else:
        assert got == case.expected
    # And exactly what the other framings answered.
    others = {f: _answer(example_server, case, f, testclient_answers, name)
              for f in ("content-length", "chunked", "testclient") if f != framing}
    for other, answer in others.items():
        assert answer == (status, got), f"{framing} and {other} differ: {(status, got)} != {answer}"


def test_the_testclient_leg_really_ran(testclient_answers):
    assert set(testclient_answers) == set(CASES)
