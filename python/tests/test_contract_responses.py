"""What each kind of handler return value becomes on the wire."""

from __future__ import annotations

import asyncio
import logging
from typing import List, Optional

import msgspec
import pytest
from django.test import override_settings

from django_bolt import JSON, BoltAPI, Response, StreamingResponse
from django_bolt.responses import HTML, File, FileResponse, PlainText, Redirect
from django_bolt.testing import TestClient

FILE_CONTENT = b"0123456789abcdefghijklmnopqrstuvwxyz" * 4  # 144 bytes


class Item(msgspec.Struct):
    name: str
    price: float


class Strict(msgspec.Struct):
    id: int
    name: str


@pytest.fixture(scope="module")
def data_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("files") / "report.txt"
    path.write_bytes(FILE_CONTENT)
    return str(path)


@pytest.fixture(scope="module")
def client(data_file):
    api = BoltAPI()

    @api.get("/dict")
    async def get_dict():
        return {"a": 1, "b": [1, 2], "c": None}

    @api.get("/list")
    async def get_list():
        return [1, "two", {"three": 3}]

    @api.get("/json")
    async def get_json():
        return JSON({"ok": True}, status_code=202, headers={"X-Extra": "yes"})

    @api.get("/json-own-type")
    async def get_json_own_type():
        return JSON({"ok": True}, headers={"Content-Type": "application/vnd.api+json"})

    @api.get("/plain")
    async def get_plain():
        return PlainText("héllo", status_code=201)

    @api.get("/html")
    async def get_html():
        return HTML("<h1>Hi</h1>")

    @api.get("/bytes")
    async def get_bytes():
        return b"\x00\x01raw"

    @api.get("/bytearray")
    async def get_bytearray():
        return bytearray(b"abc")

    @api.get("/str")
    async def get_str():
        return "just text"

    @api.get("/none")
    async def get_none():
        return None

    @api.get("/number")
    async def get_number():
        return 42

    @api.get("/struct")
    async def get_struct():
        return Item(name="pen", price=1.5)

    @api.get("/redirect")
    async def get_redirect():
        return Redirect("/target")

    @api.get("/redirect-301")
    async def get_redirect_301():
        return Redirect("https://example.com/x", status_code=301, headers={"X-Why": "moved"})

    @api.get("/target")
    async def get_target():
        return {"arrived": True}

    @api.get("/file")
    async def get_file():
        return File(data_file, filename="report.txt")

    @api.get("/file-typed")
    async def get_file_typed():
        return File(data_file, media_type="application/x-custom")

    @api.get("/file-missing")
    async def get_file_missing():
        return File(data_file + ".missing")

    @api.get("/fileresponse")
    async def get_fileresponse():
        return FileResponse(data_file, filename="dl.txt")

    @api.get("/fileresponse-missing")
    async def get_fileresponse_missing():
        return FileResponse(data_file + ".missing")

    @api.get("/response-json")
    async def get_response_json():
        return Response({"k": "v"}, status_code=203, headers={"X-A": "1"})

    @api.get("/response-none")
    async def get_response_none():
        return Response()

    @api.get("/response-xml")
    async def get_response_xml():
        return Response("<a>1</a>", media_type="application/xml")

    @api.get("/response-bytes")
    async def get_response_bytes():
        return Response(b"\xffbin", media_type="application/octet-stream")

    @api.get("/response-other")
    async def get_response_other():
        return Response(12345, media_type="text/plain")

    @api.get("/tuple")
    async def get_tuple():
        return 418, [("content-type", "text/x-tea"), ("x-pot", "teapot")], b"short and stout"

    @api.post("/created", status_code=201)
    async def created():
        return {"created": True}

    @api.post("/created-str", status_code=201)
    async def created_str():
        return "made"

    @api.post("/created-bytes", status_code=201)
    async def created_bytes():
        return b"made"

    @api.post("/created-none", status_code=201)
    async def created_none():
        return None

    @api.post("/created-json", status_code=201)
    async def created_json():
        return JSON({"x": 1})

    @api.post("/created-plain", status_code=201)
    async def created_plain():
        return PlainText("x")

    @api.post("/created-html", status_code=201)
    async def created_html():
        return HTML("x")

    @api.post("/created-response", status_code=201)
    async def created_response():
        return Response({"x": 1})

    @api.post("/created-redirect", status_code=201)
    async def created_redirect():
        return Redirect("/target")

    @api.post("/created-file", status_code=201)
    async def created_file():
        return File(data_file)

    @api.post("/created-stream", status_code=201)
    async def created_stream():
        return StreamingResponse(iter([b"a"]))

    with TestClient(api) as c:
        yield c


