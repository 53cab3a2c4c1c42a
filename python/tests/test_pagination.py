"""Pagination and the model views over a real (in-memory SQLite) database: QuerySets,
lists, clamping, cursors, ModelViewSet, mixins."""

from __future__ import annotations

import base64
import json

import msgspec
import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from django_bolt import BoltAPI
from django_bolt.openapi import OpenAPIConfig
from django_bolt.openapi.schema_generator import SchemaGenerator
from django_bolt.pagination import (
    CursorPagination,
    LimitOffsetPagination,
    PageNumberPagination,
    PaginatedResponse,
    paginate,
)
from django_bolt.serializers import Serializer
from django_bolt.testing import TestClient
from django_bolt.views import (
    APIView,
    CreateMixin,
    DestroyMixin,
    ListMixin,
    ModelViewSet,
    PartialUpdateMixin,
    ReadOnlyModelViewSet,
    RetrieveMixin,
    UpdateMixin,
)


class GroupOut(msgspec.Struct):
    id: int
    name: str


class GroupIn(msgspec.Struct):
    name: str


class GroupPatch(msgspec.Struct):
    name: str | None = None


@pytest.fixture(scope="module", autouse=True)
def database():
    call_command("migrate", run_syncdb=True, verbosity=0)
    Group.objects.all().delete()
    Group.objects.bulk_create([Group(id=i, name=f"g{i}") for i in range(1, 6)])
    yield
    Group.objects.all().delete()


class Two(PageNumberPagination):
    page_size = 2
    max_page_size = 3


class LO(LimitOffsetPagination):
    page_size = 2
    max_page_size = 3


class CursorDesc(CursorPagination):
    page_size = 2


class CursorAsc(CursorPagination):
    page_size = 2
    ordering = "id"


def make_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/pages")
    @paginate(Two)
    async def pages(request) -> list[GroupOut]:
        return Group.objects.order_by("id")

    @api.get("/pages-list", response_model=PaginatedResponse[GroupOut])
    @paginate(Two)
    async def pages_list(request):
        return [{"id": i, "name": f"n{i}", "extra": "dropped"} for i in range(1, 4)]

    @api.get("/offsets")
    @paginate(LO)
    async def offsets(request) -> list[GroupOut]:
        return Group.objects.order_by("id")

    @api.get("/cursor-desc")
    @paginate(CursorDesc)
    async def cursor_desc(request) -> list[GroupOut]:
        return Group.objects.all()

    @api.get("/cursor-asc")
    @paginate(CursorAsc)
    async def cursor_asc(request) -> list[GroupOut]:
        return Group.objects.all()

    @api.get("/cursor-list")
    @paginate(CursorAsc)
    async def cursor_list(request):
        return [{"id": i} for i in (3, 1, 2)]

    @api.get("/untyped")
    @paginate
    async def untyped(request):
        return Group.objects.order_by("id")

    return api


@pytest.fixture(scope="module")
def client():
    with TestClient(make_api()) as c:
        yield c


def names(page: dict) -> list[str]:
    return [item["name"] for item in page["items"]]


def test_page_number_shape_with_omitted_keys(client):
    assert client.get("/pages?page=3").json() == {
        "items": [{"id": 5, "name": "g5"}], "total": 5, "has_next": False, "has_previous": True,
        "page": 3, "page_size": 2, "total_pages": 3, "previous_page": 2,
    }
    assert client.get("/pages").json() == {
        "items": [{"id": 1, "name": "g1"}, {"id": 2, "name": "g2"}], "total": 5, "has_next": True,
        "has_previous": False, "page": 1, "page_size": 2, "total_pages": 3, "next_page": 2,
    }


@pytest.mark.parametrize(
    ("query", "page", "size", "first"),
    [
        ("page=0", 1, 2, "g1"), ("page=-4", 1, 2, "g1"), ("page=abc", 1, 2, "g1"), ("page=99", 3, 2, "g5"),
        ("page_size=50", 1, 3, "g1"), ("page_size=0", 1, 2, "g1"), ("page_size=x", 1, 2, "g1"),
        ("page=2&page_size=3", 2, 3, "g4"),
    ],
)
def test_page_number_clamping(client, query, page, size, first):
    body = client.get(f"/pages?{query}").json()
    assert (body["page"], body["page_size"], body["items"][0]["name"]) == (page, size, first)


