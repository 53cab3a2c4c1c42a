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
from django_bolt._runtime.table import RouteSpec, SiteSpec, Table, WebSocketSpec

SERVER = pathlib.Path(__file__).resolve().parents[2] / "server"


def _go_keys(file: str, struct: str) -> set[str]:
    source = (SERVER / file).read_text()
    body = re.search(rf"^type {struct} struct \{{\n(.*?)^\}}", source, re.S | re.M)
    assert body, f"no type {struct} in server/{file}"
    return set(re.findall(r'msgpack:"([a-z_]+)"', body.group(1)))


def _python_keys(struct: type[msgspec.Struct]) -> set[str]:
    return {f.encode_name for f in msgspec.structs.fields(struct)}


@pytest.mark.parametrize("struct,file,go_name", [
    (Table, "table.go", "Table"),
    (RouteSpec, "table.go", "RouteSpec"),
    (WebSocketSpec, "websocket.go", "WebSocketSpec"),
    (SiteSpec, "site.go", "SiteSpec"),
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