# ---------------------------------------------------------------------------------
# plain values


def test_dict_is_json(client):
    r = client.get("/dict")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"a": 1, "b": [1, 2], "c": None}


def test_list_is_json(client):
    r = client.get("/list")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == [1, "two", {"three": 3}]


def test_json_instance_keeps_status_and_lowercases_headers(client):
    r = client.get("/json")
    assert r.status_code == 202
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-extra"] == "yes"
    assert r.json() == {"ok": True}


def test_json_instance_user_content_type_replaces_default(client):
    r = client.get("/json-own-type")
    assert r.headers.get_list("content-type") == ["application/vnd.api+json"]
    assert r.json() == {"ok": True}


def test_plaintext(client):
    r = client.get("/plain")
    assert r.status_code == 201
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.content == "héllo".encode()


def test_html(client):
    r = client.get("/html")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.text == "<h1>Hi</h1>"


def test_bytes_is_octet_stream(client):
    r = client.get("/bytes")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.content == b"\x00\x01raw"


def test_bytearray_is_octet_stream(client):
    r = client.get("/bytearray")
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.content == b"abc"


def test_str_is_plain_text(client):
    r = client.get("/str")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == "just text"


def test_none_is_json_null(client):
    r = client.get("/none")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.content == b"null"


def test_number_is_json(client):
    r = client.get("/number")
    assert r.headers["content-type"] == "application/json"
    assert r.content == b"42"


def test_struct_is_json(client):
    r = client.get("/struct")
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"name": "pen", "price": 1.5}


def test_redirect_default_307(client):
    r = client.get("/redirect", follow_redirects=False)
    assert r.status_code == 307
    assert r.headers["location"] == "/target"
    assert r.content == b""


def test_redirect_custom_status_and_headers(client):
    r = client.get("/redirect-301", follow_redirects=False)
    assert r.status_code == 301
    assert r.headers["location"] == "https://example.com/x"
    assert r.headers["x-why"] == "moved"
    assert r.content == b""


def test_redirect_followed_by_default(client):
    r = client.get("/redirect")
    assert r.status_code == 200
    assert r.json() == {"arrived": True}
    assert r.history and r.history[0].status_code == 307


def test_file_content_and_disposition(client):
    r = client.get("/file")
    assert r.status_code == 200
    assert r.content == FILE_CONTENT
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["content-disposition"] == 'attachment; filename="report.txt"'


def test_file_explicit_media_type(client):
    r = client.get("/file-typed")
    assert r.headers["content-type"] == "application/x-custom"
    assert "content-disposition" not in r.headers
    assert r.content == FILE_CONTENT


def test_file_missing_is_404(client):
    r = client.get("/file-missing")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    assert "detail" in r.json()


def test_fileresponse_real_content(client):
    r = client.get("/fileresponse")
    assert r.status_code == 200
    assert r.content == FILE_CONTENT
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["content-disposition"] == 'attachment; filename="dl.txt"'
    assert "x-bolt-file-path" not in r.headers


def test_fileresponse_missing_is_404_without_the_path(client, data_file):
    with override_settings(DEBUG=False):
        r = client.get("/fileresponse-missing")
    assert r.status_code == 404
    assert r.json() == {"detail": "File not found"}


def test_fileresponse_missing_names_the_path_with_debug(client, data_file):
    with override_settings(DEBUG=True):
        r = client.get("/fileresponse-missing")
    assert r.status_code == 404
    assert r.json() == {"detail": f"File not found: {data_file}.missing"}


def test_fileresponse_range_is_206(client):
    r = client.get("/fileresponse", headers={"Range": "bytes=10-19"})
    assert r.status_code == 206
    assert r.content == FILE_CONTENT[10:20]
    assert r.headers["content-range"] == f"bytes 10-19/{len(FILE_CONTENT)}"


def test_fileresponse_suffix_range(client):
    r = client.get("/fileresponse", headers={"Range": "bytes=-5"})
    assert r.status_code == 206
    assert r.content == FILE_CONTENT[-5:]


def test_fileresponse_unsatisfiable_range_is_416(client):
    r = client.get("/fileresponse", headers={"Range": "bytes=100000-"})
    assert r.status_code == 416


