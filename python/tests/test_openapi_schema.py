"""The OpenAPI document generated from an API's routes."""

from __future__ import annotations

import datetime
import enum
import uuid
from dataclasses import dataclass
from typing import Annotated, Optional

import msgspec
import pytest

from django_bolt import APIKeyAuthentication, BoltAPI, IsAuthenticated, JWTAuthentication  # noqa: E402
from django_bolt.openapi import OpenAPIConfig  # noqa: E402
from django_bolt.openapi.schema_generator import SchemaGenerator  # noqa: E402
from django_bolt.openapi.spec import (  # noqa: E402
    Components,
    Contact,
    OpenAPI,
    Info,
    Operation,
    Parameter,
    Reference,
    Schema,
    SecurityScheme,
    Server,
    Tag,
)
from django_bolt.params import Body, Cookie, Depends, File, Form, Header, Path, Query  # noqa: E402
from django_bolt.responses import HTML, PlainText, Redirect, StreamingResponse  # noqa: E402


class Item(msgspec.Struct):
    """An item for sale."""

    name: str
    price: float
    tags: list[str] = []


class Order(msgspec.Struct):
    items: list[Item]
    placed: datetime.date
    ref: uuid.UUID


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass
class Note:
    text: str


class Opaque:
    """A type msgspec cannot describe."""


def schema_of(api: BoltAPI, **config) -> dict:
    config.setdefault("title", "Shop")
    config.setdefault("version", "2.0")
    return SchemaGenerator(api, OpenAPIConfig(**config)).generate().to_schema()


def operation(doc: dict, method: str, path: str) -> dict:
    return doc["paths"][path][method]


# Every operation documents the 500 a failing handler answers.
SERVER_ERROR = {
    "description": "Internal server error: the handler failed",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ServerError"}}},
}


def params_by_name(op: dict) -> dict:
    return {p["name"]: p for p in op.get("parameters", [])}


# -- document level --------------------------------------------------------------------


def test_document_root_comes_from_the_config():
    api = BoltAPI()

    @api.get("/ping")
    async def ping():
        return {}

    doc = schema_of(
        api,
        description="Sells things",
        summary="Shop API",
        terms_of_service="https://example.com/tos",
        contact=Contact(name="Team", email="team@example.com"),
        servers=[Server(url="https://api.example.com")],
        tags=[Tag(name="Items", description="Things for sale")],
        security=[{"BearerAuth": []}],
    )
    assert list(doc)[0] == "openapi"
    assert doc["openapi"] == "3.1.0"
    assert doc["info"] == {
        "title": "Shop",
        "version": "2.0",
        "summary": "Shop API",
        "description": "Sells things",
        "termsOfService": "https://example.com/tos",
        "contact": {"name": "Team", "email": "team@example.com"},
    }
    assert doc["servers"] == [{"url": "https://api.example.com"}]
    # The configured tags first, then those the operations use (this module's name).
    assert doc["tags"] == [{"name": "Items", "description": "Things for sale"}, {"name": "Test_openapi_schema"}]
    assert doc["security"] == [{"BearerAuth": []}]


def test_default_server_is_the_site_root():
    doc = schema_of(BoltAPI())
    assert doc["servers"] == [{"url": "/"}]
    assert doc["paths"] == {}


def test_docs_admin_static_and_excluded_paths_are_left_out():
    api = BoltAPI()
    for path in ("/docs/extra", "/admin/x", "/static/{path:path}", "/internal/ping", "/administrators", "/items"):
        async def handler():
            return {}

        api.get(path)(handler)

    doc = schema_of(api, path="/docs", exclude_paths=["/admin", "/static", "/internal/"])
    assert sorted(doc["paths"]) == ["/administrators", "/items"]


def test_typed_path_segments_become_plain_templates():
    api = BoltAPI()

    @api.get("/files/{name:path}")
    async def get_file(name: str):
        return {}

    @api.get("/users/{user_id:int}/posts/{post_id}")
    async def get_post(user_id: Annotated[int, Path(ge=1)], post_id: str):
        return {}

    doc = schema_of(api)
    assert "/files/{name}" in doc["paths"]
    params = params_by_name(operation(doc, "get", "/users/{user_id}/posts/{post_id}"))
    assert params["user_id"] == {
        "name": "user_id", "in": "path", "schema": {"type": "integer", "minimum": 1},
        "description": "Parameter user_id", "required": True,
    }
    assert params["post_id"]["schema"] == {"type": "string"}


