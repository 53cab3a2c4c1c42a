"""The in-process test clients and how handlers run under them."""

from __future__ import annotations

import asyncio
import threading

from typing import Annotated

import httpx
import msgspec
import pytest

import contract_helpers
from django_bolt import BoltAPI, StreamingResponse
from django_bolt.exceptions import NotFound
from django_bolt.params import Depends, Header
from django_bolt.responses import Redirect
from django_bolt.testing import AsyncTestClient, TestClient
from django_bolt.testing.helpers import create_async_test_client, create_test_client


class Point(msgspec.Struct):
    x: int
    y: int


def tag_from_header(x_tag: Annotated[str, Header()] = "none"):
    return x_tag


def build_api(tag: str = "main") -> BoltAPI:
    api = BoltAPI()

    @api.get("/whoami")
    async def whoami():
        return {"api": tag}

    @api.get("/echo/{word}")
    async def echo(word: str, times: int = 1):
        return {"echo": word * times}

    @api.post("/body")
    async def body(request):
        return {"len": len(request["body"])}

    @api.get("/sync")
    def sync_handler(n: int = 2):
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        return {"square": n * n, "on_loop": on_loop}

    @api.get("/sync-text")
    def sync_text():
        return "from a def handler"

    @api.get("/sync-request")
    def sync_request(request):
        return {"query": request["query"], "method": request["method"]}

    @api.get("/sync-stream")
    def sync_stream():
        return StreamingResponse(f"{i};" for i in range(3))

    @api.get("/sync-not-found")
    def sync_not_found():
        raise NotFound(detail="nothing here")

    @api.post("/sync-body")
    def sync_body(point: Point, tag=Depends(tag_from_header)):
        return {"sum": point.x + point.y, "tag": tag}

    @api.get("/current-task")
    async def current_task():
        task = asyncio.current_task()
        await asyncio.sleep(0)
        return {"has_task": task is not None, "same": task is asyncio.current_task()}

    @api.get("/timeout")
    async def with_timeout():
        async with asyncio.timeout(1):
            await asyncio.sleep(0.01)
        try:
            async with asyncio.timeout(0.01):
                await asyncio.sleep(5)
        except TimeoutError:
            return {"timed_out": True}
        return {"timed_out": False}

    @api.get("/gather")
    async def gather():
        async def one(i):
            await asyncio.sleep(0.001 * i)
            return i

        return {"values": await asyncio.gather(*(one(i) for i in range(5)))}

    @api.get("/redirect")
    async def redirect():
        return Redirect("/whoami")

    @api.get("/broken-stream")
    async def broken_stream():
        def gen():
            yield b"first"
            raise RuntimeError("stream broke")

        return StreamingResponse(gen())

    @api.get("/broken-async-stream")
    async def broken_async_stream():
        async def gen():
            yield b"first"
            raise RuntimeError("async stream broke")

        return StreamingResponse(gen())

    @api.get("/stream")
    async def stream():
        return StreamingResponse(iter([b"x" * 10] * 5))

    @api.get("/boom")
    async def boom():
        raise RuntimeError("handler failure")

    return api


@pytest.fixture(scope="module")
def api():
    return build_api()


@pytest.fixture(scope="module")
def client(api):
    with TestClient(api) as c:
        yield c


# ---------------------------------------------------------------------------------
# TestClient basics


def test_client_is_an_httpx_client(client):
    assert isinstance(client, httpx.Client)
    r = client.get("/whoami")
    assert isinstance(r, httpx.Response)
    assert r.json() == {"api": "main"}
    assert str(r.request.url).startswith("http://testserver.local/")


def test_query_params_and_path(client):
    assert client.get("/echo/ab", params={"times": 3}).json() == {"echo": "ababab"}


def test_request_body_reaches_handler(client):
    assert client.post("/body", content=b"x" * 1000).json() == {"len": 1000}


def test_context_manager_closes_client(api):
    with TestClient(api) as c:
        assert c.get("/whoami").status_code == 200
    assert c.is_closed
    with pytest.raises(RuntimeError):
        c.get("/whoami")


def test_client_without_context_manager(api):
    c = TestClient(api)
    try:
        assert c.get("/whoami").json() == {"api": "main"}
    finally:
        c.close()