def test_fileresponse_etag_if_none_match_is_304(client):
    first = client.get("/fileresponse")
    etag = first.headers["etag"]
    assert etag
    assert "last-modified" in first.headers
    again = client.get("/fileresponse", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""


def test_fileresponse_if_modified_since_is_304(client):
    first = client.get("/fileresponse")
    again = client.get("/fileresponse", headers={"If-Modified-Since": first.headers["last-modified"]})
    assert again.status_code == 304


def test_fileresponse_stale_etag_gets_full_body(client):
    r = client.get("/fileresponse", headers={"If-None-Match": '"not-the-etag"'})
    assert r.status_code == 200
    assert r.content == FILE_CONTENT


def test_fileresponse_head_has_headers_no_body(client):
    r = client.head("/fileresponse")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-type"].startswith("text/plain")


def test_response_json_media_type(client):
    r = client.get("/response-json")
    assert r.status_code == 203
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-a"] == "1"
    assert r.json() == {"k": "v"}


def test_response_none_content_is_empty_object(client):
    r = client.get("/response-none")
    assert r.status_code == 200
    assert r.json() == {}


def test_response_other_media_type_str(client):
    r = client.get("/response-xml")
    assert r.headers["content-type"] == "application/xml"
    assert r.text == "<a>1</a>"


def test_response_other_media_type_bytes(client):
    r = client.get("/response-bytes")
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.content == b"\xffbin"


def test_response_other_media_type_other_value_uses_str(client):
    r = client.get("/response-other")
    assert r.headers["content-type"] == "text/plain"
    assert r.text == "12345"


def test_raw_tuple_passthrough(client):
    r = client.get("/tuple")
    assert r.status_code == 418
    assert r.headers["content-type"] == "text/x-tea"
    assert r.headers["x-pot"] == "teapot"
    assert r.content == b"short and stout"


# ---------------------------------------------------------------------------------
# route status_code applies only to plain values


@pytest.mark.parametrize("path", ["/created", "/created-str", "/created-bytes", "/created-none"])
def test_route_status_code_applies_to_plain_values(client, path):
    assert client.post(path).status_code == 201


@pytest.mark.parametrize(
    "path,expected",
    [
        ("/created-json", 200),
        ("/created-plain", 200),
        ("/created-html", 200),
        ("/created-response", 200),
        ("/created-file", 200),
        ("/created-stream", 200),
    ],
)
def test_route_status_code_not_applied_to_response_objects(client, path, expected):
    assert client.post(path).status_code == expected


def test_route_status_code_not_applied_to_redirect(client):
    assert client.post("/created-redirect", follow_redirects=False).status_code == 307


# ---------------------------------------------------------------------------------
# response_model / return annotation


@pytest.fixture(scope="module")
def validating_client():
    api = BoltAPI()

    @api.get("/model-ok", response_model=Item)
    async def model_ok():
        return {"name": "pen", "price": 2}

    @api.get("/model-bad", response_model=Item)
    async def model_bad():
        return {"name": "pen"}

    @api.get("/annotated-ok")
    async def annotated_ok() -> Item:
        return {"name": "cup", "price": 3.0}

    @api.get("/annotated-bad")
    async def annotated_bad() -> Item:
        return {"name": 5, "price": 3.0}

    @api.get("/list-ok")
    async def list_ok() -> List[Strict]:
        return [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]

    @api.get("/list-bad")
    async def list_bad() -> list[Strict]:
        return [{"id": 1, "name": "a"}, {"id": "2", "name": "b"}]

    @api.get("/no-str-coercion")
    async def no_str_coercion() -> dict[str, int]:
        return {"n": "1"}

    @api.get("/annotation-none")
    async def annotation_none() -> None:
        return {"anything": "goes"}

    @api.get("/model-wins", response_model=Strict)
    async def model_wins() -> dict:
        return {"id": 7, "name": "x", "dropped": True}

    @api.get("/str-not-validated", response_model=Item)
    async def str_not_validated():
        return "plain"

    @api.get("/json-validated", response_model=Item)
    async def json_validated():
        return JSON({"name": "x"}, status_code=201)

    @api.get("/response-validated", response_model=Item)
    async def response_validated():
        return Response({"name": "x"})

    class Obj:
        def __init__(self):
            self.id = 3
            self.name = "from-attrs"

    @api.get("/from-attributes", response_model=Strict)
    async def from_attributes():
        return Obj()

    @api.get("/optional", response_model=Optional[Strict])
    async def optional_model():
        return None

    with TestClient(api) as c:
        yield c


def test_response_model_coerces_valid_value(validating_client):
    r = validating_client.get("/model-ok")
    assert r.status_code == 200
    assert r.json() == {"name": "pen", "price": 2}


def _assert_response_validation_error(r):
    """A mismatch is the server's fault: the generic 500, its cause only in the log."""
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"detail": "Internal Server Error"}


