"""Trailing-slash modes, ``api.mount``, ``Router`` and ``include_router``."""

from __future__ import annotations

import pytest

from django_bolt import AllowAny, APIRouter, BoltAPI, IsAuthenticated, IsStaff, JWTAuthentication, Router, Token
from django_bolt.discovery import merge_apis
from django_bolt.middleware import Middleware
from django_bolt.openapi import OpenAPIConfig
from django_bolt.openapi.schema_generator import SchemaGenerator
from django_bolt.testing import TestClient

SECRET = "router-tests-secret-key-of-32-bytes!"


def bearer(**claims) -> dict[str, str]:
    token = Token.create(sub=claims.pop("sub", "7"), **claims).encode(SECRET)
    return {"Authorization": f"Bearer {token}"}


def paths(api: BoltAPI) -> set[tuple[str, str]]:
    return {(r.method, r.path) for r in api.routes()}


# --- trailing slash ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "declared", "served"),
    [
        ("strip", "/items/", "/items"),
        ("strip", "/items", "/items"),
        ("append", "/items", "/items/"),
        ("append", "/items/", "/items/"),
        ("keep", "/items/", "/items/"),
        ("keep", "/items", "/items"),
        ("strip", "/", "/"),
        ("append", "/files/{rest:path}", "/files/{rest:path}"),
    ],
)
def test_mode_applies_at_registration(mode, declared, served):
    api = BoltAPI(trailing_slash=mode)

    @api.get(declared)
    async def h():
        return {}

    assert paths(api) == {("GET", served)}


def test_mode_applies_to_prefix_plus_path():
    api = BoltAPI(prefix="/api", trailing_slash="append")

    @api.get("")
    async def root():
        return {}

    assert paths(api) == {("GET", "/api/")}


def test_unknown_mode_names_the_choices():
    with pytest.raises(ValueError, match="trailing_slash='slash'.*'keep', 'strip', 'append'"):
        BoltAPI(trailing_slash="slash")