def test_several_clients_coexist():
    first_api, second_api = build_api("first"), build_api("second")
    with TestClient(first_api) as a, TestClient(second_api) as b, TestClient(first_api) as a2:
        for _ in range(3):
            assert a.get("/whoami").json() == {"api": "first"}
            assert b.get("/whoami").json() == {"api": "second"}
            assert a2.get("/whoami").json() == {"api": "first"}
    # Closing one set of clients does not affect a client created later.
    with TestClient(second_api) as again:
        assert again.get("/whoami").json() == {"api": "second"}


def test_clients_for_apis_with_different_routes():
    only_a = BoltAPI()

    @only_a.get("/a")
    async def a():
        return "a"

    only_b = BoltAPI()

    @only_b.get("/b")
    async def b():
        return "b"

    with TestClient(only_a) as ca, TestClient(only_b) as cb:
        assert ca.get("/a").text == "a"
        assert ca.get("/b").status_code == 404
        assert cb.get("/b").text == "b"
        assert cb.get("/a").status_code == 404


def test_follow_redirects_forced_and_per_request_override(client):
    assert client.get("/redirect").json() == {"api": "main"}
    r = client.get("/redirect", follow_redirects=False)
    assert r.status_code == 307
    assert r.headers["location"] == "/whoami"


def test_follow_redirects_in_constructor_is_type_error(api):
    with pytest.raises(TypeError):
        TestClient(api, follow_redirects=False)


def test_custom_base_url(api):
    with TestClient(api, base_url="http://api.local") as c:
        r = c.get("/whoami")
    assert r.json() == {"api": "main"}
    assert r.request.url.host == "api.local"


def test_extra_httpx_kwargs_are_passed(api):
    with TestClient(api, headers={"X-Default": "1"}) as c:
        assert c.headers["x-default"] == "1"
        assert c.get("/whoami").status_code == 200


# ---------------------------------------------------------------------------------
# handlers: sync def, asyncio facilities


def test_sync_def_handler(client):
    assert client.get("/sync?n=7").json() == {"square": 49, "on_loop": False}


def test_sync_def_handler_returning_text(client):
    r = client.get("/sync-text")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == "from a def handler"


def test_sync_def_handler_with_request(client):
    assert client.get("/sync-request?a=1").json() == {"query": {"a": "1"}, "method": "GET"}


def test_sync_def_handler_streaming(client):
    assert client.get("/sync-stream").text == "0;1;2;"


def test_sync_def_handler_http_exception(client):
    r = client.get("/sync-not-found")
    assert r.status_code == 404
    assert r.json() == {"detail": "nothing here"}


def test_sync_def_handler_body_and_dependency(client):
    r = client.post("/sync-body", json={"x": 1, "y": 2}, headers={"X-Tag": "t"})
    assert r.json() == {"sum": 3, "tag": "t"}
    assert client.post("/sync-body", json={"x": "one", "y": 2}).status_code == 422


def test_current_task_inside_handler(client):
    assert client.get("/current-task").json() == {"has_task": True, "same": True}


def test_asyncio_timeout_inside_handler(client):
    assert client.get("/timeout").json() == {"timed_out": True}


def test_gather_inside_handler(client):
    assert client.get("/gather").json() == {"values": [0, 1, 2, 3, 4]}


def test_sync_handlers_from_threads(api):
    results = []

    def worker(i):
        with TestClient(api) as c:
            results.append(c.get(f"/sync?n={i}").json()["square"])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [0, 1, 4, 9]


# ---------------------------------------------------------------------------------
# raise_server_exceptions


def test_handler_exception_is_a_500_response_by_default(client):
    r = client.get("/boom")
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal Server Error"}


def test_mid_stream_failure_raises_by_default(client):
    with pytest.raises(RuntimeError, match="stream broke"):
        client.get("/broken-stream")


def test_mid_stream_failure_async_raises_by_default(client):
    with pytest.raises(RuntimeError, match="async stream broke"):
        client.get("/broken-async-stream")


def test_raise_server_exceptions_false_async_stream(api):
    with TestClient(api, raise_server_exceptions=False) as c:
        r = c.get("/broken-async-stream")
        assert r.status_code == 500 or r.content == b"first"
        # The client keeps working afterwards.
        assert c.get("/whoami").json() == {"api": "main"}


def test_raise_server_exceptions_false_sync_stream(api):
    with TestClient(api, raise_server_exceptions=False) as c:
        r = c.get("/broken-stream")
        assert r.status_code == 500 or r.content == b"first"


