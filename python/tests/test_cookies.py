"""Response cookies, Django responses, ``render`` and ``status_codes``."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings

from django_bolt import JSON, BoltAPI, Cookie, StreamingResponse, status_codes
from django_bolt.exceptions import HTTPException
from django_bolt.responses import HTML, File, FileResponse, PlainText, Redirect, Response
from django_bolt.shortcuts import render
from django_bolt.testing import TestClient


def set_cookies(r) -> list[str]:
    return r.headers.get_list("set-cookie")


def test_cookie_attributes():
    assert Cookie("sid", "abc").to_header_value() == "sid=abc; Path=/; SameSite=Lax"
    full = Cookie("sid", "abc", max_age=3600, expires=datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
                  path="/app", domain="example.org", secure=True, httponly=True, samesite="Strict")
    assert full.to_header_value() == (
        "sid=abc; Max-Age=3600; expires=Wed, 02 Jan 2030 03:04:05 GMT; Path=/app; Domain=example.org; "
        "Secure; HttpOnly; SameSite=Strict"
    )
    assert Cookie("a", "1", samesite=False, expires="Fri, 01 Jan 2100 00:00:00 GMT").to_header_value() == (
        "a=1; expires=Fri, 01 Jan 2100 00:00:00 GMT; Path=/"
    )
    assert Cookie("a", "1").to_raw_tuple() == ("set-cookie", "a=1; Path=/; SameSite=Lax")


@pytest.mark.parametrize("bad", [{"name": "a b"}, {"name": "a;b"}, {"name": ""}, {"value": "x; Domain=evil"},
                                 {"value": "a\r\nb"}, {"samesite": "Sometimes"}, {"path": "/; x"},
                                 {"expires": "Fri, 01 Jan 2100 00:00:00 GMT; Domain=evil.example"},
                                 {"expires": "x\r\nSet-Cookie: b=2"}])
def test_unsafe_cookies_are_refused(bad):
    with pytest.raises(ValueError):
        Cookie(**{"name": "ok", "value": "v", **bad})


def test_several_cookies_one_header_each_and_delete():
    api = BoltAPI()

    @api.post("/login")
    async def login():
        return JSON({"ok": True}).set_cookie("sid", "abc", max_age=3600, httponly=True).delete_cookie("old")

    with TestClient(api) as client:
        r = client.post("/login")
    assert r.json() == {"ok": True}
    assert set_cookies(r) == [
        "sid=abc; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax",
        "old=; Max-Age=0; expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; SameSite=Lax",
    ]
    assert r.cookies.get("sid") == "abc"


def _every_response(tmp_path) -> list:
    path = tmp_path / "f.txt"
    path.write_text("file body")

    async def chunks():
        yield b"a"
        yield b"b"

    return [
        ("response", lambda: Response({"a": 1})),
        ("json", lambda: JSON({"a": 1}, status_code=400)),
        ("text", lambda: PlainText("hi")),
        ("html", lambda: HTML("<p>hi</p>")),
        ("redirect", lambda: Redirect("/elsewhere")),
        ("file", lambda: File(b"bytes", filename="f.bin")),
        ("fileresponse", lambda: FileResponse(path)),
        ("stream", lambda: StreamingResponse(chunks(), media_type="text/plain")),
    ]


def test_every_response_class_carries_cookies(tmp_path):
    api = BoltAPI()
    expected = {}
    for name, make in _every_response(tmp_path):
        def handler(make=make):
            async def h():
                return make().set_cookie("c", name).set_cookie("d", "2", samesite="None", secure=True)
            return h
        api.get(f"/{name}")(handler())
        expected[name] = [f"c={name}; Path=/; SameSite=Lax", "d=2; Path=/; Secure; SameSite=None"]

    with TestClient(api) as client:
        for name, cookies in expected.items():
            r = client.get(f"/{name}", follow_redirects=False)
            assert set_cookies(r) == cookies, name
        assert client.get("/redirect", follow_redirects=False).status_code == 307
        assert client.get("/json").status_code == 400
        assert client.get("/stream").text == "ab"
        assert client.get("/fileresponse").text == "file body"


def test_cookies_survive_python_middleware():
    from django_bolt.middleware import Middleware

    class Passthrough(Middleware):
        async def process_request(self, request, call_next):
            return await call_next(request)

    api = BoltAPI(middleware=[Passthrough()])

    @api.get("/x")
    async def x():
        return PlainText("ok").set_cookie("a", "1")

    with TestClient(api) as client:
        assert set_cookies(client.get("/x")) == ["a=1; Path=/; SameSite=Lax"]


def test_django_responses_pass_through():
    from django.http import HttpResponse, HttpResponseForbidden, HttpResponseRedirect, StreamingHttpResponse

    api = BoltAPI()

    @api.get("/django")
    async def django_response():
        response = HttpResponse("plain <b>text</b>", content_type="text/html", status=201)
        response["X-Custom"] = "yes"
        response.set_cookie("dj", "1", httponly=True)
        return response

    @api.get("/django-redirect")
    async def django_redirect():
        return HttpResponseRedirect("/target?x=1")

    @api.get("/django-forbidden")
    def forbidden():
        return HttpResponseForbidden()

    @api.get("/django-stream")
    async def django_stream():
        return StreamingHttpResponse(iter([b"one", b"two"]), content_type="text/plain")

    with TestClient(api) as client:
        r = client.get("/django")
        assert (r.status_code, r.text) == (201, "plain <b>text</b>")
        assert r.headers["content-type"] == "text/html"
        assert r.headers["x-custom"] == "yes"
        assert set_cookies(r) == ["dj=1; HttpOnly; Path=/"]  # as Django formats it
        r = client.get("/django-redirect", follow_redirects=False)
        assert (r.status_code, r.headers["location"], r.content) == (302, "/target?x=1", b"")
        assert client.get("/django-forbidden").status_code == 403
        r = client.get("/django-stream")
        assert (r.status_code, r.text) == (200, "onetwo")


def test_unsupported_return_value_is_a_500():
    api = BoltAPI()

    @api.get("/odd")
    async def odd():
        return object()

    with TestClient(api, raise_server_exceptions=False) as client:
        assert client.get("/odd").status_code == 500


def test_render(tmp_path):
    (tmp_path / "hello.html").write_text("Hello {{ name }} at {{ request.path }}")
    templates = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [str(tmp_path)],
                  "OPTIONS": {"context_processors": ["django.template.context_processors.request"]}}]
    api = BoltAPI()

    @api.get("/hello")
    async def hello(request):
        return render(request, "hello.html", {"name": "Ada"}, status=status_codes.HTTP_202_ACCEPTED)

    with override_settings(TEMPLATES=templates), TestClient(api) as client:
        r = client.get("/hello")
    assert r.status_code == 202
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.text == "Hello Ada at /hello"


def test_status_codes():
    assert status_codes.HTTP_200_OK == 200
    assert status_codes.HTTP_201_CREATED == 201
    assert status_codes.HTTP_308_PERMANENT_REDIRECT == 308
    assert status_codes.HTTP_413_REQUEST_ENTITY_TOO_LARGE == 413
    assert status_codes.HTTP_422_UNPROCESSABLE_ENTITY == 422
    assert status_codes.HTTP_511_NETWORK_AUTHENTICATION_REQUIRED == 511
    codes = {getattr(status_codes, n) for n in status_codes.__all__}
    expected = {*range(100, 104), *range(200, 209), 226, *range(300, 309), *range(400, 419), *range(421, 427),
                428, 429, 431, 451, *range(500, 509), 510, 511}
    assert codes == expected
    for name in status_codes.__all__:
        assert name.startswith(f"HTTP_{getattr(status_codes, name)}_")


def test_http_exception_is_unaffected():
    api = BoltAPI()

    @api.get("/err")
    async def err():
        raise HTTPException(418, "teapot")

    with TestClient(api) as client:
        r = client.get("/err")
    assert (r.status_code, r.json()) == (418, {"detail": "teapot"})