@pytest.mark.parametrize("mode", ["strip", "append", "keep"])
def test_308_both_directions_query_kept_method_specific(mode):
    api = BoltAPI(trailing_slash=mode)

    @api.get("/a")
    async def a():
        return {"route": "a"}

    @api.post("/b/")
    async def b():
        return {"route": "b"}

    served_a = "/a/" if mode == "append" else "/a"
    served_b = "/b" if mode == "strip" else "/b/"
    other_a = "/a" if served_a == "/a/" else "/a/"
    other_b = "/b" if served_b == "/b/" else "/b/"
    with TestClient(api) as client:
        r = client.get(other_a + "?x=1&y=%20z", follow_redirects=False)
        assert r.status_code == 308
        assert r.headers["location"] == served_a + "?x=1&y=%20z"
        assert r.content == b""
        r = client.post(other_b, content=b"{}", follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (308, served_b)
        # Same method only: GET on b's other spelling is not redirected to a POST route.
        assert client.get(other_b, follow_redirects=False).status_code in (404, 405)
        assert client.get(served_a).json() == {"route": "a"}
        # A client that follows redirects ends at the route with method and body kept.
        assert client.post(other_b, content=b"{}", follow_redirects=True).json() == {"route": "b"}


# --- mount ---------------------------------------------------------------------------


def test_mount_prefixes_and_normalises_with_the_parent_mode():
    v1 = BoltAPI(trailing_slash="append")

    @v1.get("/items")
    async def items():
        return ["x"]

    assert paths(v1) == {("GET", "/items/")}
    api = BoltAPI(prefix="/ignored")
    api.mount("v1/", v1)
    assert paths(api) == {("GET", "/v1/items/")}  # parent keeps: its prefix is not added

    strict = BoltAPI(trailing_slash="strip")
    strict.mount("/v1", v1)
    assert paths(strict) == {("GET", "/v1/items")}
    with TestClient(strict) as client:
        assert client.get("/v1/items").json() == ["x"]
        r = client.get("/v1/items/", follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (308, "/v1/items")


def test_mounted_route_keeps_the_sub_apps_middleware_and_auth():
    calls: list[str] = []

    class Tag(Middleware):
        async def process_request(self, request, call_next):
            calls.append("sub")
            response = await call_next(request)
            return response

    sub = BoltAPI(middleware=[Tag()])

    @sub.get("/private", auth=[JWTAuthentication(secret=SECRET)], guards=[IsAuthenticated()])
    async def private():
        return {"ok": True}

    api = BoltAPI()

    @api.get("/own")
    async def own():
        return {"own": True}

    api.mount("/sub", sub)
    with TestClient(api) as client:
        assert client.get("/sub/private").status_code == 401
        assert client.get("/sub/private", headers=bearer()).json() == {"ok": True}
        assert calls == ["sub"]
        assert client.get("/own").json() == {"own": True}
        assert calls == ["sub"]


def test_mounted_api_leaves_discovery():
    sub = BoltAPI()

    @sub.get("/x")
    async def x():
        return {}

    api = BoltAPI()
    api.mount("/m", sub)
    merged = merge_apis([("a", api)])
    assert paths(merged) == {("GET", "/m/x")}
    assert sub.mounted_into is api


def test_mount_rejects_a_router():
    with pytest.raises(TypeError, match="include_router"):
        BoltAPI().mount("/x", Router())


# --- routers -------------------------------------------------------------------------


def test_prefix_composition():
    inner = Router(prefix="/inner")

    @inner.get("/leaf")
    async def leaf():
        return {"leaf": True}

    outer = Router(prefix="/outer")
    outer.include_router(inner, prefix="/mid")

    @outer.get("/own")
    async def own():
        return {}

    api = BoltAPI(prefix="/api")
    api.include_router(outer, prefix="/v2/")
    assert paths(api) == {("GET", "/api/v2/outer/own"), ("GET", "/api/v2/outer/mid/inner/leaf")}
    with TestClient(api) as client:
        assert client.get("/api/v2/outer/mid/inner/leaf").json() == {"leaf": True}


def test_router_trailing_slash_follows_the_api():
    r = Router(prefix="/r")

    @r.get("/x/")
    async def x():
        return {}

    api = BoltAPI(trailing_slash="strip")
    api.include_router(r)
    assert paths(api) == {("GET", "/r/x")}


def test_guard_and_auth_defaults_and_override():
    admin = Router(prefix="/admin", tags=["admin"], auth=[JWTAuthentication(secret=SECRET)], guards=[IsStaff()])

    @admin.get("/stats")
    async def stats():
        return {"n": 1}

    @admin.get("/ping", guards=[AllowAny()])
    async def ping():
        return "pong"

    api = BoltAPI()
    api.include_router(admin, prefix="/v2")
    with TestClient(api) as client:
        assert client.get("/v2/admin/stats").status_code == 401
        assert client.get("/v2/admin/stats", headers=bearer()).status_code == 403
        assert client.get("/v2/admin/stats", headers=bearer(is_staff=True)).json() == {"n": 1}
        assert client.get("/v2/admin/ping").text == "pong"


def test_child_inherits_the_parents_defaults_unless_it_sets_its_own():
    parent = Router(tags=["parent"], auth=[JWTAuthentication(secret=SECRET)], guards=[IsAuthenticated()])
    child = Router(prefix="/child")
    open_child = Router(prefix="/open", guards=[AllowAny()], tags=["open"])

    @child.get("/x")
    async def x():
        return {}

    @open_child.get("/y")
    async def y():
        return {}

    parent.include_router(child)
    parent.include_router(open_child)
    api = BoltAPI()
    api.include_router(parent)
    routes = {r.path: r for r in api.routes()}
    assert routes["/child/x"].tags == ["parent"]
    assert routes["/open/y"].tags == ["open"]
    with TestClient(api) as client:
        assert client.get("/child/x").status_code == 401
        assert client.get("/open/y").status_code == 200


def test_default_tags_in_schema_and_route_tags_win():
    r = Router(prefix="/shop", tags=["shop"])

    @r.get("/a")
    async def a():
        return {}

    @r.get("/b", tags=["special"], summary="B it")
    async def b():
        return {}

    api = BoltAPI()
    api.include_router(r)
    doc = SchemaGenerator(api, OpenAPIConfig(title="t", version="1")).generate().to_schema()
    assert doc["paths"]["/shop/a"]["get"]["tags"] == ["shop"]
    assert doc["paths"]["/shop/b"]["get"]["tags"] == ["special"]
    assert doc["paths"]["/shop/b"]["get"]["summary"] == "B it"


def test_nested_middleware_order():
    order: list[str] = []

    def recorder(name: str) -> type:
        class Recorder(Middleware):
            async def process_request(self, request, call_next):
                order.append(name)
                return await call_next(request)

        Recorder.__name__ = f"Recorder_{name}"
        return Recorder

    outer = Router(middleware=[recorder("outer")()])
    inner = Router(prefix="/in", middleware=[recorder("inner")()])

    @inner.get("/x")
    async def x():
        order.append("handler")
        return {}

    outer.include_router(inner)
    api = BoltAPI(middleware=[recorder("global")()])
    api.include_router(outer)
    with TestClient(api) as client:
        assert client.get("/in/x").status_code == 200
    assert order == ["global", "outer", "inner", "handler"]


def test_misuse_is_reported_at_registration():
    api = BoltAPI()
    with pytest.raises(TypeError, match="takes a Router, not BoltAPI.*api.mount"):
        api.include_router(BoltAPI())
    with pytest.raises(TypeError, match="takes a Router, not dict"):
        api.include_router({})
    r = Router()
    with pytest.raises(TypeError, match=r"@router.get\('/x'\): unknown route option 'include_in_schem'"):
        r.get("/x", include_in_schem=False)
    with pytest.raises(ValueError, match="cannot include itself"):
        r.include_router(r)
    with pytest.raises(ValueError, match="prefix"):
        Router(prefix="users")


def test_apirouter_is_the_same_class():
    assert APIRouter is Router
    from django_bolt.router import APIRouter as from_module

    assert from_module is Router


def test_routes_declared_after_including_or_mounting_are_refused():
    from django_bolt import Router

    api, router = BoltAPI(), Router(prefix="/r")

    @router.get("/a")
    async def a():
        return {}

    api.include_router(router)
    with pytest.raises(RuntimeError, match="already included"):
        @router.get("/late")
        async def late():
            return {}
    with pytest.raises(RuntimeError, match="already included"):
        router.include_router(Router(prefix="/child"))

    sub = BoltAPI()

    @sub.get("/x")
    async def x():
        return {}

    api.mount("/v1", sub)
    with pytest.raises(RuntimeError, match="already mounted"):
        @sub.get("/y")
        async def y():
            return {}