def test_methods_of_one_path_share_a_path_item():
    api = BoltAPI()

    @api.get("/items")
    async def list_items():
        return []

    @api.post("/items")
    async def create_item(item: Item):
        return item

    assert set(schema_of(api)["paths"]["/items"]) == {"get", "post"}


# -- operation metadata ------------------------------------------------------------------


def test_operation_id_summary_description_and_tags():
    api = BoltAPI()

    @api.get("/items")
    async def list_items():
        """List the items.

        Sorted by name;
        paginated.
        """
        return []

    op = operation(schema_of(api), "get", "/items")
    assert op["operationId"] == "get_list_items"
    assert op["summary"] == "List the items."
    assert op["description"] == "Sorted by name;\npaginated."
    assert op["tags"] == ["Test_openapi_schema"]


def test_docstrings_can_be_ignored():
    api = BoltAPI()

    @api.get("/items")
    async def list_items():
        """List the items."""
        return []

    op = operation(schema_of(api, use_handler_docstrings=False), "get", "/items")
    assert "summary" not in op and "description" not in op


def test_handlers_of_modules_named_api_are_tagged_with_their_package():
    api = BoltAPI()

    async def in_api():
        return {}

    async def in_orders():
        return {}

    in_api.__module__ = "shop.api"
    in_orders.__module__ = "shop.orders"
    api.get("/a")(in_api)
    api.get("/b")(in_orders)
    doc = schema_of(api)
    assert operation(doc, "get", "/a")["tags"] == ["Shop"]
    assert operation(doc, "get", "/b")["tags"] == ["Orders"]
    assert doc["tags"] == [{"name": "Orders"}, {"name": "Shop"}]


def test_operation_ids_stay_unique():
    api = BoltAPI()
    for path in ("/a", "/b", "/c"):
        async def handler():
            return {}

        api.get(path)(handler)

    doc = schema_of(api)
    ids = [operation(doc, "get", p)["operationId"] for p in ("/a", "/b", "/c")]
    assert ids == ["get_handler", "get_handler_2", "get_handler_3"]


# -- parameters ----------------------------------------------------------------------------


def test_query_header_and_cookie_parameters():
    api = BoltAPI()

    @api.get("/search")
    async def search(
        q: str,
        page: int = 1,
        sort: Optional[str] = None,
        x_request_id: Annotated[str, Header()] = "",
        token: Annotated[str, Header("X-Token")] = "",
        session: Annotated[str, Cookie("sessionid")] = "",
        flag: bool = False,
    ):
        return {}

    params = params_by_name(operation(schema_of(api), "get", "/search"))
    assert params["q"] == {"name": "q", "in": "query", "schema": {"type": "string"},
                           "description": "Parameter q", "required": True}
    assert params["page"]["schema"] == {"type": "integer"}
    assert "required" not in params["page"]
    assert "required" not in params["sort"]
    assert params["sort"]["schema"] == {"type": "string"}
    # Documented under the name the request is read with.
    assert params["x-request-id"]["in"] == "header"
    assert params["x-token"]["in"] == "header"
    assert params["sessionid"]["in"] == "cookie"
    assert params["flag"]["schema"] == {"type": "boolean"}


