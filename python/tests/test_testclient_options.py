"""TestClient additions: ``stream=True`` with ``iter_content()``/``iter_lines()`` over
streaming and SSE handlers, and the ``cors_allowed_origins=`` / ``read_django_settings=``
arguments."""

from __future__ import annotations

import asyncio

import pytest
from django.test import override_settings

from django_bolt import BoltAPI, StreamingResponse, WebSocket
from django_bolt.middleware import cors, rate_limit
from django_bolt.testing import AsyncTestClient, TestClient, TestResponse

APP = "https://app.example"
OTHER = "https://other.example"


def streaming_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/sse")
    async def sse(n: int = 3):
        async def events():
            for i in range(n):
                await asyncio.sleep(0)
                yield f"event: tick\ndata: {i}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    @api.get("/lines")
    def lines():
        def produce():
            yield "first line\nsec"
            yield "ond line\r\nthird, no ending"

        return StreamingResponse(produce(), media_type="text/plain; charset=utf-8")

    @api.get("/text")
    async def text():
        return StreamingResponse(iter(["héllo wörld ✓"]), media_type="text/plain; charset=utf-8")

    @api.get("/json")
    async def json_route():
        return {"ok": True}

    return api


def test_stream_true_and_iter_lines_over_an_sse_handler():
    with TestClient(streaming_api()) as client:
        with client.get("/sse", stream=True) as r:
            assert isinstance(r, TestResponse)
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            assert list(r.iter_lines()) == [
                "event: tick", "data: 0", "", "event: tick", "data: 1", "", "event: tick", "data: 2", "",
            ]
        assert r.is_closed


def test_iter_lines_of_a_sync_generator_joins_lines_across_chunks():
    with TestClient(streaming_api()) as client:
        r = client.get("/lines", stream=True)
        assert list(r.iter_lines()) == ["first line", "second line", "third, no ending"]
        assert list(r.iter_lines(decode_unicode=False)) == [b"first line", b"second line", b"third, no ending"]
        r.close()