def test_list_input_and_struct_items_filter_fields(client):
    assert client.get("/pages-list?page=2").json() == {
        "items": [{"id": 3, "name": "n3"}], "total": 3, "has_next": False, "has_previous": True,
        "page": 2, "page_size": 2, "total_pages": 2, "previous_page": 1,
    }


def test_empty_page():
    api = BoltAPI()

    @api.get("/none")
    @paginate(Two)
    async def none(request):
        return []

    with TestClient(api) as c:
        assert c.get("/none?page=4").json() == {
            "items": [], "total": 0, "has_next": False, "has_previous": False, "page": 1, "page_size": 2,
            "total_pages": 0}


def test_limit_offset_shape_and_clamping(client):
    assert client.get("/offsets?limit=2&offset=2").json() == {
        "items": [{"id": 3, "name": "g3"}, {"id": 4, "name": "g4"}], "total": 5, "has_next": True,
        "has_previous": True, "limit": 2, "offset": 2,
    }
    body = client.get("/offsets?limit=100&offset=-3").json()
    assert (body["limit"], body["offset"], body["has_previous"], names(body)) == (3, 0, False, ["g1", "g2", "g3"])
    body = client.get("/offsets?limit=zero&offset=x").json()
    assert (body["limit"], body["offset"]) == (2, 0)
    body = client.get("/offsets?offset=4").json()
    assert (names(body), body["has_next"]) == (["g5"], False)
    # Beyond 64 bits the database would refuse the OFFSET: past the end is simply empty.
    body = client.get("/offsets?offset=99999999999999999999999").json()
    assert (names(body), body["has_next"], body["has_previous"]) == ([], False, True)


def follow_cursor(client, path: str) -> list[int]:
    seen, url = [], path
    for _ in range(10):
        body = client.get(url).json()
        assert body["total"] == 0 and body["page_size"] == 2 and "previous_cursor" not in body
        seen.extend(item["id"] for item in body["items"])
        if not body["has_next"]:
            assert "next_cursor" not in body
            return seen
        url = f"{path}?cursor={body['next_cursor']}"
        assert client.get(url).json()["has_previous"] is True
    raise AssertionError("cursor pagination did not end")


def test_cursor_round_trip_descending_and_ascending(client):
    assert follow_cursor(client, "/cursor-desc") == [5, 4, 3, 2, 1]
    assert follow_cursor(client, "/cursor-asc") == [1, 2, 3, 4, 5]
    first = client.get("/cursor-desc").json()
    assert json.loads(base64.b64decode(first["next_cursor"])) == {"v": 4}


@pytest.mark.parametrize("cursor", ["garbage!", base64.b64encode(b"[1]").decode(),
                                    base64.b64encode(b'{"v": "not-a-number"}').decode(), ""])
def test_bad_cursor_is_the_first_page(client, cursor):
    body = client.get(f"/cursor-desc?cursor={cursor}").json()
    assert [i["id"] for i in body["items"]] == [5, 4]
    assert body["has_previous"] is False


def test_cursor_over_a_list(client):
    assert follow_cursor(client, "/cursor-list") == [1, 2, 3]


def test_untyped_items_are_model_fields(client):
    body = client.get("/untyped").json()
    assert body["items"][0] == {"id": 1, "name": "g1"}
    assert body["page_size"] == 100


class GroupSerializer(Serializer):
    id: int
    name: str


def test_serializer_items():
    api = BoltAPI()

    @api.get("/ser")
    @paginate(Two)
    async def ser(request) -> list[GroupSerializer]:
        return Group.objects.order_by("-id")

    with TestClient(api) as c:
        assert c.get("/ser").json()["items"] == [{"id": 5, "name": "g5"}, {"id": 4, "name": "g4"}]


def test_paginate_misuse_is_reported_at_decoration():
    with pytest.raises(TypeError, match="must take the request"):
        @paginate(Two)
        async def no_request() -> list:
            return []

    with pytest.raises(TypeError, match="must be `async def`"):
        @paginate(Two)
        def sync(request):
            return []

    with pytest.raises(TypeError, match="pass a PaginationBase subclass"):
        paginate(dict)


def test_openapi_shows_the_page_shape_and_the_query_parameters():
    doc = SchemaGenerator(make_api(), OpenAPIConfig(title="t", version="1")).generate().to_schema()
    op = doc["paths"]["/pages"]["get"]
    assert [(p["name"], p["in"]) for p in op["parameters"]] == [("page", "query"), ("page_size", "query")]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    ref = schema["$ref"].rsplit("/", 1)[1]
    component = doc["components"]["schemas"][ref]
    assert set(component["required"]) == {"items", "total", "has_next", "has_previous"}
    assert component["properties"]["items"]["items"] == {"$ref": "#/components/schemas/GroupOut"}
    offsets = doc["paths"]["/offsets"]["get"]
    assert [p["name"] for p in offsets["parameters"]] == ["limit", "offset"]
    cursor = doc["paths"]["/cursor-desc"]["get"]
    assert [p["name"] for p in cursor["parameters"]] == ["cursor", "page_size"]