def test_response_model_failure_is_the_generic_json_500(validating_client, caplog):
    with caplog.at_level(logging.ERROR, logger="django_bolt"), override_settings(DEBUG=False):
        r = validating_client.get("/model-bad")
    _assert_response_validation_error(r)
    assert "price" not in r.text
    assert "ResponseTypeError" in caplog.text and "price" in caplog.text


def test_response_model_failure_shows_its_cause_with_debug(validating_client):
    with override_settings(DEBUG=True):
        r = validating_client.get("/model-bad")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["detail"].startswith("ResponseTypeError: ")
    assert "price" in body["detail"]
    assert body["extra"]["traceback"]


def test_return_annotation_validates(validating_client):
    assert validating_client.get("/annotated-ok").json() == {"name": "cup", "price": 3.0}
    _assert_response_validation_error(validating_client.get("/annotated-bad"))


def test_list_response_type(validating_client):
    assert validating_client.get("/list-ok").json() == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    _assert_response_validation_error(validating_client.get("/list-bad"))


def test_response_validation_is_strict(validating_client):
    _assert_response_validation_error(validating_client.get("/no-str-coercion"))


def test_none_annotation_means_no_validation(validating_client):
    assert validating_client.get("/annotation-none").json() == {"anything": "goes"}


def test_response_model_overrides_annotation(validating_client):
    r = validating_client.get("/model-wins")
    assert r.status_code == 200
    assert r.json() == {"id": 7, "name": "x"}


def test_str_return_not_validated(validating_client):
    r = validating_client.get("/str-not-validated")
    assert r.status_code == 200
    assert r.text == "plain"


def test_json_and_response_objects_are_validated(validating_client):
    _assert_response_validation_error(validating_client.get("/json-validated"))
    _assert_response_validation_error(validating_client.get("/response-validated"))


def test_response_model_from_object_attributes(validating_client):
    assert validating_client.get("/from-attributes").json() == {"id": 3, "name": "from-attrs"}


def test_optional_response_model_allows_none(validating_client):
    r = validating_client.get("/optional")
    assert r.status_code == 200
    assert r.content == b"null"


# ---------------------------------------------------------------------------------
# StreamingResponse


@pytest.fixture(scope="module")
def stream_client():
    api = BoltAPI()

    @api.get("/sync-gen")
    async def sync_gen():
        def gen():
            for i in range(3):
                yield f"line {i}\n"

        return StreamingResponse(gen(), media_type="text/plain")

    @api.get("/async-gen")
    async def async_gen():
        async def gen():
            for i in range(3):
                await asyncio.sleep(0)
                yield f"chunk{i};".encode()

        return StreamingResponse(gen())

    @api.get("/gen-function")
    async def gen_function():
        def gen():
            yield b"called"
            yield b"-lazily"

        return StreamingResponse(gen)

    @api.get("/iterable")
    async def iterable():
        return StreamingResponse([b"a", b"b", b"c"])

    @api.get("/mixed-async")
    async def mixed_async():
        async def gen():
            yield b"bytes|"
            yield bytearray(b"bytearray|")
            yield memoryview(b"memoryview|")
            yield "str"

        return StreamingResponse(gen(), media_type="text/plain")

    @api.get("/mixed-sync")
    async def mixed_sync():
        def gen():
            yield b"b|"
            yield bytearray(b"ba|")
            yield memoryview(b"mv|")
            yield "s"

        return StreamingResponse(gen())

    @api.get("/status-headers")
    async def status_headers():
        return StreamingResponse(iter(["x"]), status_code=206, headers={"X-Stream-Id": "42"})

    @api.get("/sse")
    async def sse():
        async def events():
            for i in range(2):
                yield f"data: {i}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    @api.get("/sse-sync")
    async def sse_sync():
        def events():
            yield "data: a\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", status_code=202,
                                 headers={"X-Sse": "on"})

    @api.get("/own-content-type")
    async def own_content_type():
        return StreamingResponse(iter([b"{}"]), headers={"content-type": "application/x-ndjson"})

    with TestClient(api) as c:
        yield c


def test_stream_sync_generator(stream_client):
    r = stream_client.get("/sync-gen")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text == "line 0\nline 1\nline 2\n"


def test_stream_async_generator_default_media_type(stream_client):
    r = stream_client.get("/async-gen")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.content == b"chunk0;chunk1;chunk2;"