def test_raise_server_exceptions_false_handler_error(api):
    with TestClient(api, raise_server_exceptions=False) as c:
        r = c.get("/boom")
        assert r.status_code == 500
        assert r.json() == {"detail": "Internal Server Error"}


def test_collected_stream_has_consistent_framing_headers(client):
    r = client.get("/stream")
    assert r.content == b"x" * 50
    assert not ("transfer-encoding" in r.headers and "content-length" in r.headers)


# ---------------------------------------------------------------------------------
# AsyncTestClient


async def test_async_client_basic(api):
    async with AsyncTestClient(api) as c:
        assert isinstance(c, httpx.AsyncClient)
        r = await c.get("/whoami")
        assert r.json() == {"api": "main"}
        r = await c.get("/echo/z", params={"times": 2})
        assert r.json() == {"echo": "zz"}


async def test_async_client_concurrent_requests(api):
    async with AsyncTestClient(api) as c:
        responses = await asyncio.gather(*(c.get(f"/echo/{i}") for i in range(8)))
    assert [r.json()["echo"] for r in responses] == [str(i) for i in range(8)]


async def test_async_client_sync_handler_and_post(api):
    async with AsyncTestClient(api) as c:
        assert (await c.get("/sync?n=3")).json() == {"square": 9, "on_loop": False}
        assert (await c.post("/body", content=b"abc")).json() == {"len": 3}


async def test_async_client_redirects(api):
    async with AsyncTestClient(api) as c:
        assert (await c.get("/redirect")).json() == {"api": "main"}
        assert (await c.get("/redirect", follow_redirects=False)).status_code == 307


async def test_async_client_handler_uses_asyncio(api):
    async with AsyncTestClient(api) as c:
        assert (await c.get("/timeout")).json() == {"timed_out": True}
        assert (await c.get("/current-task")).json() == {"has_task": True, "same": True}


async def test_async_client_stream_collected(api):
    async with AsyncTestClient(api) as c:
        assert (await c.get("/stream")).content == b"x" * 50


# ---------------------------------------------------------------------------------
# helpers


def test_create_test_client(api):
    with create_test_client(api) as c:
        assert isinstance(c, TestClient)
        assert c.get("/whoami").json() == {"api": "main"}


def test_create_test_client_options(api):
    with create_test_client(api, base_url="http://other.local", raise_server_exceptions=False,
                            bootstrap_django=False) as c:
        r = c.get("/broken-async-stream")
        assert r.status_code in (200, 500)
        assert c.get("/whoami").request.url.host == "other.local"


async def test_create_async_test_client(api):
    async with create_async_test_client(api) as c:
        assert isinstance(c, AsyncTestClient)
        assert (await c.get("/whoami")).json() == {"api": "main"}


# ---------------------------------------------------------------------------------
# Django ORM from handlers


@pytest.fixture(scope="module")
def users():
    contract_helpers.migrate_once()
    from django.contrib.auth.models import User

    User.objects.filter(username__startswith="contract-").delete()
    User.objects.create(username="contract-alice")
    User.objects.create(username="contract-bob")
    yield User
    User.objects.filter(username__startswith="contract-").delete()


@pytest.fixture(scope="module")
def orm_client(users):
    api = BoltAPI()
    User = users

    @api.get("/users-async")
    async def users_async():
        names = [u.username async for u in User.objects.filter(username__startswith="contract-").order_by("username")]
        return {"names": names, "count": await User.objects.filter(username__startswith="contract-").acount()}

    @api.get("/users-sync")
    def users_sync():
        names = list(User.objects.filter(username__startswith="contract-")
                     .order_by("username").values_list("username", flat=True))
        return {"names": names}

    @api.get("/users-queryset")
    async def users_queryset():
        return User.objects.filter(username__startswith="contract-").order_by("username").values("username")

    with TestClient(api) as c:
        yield c


def test_async_handler_uses_orm(orm_client):
    assert orm_client.get("/users-async").json() == {"names": ["contract-alice", "contract-bob"], "count": 2}


def test_async_handler_returns_queryset(orm_client):
    assert orm_client.get("/users-queryset").json() == [{"username": "contract-alice"},
                                                       {"username": "contract-bob"}]


def test_sync_handler_uses_orm(orm_client):
    r = orm_client.get("/users-sync")
    assert r.status_code == 200
    assert r.json() == {"names": ["contract-alice", "contract-bob"]}
