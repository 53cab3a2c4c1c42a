"""Class-based views: APIView, ViewSet, ModelViewSet, mixins, @action."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from django_bolt import BoltAPI, IsAuthenticated, IsStaff, JWTAuthentication, Token
from django_bolt.openapi import OpenAPIConfig
from django_bolt.openapi.schema_generator import SchemaGenerator
from django_bolt.testing import TestClient
from django_bolt.views import APIView, ViewSet, action

SECRET = "view-tests-secret-key-of-32-bytes!!!"


def bearer(**claims) -> dict[str, str]:
    return {"Authorization": f"Bearer {Token.create(sub='1', **claims).encode(SECRET)}"}


def routes(api: BoltAPI) -> set[tuple[str, str, int]]:
    return {(r.method, r.path, r.status_code) for r in api.routes()}


BOOKS = [{"isbn": "1", "title": "One"}, {"isbn": "2", "title": "Two"}]


class BookOut(msgspec.Struct):
    isbn: str
    title: str


# --- APIView -----------------------------------------------------------------------------------


def test_api_view_verbs_bind_like_functions():
    api = BoltAPI()

    @api.view("/items/{item_id}")
    class Item(APIView):
        async def get(self, request, item_id: int, q: str = ""):
            return {"id": item_id, "q": q, "path": self.request.path}

        def put(self, item_id: int, body: BookOut):  # sync, no request parameter
            return {"id": item_id, "title": body.title, "has_request": self.request is not None}

    assert routes(api) == {("GET", "/items/{item_id}", 200), ("PUT", "/items/{item_id}", 200)}
    with TestClient(api) as client:
        assert client.get("/items/3?q=x").json() == {"id": 3, "q": "x", "path": "/items/3"}
        assert client.put("/items/4", json={"isbn": "9", "title": "T"}).json() == {
            "id": 4, "title": "T", "has_request": True}
        assert client.get("/items/nope").status_code == 422


def test_api_view_methods_subset_and_precedence():
    api = BoltAPI()

    @api.view("/a", methods=["post"], status_code=202)
    class A(APIView):
        status_code = 201

        async def get(self, request):
            return {}

        async def post(self, request):
            return {"posted": True}

    @api.view("/b")
    class B(APIView):
        status_code = 201

        async def post(self, request):
            return {}

    assert routes(api) == {("POST", "/a", 202), ("POST", "/b", 201)}


def test_api_view_guards_from_the_class_or_the_decorator():
    api = BoltAPI()

    @api.view("/staff")
    class Staff(APIView):
        auth = [JWTAuthentication(secret=SECRET)]
        guards = [IsStaff()]

        async def get(self, request):
            return {"ok": True}

    with TestClient(api) as client:
        assert client.get("/staff").status_code == 401
        assert client.get("/staff", headers=bearer()).status_code == 403
        assert client.get("/staff", headers=bearer(is_staff=True)).json() == {"ok": True}


def test_a_new_instance_per_request_no_state_leaks():
    api = BoltAPI()

    @api.view("/echo/{tag}")
    class Echo(APIView):
        async def get(self, request, tag: str):
            assert not hasattr(self, "tag")  # nothing left by an earlier request
            self.tag = tag
            await asyncio.sleep(0.01)  # let the other requests interleave
            return {"tag": self.tag, "request_tag": self.request.path.rsplit("/", 1)[1]}

    from django_bolt.testing import AsyncTestClient

    async def main():
        async with AsyncTestClient(api) as client:
            return await asyncio.gather(*(client.get(f"/echo/t{i}") for i in range(20)))

    for i, r in enumerate(asyncio.run(main())):
        assert r.json() == {"tag": f"t{i}", "request_tag": f"t{i}"}


def test_api_view_misuse_is_reported_at_registration():
    api = BoltAPI()

    class NoVerbs(APIView):
        pass

    with pytest.raises(ValueError, match="NoVerbs defines no handler method"):
        api.view("/x")(NoVerbs)

    class OnlyGet(APIView):
        async def get(self, request):
            return {}

    with pytest.raises(ValueError, match="asks for POST but OnlyGet has no `post` method"):
        api.view("/x", methods=["POST"])(OnlyGet)

    class WithAction(APIView):
        async def get(self, request):
            return {}

        @action(methods=["GET"], detail=False)
        async def extra(self, request):
            return {}

    with pytest.raises(ValueError, match="use api.viewset|@api.viewset"):
        api.view("/x")(WithAction)

    with pytest.raises(TypeError, match="must subclass django_bolt.views.APIView"):
        api.view("/x")(object)

    with pytest.raises(TypeError, match="must subclass django_bolt.views.ViewSet.*@api.view"):
        api.viewset("/x")(OnlyGet)


# --- ViewSet -----------------------------------------------------------------------------------


def test_viewset_routes_and_statuses_per_action():
    api = BoltAPI()

    @api.viewset("/books")
    class Books(ViewSet):
        async def list(self, request):
            return BOOKS

        async def create(self, request, book: BookOut):
            return {"created": book.isbn}

        async def retrieve(self, request, pk: int):
            return {"pk": pk}

        async def update(self, request, pk: int, book: BookOut):
            return {"updated": pk}

        async def partial_update(self, request, pk: int):
            return {"patched": pk}

        async def destroy(self, request, pk: int):
            return None

    assert routes(api) == {
        ("GET", "/books", 200), ("POST", "/books", 201), ("GET", "/books/{pk}", 200),
        ("PUT", "/books/{pk}", 200), ("PATCH", "/books/{pk}", 200), ("DELETE", "/books/{pk}", 204),
    }
    with TestClient(api) as client:
        assert client.get("/books").json() == BOOKS
        r = client.post("/books", json=BOOKS[0])
        assert (r.status_code, r.json()) == (201, {"created": "1"})
        assert client.get("/books/5").json() == {"pk": 5}
        assert client.put("/books/5", json=BOOKS[0]).json() == {"updated": 5}
        assert client.patch("/books/5").json() == {"patched": 5}
        r = client.delete("/books/5")
        assert (r.status_code, r.content) == (204, b"")


def test_custom_lookup_in_detail_and_action_paths_and_class_guards():
    api = BoltAPI()

    @api.viewset("/books")
    class Books(ViewSet):
        lookup_field = "isbn"
        guards = [IsAuthenticated()]
        auth = [JWTAuthentication(secret=SECRET)]

        async def list(self, request):
            return [{"isbn": "1"}]

        async def retrieve(self, request, isbn: str):
            return {"isbn": isbn}

        @action(methods=["POST"], detail=True, path="borrow")
        async def borrow_it(self, request, isbn: str):
            return {"ok": isbn, "action": self.action}

        @action(methods=["get", "put"], detail=False)
        async def recent_books(self, request):
            return {"method": request.method}

        @action(methods=["GET"], detail=False, guards=[IsStaff()])
        async def audit(self, request):
            return {}

    assert routes(api) == {
        ("GET", "/books", 200), ("GET", "/books/{isbn}", 200), ("POST", "/books/{isbn}/borrow", 200),
        ("GET", "/books/recent_books", 200), ("PUT", "/books/recent_books", 200), ("GET", "/books/audit", 200),
    }
    with TestClient(api) as client:
        assert client.post("/books/978/borrow").status_code == 401
        assert client.post("/books/978/borrow", headers=bearer()).json() == {"ok": "978", "action": "borrow_it"}
        assert client.get("/books/978", headers=bearer()).json() == {"isbn": "978"}
        assert client.put("/books/recent_books", headers=bearer()).json() == {"method": "PUT"}
        assert client.get("/books/audit", headers=bearer()).status_code == 403
        assert client.get("/books/audit", headers=bearer(is_staff=True)).status_code == 200


def test_lookup_field_argument_and_status_precedence():
    api = BoltAPI()

    @api.viewset("/things", lookup_field="slug", status_code=202)
    class Things(ViewSet):
        async def retrieve(self, request, slug: str):
            return {"slug": slug, "field": self.lookup_field}

        async def destroy(self, request, slug: str):
            return None

        @action(methods=["POST"], detail=True)
        async def archive(self, request, slug: str):
            return {"archived": slug}

        @action(methods=["POST"], detail=False, status_code=201)
        async def restore(self, request):
            return {}

    # An action's own status wins, then the viewset's, then the class's.
    assert routes(api) == {("GET", "/things/{slug}", 202), ("DELETE", "/things/{slug}", 202),
                           ("POST", "/things/{slug}/archive", 202), ("POST", "/things/restore", 201)}
    with TestClient(api) as client:
        assert client.get("/things/a-b").json() == {"slug": "a-b", "field": "slug"}


def test_sync_viewset_methods_are_served():
    api = BoltAPI()

    @api.viewset("/s")
    class S(ViewSet):
        def list(self, request):
            return {"sync": True, "action": self.action}

    with TestClient(api) as client:
        assert client.get("/s").json() == {"sync": True, "action": "list"}


def test_viewset_misuse():
    api = BoltAPI()

    class Empty(ViewSet):
        pass

    with pytest.raises(ValueError, match="Empty defines no action"):
        api.viewset("/e")(Empty)

    class WrongLookup(ViewSet):
        async def retrieve(self, request, id: int):
            return {}

    with pytest.raises(TypeError, match="WrongLookup.retrieve must take the lookup field as a parameter named 'pk'"):
        api.viewset("/w")(WrongLookup)

    with pytest.raises(ValueError, match="use HTTP methods"):
        action(methods=["FETCH"], detail=False)
    with pytest.raises(TypeError, match="unknown route option|unexpected keyword"):
        action(methods=["GET"], detail=False, include_in_schem=False)


def test_views_in_the_openapi_document():
    api = BoltAPI()

    @api.viewset("/books", tags=["books"])
    class Books(ViewSet):
        async def list(self, request) -> list[BookOut]:
            """All the books."""
            return []

        @action(methods=["POST"], detail=True, summary="Borrow a book", tags=["lending"])
        async def borrow(self, request, pk: int):
            return {}

    @api.view("/ping")
    class Ping(APIView):
        async def get(self, request) -> dict:
            return {}

    doc = SchemaGenerator(api, OpenAPIConfig(title="t", version="1")).generate().to_schema()
    listing = doc["paths"]["/books"]["get"]
    assert listing["tags"] == ["books"]
    assert listing["summary"] == "All the books."
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["items"] == {
        "$ref": "#/components/schemas/BookOut"}
    borrow = doc["paths"]["/books/{pk}/borrow"]["post"]
    assert borrow["tags"] == ["lending"]
    assert borrow["summary"] == "Borrow a book"
    assert [p["name"] for p in borrow["parameters"]] == ["pk"]
    assert "/ping" in doc["paths"]