def test_stream_generator_function_is_called(stream_client):
    assert stream_client.get("/gen-function").content == b"called-lazily"


def test_stream_plain_iterable(stream_client):
    assert stream_client.get("/iterable").content == b"abc"


def test_stream_mixed_chunk_types_async(stream_client):
    assert stream_client.get("/mixed-async").content == b"bytes|bytearray|memoryview|str"


def test_stream_mixed_chunk_types_sync(stream_client):
    assert stream_client.get("/mixed-sync").content == b"b|ba|mv|s"


def test_stream_keeps_status_and_headers(stream_client):
    r = stream_client.get("/status-headers")
    assert r.status_code == 206
    assert r.headers["x-stream-id"] == "42"
    assert r.text == "x"


def test_stream_sse_headers(stream_client):
    r = stream_client.get("/sse")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["x-accel-buffering"] == "no"
    assert "no-cache" in r.headers["cache-control"]
    assert r.text == "data: 0\n\ndata: 1\n\n"


def test_stream_sse_sync_keeps_status_and_headers(stream_client):
    r = stream_client.get("/sse-sync")
    assert r.status_code == 202
    assert r.headers["x-sse"] == "on"
    assert r.headers["x-accel-buffering"] == "no"
    assert r.text == "data: a\n\n"


def test_stream_user_content_type_wins(stream_client):
    r = stream_client.get("/own-content-type")
    assert r.headers.get_list("content-type") == ["application/x-ndjson"]


def test_stream_head_has_no_body(stream_client):
    r = stream_client.head("/sync-gen")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-type"].startswith("text/plain")


# --- files are a typed part of the result, checked against BOLT_ALLOWED_FILE_PATHS ---------


@pytest.fixture
def file_api(tmp_path, settings_allowed_files):
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    inside = allowed / "in.txt"
    inside.write_bytes(b"inside")
    outside = tmp_path / "secret.txt"
    outside.write_bytes(b"TOP-SECRET-CONTENT")
    api = BoltAPI()

    @api.get("/forged-header")
    async def forged_header():
        return Response("plain body", media_type="text/plain", headers={"X-Bolt-File-Path": str(outside)})

    @api.get("/file-outside")
    async def file_outside():
        return File(str(outside))

    @api.get("/fileresponse-moved")
    async def fileresponse_moved():
        resp = FileResponse(str(inside))
        resp.path = str(outside)
        return resp

    @api.get("/fileresponse-inside")
    async def fileresponse_inside():
        return FileResponse(str(inside))

    settings_allowed_files([allowed])
    return api


@pytest.fixture
def settings_allowed_files():
    from django.conf import settings

    from django_bolt import responses

    def set_roots(roots):
        settings.BOLT_ALLOWED_FILE_PATHS = roots
        responses.initialize_file_response_settings()

    yield set_roots
    del settings.BOLT_ALLOWED_FILE_PATHS
    responses.initialize_file_response_settings()


def test_a_file_path_header_is_an_ordinary_header(file_api):
    with TestClient(file_api) as c:
        r = c.get("/forged-header")
    assert r.status_code == 200
    assert r.content == b"plain body"
    assert r.headers["x-bolt-file-path"].endswith("secret.txt")


@pytest.mark.parametrize("path", ["/file-outside", "/fileresponse-moved"])
def test_every_file_answer_is_checked_against_the_allowed_paths(file_api, path):
    with TestClient(file_api) as c:
        r = c.get(path)
    assert r.status_code == 403
    assert b"TOP-SECRET-CONTENT" not in r.content
    assert r.json() == {"detail": "Permission denied"}  # the path is named only with DEBUG


def test_a_file_inside_the_allowed_paths_is_sent(file_api):
    with TestClient(file_api) as c:
        r = c.get("/fileresponse-inside")
    assert r.status_code == 200
    assert r.content == b"inside"


def test_a_file_passes_through_python_middleware(file_api, tmp_path):
    from django_bolt.middleware import Middleware

    class Stamp(Middleware):
        async def process_request(self, request):
            response = await self.get_response(request)
            assert response.response_type == "file"
            response.headers["x-stamp"] = "1"
            return response

    api = BoltAPI(middleware=[Stamp])
    target = tmp_path / "allowed" / "in.txt"

    @api.get("/through")
    async def through():
        return FileResponse(str(target))

    with TestClient(api) as c:
        r = c.get("/through")
    assert (r.status_code, r.content, r.headers["x-stamp"]) == (200, b"inside", "1")
