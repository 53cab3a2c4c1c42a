"""Exceptions raised by handlers and what the client receives."""

from __future__ import annotations

import logging

import msgspec
import pytest
from django.test import override_settings

from django_bolt import BoltAPI
from django_bolt.exceptions import (
    BadGateway,
    BadRequest,
    Conflict,
    Forbidden,
    GatewayTimeout,
    Gone,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    NotImplemented as BoltNotImplemented,
    RequestValidationError,
    ResponseValidationError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
    ValidationException,
)
from django_bolt.testing import TestClient

SUBCLASSES = [
    (BadRequest, 400), (Unauthorized, 401), (Forbidden, 403), (NotFound, 404),
    (MethodNotAllowed, 405), (NotAcceptable, 406), (Conflict, 409), (Gone, 410),
    (UnprocessableEntity, 422), (TooManyRequests, 429), (InternalServerError, 500),
    (BoltNotImplemented, 501), (BadGateway, 502), (ServiceUnavailable, 503), (GatewayTimeout, 504),
]


class Thing(msgspec.Struct):
    n: int


def build_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/http")
    async def http():
        raise HTTPException(status_code=418, detail="I'm a teapot")

    @api.get("/http-default-detail")
    async def http_default_detail():
        raise HTTPException(404)

    @api.get("/http-extra")
    async def http_extra():
        raise HTTPException(status_code=400, detail="Bad thing", extra={"field": "email", "codes": [1, 2]})

    @api.get("/http-headers")
    async def http_headers():
        raise HTTPException(status_code=401, detail="Who?", headers={"WWW-Authenticate": "Bearer", "X-Reason": "r"})

    @api.get("/subclass/{index}")
    async def subclass(index: int):
        cls, _ = SUBCLASSES[index]
        raise cls(detail=f"{cls.__name__} happened")

    @api.get("/subclass-default/{index}")
    async def subclass_default(index: int):
        cls, _ = SUBCLASSES[index]
        raise cls()

    @api.get("/not-found-positional")
    async def not_found_positional():
        raise NotFound("User missing")

    @api.get("/validation")
    async def validation():
        raise ValidationException([{"loc": ["query", "x"], "msg": "bad x", "type": "value_error"}])

    @api.get("/request-validation")
    async def request_validation():
        raise RequestValidationError(["plain message"], body={"sent": 1})

    @api.get("/msgspec-validation")
    async def msgspec_validation():
        return {"n": msgspec.convert({"n": "x"}, Thing).n}

    @api.get("/response-validation")
    async def response_validation():
        raise ResponseValidationError([{"loc": ["response", "id"], "msg": "bad id", "type": "t"}, "oops"])

    @api.get("/file-not-found")
    async def file_not_found():
        raise FileNotFoundError("no such report")

    @api.get("/file-not-found-empty")
    async def file_not_found_empty():
        raise FileNotFoundError()

    @api.get("/open-missing")
    async def open_missing():
        with open("/definitely/not/here.txt") as f:
            return f.read()

    @api.get("/permission")
    async def permission():
        raise PermissionError("nope")

    @api.get("/permission-empty")
    async def permission_empty():
        raise PermissionError()

    @api.get("/boom")
    async def boom():
        raise RuntimeError("kaboom")

    @api.get("/boom-sync")
    def boom_sync():
        raise KeyError("missing-key")

    @api.get("/zero")
    async def zero():
        return {"x": 1 / 0}

    @api.get("/unencodable")
    async def unencodable():
        return {"obj": object()}

    return api


@pytest.fixture(scope="module")
def client():
    with TestClient(build_api()) as c:
        yield c


def test_http_exception_status_and_detail(client):
    r = client.get("/http")
    assert r.status_code == 418
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"detail": "I'm a teapot"}


def test_http_exception_default_detail_is_reason_phrase(client):
    r = client.get("/http-default-detail")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not Found"}


def test_http_exception_extra_is_sent(client):
    r = client.get("/http-extra")
    assert r.status_code == 400
    assert r.json() == {"detail": "Bad thing", "extra": {"field": "email", "codes": [1, 2]}}


def test_http_exception_without_extra_has_no_extra_key(client):
    assert "extra" not in client.get("/http").json()


def test_http_exception_headers(client):
    r = client.get("/http-headers")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.headers["x-reason"] == "r"
    assert r.json() == {"detail": "Who?"}


@pytest.mark.parametrize("index", range(len(SUBCLASSES)), ids=[c.__name__ for c, _ in SUBCLASSES])
def test_exception_subclasses(client, index):
    cls, status = SUBCLASSES[index]
    r = client.get(f"/subclass/{index}")
    assert r.status_code == status
    assert r.json() == {"detail": f"{cls.__name__} happened"}


