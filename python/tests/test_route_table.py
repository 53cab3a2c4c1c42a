"""The route table is built from msgspec Structs whose fields are the msgpack keys the
Go core decodes (strictly: an unknown key stops start-up). This test reads the Go
structs' tags and requires the same keys on both sides."""

from __future__ import annotations

import pathlib
import re

import msgspec
import pytest

from django_bolt import BoltAPI
from django_bolt._runtime.boot import route_table
from django_bolt._runtime import table as parts
from django_bolt._runtime.table import RouteSpec, SiteSpec, Table, WebSocketSpec

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _go_keys(file: str, struct: str) -> set[str]:
    """The msgpack keys of Go's ``struct`` in ``file`` (server/ unless a package is named)."""
    source = (ROOT / (file if "/" in file else f"server/{file}")).read_text()
    body = re.search(rf"^type {struct} struct \{{\n(.*?)^\}}", source, re.S | re.M)
    assert body, f"no type {struct} in {file}"
    return set(re.findall(r'msgpack:"([a-z_]+)"', body.group(1)))


def _python_keys(struct: type[msgspec.Struct]) -> set[str]:
    return {f.encode_name for f in msgspec.structs.fields(struct)}


@pytest.mark.parametrize("struct,file,go_name", [
    (Table, "table.go", "Table"),
    (RouteSpec, "table.go", "RouteSpec"),
    (WebSocketSpec, "websocket.go", "WebSocketSpec"),
    (SiteSpec, "site.go", "SiteSpec"),
    (parts.Settings, "table.go", "Settings"),
    (parts.AccessLogPolicy, "table.go", "AccessLogPolicy"),
    (parts.FileLimit, "uploads.go", "FileLimit"),
    (parts.StaticConfig, "static.go", "StaticConfig"),
    (parts.StaticDir, "static.go", "StaticDir"),
    (parts.DocsAssets, "docs_assets.go", "DocsAssets"),
    (parts.RouteConfig, "middleware/config.go", "RouteConfig"),
    (parts.MiddlewareConfig, "middleware/config.go", "MiddlewareConfig"),
    (parts.AuthBackendConfig, "middleware/config.go", "AuthBackendConfig"),
    (parts.GuardConfig, "middleware/config.go", "GuardConfig"),
    (parts.GlobalConfig, "middleware/config.go", "GlobalConfig"),
    (parts.CompressionConfig, "middleware/config.go", "CompressionConfig"),
])
def test_python_and_go_agree_on_the_keys(struct, file, go_name):
    assert _python_keys(struct) == _go_keys(file, go_name)


def test_the_table_encodes_as_the_go_core_reads_it():
    api = BoltAPI()

    @api.get("/items/{item_id}")
    async def item(item_id: int):
        return {"id": item_id}

    table = route_table(api, api.routes())
    assert isinstance(table, Table)
    doc = msgspec.msgpack.decode(msgspec.msgpack.encode(table))
    assert set(doc) == _go_keys("table.go", "Table")
    (route,) = doc["routes"]
    assert (route["method"], route["path"], route["needs"]) == ("GET", "/items/{item_id}", ["params"])
    assert route["name"].endswith("item")


def test_a_key_the_table_does_not_declare_is_refused_when_built():
    with pytest.raises(TypeError, match="extra_key"):
        RouteSpec(method="GET", path="/", handler_id=0, needs=[], security=None, uploads=[], name="h",
                  access_log=None, extra_key=1)


def test_every_table_struct_is_compared_with_its_go_twin():
    compared = {struct for struct, _, _ in test_python_and_go_agree_on_the_keys.pytestmark[0].args[1]}
    declared = {getattr(parts, name) for name in parts.__all__}
    assert declared == compared


def test_a_secured_route_crosses_as_typed_parts_with_the_same_keys_as_before():
    from django_bolt.auth import APIKeyAuthentication, HasPermission, IsAuthenticated, JWTAuthentication
    from django_bolt.middleware import cors, rate_limit

    api = BoltAPI()

    @api.get("/secret", auth=[JWTAuthentication(secret="s", audience=["a", "b"]), APIKeyAuthentication(
        api_keys={"k1"}, key_permissions={"k1": ["items.view"]})], guards=[IsAuthenticated(), HasPermission("items.view")])
    @cors(origins=["https://a.example"], max_age=60)
    @rate_limit(rps=5, burst=10)
    async def secret():
        return {}

    (route,) = api.routes()
    table = route_table(api, [route])
    spec = table.routes[0]
    assert isinstance(spec.security, parts.RouteConfig)
    assert all(isinstance(m, parts.MiddlewareConfig) for m in spec.security.middleware)
    assert all(isinstance(b, parts.AuthBackendConfig) for b in spec.security.auth_backends)
    assert all(isinstance(g, parts.GuardConfig) for g in spec.security.guards)
    assert isinstance(table.global_, parts.GlobalConfig) and isinstance(table.settings, parts.Settings)
    # The bytes mean what the compiled mapping meant: every key it gave, with its value;
    # a key left out is one whose value Go reads as its zero value anyway.
    native = route.security.native
    crossed = msgspec.msgpack.decode(msgspec.msgpack.encode(spec))["security"]
    zero = (None, False, 0, 0.0, "")

    def same(given, sent):
        if isinstance(given, dict):
            assert set(sent) <= set(given)
            for key, value in given.items():
                if key in sent:
                    same(value, sent[key])
                else:
                    assert value in zero, key
        elif isinstance(given, (list, tuple)):
            assert len(given) == len(sent)
            for a, b in zip(given, sent):
                same(a, b)
        else:
            assert given == sent

    same(msgspec.to_builtins(native), crossed)
    guard_types = [g["type"] for g in crossed["guards"]]
    assert guard_types and crossed["auth_backends"][0]["audience"] == ["a", "b"]
    assert {m["type"] for m in crossed["middleware"]} == {"cors", "rate_limit"}


def test_a_compiled_part_with_a_key_go_does_not_know_stops_the_table_naming_it():
    from django_bolt._runtime.boot import _part

    with pytest.raises(TypeError, match=r"GuardConfig.*bogus"):
        _part({"type": "is_authenticated", "bogus": 1}, parts.GuardConfig)
    with pytest.raises(TypeError, match=r"Settings.*max_upload_size"):
        _part({"debug": True}, parts.Settings)
