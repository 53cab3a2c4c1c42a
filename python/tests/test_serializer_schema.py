"""A Serializer in the OpenAPI document: what a response carries and what a request may send."""

from __future__ import annotations

from typing import Annotated

import jsonschema
import msgspec

from django_bolt import BoltAPI
from django_bolt.openapi import OpenAPIConfig
from django_bolt.openapi.schema_generator import SchemaGenerator
from django_bolt.pagination import PageNumberPagination, paginate
from django_bolt.serializers import Nested, Serializer, computed_field, field
from django_bolt.testing import TestClient


class Tag(Serializer):
    name: str


class Account(Serializer):
    """A user account."""

    id: int = field(read_only=True, default=0)
    username: Annotated[str, msgspec.Meta(max_length=20)] = field(description="The login name")
    password: str = field(write_only=True)
    email: str = ""
    internal_note: str = field(default="", include_in_schema=False)
    tags: list[Tag] = []

    class Config:
        read_only = ["id"]

    @computed_field
    def display_name(self) -> str:
        """The name shown to others."""
        return self.username.title()

    @computed_field(include_in_schema=False)
    def secret_score(self) -> int:
        return 1


class Plain(Serializer):
    """No read-only, write-only or computed fields: one schema both ways."""

    title: str


api = BoltAPI()


@api.post("/accounts", response_model=Account)
async def create(account: Account) -> Account:
    return account


@api.get("/accounts")
async def listing() -> list[Account]:
    return []


@api.get("/accounts/paged")
@paginate(PageNumberPagination)
async def paged(request) -> list[Account]:
    return []


@api.post("/plain")
async def plain(item: Plain) -> Plain:
    return item


def document() -> dict:
    return SchemaGenerator(api, OpenAPIConfig(title="t", version="1")).generate().to_schema()


def ref_of(content: dict) -> str:
    return content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]


def test_response_has_computed_fields_and_no_write_only_ones():
    doc = document()
    create = doc["paths"]["/accounts"]["post"]
    assert ref_of(create["responses"]["200"]["content"]) == "Account"
    out = doc["components"]["schemas"]["Account"]
    assert list(out["properties"]) == ["id", "username", "email", "tags", "display_name"]
    assert out["properties"]["display_name"] == {"type": "string", "description": "The name shown to others."}
    assert out["properties"]["username"]["description"] == "The login name"
    assert "display_name" in out["required"] and "password" not in out["properties"]
    assert out["description"] == "A user account."


def test_request_has_no_read_only_or_computed_fields():
    doc = document()
    request_name = ref_of(doc["paths"]["/accounts"]["post"]["requestBody"]["content"])
    assert request_name == "AccountRequest"
    into = doc["components"]["schemas"]["AccountRequest"]
    assert list(into["properties"]) == ["username", "password", "email", "tags"]
    assert sorted(into["required"]) == ["password", "username"]
    assert into["properties"]["username"]["maxLength"] == 20


def test_lists_pages_and_nested_serializers_use_the_response_shape():
    doc = document()
    schemas = doc["components"]["schemas"]
    listed = doc["paths"]["/accounts"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["items"]["$ref"].endswith("/Account")
    page = ref_of(doc["paths"]["/accounts/paged"]["get"]["responses"]["200"]["content"])
    assert schemas[page]["properties"]["items"]["items"]["$ref"].endswith("/Account")
    assert schemas["Account"]["properties"]["tags"]["items"]["$ref"].endswith("/Tag")


def test_a_serializer_without_differences_is_one_component():
    schemas = document()["components"]["schemas"]
    assert "Plain" in schemas and "PlainRequest" not in schemas


def test_what_the_server_sends_and_accepts_matches_the_schemas():
    doc = document()
    schemas = doc["components"]["schemas"]
    sent = {"username": "ann", "password": "pw", "tags": [{"name": "x"}]}
    with TestClient(api) as client:
        r = client.post("/accounts", json=sent)
    assert r.status_code == 200, r.text
    out = r.json()
    assert "password" not in out and out["display_name"] == "Ann"
    resolver = {"components": doc["components"]}
    jsonschema.Draft202012Validator({**schemas["Account"], **resolver}).validate(out)
    jsonschema.Draft202012Validator({**schemas["AccountRequest"], **resolver}).validate(sent)


class Author(Serializer):
    id: int
    secret: str = field(write_only=True, default="")


class Book(Serializer, rename="camel"):
    """A book whose author travels as an id in requests and as an object in responses."""

    book_title: str = field(description="Shown on the cover")
    author: Annotated[int, Nested(Author)] = 0

    @computed_field(alias="titleUpper")
    def title_upper(self) -> str:
        return self.book_title.upper()


books = BoltAPI()


@books.post("/books")
async def add_book(book: Book) -> Book:
    return book


def test_names_renames_and_nested_serializers_in_both_directions():
    schemas = SchemaGenerator(books, OpenAPIConfig(title="t", version="1")).generate().to_schema()["components"]["schemas"]
    # One component per name: a serializer whose request shape differs is documented
    # twice, under two names, never as two components of one name.
    assert sorted(n for n in schemas if n.startswith(("Author", "Book"))) == ["Author", "Book", "BookRequest"]
    assert schemas["Book"]["properties"]["author"]["$ref"].endswith("/Author")
    assert list(schemas["Book"]["properties"]) == ["bookTitle", "author", "titleUpper"]
    assert schemas["Book"]["properties"]["bookTitle"]["description"] == "Shown on the cover"
    assert schemas["BookRequest"]["properties"]["author"] == {"type": "integer", "default": 0}
    assert list(schemas["Author"]["properties"]) == ["id"]