@pytest.mark.parametrize("index", range(len(SUBCLASSES)), ids=[c.__name__ for c, _ in SUBCLASSES])
def test_exception_subclass_default_detail(client, index):
    _, status = SUBCLASSES[index]
    r = client.get(f"/subclass-default/{index}")
    assert r.status_code == status
    assert r.json()["detail"]


def test_not_found_with_positional_message(client):
    r = client.get("/not-found-positional")
    assert r.status_code == 404
    assert r.json() == {"detail": "User missing"}


def test_validation_exception_is_422(client):
    r = client.get("/validation")
    assert r.status_code == 422
    assert r.json() == {"detail": [{"loc": ["query", "x"], "msg": "bad x", "type": "value_error"}]}


def test_request_validation_error_non_dict_items(client):
    r = client.get("/request-validation")
    assert r.status_code == 422
    assert r.json() == {"detail": [{"loc": ["body"], "msg": "plain message", "type": "validation_error"}]}


def test_msgspec_validation_error_is_422(client):
    r = client.get("/msgspec-validation")
    assert r.status_code == 422
    err = r.json()["detail"][0]
    assert err["loc"] == ["body", "n"]
    assert err["type"] == "validation_error"


def test_response_validation_error_raised_explicitly(client):
    r = client.get("/response-validation")
    assert r.status_code == 500
    body = r.json()
    assert body["detail"] == "Response validation error"
    errors = body["extra"]["validation_errors"]
    assert errors[0] == {"loc": ["response", "id"], "msg": "bad id", "type": "t"}
    assert errors[1]["loc"] == ["response"]
    assert errors[1]["msg"] == "oops"


def test_file_not_found_is_404(client):
    r = client.get("/file-not-found")
    assert r.status_code == 404
    assert r.json() == {"detail": "no such report"}


def test_file_not_found_without_message(client):
    r = client.get("/file-not-found-empty")
    assert r.status_code == 404
    assert r.json() == {"detail": "File not found"}


def test_open_missing_file_is_404(client):
    with override_settings(DEBUG=False):
        r = client.get("/open-missing")
    assert r.status_code == 404
    assert r.json() == {"detail": "File not found"}  # no server path
    with override_settings(DEBUG=True):
        r = client.get("/open-missing")
    assert r.status_code == 404
    assert "/definitely/not/here.txt" in r.json()["detail"]


def test_permission_error_is_403(client):
    r = client.get("/permission")
    assert r.status_code == 403
    assert r.json() == {"detail": "nope"}


def test_permission_error_without_message(client):
    r = client.get("/permission-empty")
    assert r.status_code == 403
    assert r.json() == {"detail": "Permission denied"}


@pytest.mark.parametrize("path", ["/boom", "/boom-sync", "/zero", "/unencodable"])
def test_unhandled_exception_generic_500_without_debug(client, path):
    with override_settings(DEBUG=False):
        r = client.get(path)
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"detail": "Internal Server Error"}


def test_unhandled_exception_debug_body(client):
    with override_settings(DEBUG=True):
        r = client.get("/boom")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["detail"] == "RuntimeError: kaboom"
    traceback = body["extra"]["traceback"]
    assert isinstance(traceback, list) and traceback
    assert any("kaboom" in line for line in traceback)
    assert any("boom" in line for line in traceback)


def test_unhandled_exception_debug_body_sync_handler(client):
    with override_settings(DEBUG=True):
        r = client.get("/boom-sync")
    assert r.status_code == 500
    assert r.json()["detail"].startswith("KeyError: ")


def test_unhandled_exception_is_logged(client, caplog):
    with caplog.at_level(logging.ERROR, logger="django_bolt"), override_settings(DEBUG=False):
        client.get("/boom")
    assert any("kaboom" in rec.getMessage() or (rec.exc_info and "kaboom" in str(rec.exc_info[1]))
               for rec in caplog.records)


def test_http_exception_not_affected_by_debug(client):
    with override_settings(DEBUG=True):
        r = client.get("/http-extra")
    assert r.status_code == 400
    assert r.json() == {"detail": "Bad thing", "extra": {"field": "email", "codes": [1, 2]}}


def test_exception_classes_basics():
    exc = HTTPException(404)
    assert exc.detail == "Not Found"
    assert exc.headers == {}
    assert exc.extra is None
    assert repr(exc) == "404 - HTTPException - Not Found"
    assert NotFound().status_code == 404
    assert isinstance(ValidationException([]), ValueError)
    assert ValidationException([1]).errors() == [1]
    assert RequestValidationError([], body=b"x").body == b"x"
