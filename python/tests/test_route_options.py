"""Route options: tags, summary, description, include_in_schema, deprecated."""

from __future__ import annotations

import pytest

from django_bolt import BoltAPI
from django_bolt.openapi import OpenAPIConfig
from django_bolt.openapi.schema_generator import SchemaGenerator


def _schema(api: BoltAPI) -> dict:
    return SchemaGenerator(api, OpenAPIConfig(title="t", version="1")).generate().to_schema()


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "head", "options"])
def test_every_decorator_stores_the_options_on_the_route(method):
    api = BoltAPI()

    @getattr(api, method)("/x", tags=["things"], summary="Do it", description="At length.",
                          include_in_schema=False, deprecated=True)
    async def handler():
        return {}

    (route,) = api.routes()
    assert route.method == method.upper()
    assert route.tags == ["things"]
    assert route.summary == "Do it"
    assert route.description == "At length."
    assert route.include_in_schema is False
    assert route.deprecated is True


def test_defaults():
    api = BoltAPI()

    @api.get("/x")
    async def handler():
        return {}

    (route,) = api.routes()
    assert (route.tags, route.summary, route.description) == (None, None, None)
    assert route.include_in_schema is True
    assert route.deprecated is False


def test_unknown_option_is_a_type_error_naming_it():
    api = BoltAPI()
    with pytest.raises(TypeError, match="include_in_schem"):
        api.get("/x", include_in_schem=False)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tags": "items"}, "tags must be a list of strings"),
        ({"summary": 3}, "summary must be a string"),
        ({"deprecated": "yes"}, "deprecated must be True or False"),
        ({"status_code": "201"}, "status_code must be an int"),
    ],
)
def test_ill_typed_options_name_the_decorator(options, message):
    api = BoltAPI()
    with pytest.raises(TypeError, match=message) as info:
        api.post("/x", **options)
    assert "@api.post('/x')" in str(info.value)


def test_openapi_uses_the_options_over_the_docstring():
    api = BoltAPI()

    @api.get("/a", tags=["alpha"], summary="Short", description="Long text.", deprecated=True)
    async def a():
        """Docstring summary.

        Docstring body."""
        return {}

    @api.get("/b")
    async def b():
        """Only the docstring.

        More."""
        return {}

    @api.get("/hidden", include_in_schema=False)
    async def hidden():
        return {}

    paths = _schema(api)["paths"]
    op = paths["/a"]["get"]
    assert op["tags"] == ["alpha"]
    assert op["summary"] == "Short"
    assert op["description"] == "Long text."
    assert op["deprecated"] is True
    op_b = paths["/b"]["get"]
    assert op_b["summary"] == "Only the docstring."
    assert op_b["description"] == "More."
    assert "deprecated" not in op_b
    assert "/hidden" not in paths


def test_hidden_route_is_still_served():
    from django_bolt.testing import TestClient

    api = BoltAPI()

    @api.get("/hidden", include_in_schema=False)
    async def hidden():
        return {"ok": True}

    with TestClient(api) as client:
        assert client.get("/hidden").json() == {"ok": True}
