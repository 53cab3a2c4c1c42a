"""Python middleware in both styles, the built-in classes and function middleware,
through the in-process client."""

from __future__ import annotations

import logging

import pytest

from django_bolt import BoltAPI
from django_bolt.exceptions import HTTPException
from django_bolt.middleware import (
    BaseMiddleware,
    ErrorHandlerMiddleware,
    LoggingMiddleware,
    Middleware,
    MiddlewareProtocol,
    TimingMiddleware,
    middleware,
)
from django_bolt.middleware_response import MiddlewareResponse
from django_bolt.responses import StreamingResponse
from django_bolt.testing import TestClient


def _tagger(tag: str):
    """A Django-style middleware class that records its passage both ways."""

    class Tag(Middleware):
        async def process_request(self, request):
            request.state.setdefault("seen", []).append(tag)
            response = await self.get_response(request)
            response.headers["x-order"] = (response.headers.get("x-order", "") + tag).strip()
            return response

    Tag.__name__ = f"Tag{tag}"
    return Tag


class SeedStyle(Middleware):
    async def process_request(self, request, call_next):
        request.state.setdefault("seen", []).append("s")
        status, headers, body = await call_next(request)
        return status, [*headers, ("x-seed", "1")], body


class Tenant(Middleware):
    async def process_request(self, request):
        if "x-tenant" not in request.headers:
            return MiddlewareResponse(400, {"content-type": "application/json"}, b'{"detail":"tenant?"}')
        response = await self.get_response(request)
        response.headers["x-tenant"] = request.headers["x-tenant"]
        return response


