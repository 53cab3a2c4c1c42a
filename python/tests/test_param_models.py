"""Parameter models: a Struct or Serializer read from the query, headers, cookies or a form."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest

from django_bolt import BoltAPI
from django_bolt.params import Cookie, Form, Header, Query
from django_bolt.serializers import Serializer, field_validator
from django_bolt.testing import TestClient


class Filters(msgspec.Struct):
    q: str
    page: Annotated[int, msgspec.Meta(ge=1)] = 1
    tags: list[str] = []
    exact: bool = False


class Client(msgspec.Struct):
    user_agent: str
    x_request_id: int | None = None


class Session(msgspec.Struct):
    sid: str
    theme: str = "light"


class Login(Serializer):
    username: str
    remember: bool = False

    @field_validator("username")
    def lower(cls, value):
        if " " in value:
            raise ValueError("no spaces")
        return value.lower()


def make_api():
    api = BoltAPI()

    @api.get("/search")
    async def search(filters: Annotated[Filters, Query()]):
        return msgspec.to_builtins(filters)

    @api.get("/client")
    async def client(info: Annotated[Client, Header()]):
        return msgspec.to_builtins(info)

    @api.get("/session")
    async def session(s: Annotated[Session, Cookie()]):
        return msgspec.to_builtins(s)

    @api.post("/login")
    async def login(form: Annotated[Login, Form()]):
        return {"username": form.username, "remember": form.remember}

    return api


@pytest.fixture(scope="module")
def client():
    with TestClient(make_api()) as c:
        yield c


def test_query_model(client):
    r = client.get("/search?q=shoes&page=3&tags=a&tags=b&exact=true")
    assert r.json() == {"q": "shoes", "page": 3, "tags": ["a", "b"], "exact": True}
    assert client.get("/search?q=x").json() == {"q": "x", "page": 1, "tags": [], "exact": False}


def test_query_model_errors_are_all_reported(client):
    r = client.get("/search?page=0")
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert [e["loc"] for e in detail] == [["query", "q"], ["query", "page"]]
    assert detail[0]["type"] == "missing"
    assert client.get("/search?q=x&page=abc").json()["detail"][0]["loc"] == ["query", "page"]


def test_header_model_maps_snake_case_to_kebab_case(client):
    r = client.get("/client", headers={"User-Agent": "probe/1", "X-Request-Id": "42"})
    assert r.json() == {"user_agent": "probe/1", "x_request_id": 42}
    bad = client.get("/client", headers={"User-Agent": "p", "X-Request-Id": "no"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["header", "x-request-id"]


def test_cookie_model(client):
    r = client.get("/session", headers={"Cookie": "sid=abc; theme=dark"})
    assert r.json() == {"sid": "abc", "theme": "dark"}
    assert client.get("/session").json()["detail"] == [{"loc": ["cookie", "sid"], "msg": "Field required", "type": "missing"}]


def test_form_model_runs_serializer_validators(client):
    assert client.post("/login", data={"username": "Ann", "remember": "true"}).json() == {
        "username": "ann",
        "remember": True,
    }
    bad = client.post("/login", data={"username": "a b"})
    assert bad.status_code == 422
    assert bad.json()["detail"] == [{"loc": ["form", "username"], "msg": "no spaces", "type": "value_error"}]


def test_openapi_lists_the_model_fields():
    from django_bolt.openapi import OpenAPIConfig
    from django_bolt.openapi.schema_generator import SchemaGenerator

    doc = SchemaGenerator(make_api(), OpenAPIConfig(title="t", version="1")).generate().to_schema()
    search = {p["name"]: p for p in doc["paths"]["/search"]["get"]["parameters"]}
    assert set(search) == {"q", "page", "tags", "exact"}
    assert search["q"]["required"] and not search["page"].get("required")
    header = {p["name"] for p in doc["paths"]["/client"]["get"]["parameters"]}
    assert header == {"user-agent", "x-request-id"}


def test_json_text_under_the_parameter_name_still_reads_the_whole_struct(client):
    r = client.get('/search?filters={"q":"x","page":2}')
    assert r.json() == {"q": "x", "page": 2, "tags": [], "exact": False}