def test_parameter_marker_details_and_constraints():
    api = BoltAPI()

    @api.get("/items")
    async def list_items(
        limit: Annotated[int, Query(ge=1, le=100, description="Page size", example=10)] = 20,
        name: Annotated[str, Query(min_length=2, max_length=50, pattern="^[a-z]+$")] = "",
        ids: Annotated[list[int], Query(gt=0, min_length=1, max_length=5)] = [],  # noqa: B006
        old: Annotated[str, Query(deprecated=True)] = "",
        alias: Annotated[str, Query("filter-by")] = "",
    ):
        return []

    params = params_by_name(operation(schema_of(api), "get", "/items"))
    assert params["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert params["limit"]["description"] == "Page size"
    assert params["limit"]["example"] == 10
    assert params["name"]["schema"] == {"type": "string", "pattern": "^[a-z]+$", "minLength": 2, "maxLength": 50}
    assert params["ids"]["schema"] == {
        "type": "array", "items": {"type": "integer", "exclusiveMinimum": 0}, "minItems": 1, "maxItems": 5,
    }
    assert params["old"]["deprecated"] is True
    assert "filter-by" in params


def test_untyped_and_bytes_parameters_are_text():
    api = BoltAPI()

    @api.get("/raw")
    async def raw(anything, data: bytes = b""):
        return {}

    params = params_by_name(operation(schema_of(api), "get", "/raw"))
    assert params["anything"]["schema"] == {"type": "string"}
    assert params["data"]["schema"] == {"type": "string"}


def test_enum_parameter_is_a_component():
    api = BoltAPI()

    @api.get("/paint")
    async def paint(color: Color):
        return {}

    doc = schema_of(api)
    assert params_by_name(operation(doc, "get", "/paint"))["color"]["schema"] == {"$ref": "#/components/schemas/Color"}
    assert sorted(doc["components"]["schemas"]["Color"]["enum"]) == ["blue", "red"]


def test_dependency_parameters_are_documented_once():
    api = BoltAPI()

    async def current_user(authorization: Annotated[str, Header()], request):
        return authorization

    async def tenant(user=Depends(current_user), x_tenant: Annotated[str, Header()] = "main"):
        return x_tenant

    @api.get("/me")
    async def me(user=Depends(current_user), t=Depends(tenant), verbose: bool = False):
        return {}

    params = operation(schema_of(api), "get", "/me")["parameters"]
    assert [(p["name"], p["in"]) for p in params] == [
        ("authorization", "header"), ("x-tenant", "header"), ("verbose", "query"),
    ]
    assert params[0]["required"] is True


# -- request bodies ------------------------------------------------------------------------


def test_struct_body_is_a_component_reference():
    api = BoltAPI()

    @api.post("/orders")
    async def create_order(order: Order):
        return {}

    doc = schema_of(api)
    body = operation(doc, "post", "/orders")["requestBody"]
    assert body == {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}},
        "description": "Request body for order",
        "required": True,
    }
    schemas = doc["components"]["schemas"]
    assert schemas["Order"]["required"] == ["items", "placed", "ref"]
    assert schemas["Order"]["properties"]["items"] == {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
    assert schemas["Order"]["properties"]["placed"] == {"type": "string", "format": "date"}
    assert schemas["Order"]["properties"]["ref"] == {"type": "string", "format": "uuid"}
    assert schemas["Item"]["required"] == ["name", "price"]
    assert schemas["Item"]["description"] == "An item for sale."


def test_optional_dataclass_and_embedded_bodies():
    api = BoltAPI()

    @api.post("/notes")
    async def create_note(note: Optional[Note] = None):
        return {}

    @api.put("/price")
    async def set_price(price: Annotated[float, Body(embed=True)]):
        return {}

    doc = schema_of(api)
    note = operation(doc, "post", "/notes")["requestBody"]
    assert "required" not in note
    assert note["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Note"}
    assert doc["components"]["schemas"]["Note"]["required"] == ["text"]
    price = operation(doc, "put", "/price")["requestBody"]
    assert price["content"]["application/json"]["schema"] == {
        "type": "object", "properties": {"price": {"type": "number"}}, "required": ["price"],
    }


def test_form_fields_are_documented_urlencoded():
    api = BoltAPI()

    @api.post("/login")
    async def login(username: Annotated[str, Form()], password: Annotated[str, Form()],
                    remember: Annotated[bool, Form()] = False):
        return {}

    body = operation(schema_of(api), "post", "/login")["requestBody"]
    # The server reads both encodings; one is documented, as client generators expect.
    assert list(body["content"]) == ["application/x-www-form-urlencoded"]
    assert body["description"] == "Form data"
    assert body["required"] is True
    assert body["content"]["application/x-www-form-urlencoded"]["schema"] == {
        "type": "object",
        "properties": {"username": {"type": "string"}, "password": {"type": "string"}, "remember": {"type": "boolean"}},
        "required": ["username", "password"],
    }


def test_file_fields_are_binary_strings_in_multipart_bodies():
    api = BoltAPI()

    @api.post("/upload")
    async def upload(title: Annotated[str, Form()], doc: Annotated[bytes, File("upload")],
                     extras: Annotated[list[dict], File()] = []):  # noqa: B006
        return {}

    body = operation(schema_of(api), "post", "/upload")["requestBody"]
    assert list(body["content"]) == ["multipart/form-data"]
    schema = body["content"]["multipart/form-data"]["schema"]
    assert schema["properties"]["upload"] == {"type": "string", "format": "binary"}
    assert schema["properties"]["extras"] == {"type": "array", "items": {"type": "string", "format": "binary"}}
    assert schema["required"] == ["title", "upload"]


def test_get_routes_have_no_request_body():
    api = BoltAPI()

    @api.get("/items")
    async def list_items(q: str = ""):
        return []

    assert "requestBody" not in operation(schema_of(api), "get", "/items")


# -- responses -------------------------------------------------------------------------------


def test_response_type_from_annotation_model_and_status_code():
    api = BoltAPI()

    @api.get("/items")
    async def list_items() -> list[Item]:
        return []

    @api.post("/items", status_code=201, response_model=Item)
    async def create_item(item: Item):
        return item

    @api.get("/counts")
    async def counts() -> dict[str, int]:
        return {}

    doc = schema_of(api)
    assert operation(doc, "get", "/items")["responses"] == {
        "200": {
            "description": "Successful response",
            "content": {"application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
            }},
        },
        "500": SERVER_ERROR,
    }
    created = operation(doc, "post", "/items")["responses"]
    assert list(created) == ["201", "413", "422", "500"]
    assert created["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Item"}
    assert operation(doc, "get", "/counts")["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "object", "additionalProperties": {"type": "integer"},
    }