def test_iter_content_in_chunks_as_bytes_and_as_text():
    with TestClient(streaming_api()) as client:
        r = client.get("/text", stream=True)
        body = "héllo wörld ✓".encode()
        chunks = list(r.iter_content(chunk_size=4))
        assert all(isinstance(c, bytes) and len(c) <= 4 for c in chunks)
        assert b"".join(chunks) == body
        assert len(chunks) == -(-len(body) // 4)
        # Text pieces never split a character, whatever the chunk size.
        texts = list(r.iter_content(chunk_size=1, decode_unicode=True))
        assert "".join(texts) == "héllo wörld ✓"
        assert all(isinstance(t, str) for t in texts)
        assert list(r.iter_content(chunk_size=None)) == [body]
        assert b"".join(r.iter_content()) == body  # 1024-byte pieces by default
        with pytest.raises(ValueError, match="chunk_size"):
            list(r.iter_content(chunk_size=0))


def test_the_readers_work_without_stream_and_on_other_verbs():
    with TestClient(streaming_api()) as client:
        r = client.get("/json")
        assert b"".join(r.iter_content(chunk_size=3)) == b'{"ok":true}'
        assert list(r.iter_lines()) == ['{"ok":true}']
        assert client.head("/json", stream=True).status_code == 200
        assert client.post("/json", stream=True).status_code == 405
        assert client.request("GET", "/json", stream=True, follow_redirects=False).json() == {"ok": True}


def test_async_client_stream_true():
    async def run():
        async with AsyncTestClient(streaming_api()) as client:
            r = await client.get("/sse?n=2", stream=True)
            assert [line async for line in r.aiter_lines()] == ["event: tick", "data: 0", "", "event: tick", "data: 1", ""]
            # Read to its end, the body is kept: the sync readers have it too.
            assert list(r.iter_lines()) == ["event: tick", "data: 0", "", "event: tick", "data: 1", ""]
            await r.aclose()

    asyncio.run(run())


# --- cors_allowed_origins= and read_django_settings= ---------------------------------


def cors_api() -> BoltAPI:
    api = BoltAPI()
    api.get("/plain")(lambda: {"plain": True})

    @api.get("/default")
    @cors()
    async def default():
        return {"default": True}

    @api.get("/own")
    @cors(origins=[OTHER])
    async def own():
        return {"own": True}

    return api


def allowed(client, path: str, origin: str) -> str | None:
    return client.get(path, headers={"Origin": origin}).headers.get("access-control-allow-origin")


def test_cors_allowed_origins_replaces_the_projects_origins():
    with override_settings(CORS_ALLOWED_ORIGINS=[OTHER], CORS_ALLOW_CREDENTIALS=True):
        api = cors_api()
        with TestClient(api, cors_allowed_origins=[APP]) as client:
            # @cors() without origins and routes without @cors use the given list...
            assert allowed(client, "/default", APP) == APP
            assert allowed(client, "/plain", APP) == APP
            assert allowed(client, "/plain", OTHER) is None
            # ...with the project's other CORS settings...
            r = client.get("/plain", headers={"Origin": APP})
            assert r.headers["access-control-allow-credentials"] == "true"
            preflight = client.options("/plain", headers={"Origin": APP, "Access-Control-Request-Method": "GET"})
            assert preflight.status_code == 204
            assert preflight.headers["access-control-allow-origin"] == APP
            # ...and a route's own origins stay its own.
            assert allowed(client, "/own", OTHER) == OTHER
            assert allowed(client, "/own", APP) is None
        # Without the argument the project's settings apply.
        with TestClient(api, use_http_layer=True) as client:
            assert allowed(client, "/plain", OTHER) == OTHER
            assert allowed(client, "/plain", APP) is None


def test_read_django_settings_false_leaves_the_projects_cors_policy_out():
    with override_settings(CORS_ALLOWED_ORIGINS=[OTHER]):
        api = cors_api()
        with TestClient(api, use_http_layer=True, read_django_settings=False) as client:
            assert allowed(client, "/plain", OTHER) is None
            assert allowed(client, "/default", OTHER) is None
            assert allowed(client, "/own", OTHER) == OTHER
        with TestClient(api, read_django_settings=False, cors_allowed_origins=[APP]) as client:
            r = client.get("/plain", headers={"Origin": APP})
            assert r.headers["access-control-allow-origin"] == APP
            assert "access-control-allow-credentials" not in r.headers
            assert allowed(client, "/plain", OTHER) is None


def test_read_django_settings_false_uses_the_server_settings_defaults():
    api = BoltAPI()

    @api.get("/echo")
    async def echo(request):
        return {"x": request.headers.get("x-long")}

    header = {"X-Long": "y" * 40}
    with override_settings(BOLT_MAX_HEADER_SIZE=16):
        with TestClient(api) as client:
            assert client.get("/echo", headers=header).status_code == 400
        with TestClient(api, read_django_settings=False) as client:  # the default: 8192 bytes
            assert client.get("/echo", headers=header).json() == {"x": "y" * 40}


def test_cors_allowed_origins_turns_the_http_layer_on():
    api = BoltAPI()

    @api.get("/limited")
    @rate_limit(rps=1, burst=1)
    async def limited():
        return {}

    with TestClient(api, cors_allowed_origins=[APP]) as client:
        assert client.get("/limited").status_code == 200
        assert client.get("/limited").status_code == 429
    with TestClient(api) as client:  # without the HTTP layer no rate limit runs
        assert [client.get("/limited").status_code for _ in range(3)] == [200, 200, 200]


@pytest.mark.parametrize("origins, error", [
    ("https://app.example", TypeError),
    ([APP, 3], TypeError),
])
def test_bad_cors_allowed_origins_are_refused(origins, error):
    with pytest.raises(error, match=r"cors_allowed_origins=.*list of origins"):
        TestClient(BoltAPI(), cors_allowed_origins=origins)


def test_cors_allowed_origins_without_the_http_layer_is_refused():
    with pytest.raises(ValueError, match="use_http_layer"):
        TestClient(BoltAPI(), cors_allowed_origins=[APP], use_http_layer=False)


def test_websocket_clients_of_a_test_client_take_its_origins():
    with TestClient(BoltAPI(), cors_allowed_origins=[APP], read_django_settings=False) as client:
        ws = client.websocket_connect("/ws")
        assert ws.cors_allowed_origins == [APP] and ws.read_django_settings is False
        assert client.websocket_connect("/ws", cors_allowed_origins=[OTHER]).cors_allowed_origins == [OTHER]


def test_websocket_origins_follow_the_same_arguments():
    api = BoltAPI()

    @api.websocket("/ws")
    async def ws(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text("hi")

    async def opens(client: TestClient, origin: str) -> bool:
        try:
            async with client.websocket_connect("/ws", headers={"origin": origin}) as c:
                return await c.receive_text() == "hi"
        except PermissionError as exc:
            assert f"Origin not allowed: {origin}" in str(exc)
            return False

    async def run():
        with override_settings(CORS_ALLOWED_ORIGIN_REGEXES=[r"^https://\w+\.example$"]):
            with TestClient(api) as client:
                assert await opens(client, OTHER)
            with TestClient(api, read_django_settings=False) as client:
                assert not await opens(client, OTHER)  # the project's regexes are left out too
            with TestClient(api, cors_allowed_origins=[APP]) as client:
                assert await opens(client, APP)
                assert not await opens(client, OTHER)

    asyncio.run(run())