class Plain:
    """A MiddlewareProtocol class that does not inherit from Middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    async def __call__(self, request):
        response = await self.get_response(request)
        response.headers["x-plain"] = "yes"
        return response


@middleware
async def route_header(request, call_next):
    response = await call_next(request)
    response.headers["x-fn"] = ",".join(request.state.get("seen", []))
    return response


def test_layer_order_global_then_route_reversed_on_return():
    api = BoltAPI(middleware=[_tagger("a"), SeedStyle, _tagger("b")])

    @api.get("/order")
    @middleware(_tagger("c"))
    async def order(request):
        return {"seen": request.state["seen"]}

    with TestClient(api) as client:
        r = client.get("/order")
    assert r.status_code == 200
    assert r.json() == {"seen": ["a", "s", "b", "c"]}
    # Each layer appends on the way out: innermost first.
    assert r.headers["x-order"] == "cba"
    assert r.headers["x-seed"] == "1"


def test_early_return_skips_the_handler():
    calls = []
    api = BoltAPI(middleware=[Tenant])

    @api.get("/t")
    async def t():
        calls.append(1)
        return {"ok": True}

    with TestClient(api) as client:
        refused = client.get("/t")
        allowed = client.get("/t", headers={"x-tenant": "acme"})
    assert refused.status_code == 400
    assert refused.json() == {"detail": "tenant?"}
    assert allowed.status_code == 200
    assert allowed.headers["x-tenant"] == "acme"
    assert calls == [1]


def test_protocol_class_without_base_class():
    assert isinstance(Plain(None), MiddlewareProtocol)
    api = BoltAPI(middleware=[Plain])

    @api.get("/p")
    async def p():
        return "hi"

    with TestClient(api) as client:
        r = client.get("/p")
    assert r.text == "hi"
    assert r.headers["x-plain"] == "yes"


def test_function_middleware_on_one_route_only():
    api = BoltAPI(middleware=[_tagger("g")])

    @api.get("/with")
    @route_header
    async def with_fn():
        return {}

    @api.get("/without")
    async def without_fn():
        return {}

    with TestClient(api) as client:
        assert client.get("/with").headers["x-fn"] == "g"
        assert "x-fn" not in client.get("/without").headers


def test_exclude_paths_globs_and_methods():
    class Stamp(BaseMiddleware):
        exclude_paths = ["/health", "/static/**", "/users/*/avatar"]
        exclude_methods = ["OPTIONS", "delete"]

        async def process_request(self, request):
            response = await self.get_response(request)
            response.headers["x-stamp"] = "1"
            return response

    api = BoltAPI(middleware=[Stamp])
    for path in ("/health", "/static/{p:path}", "/users/{u}/avatar", "/users/{u}/avatar/big", "/users/{u}",
                 "/healthz"):
        api.get(path)(lambda: "ok")
    api.delete("/users/{u}")(lambda: "gone")

    with TestClient(api) as client:
        stamped = {p: "x-stamp" in client.get(p).headers
                   for p in ("/health", "/static/css/a.css", "/users/7/avatar", "/users/7/avatar/big", "/users/7",
                             "/healthz")}
        deleted = client.delete("/users/7")
    assert stamped == {
        "/health": False,
        "/static/css/a.css": False,
        "/users/7/avatar": False,
        "/users/7/avatar/big": True,  # '*' is one segment, and the glob must match the whole path
        "/users/7": True,
        "/healthz": True,
    }
    assert "x-stamp" not in deleted.headers


def test_timing_middleware_headers_and_state():
    api = BoltAPI(middleware=[TimingMiddleware])

    @api.get("/timed")
    async def timed(request):
        return {"id": request.state["request_id"], "start": request.state["start_time"] > 0}

    with TestClient(api) as client:
        r = client.get("/timed")
    assert r.headers["x-request-id"] == r.json()["id"]
    assert len(r.json()["id"]) == 36
    assert r.json()["start"] is True
    seconds = r.headers["x-response-time"]
    assert seconds.endswith("s") and float(seconds[:-1]) >= 0
    assert len(seconds[:-1].split(".")[1]) == 4


def test_error_handler_middleware_turns_errors_into_500(caplog):
    api = BoltAPI(middleware=[ErrorHandlerMiddleware])

    @api.get("/boom")
    async def boom():
        raise RuntimeError("secret detail")

    @api.get("/denied")
    async def denied():
        raise HTTPException(401, "who are you")

    with caplog.at_level(logging.ERROR, logger="django_bolt.errors"):
        with TestClient(api, raise_server_exceptions=False) as client:
            r = client.get("/boom")
            d = client.get("/denied")
    assert r.status_code == 500
    assert r.json()["detail"] == "Internal Server Error"
    assert "secret detail" not in r.text
    assert any("Unhandled exception in GET /boom" in rec.message for rec in caplog.records)
    assert d.status_code == 401
    assert d.json()["detail"] == "who are you"


def test_error_handler_debug_sends_the_traceback():
    class Debugging(ErrorHandlerMiddleware):
        def __init__(self, get_response):
            super().__init__(get_response, debug=True)

    api = BoltAPI(middleware=[Debugging])

    @api.get("/boom")
    async def boom():
        raise RuntimeError("visible detail")

    with TestClient(api, raise_server_exceptions=False) as client:
        r = client.get("/boom")
    assert r.status_code == 500
    assert "RuntimeError: visible detail" in r.json()["detail"]


def test_logging_middleware_lines_and_skipped_paths(caplog):
    api = BoltAPI(middleware=[LoggingMiddleware])
    api.get("/items")(lambda: [1])
    api.get("/health")(lambda: "ok")

    with caplog.at_level(logging.INFO, logger="django_bolt.requests"):
        with TestClient(api) as client:
            client.get("/items")
            client.get("/health")
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "django_bolt.requests"]
    assert lines[0] == "Request: GET /items"
    assert lines[1].startswith("Response: GET /items 200 (")
    assert len(lines) == 2


def test_exceptions_in_middleware_are_answered_like_handler_errors():
    class Gate(Middleware):
        async def process_request(self, request):
            raise HTTPException(401, "no entry")

    api = BoltAPI(middleware=[Gate])
    api.get("/x")(lambda: "never")
    with TestClient(api) as client:
        r = client.get("/x")
    assert r.status_code == 401
    assert r.json() == {"detail": "no entry"}


def test_wrong_return_value_is_a_500():
    class Wrong(Middleware):
        async def process_request(self, request):
            await self.get_response(request)
            return {"not": "a response"}

    api = BoltAPI(middleware=[Wrong])
    api.get("/x")(lambda: "ok")
    with TestClient(api, raise_server_exceptions=False) as client:
        r = client.get("/x")
    assert r.status_code == 500


def test_streaming_response_keeps_streaming_through_middleware():
    api = BoltAPI(middleware=[TimingMiddleware, _tagger("a")])

    @api.get("/stream")
    async def stream():
        def chunks():
            yield b"one,"
            yield b"two"

        return StreamingResponse(chunks(), media_type="text/plain")

    with TestClient(api) as client:
        r = client.get("/stream")
    assert r.text == "one,two"
    assert r.headers["x-order"] == "a"
    assert "x-request-id" in r.headers


def test_set_cookie_lines_survive_middleware():
    api = BoltAPI(middleware=[_tagger("a")])

    @api.get("/cookies")
    async def cookies():
        return 200, [("content-type", "text/plain"), ("set-cookie", "a=1"), ("set-cookie", "b=2")], b"ok"

    with TestClient(api) as client:
        r = client.get("/cookies")
    assert r.headers.get_list("set-cookie") == ["a=1", "b=2"]


def test_route_without_middleware_has_no_chain():
    api = BoltAPI()
    plain = api.get("/plain")(lambda: "x")

    @api.get("/wrapped")
    @route_header
    async def wrapped():
        return "y"

    routes = {r.path: r for r in api.routes()}
    assert routes["/plain"].security.python_middleware == ()
    assert "chain" not in routes["/plain"].runner.__code__.co_freevars
    assert "chain" in routes["/wrapped"].runner.__code__.co_freevars
    assert plain is not None


# -- start-up errors -----------------------------------------------------------------------


def test_instance_of_django_style_middleware_is_a_type_error():
    with pytest.raises(TypeError, match=r"pass the class TimingMiddleware, not an instance TimingMiddleware\(\.\.\.\)"):
        BoltAPI(middleware=[TimingMiddleware(None)])


def test_function_middleware_in_a_global_list_is_a_type_error():
    with pytest.raises(TypeError, match=r"function middleware .*route_header.* decorate the handler with @route_header"):
        BoltAPI(middleware=[route_header])


def test_plain_function_in_a_global_list_is_a_type_error():
    async def mw(request, call_next):
        return await call_next(request)

    with pytest.raises(TypeError, match="decorate it with @middleware"):
        BoltAPI(middleware=[mw])


def test_sync_django_style_middleware_is_refused():
    class Sync(Middleware):
        def process_request(self, request):
            return self.get_response(request)

    with pytest.raises(TypeError, match="Sync.process_request must be 'async def'"):
        BoltAPI(middleware=[Sync])


def test_seed_style_instances_and_classes_still_work():
    api = BoltAPI(middleware=[SeedStyle()])

    @api.get("/a")
    @middleware(SeedStyle)
    async def a(request):
        return request.state["seen"]

    with TestClient(api) as client:
        assert client.get("/a").json() == ["s", "s"]


def test_router_middleware_runs_between_global_and_route():
    from django_bolt import Router

    api = BoltAPI(middleware=[_tagger("g")])
    outer = Router(prefix="/outer", middleware=[_tagger("r")])
    inner = Router(prefix="/inner", middleware=[SeedStyle])

    @inner.get("/x")
    @middleware(_tagger("h"))
    async def x(request):
        return request.state["seen"]

    outer.include_router(inner)
    api.include_router(outer)
    with TestClient(api) as client:
        r = client.get("/outer/inner/x")
    assert r.json() == ["g", "r", "s", "h"]
    assert r.headers["x-order"] == "hrg"


def test_function_middleware_in_a_router_list_is_a_type_error():
    from django_bolt import Router

    router = Router(middleware=[route_header])
    router.get("/x")(lambda: "x")
    with pytest.raises(TypeError, match="function middleware"):
        BoltAPI().include_router(router)


def test_cookies_added_by_middleware_reach_a_streaming_response():
    class AddCookie(Middleware):
        async def process_request(self, request):
            response = await self.get_response(request)
            response.raw_cookies.append("seen=1; Path=/")
            return response

    api = BoltAPI(middleware=[AddCookie])

    @api.get("/stream")
    async def stream():
        async def chunks():
            yield b"data"

        return StreamingResponse(chunks(), media_type="text/plain").set_cookie("own", "x")

    with TestClient(api) as client:
        r = client.get("/stream")
    assert r.text == "data"
    lines = r.headers.get_list("set-cookie")
    assert any(line.startswith("own=x") for line in lines)
    assert "seen=1; Path=/" in lines


def test_file_responses_pass_through_every_middleware_style(tmp_path):
    from django_bolt.middleware import DjangoMiddleware
    from django_bolt.responses import FileResponse

    target = tmp_path / "report.txt"
    target.write_text("file body")
    api = BoltAPI(middleware=[
        DjangoMiddleware("django.middleware.security.SecurityMiddleware"), _tagger("a"), SeedStyle,
    ])

    @api.get("/report")
    @route_header
    async def report():
        return FileResponse(str(target), media_type="text/plain")

    with TestClient(api) as client:
        r = client.get("/report")
    assert r.status_code == 200
    assert r.text == "file body"
    assert r.headers["x-order"] == "a"
    assert r.headers["x-seed"] == "1"
    assert r.headers["x-content-type-options"] == "nosniff"
