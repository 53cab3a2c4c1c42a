"""The original's public helper names and signatures, used by code and tests written for
it: ``error_handlers``, ``binding`` and ``admin.ASGIFallbackHandler``."""

from __future__ import annotations

import asyncio
import inspect
from typing import Annotated

import msgspec
import pytest
from django.test import override_settings

from django_bolt import binding, error_handlers
from django_bolt.admin import ASGIFallbackHandler
from django_bolt.exceptions import HTTPException, RequestValidationError
from django_bolt.params import Query
from django_bolt.request import Request
from django_bolt.serialization import ResponseTypeError


class Item(msgspec.Struct):
    name: str
    price: float


def _request(query: bytes = b"", headers: dict | None = None, path: str = "/", params: dict | None = None) -> Request:
    return Request("GET", path, params or {}, query, headers or {}, b"", None)


# --- error_handlers ------------------------------------------------------------------------


def test_generic_exception_handler_takes_the_original_keywords():
    sig = inspect.signature(error_handlers.generic_exception_handler)
    assert sig.parameters["debug"].default is False
    assert sig.parameters["request"].default is None
    status, headers, body = error_handlers.generic_exception_handler(RuntimeError("x"))
    assert status == 500 and msgspec.json.decode(body) == {"detail": "Internal Server Error"}
    status, _, body = error_handlers.generic_exception_handler(RuntimeError("x"), debug=True, request={"path": "/"})
    assert msgspec.json.decode(body)["detail"] == "RuntimeError: x"


def test_header_names_keep_the_callers_case():
    exc = HTTPException(401, "Who?", headers={"WWW-Authenticate": "Bearer", "X-Reason": "r"})
    status, headers, _ = error_handlers.http_exception_handler(exc)
    assert status == 401
    assert ("WWW-Authenticate", "Bearer") in headers and ("X-Reason", "r") in headers
    _, headers, _ = error_handlers.format_error_response(400, "bad", headers={"Retry-After": "3"})
    assert ("Retry-After", "3") in headers


@pytest.mark.parametrize("debug", [False, True])
def test_os_file_errors_show_the_path_only_with_debug(tmp_path, debug):
    missing = tmp_path / "secret-dir" / "x.txt"
    try:
        open(missing)
    except FileNotFoundError as exc:
        error = exc
    with override_settings(DEBUG=debug):
        status, _, body = error_handlers.handle_exception(error)
    detail = msgspec.json.decode(body)["detail"]
    assert status == 404
    assert (str(missing) in detail) is debug
    if not debug:
        assert detail == "File not found"


def test_a_file_error_with_a_message_of_the_handlers_own_is_sent_as_it_is():
    with override_settings(DEBUG=False):
        status, _, body = error_handlers.handle_exception(PermissionError("nope"))
    assert (status, msgspec.json.decode(body)) == (403, {"detail": "nope"})


# --- binding ---------------------------------------------------------------------------------


def test_body_parameter_on_get_suggests_changing_the_method():
    def handler(item: Item):
        return item

    with pytest.raises(TypeError) as info:
        binding.compile_binding(handler, "GET", "/items")
    assert "Change HTTP method to POST/PUT/PATCH" in str(info.value)


def test_get_msgspec_decoder_is_cached():
    decoder = binding.get_msgspec_decoder(Item)
    assert binding.get_msgspec_decoder(Item) is decoder
    assert binding._DECODER_CACHE[Item] is decoder
    assert decoder.decode(b'{"name":"a","price":1}') == Item("a", 1.0)


def test_create_body_extractor_decodes_and_reports_422_errors():
    extract = binding.create_body_extractor("item", Item)
    assert extract(b'{"name":"a","price":2}') == Item("a", 2.0)
    with pytest.raises(RequestValidationError) as bad_json:
        extract(b'{"name":')
    assert bad_json.value.errors()[0]["type"] == "json_invalid"
    with pytest.raises(RequestValidationError) as bad_type:
        extract(b'{"name":"a","price":"x"}')
    assert bad_type.value.errors()[0]["loc"] == ["body", "price"]


def test_create_extractor_reads_one_parameter_like_a_handler_would():
    page = binding.create_extractor({"name": "page", "annotation": int, "default": 1})
    assert page(_request(b"page=3")) == 3
    assert page(_request()) == 1
    with pytest.raises(RequestValidationError):
        page(_request(b"page=x"))
    token = binding.create_extractor({"name": "token", "annotation": str, "source": "header", "alias": "x-token"})
    assert token(_request(headers={"x-token": "abc"})) == "abc"
    marked = binding.create_extractor({"name": "q", "annotation": Annotated[str, Query()]})
    assert marked(_request(b"q=hi")) == "hi"
    with pytest.raises(TypeError, match="unknown source"):
        binding.create_extractor({"name": "x", "annotation": int, "source": "nowhere"})


def test_coerce_to_response_type():
    assert binding.coerce_to_response_type({"name": "a", "price": 1}, Item) == Item("a", 1.0)
    assert binding.coerce_to_response_type({"anything": 1}, None) == {"anything": 1}
    with pytest.raises(ResponseTypeError):
        binding.coerce_to_response_type({"name": 1}, Item)
    coerced = asyncio.run(binding.coerce_to_response_type_async([{"name": "b", "price": 2}], list[Item]))
    assert coerced == [Item("b", 2.0)]


def test_create_extractor_for_path_and_body_parameters():
    item_id = binding.create_extractor({"name": "item_id", "annotation": int, "source": "path"})
    assert item_id(_request(path="/5", params={"item_id": "5"})) == 5
    body = binding.create_extractor({"name": "item", "annotation": Item})
    request = Request("POST", "/", {}, b"", {"content-type": "application/json"}, b'{"name":"n","price":1}', None)
    assert body(request) == Item("n", 1.0)


@pytest.mark.parametrize("host_header", [None, "example.com"])
def test_asgi_fallback_handler_takes_the_bound_host_and_port(host_header):
    handler = ASGIFallbackHandler("10.1.2.3", 9000)
    assert (handler.host, handler.port) == ("10.1.2.3", 9000)
    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    handler._app = app
    headers = {} if host_header is None else {"host": host_header}
    status, _, _ = asyncio.run(handler(Request("GET", "/admin/", {}, b"", headers, b"", None)))
    assert status == 204
    assert seen["server"] == ("10.1.2.3", 9000)
    assert dict(seen["headers"])[b"host"] == (host_header or "10.1.2.3:9000").encode()
