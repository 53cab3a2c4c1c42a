"""Model lists (ViewSet ``list`` and ``@paginate``) answer the same whatever the model and
the output type: rows read as dicts where a Struct needs only columns, model instances
where an instance could show something else (a property, a custom descriptor, a renamed
Struct, a model that builds its instances its own way, a DISTINCT or a custom paginator)."""

from __future__ import annotations

import msgspec
import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from django_bolt import BoltAPI
from django_bolt.pagination import LimitOffsetPagination, PageNumberPagination, paginate
from django_bolt.testing import TestClient
from django_bolt.views import ReadOnlyModelViewSet


class _Shouting:
    """A field descriptor that shows the stored text in capitals."""

    def __init__(self, field):
        self.field = field

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return instance.__dict__[self.field.attname].upper()

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value


class ShoutingField(models.CharField):
    descriptor_class = _Shouting


class RNote(models.Model):
    title = models.CharField(max_length=50)
    body = models.TextField(default="")
    motto = ShoutingField(max_length=50, default="")
    short_name = models.CharField(max_length=20, default="")

    class Meta:
        app_label = "auth"

    @property
    def headline(self) -> str:
        return f"{self.title}!"


class RNoteTrimmed(RNote):
    """Builds its instances its own way: the stars around titles are dropped."""

    class Meta:
        proxy = True
        app_label = "auth"

    @classmethod
    def from_db(cls, db, field_names, values):
        obj = super().from_db(db, field_names, values)
        obj.title = obj.title.strip("*")
        return obj


@pytest.fixture(scope="module", autouse=True)
def notes():
    with connection.schema_editor() as editor:
        editor.create_model(RNote)
    RNote.objects.bulk_create([
        RNote(id=i, title="*same*" if i in (4, 5) else f"*n{i}*", body=f"body {i}", motto=f"m{i}",
              short_name=f"s{i}")
        for i in range(1, 6)
    ])
    for i in range(1, 6):  # stored as written (saving an instance reads it through the descriptor)
        RNote.objects.filter(id=i).update(motto=f"m{i}")
    yield
    with connection.schema_editor() as editor:
        editor.delete_model(RNote)


class NoteOut(msgspec.Struct):
    id: int
    title: str


class TitleOut(msgspec.Struct):
    title: str


class HeadlineOut(msgspec.Struct):
    id: int
    headline: str


class MottoOut(msgspec.Struct):
    id: int
    motto: str


class CamelOut(msgspec.Struct, rename="camel"):
    id: int
    short_name: str


class Three(PageNumberPagination):
    page_size = 3


class Offsets(LimitOffsetPagination):
    page_size = 3


class WithBodies(PageNumberPagination):
    """A paginator of its own that reads a model attribute the output type leaves out."""

    page_size = 3

    async def paginate_queryset(self, queryset, request, **params):
        page = await super().paginate_queryset(queryset, request, **params)
        for obj in page.items:
            obj.title = f"{obj.title} ({obj.body})"
        return page


def viewset_api(output, queryset, pagination=Three) -> BoltAPI:
    api = BoltAPI()

    @api.viewset("/notes")
    class Notes(ReadOnlyModelViewSet):
        serializer_class = output
        pagination_class = pagination

        async def get_queryset(self):
            return queryset()

    return api


def items(client: TestClient, path: str) -> list[dict]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["items"] if isinstance(body, dict) else body


def test_columns_only_page_is_one_count_and_one_select():
    # `only("id")` leaves `title` out: read per instance, each row would cost a query.
    api = viewset_api(NoteOut, lambda: RNote.objects.only("id").order_by("id"))
    with TestClient(api) as client, CaptureQueriesContext(connection) as queries:
        page = client.get("/notes?page=2").json()
    assert page == {"items": [{"id": 4, "title": "*same*"}, {"id": 5, "title": "*same*"}], "total": 5,
                    "has_next": False, "has_previous": True, "page": 2, "page_size": 3, "total_pages": 2,
                    "previous_page": 1}
    assert len(queries) == 2, [q["sql"] for q in queries]