# --- model views -----------------------------------------------------------------------------------


def test_model_viewset_crud_and_paginated_list():
    api = BoltAPI()

    @api.viewset("/groups")
    class Groups(ModelViewSet):
        queryset = Group.objects.order_by("id")
        serializer_class = GroupOut
        create_serializer_class = GroupIn
        update_serializer_class = GroupPatch
        pagination_class = Two

    with TestClient(api) as c:
        page = c.get("/groups?page=2").json()
        assert (page["total"], names(page)) == (5, ["g3", "g4"])
        assert c.get("/groups/2").json() == {"id": 2, "name": "g2"}
        assert c.get("/groups/999").status_code == 404
        assert c.get("/groups/999").json() == {"detail": "Not found"}
        created = c.post("/groups", json={"name": "new"})
        assert created.status_code == 201
        new_id = created.json()["id"]
        assert c.put(f"/groups/{new_id}", json={"name": "renamed"}).json() == {"id": new_id, "name": "renamed"}
        assert c.patch(f"/groups/{new_id}", json={}).json() == {"id": new_id, "name": "renamed"}
        assert c.patch(f"/groups/{new_id}", json={"name": "patched"}).json()["name"] == "patched"
        r = c.delete(f"/groups/{new_id}")
        assert (r.status_code, r.content) == (204, b"")
        assert c.get(f"/groups/{new_id}").status_code == 404
        assert c.post("/groups", json={"nom": 1}).status_code == 422


def test_read_only_model_viewset_has_list_and_retrieve_only():
    api = BoltAPI()

    @api.viewset("/ro")
    class ReadOnly(ReadOnlyModelViewSet):
        queryset = Group.objects.order_by("id")
        serializer_class = GroupOut

    assert {(r.method, r.path) for r in api.routes()} == {("GET", "/ro"), ("GET", "/ro/{pk}")}
    with TestClient(api) as c:
        assert [g["name"] for g in c.get("/ro").json()] == ["g1", "g2", "g3", "g4", "g5"]
        assert c.get("/ro/3").json() == {"id": 3, "name": "g3"}


def test_get_queryset_override_and_filter_queryset():
    api = BoltAPI()

    @api.viewset("/odd")
    class Odd(ReadOnlyModelViewSet):
        serializer_class = GroupOut

        async def get_queryset(self):
            return Group.objects.filter(id__in=[1, 3, 5]).order_by("id")

        async def filter_queryset(self, queryset):
            if "min" in self.request.query:
                queryset = queryset.filter(id__gte=int(self.request.query["min"]))
            return queryset

    with TestClient(api) as c:
        assert [g["id"] for g in c.get("/odd?min=2").json()] == [3, 5]
        assert c.get("/odd/2").status_code == 404  # outside get_queryset()


def test_mixins_via_api_view():
    api = BoltAPI()

    @api.view("/m")
    class Collection(ListMixin, CreateMixin, APIView):
        queryset = Group.objects.order_by("id")
        serializer_class = GroupOut

        async def post(self, request, data: GroupIn):
            return await super().post(request, data)

    @api.view("/m/{pk}")
    class Item(RetrieveMixin, UpdateMixin, PartialUpdateMixin, DestroyMixin, APIView):
        queryset = Group.objects.all()
        serializer_class = GroupOut

        async def put(self, request, pk: int, data: GroupIn):
            return await super().put(request, pk, data)

        async def patch(self, request, pk: int, data: GroupPatch):
            return await super().patch(request, pk, data)

    with TestClient(api) as c:
        assert len(c.get("/m").json()) == 5
        new = c.post("/m", json={"name": "mixed"}).json()
        assert c.get(f"/m/{new['id']}").json() == new
        assert c.put(f"/m/{new['id']}", json={"name": "put"}).json()["name"] == "put"
        assert c.patch(f"/m/{new['id']}", json={}).json()["name"] == "put"
        assert c.delete(f"/m/{new['id']}").json() == {"detail": "Object deleted successfully"}
        assert c.get(f"/m/{new['id']}").status_code == 404
