"""UploadFile, File() limits, FileSize and MediaType, through the TestClient."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest
from django.test import override_settings

from django_bolt import BoltAPI, FileSize, MediaType, UploadFile
from django_bolt._forms import parse_form
from django_bolt.error_handlers import request_validation_error_handler
from django_bolt.exceptions import RequestValidationError
from django_bolt.datastructures import UploadFile as DatastructuresUploadFile
from django_bolt.params import File, Form
from django_bolt.testing import TestClient
from django_bolt.uploads import FileLimits

seen: list[UploadFile] = []


class Profile(msgspec.Struct):
    name: str
    avatar: UploadFile | None = None


def make_api():
    api = BoltAPI()

    @api.post("/avatar")
    async def avatar(img: Annotated[UploadFile, File(max_size=FileSize.MB_1, allowed_types=["image/*"])]):
        return {"name": img.filename, "n": len(await img.read())}

    @api.post("/sync")
    def sync_upload(doc: Annotated[UploadFile, File()]):
        first = doc.read(3)
        doc.seek(0)
        whole = doc.read()
        seen.append(doc)
        return {"first": first.decode(), "whole": whole.decode(), "type": doc.content_type}

    @api.post("/async")
    async def async_upload(doc: Annotated[UploadFile, File()]):
        first = await doc.read(3)
        position = await doc.seek(0)
        whole = await doc.read()
        await doc.close()
        return {"first": first.decode(), "whole": whole.decode(), "position": position, "closed": doc.closed}

    @api.post("/limits")
    async def limits(
        docs: Annotated[list[UploadFile], File(min_size=2, max_size=10, allowed_types=["text/plain", "application/pdf"], max_files=2)],
    ):
        return {"sizes": [d.size for d in docs]}

    @api.post("/any")
    async def any_type(doc: Annotated[UploadFile, File(allowed_types=["*/*"])]):
        return {"type": doc.content_type}

    @api.post("/profile")
    async def profile(data: Annotated[Profile, Form()]):
        return {"name": data.name, "avatar": data.avatar.filename if data.avatar else None}

    @api.post("/info")
    async def info(doc: Annotated[UploadFile, File()]):
        return {"rolled": doc.rolled_to_disk, "size": doc.size, "django_name": doc.file.name}

    @api.post("/info-request")
    async def info_request(request, doc: Annotated[UploadFile, File()]):
        return {"size": doc.size, "body": len(request.body), "headers": sorted(request.headers)}

    return api


@pytest.fixture(scope="module")
def client():
    with TestClient(make_api()) as c:
        yield c


def test_enums():
    assert FileSize.MB_1 == 1024 * 1024 and FileSize.MB_100 == 100 * 1024 * 1024
    assert [m.name for m in FileSize][:10] == [f"MB_{i}" for i in range(1, 11)]
    assert MediaType.MESSAGEPACK == "application/vnd.msgpack" and MediaType.JSON == "application/json"
    assert UploadFile is DatastructuresUploadFile


def test_the_documented_example(client):
    r = client.post("/avatar", files={"img": ("me.png", b"\x89PNG....", "image/png")})
    assert r.json() == {"name": "me.png", "n": 8}


def test_sync_forms_and_closed_after_the_handler(client):
    r = client.post("/sync", files={"doc": ("a.txt", b"hello", "text/plain")})
    assert r.json() == {"first": "hel", "whole": "hello", "type": "text/plain"}
    assert seen[-1].closed


def test_await_forms(client):
    r = client.post("/async", files={"doc": ("a.txt", b"hello")})
    assert r.json() == {"first": "hel", "whole": "hello", "position": 0, "closed": True}


def test_default_content_type(client):
    r = client.post("/any", files={"doc": ("a", b"x", "")})
    assert r.json() == {"type": "application/octet-stream"}


def test_too_large(client):
    r = client.post("/avatar", files={"img": ("big.png", b"x" * (FileSize.MB_1 + 1), "image/png")})
    assert r.status_code == 422
    assert r.json() == {
        "detail": [
            {
                "type": "file_too_large",
                "loc": ["body", "img"],
                "msg": f"File exceeds maximum size of {FileSize.MB_1} bytes",
                "ctx": {"max_size": FileSize.MB_1, "actual_size": FileSize.MB_1 + 1},
            }
        ]
    }


def test_wrong_type(client):
    r = client.post("/avatar", files={"img": ("a.txt", b"x", "text/plain")})
    assert r.json()["detail"] == [
        {
            "type": "file_invalid_content_type",
            "loc": ["body", "img"],
            "msg": "Invalid content type 'text/plain'",
            "ctx": {"allowed_types": ["image/*"], "actual_type": "text/plain"},
        }
    ]


def test_too_small_too_many_and_every_problem_reported(client):
    files = [
        ("docs", ("a.txt", b"x", "text/plain")),
        ("docs", ("b.exe", b"MZ....", "application/x-msdownload")),
        ("docs", ("c.pdf", b"%PDF-1.7 long", "application/pdf")),
    ]
    r = client.post("/limits", files=files)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert [e["type"] for e in detail] == [
        "file_too_many",
        "file_too_small",
        "file_invalid_content_type",
        "file_too_large",
    ]
    assert detail[0] == {
        "type": "file_too_many",
        "loc": ["body", "docs"],
        "msg": "Too many files uploaded",
        "ctx": {"max_files": 2, "actual_count": 3},
    }
    assert detail[1]["msg"] == "File is below minimum size of 2 bytes"
    assert detail[1]["ctx"] == {"min_size": 2, "actual_size": 1}
    ok = client.post("/limits", files=[("docs", ("a.txt", b"abc", "text/plain; charset=utf-8"))])
    assert ok.json() == {"sizes": [3]}


def test_missing_file_is_a_missing_parameter(client):
    r = client.post("/avatar", data={"other": "x"})
    assert r.status_code == 422
    assert r.json()["detail"] == [{"loc": ["file", "img"], "msg": "Field required", "type": "missing"}]


def test_form_model_with_an_upload(client):
    r = client.post("/profile", data={"name": "ann"}, files={"avatar": ("me.png", b"x", "image/png")})
    assert r.json() == {"name": "ann", "avatar": "me.png"}
    assert client.post("/profile", data={"name": "bo"}).json() == {"name": "bo", "avatar": None}


def test_spooling_threshold():
    with override_settings(BOLT_MEMORY_SPOOL_THRESHOLD=1000):
        with TestClient(make_api()) as c:
            big = c.post("/info", files={"doc": ("b.bin", b"x" * 5000)}).json()
            small = c.post("/info", files={"doc": ("s.bin", b"x" * 10)}).json()
    assert big == {"rolled": True, "size": 5000, "django_name": "b.bin"}
    assert small == {"rolled": False, "size": 10, "django_name": "s.bin"}


def test_a_spooled_body_is_not_among_the_headers():
    with override_settings(BOLT_MEMORY_SPOOL_THRESHOLD=1000):
        with TestClient(make_api()) as c:
            got = c.post("/info-request", files={"doc": ("b.bin", b"x" * 5000)},
                         headers={"Bolt-Body-File": "/etc/passwd"}).json()
    assert got["size"] == 5000 and got["body"] == 0
    assert "bolt-body-file" in got["headers"]
    assert [name for name in got["headers"] if name.startswith(":")] == []


def test_bad_limits_are_startup_errors():
    with pytest.raises(TypeError, match="max_size"):
        File(max_size=-1)
    with pytest.raises(TypeError, match="allowed_types"):
        File(allowed_types="image/*")


def python_answer(content_type: str, body: bytes, limits: FileLimits) -> bytes:
    """The 422 body Python's own check gives for ``body``."""
    max_sizes = {limits.key: limits.max_size} if limits.max_size is not None else None
    form = parse_form(content_type, body, max_sizes=max_sizes)
    errors = limits.check(form.files[limits.key], form.oversized)
    return request_validation_error_handler(RequestValidationError(errors))[2]


def test_the_server_checks_every_limit_before_python_with_pythons_answer(client, monkeypatch):
    files = [
        ("docs", ("a.txt", b"x", "text/plain")),
        ("docs", ("b.exe", b"MZ....", "application/x-msdownload")),
        ("docs", ("c.pdf", b"%PDF-1.7 long", "application/pdf")),
    ]
    request = client.build_request("POST", "/limits", files=files)
    body = request.read()
    limits = FileLimits("docs", 10, 2, ("text/plain", "application/pdf"), 2)
    expected = python_answer(request.headers["content-type"], body, limits)

    def python_checked(*args):
        raise AssertionError("the server let a file over its limits through to Python")

    monkeypatch.setattr(FileLimits, "check", python_checked)
    r = client.send(request)
    assert r.status_code == 422
    assert r.content == expected
    for files in ([("docs", ("a.txt", b"x", "text/plain"))], [("docs", ("a.txt", b"", "text/plain"))]):
        # min_size alone, an empty file included.
        r = client.post("/limits", files=files)
        assert r.status_code == 422 and r.json()["detail"][0]["type"] == "file_too_small"