def test_response_without_annotation_or_response_class_is_any_json():
    api = BoltAPI()

    @api.get("/anything")
    async def anything():
        return {}

    @api.get("/nothing")
    async def nothing():
        pass

    doc = schema_of(api)
    for path in ("/anything", "/nothing"):
        assert operation(doc, "get", path)["responses"] == {
            "200": {"description": "Successful response", "content": {"application/json": {"schema": {}}}},
            "500": SERVER_ERROR,
        }


def test_response_media_types_follow_what_is_sent():
    api = BoltAPI()

    @api.get("/text")
    async def text() -> str:
        return ""

    @api.get("/bytes")
    async def raw() -> bytes:
        return b""

    @api.get("/page")
    async def page() -> HTML:
        return HTML("")

    @api.get("/plain")
    async def plain() -> PlainText:
        return PlainText("")

    @api.get("/stream")
    async def stream() -> StreamingResponse:
        return StreamingResponse([])

    @api.get("/away")
    async def away() -> Redirect:
        return Redirect("/")

    doc = schema_of(api)

    def content(path: str) -> dict:
        return operation(doc, "get", path)["responses"]["200"]["content"]

    assert content("/text") == {"text/plain": {"schema": {"type": "string"}}}
    assert content("/bytes") == {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    assert content("/page") == {"text/html": {"schema": {"type": "string"}}}
    assert content("/plain") == {"text/plain": {"schema": {"type": "string"}}}
    assert content("/stream") == {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    assert operation(doc, "get", "/away")["responses"] == {"307": {"description": "Redirect"}, "500": SERVER_ERROR}


def test_types_msgspec_cannot_describe_are_objects():
    api = BoltAPI()

    @api.get("/opaque", response_model=Opaque)
    async def opaque():
        return {}

    schema = operation(schema_of(api), "get", "/opaque")["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"type": "object"}


def test_same_named_structs_of_two_modules_get_distinct_components():
    first = msgspec.defstruct("Thing", [("a", int)], module="shop.one")
    second = msgspec.defstruct("Thing", [("b", str)], module="shop.two")
    api = BoltAPI()

    @api.get("/one", response_model=first)
    async def one():
        return {}

    @api.get("/two", response_model=second)
    async def two():
        return {}

    doc = schema_of(api)
    refs = [
        operation(doc, "get", p)["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        for p in ("/one", "/two")
    ]
    assert refs[0] != refs[1]
    names = [ref.rpartition("/")[2] for ref in refs]
    assert set(names) <= set(doc["components"]["schemas"])
    assert doc["components"]["schemas"][names[0]]["properties"] == {"a": {"type": "integer"}}
    assert doc["components"]["schemas"][names[1]]["properties"] == {"b": {"type": "string"}}


# -- security ---------------------------------------------------------------------------------


def test_jwt_route_with_guard_requires_bearer_auth():
    api = BoltAPI()

    @api.get("/me", auth=[JWTAuthentication(secret="s")], guards=[IsAuthenticated()])
    async def me():
        return {}

    doc = schema_of(api)
    assert operation(doc, "get", "/me")["security"] == [{"BearerAuth": []}]
    assert doc["components"]["securitySchemes"] == {
        "BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    }


def test_several_backends_are_alternatives_and_optional_without_guards():
    api = BoltAPI()
    backends = [JWTAuthentication(secret="s"), APIKeyAuthentication(api_keys=["k"], header="X-Service-Key")]

    @api.get("/feed", auth=backends)
    async def feed():
        return {}

    doc = schema_of(api)
    assert operation(doc, "get", "/feed")["security"] == [
        {"BearerAuth": []}, {"ApiKeyAuth_x-service-key": []}, {},
    ]
    assert doc["components"]["securitySchemes"]["ApiKeyAuth_x-service-key"] == {
        "type": "apiKey", "name": "x-service-key", "in": "header",
    }


def test_api_key_and_custom_header_jwt_schemes():
    api = BoltAPI()

    @api.get("/a", auth=[APIKeyAuthentication(api_keys=["k"])], guards=[IsAuthenticated()])
    async def a():
        return {}

    @api.get("/b", auth=[JWTAuthentication(secret="s", header="x-jwt")], guards=[IsAuthenticated()])
    async def b():
        return {}

    doc = schema_of(api)
    schemes = doc["components"]["securitySchemes"]
    assert operation(doc, "get", "/a")["security"] == [{"ApiKeyAuth": []}]
    assert schemes["ApiKeyAuth"] == {"type": "apiKey", "name": "x-api-key", "in": "header"}
    assert operation(doc, "get", "/b")["security"] == [{"BearerAuth_x-jwt": []}]
    assert schemes["BearerAuth_x-jwt"]["type"] == "apiKey"
    assert schemes["BearerAuth_x-jwt"]["name"] == "x-jwt"


def test_routes_without_authentication_have_no_security():
    api = BoltAPI()

    @api.get("/public")
    async def public():
        return {}

    doc = schema_of(api)
    assert "security" not in operation(doc, "get", "/public")
    assert "securitySchemes" not in doc["components"]


def test_user_components_are_kept_and_win_over_generated_ones():
    api = BoltAPI()

    @api.get("/me", auth=[JWTAuthentication(secret="s")], guards=[IsAuthenticated()])
    async def me() -> Item:
        return Item("a", 1.0)

    components = Components(
        schemas={"Item": Schema(description="Declared by hand"), "Extra": Schema(type="string")},
        security_schemes={"BearerAuth": SecurityScheme(type="http", scheme="bearer", description="Ours")},
    )
    doc = schema_of(api, components=components)
    assert doc["components"]["schemas"]["Item"] == {"description": "Declared by hand"}
    assert doc["components"]["schemas"]["Extra"] == {"type": "string"}
    assert doc["components"]["securitySchemes"]["BearerAuth"]["description"] == "Ours"
    # The configuration object itself is left as it was.
    assert set(components.schemas) == {"Item", "Extra"}


# -- the object model -------------------------------------------------------------------------


def test_objects_encode_with_specification_names_and_without_unset_fields():
    op = Operation(
        operation_id="get_x",
        parameters=[Parameter(name="id", param_in="path", required=True)],
        responses={},
    )
    assert op.to_schema() == {"operationId": "get_x", "parameters": [{"name": "id", "in": "path", "required": True}],
                              "responses": {}}
    assert Reference(ref="#/components/schemas/X").to_schema() == {"$ref": "#/components/schemas/X"}
    assert Schema(not_=Schema(type="null"), additional_properties=False).to_schema() == {
        "not": {"type": "null"}, "additionalProperties": False,
    }
    assert SecurityScheme(type="apiKey", security_scheme_in="query", name="key").to_schema() == {
        "type": "apiKey", "name": "key", "in": "query",
    }


def test_none_is_a_value_for_default_and_example():
    assert Schema(default=None, example=None).to_schema() == {"default": None, "example": None}
    assert Schema().to_schema() == {}


def test_document_version_is_always_written_first():
    doc = OpenAPI(info=Info(title="t", version="1")).to_schema()
    assert list(doc) == ["openapi", "info"]
    assert doc["openapi"] == "3.1.0"


@pytest.mark.parametrize("name", ["OpenAPIFormat", "OpenAPIType", "Callback", "Paths", "Responses",
                                  "SecurityRequirement", "BaseSchemaObject", "XML", "OAuthFlows"])
def test_spec_module_exports(name):
    from django_bolt.openapi import spec

    assert name in spec.__all__ and hasattr(spec, name)


# -- what un-annotated handlers send, read from their source ------------------------------


def test_response_classes_returned_without_annotation_give_the_media_type():
    from django_bolt.responses import FileResponse

    api = BoltAPI()

    @api.get("/page")
    async def page():
        return HTML("<h1>Hi</h1>")

    @api.get("/text")
    async def text(loud: bool = False):
        if loud:
            return PlainText("HI")
        return PlainText("hi")

    @api.get("/events")
    async def events():
        async def gen():
            yield "data: 1\n\n"
            return

        return StreamingResponse(gen(), media_type="text/event-stream")

    @api.get("/bytes")
    async def stream():
        return StreamingResponse(iter([b"x"]))

    @api.get("/report")
    async def report():
        return FileResponse("/tmp/report.csv", media_type="text/csv")

    @api.get("/pdf")
    async def pdf():
        return FileResponse("/tmp/report.pdf")

    @api.get("/moved")
    async def moved():
        return Redirect("/new", status_code=302)

    @api.get("/either")
    async def either(flag: bool = False):
        if flag:
            return HTML("")
        return PlainText("")  # two classes: the media type is not known

    doc = schema_of(api)

    def ok(path: str) -> dict:
        return operation(doc, "get", path)["responses"]["200"]["content"]

    assert ok("/page") == {"text/html": {"schema": {"type": "string"}}}
    assert ok("/text") == {"text/plain": {"schema": {"type": "string"}}}
    assert ok("/events") == {"text/event-stream": {"schema": {"type": "string"}}}
    assert ok("/bytes") == {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    assert ok("/report") == {"text/csv": {"schema": {"type": "string"}}}
    assert ok("/pdf") == {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    assert operation(doc, "get", "/moved")["responses"] == {"302": {"description": "Redirect"}, "500": SERVER_ERROR}
    assert ok("/either") == {"application/json": {"schema": {}}}


# -- error responses ------------------------------------------------------------------------


def _statuses(doc: dict, method: str, path: str) -> list[str]:
    return list(operation(doc, method, path)["responses"])


def test_error_responses_follow_what_the_route_runs():
    from django_bolt import IsAdminUser, rate_limit
    from django_bolt.exceptions import HTTPException, NotFound

    api = BoltAPI()

    @api.get("/plain")
    async def plain():
        return {}

    @api.get("/items/{item_id}")
    async def read(item_id: int):
        if item_id == 0:
            raise NotFound("no such item")
        if item_id < 0:
            raise HTTPException(status_code=410, detail="gone")
        return {}

    @api.post("/items", auth=[JWTAuthentication(secret="s")], guards=[IsAdminUser()])
    async def create(item: Item):
        return item

    @api.get("/limited")
    @rate_limit(rps=5)
    async def limited():
        return {}

    @api.post("/form")
    async def form(name: Annotated[str, Form()]):
        return {}

    doc = schema_of(api)
    assert _statuses(doc, "get", "/plain") == ["200", "500"]
    assert _statuses(doc, "get", "/items/{item_id}") == ["200", "404", "410", "422", "500"]
    assert _statuses(doc, "post", "/items") == ["200", "401", "403", "413", "422", "500"]
    assert _statuses(doc, "get", "/limited") == ["200", "429", "500"]
    assert _statuses(doc, "post", "/form") == ["200", "413", "422", "500"]

    read_responses = operation(doc, "get", "/items/{item_id}")["responses"]
    assert read_responses["404"] == {
        "description": "Not Found",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPError"}}},
    }
    assert read_responses["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HTTPValidationError"}
    limited_429 = operation(doc, "get", "/limited")["responses"]["429"]
    assert limited_429["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/RateLimitError"}
    assert limited_429["headers"]["Retry-After"]["schema"] == {"type": "integer"}

    schemas = doc["components"]["schemas"]
    assert {"HTTPError", "HTTPValidationError", "ValidationError", "RateLimitError", "ServerError"} <= set(schemas)
    assert operation(doc, "get", "/plain")["responses"]["500"] == SERVER_ERROR
    assert schemas["HTTPValidationError"]["properties"]["detail"]["items"] == {
        "$ref": "#/components/schemas/ValidationError"}
    assert schemas["ValidationError"]["required"] == ["type", "loc", "msg"]


def test_error_responses_can_be_left_out():
    api = BoltAPI()

    @api.get("/items/{item_id}")
    async def read(item_id: int):
        return {}

    doc = schema_of(api, include_error_responses=False)
    assert _statuses(doc, "get", "/items/{item_id}") == ["200"]
    assert "schemas" not in doc.get("components", {}) or "HTTPError" not in doc["components"]["schemas"]


def test_error_bodies_are_the_ones_sent():
    """The documented 422 and 404 bodies validate what the server answers."""
    import jsonschema

    from django_bolt.exceptions import NotFound
    from django_bolt.testing import TestClient

    api = BoltAPI()

    @api.get("/items/{item_id}")
    async def read(item_id: int, q: Annotated[int, Query(ge=1)] = 1):
        raise NotFound("no such item")

    doc = schema_of(api)
    responses = operation(doc, "get", "/items/{item_id}")["responses"]
    with TestClient(api) as client:
        for url, status in (("/items/x?q=0", 422), ("/items/1", 404)):
            response = client.get(url)
            assert response.status_code == status
            schema = responses[str(status)]["content"]["application/json"]["schema"]
            jsonschema.Draft202012Validator({**schema, "components": doc["components"]}).validate(response.json())


def test_documented_500_body_is_the_one_sent():
    """Without DEBUG, with DEBUG and for a failed response model, the 500 body validates."""
    import jsonschema
    from django.test import override_settings

    from django_bolt.testing import TestClient

    api = BoltAPI()

    @api.get("/boom")
    async def boom():
        raise RuntimeError("kaboom")

    @api.get("/wrong", response_model=Item)
    async def wrong():
        return {"name": 1}

    doc = schema_of(api)
    validator = jsonschema.Draft202012Validator(
        {**operation(doc, "get", "/boom")["responses"]["500"]["content"]["application/json"]["schema"],
         "components": doc["components"]})
    assert operation(doc, "get", "/wrong")["responses"]["500"] == SERVER_ERROR
    bodies = []
    with TestClient(api) as client:
        for debug in (False, True):
            with override_settings(DEBUG=debug):
                bodies += [client.get("/boom"), client.get("/wrong")]
    for response in bodies:
        assert response.status_code == 500
        validator.validate(response.json())
    assert bodies[0].json() == bodies[1].json() == {"detail": "Internal Server Error"}
    assert bodies[2].json()["extra"]["traceback"] and bodies[3].json()["extra"]["traceback"]
    # A body the document does not describe fails: the check is not vacuous.
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"detail": "x", "extra": {"traceback": "not a list"}})


def test_operation_ids_are_the_same_on_every_generation():
    api = BoltAPI()
    for path in ("/a", "/b"):
        async def handler():
            return {}

        api.get(path)(handler)
    first, second = schema_of(api), schema_of(api)
    ids = [operation(first, "get", p)["operationId"] for p in ("/a", "/b")]
    assert ids == ["get_handler", "get_handler_2"]
    assert ids == [operation(second, "get", p)["operationId"] for p in ("/a", "/b")]
