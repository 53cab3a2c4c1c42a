"""Error bodies: what Go writes before (or instead of) Python and what Python writes
have one shape, one content type and, for the same condition, the same bytes.

The Go side's bodies all live in ``protocol/errors.go``; ``protocol/protocol_test.go``
checks that its details equal the ``DETAIL_*`` of ``_runtime/protocol.py``. Here each
Go answer is taken from the real Go pipeline (``TestClient(use_http_layer=True)``) and
compared with what Python's own error path encodes; ``tests/test_runtime_limits.py``
does the same for the 413 a real connection gets.
"""

from __future__ import annotations

import time

import jwt
import pytest

from django.test import override_settings

from django_bolt import BoltAPI
from django_bolt._runtime import protocol
from django_bolt._runtime.route import _permission_denied, _unauthenticated
from django_bolt.auth import IsAuthenticated, IsStaff, JWTAuthentication
from django_bolt.error_handlers import format_error_response, handle_exception
from django_bolt.exceptions import HTTPException
from django_bolt.middleware import rate_limit
from django_bolt.testing import TestClient

SECRET = "error-bodies-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def client():
    api = BoltAPI()
    jwt_auth = JWTAuthentication(secret=SECRET)

    @api.get("/guarded", auth=[jwt_auth], guards=[IsAuthenticated()])
    async def guarded():
        return {}

    @api.get("/staff", auth=[jwt_auth], guards=[IsStaff()])
    async def staff():
        return {}

    @api.get("/only-get")
    async def only_get():
        return {}

    @api.get("/limited")
    @rate_limit(rps=1, burst=1)
    async def limited():
        return {}

    @api.get("/bad-status")
    async def bad_status():
        return (42, [], b"")  # a status no response may have: Go answers 500

    @api.get("/needs-int/{n}")
    async def needs_int(n: int):
        return {}

    with TestClient(api, use_http_layer=True, raise_server_exceptions=False) as c:
        yield c


def _token(**claims):
    return jwt.encode({"sub": "1", "exp": int(time.time()) + 600, **claims}, SECRET, algorithm="HS256")


def _python(answer: tuple) -> tuple[int, str, bytes]:
    status, headers, body = answer
    return status, dict(headers)["content-type"], body


def _go(r) -> tuple[int, str, bytes]:
    return r.status_code, r.headers["content-type"], r.content


def test_401_is_the_same_from_go_and_python(client):
    go = _go(client.get("/guarded"))
    assert go == _python(_unauthenticated())
    assert go == _python(format_error_response(401, protocol.DETAIL_UNAUTHENTICATED))


def test_403_is_the_same_from_go_and_python(client):
    go = _go(client.get("/staff", headers={"Authorization": f"Bearer {_token()}"}))
    assert go == _python(_permission_denied())
    assert go == _python(format_error_response(403, protocol.DETAIL_PERMISSION_DENIED))


def test_405_is_the_same_from_go_and_python(client):
    go = _go(client.post("/only-get"))
    assert go == _python(handle_exception(HTTPException(405), debug=False))
    assert go == _python(format_error_response(405, protocol.DETAIL_METHOD_NOT_ALLOWED))


def test_500_is_the_same_from_go_and_python(client):
    go = _go(client.get("/bad-status"))
    assert go == _python(protocol.INTERNAL_ERROR)
    assert go == _python(handle_exception(RuntimeError("boom"), debug=False))


def test_413_is_the_same_from_go_and_python():
    api = BoltAPI()

    @api.post("/upload")
    async def upload(request):
        return {"size": len(request.body)}

    with override_settings(BOLT_MAX_UPLOAD_SIZE=100), TestClient(api) as c:
        assert c.post("/upload", content=b"x" * 100).json() == {"size": 100}
        go = _go(c.post("/upload", content=b"x" * 101))
    detail = protocol.DETAIL_BODY_TOO_LARGE.format(limit=100)
    assert go == _python(format_error_response(413, detail))
    assert go == _python(handle_exception(HTTPException(413, detail=detail), debug=False))


def test_429_has_python_s_shape(client):
    client.get("/limited")
    r = client.get("/limited")
    status, content_type, body = _go(r)
    assert (status, content_type) == (429, "application/json")
    detail = r.json()["detail"]
    retry = r.json()["retry_after"]
    assert body == format_error_response(429, detail, extra=None)[2][:-1] + f',"retry_after":{retry}}}'.encode()


def test_422_comes_from_python_in_the_same_shape(client):
    r = client.get("/needs-int/x")
    assert (r.status_code, r.headers["content-type"]) == (422, "application/json")
    assert isinstance(r.json()["detail"], list)


def test_404_without_a_route_is_plain_text_as_in_the_original(client):
    # The one documented exception: the core's "no route" answer is text.
    r = client.get("/nowhere")
    assert (r.status_code, r.headers["content-type"], r.content) == (404, "text/plain; charset=utf-8", b"Not Found")
    # Python's 404 (a handler raising it) is JSON like every other Python error.
    assert _python(handle_exception(HTTPException(404), debug=False))[1:] == ("application/json", b'{"detail":"Not Found"}')