@pytest.mark.parametrize("path, total, queries", [
    ("/notes?page=1", 5, 2),  # a full first page: counted
    ("/notes?page=1&short=1", 2, 1),  # a short first page holds every row: not counted
    ("/notes?page=1&short=2", 0, 1),  # nothing at all
    ("/notes?page=2&short=1", 2, 2),  # past the end: counted, then the last page
])
def test_a_short_first_page_is_not_counted(path, total, queries):
    api = BoltAPI()

    @api.viewset("/notes")
    class Notes(ReadOnlyModelViewSet):
        serializer_class = NoteOut
        pagination_class = Three

        async def get_queryset(self):
            short = self.request.query.get("short")
            return RNote.objects.filter(id__gt={None: 0, "1": 3, "2": 5}[short]).order_by("id")

    with TestClient(api) as client, CaptureQueriesContext(connection) as captured:
        page = client.get(path).json()
    assert (page["total"], len(captured)) == (total, queries), [q["sql"] for q in captured]
    assert page["total_pages"] == -(-total // 3) and len(page["items"]) == min(total, 3)


def test_limit_offset_from_zero_is_not_counted_when_short():
    api = viewset_api(NoteOut, lambda: RNote.objects.order_by("id"), pagination=Offsets)
    with TestClient(api) as client, CaptureQueriesContext(connection) as captured:
        page = client.get("/notes?limit=10").json()
    assert (page["total"], page["has_next"], len(page["items"]), len(captured)) == (5, False, 5, 1)


def test_unpaginated_and_limit_offset_lists_of_columns():
    api = viewset_api(NoteOut, lambda: RNote.objects.order_by("-id"), pagination=None)
    with TestClient(api) as client:
        assert [n["id"] for n in items(client, "/notes")] == [5, 4, 3, 2, 1]
    api = viewset_api(NoteOut, lambda: RNote.objects.order_by("id"), pagination=Offsets)
    with TestClient(api) as client:
        assert items(client, "/notes?offset=1&limit=2") == [{"id": 2, "title": "*n2*"}, {"id": 3, "title": "*n3*"}]


@pytest.mark.parametrize("output, key, expected", [
    (HeadlineOut, "headline", ["*n1*!", "*n2*!", "*n3*!"]),  # a property
    (MottoOut, "motto", ["M1", "M2", "M3"]),  # a field with its own descriptor
    (CamelOut, "shortName", ["s1", "s2", "s3"]),  # a renamed Struct
])
def test_what_only_an_instance_shows(output, key, expected):
    for pagination in (Three, None):
        api = viewset_api(output, lambda: RNote.objects.order_by("id"), pagination=pagination)
        with TestClient(api) as client:
            assert [n[key] for n in items(client, "/notes")][:3] == expected


def test_a_model_that_builds_its_instances_its_own_way():
    api = viewset_api(NoteOut, lambda: RNoteTrimmed.objects.order_by("id"))
    with TestClient(api) as client:
        assert [n["title"] for n in items(client, "/notes")] == ["n1", "n2", "n3"]


def test_distinct_counts_whole_rows_not_the_output_fields():
    # Two notes share a title: DISTINCT over the rows keeps both.
    api = viewset_api(TitleOut, lambda: RNote.objects.filter(id__gte=3).order_by("id").distinct())
    with TestClient(api) as client:
        page = client.get("/notes").json()
    assert (page["total"], [n["title"] for n in page["items"]]) == (3, ["*n3*", "*same*", "*same*"])


class StampedQuerySet(models.QuerySet):
    """Fetches its rows its own way: each instance gets a stamp in its title."""

    def _fetch_all(self):
        fetched = self._result_cache is None
        super()._fetch_all()
        for obj in self._result_cache if fetched else ():
            obj.title = f"{obj.title}+"


def test_a_queryset_class_that_fetches_its_own_way():
    api = viewset_api(NoteOut, lambda: StampedQuerySet(RNote).order_by("id"))
    with TestClient(api) as client:
        assert [n["title"] for n in items(client, "/notes")] == ["*n1*+", "*n2*+", "*n3*+"]


def test_a_paginator_of_its_own_gets_model_instances():
    api = viewset_api(NoteOut, lambda: RNote.objects.order_by("id"), pagination=WithBodies)
    with TestClient(api) as client:
        assert [n["title"] for n in items(client, "/notes")] == ["*n1* (body 1)", "*n2* (body 2)", "*n3* (body 3)"]


def test_paginate_decorator_reads_columns_in_one_select():
    api = BoltAPI()

    @api.get("/notes")
    @paginate(Three)
    async def notes(request) -> list[NoteOut]:
        return RNote.objects.only("id").order_by("id")

    @api.get("/headlines")
    @paginate(Three)
    async def headlines(request) -> list[HeadlineOut]:
        return RNote.objects.order_by("id")

    with TestClient(api) as client:
        with CaptureQueriesContext(connection) as queries:
            assert items(client, "/notes?page=1") == [{"id": 1, "title": "*n1*"}, {"id": 2, "title": "*n2*"},
                                                      {"id": 3, "title": "*n3*"}]
        assert len(queries) == 2, [q["sql"] for q in queries]
        assert [n["headline"] for n in items(client, "/headlines?page=2")] == ["*same*!", "*same*!"]
