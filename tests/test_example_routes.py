"""The example project's routes (testproject/api.py and users/api.py), over HTTP."""

from __future__ import annotations

import httpx
import pytest

from .conftest import EXAMPLE_PROJECT

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"


@pytest.fixture(scope="module")
def client(example_server) -> httpx.Client:
    with httpx.Client(base_url=example_server.base_url, timeout=15.0) as c:
        yield c


# --- JSON basics ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/", {"Hello": "World"}),
        ("/items/1?q=hello", {"item_id": 1, "q": "hello"}),
        ("/items/42", {"item_id": 42, "q": None}),
        ("/bench/slow?ms=20", {"slept_ms": 20}),
    ],
)
def test_json_get_routes(client, path, body):
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == JSON
    assert r.json() == body


def test_path_parameter_of_the_wrong_type_is_422(client):
    r = client.get("/items/abc")
    assert r.status_code == 422
    assert r.headers["content-type"] == JSON
    detail = r.json()["detail"]
    assert detail[0]["loc"] == ["path", "item_id"]


def test_put_item_with_json_body(client):
    r = client.put("/items/7", json={"name": "widget", "price": 9.5, "is_offer": True})
    assert r.status_code == 200
    assert r.json() == {"item_id": 7, "item_name": "widget"}


def test_put_item_with_invalid_body_is_422(client):
    r = client.put("/items/7", json={"name": 3})
    assert r.status_code == 422
    assert r.headers["content-type"] == JSON
    assert any(e["loc"][:2] == ["body", "name"] for e in r.json()["detail"])


def test_items100(client):
    r = client.get("/items100")
    assert r.status_code == 200
    assert r.headers["content-type"] == JSON
    items = r.json()
    assert len(items) == 100
    assert items[0] == {"name": "item0", "price": 0.0, "is_offer": True}
    assert items[99] == {"name": "item99", "price": 123.75, "is_offer": False}


def test_serializer_items100(client):
    r = client.get("/serializer/items100")
    assert r.status_code == 200
    items = r.json()
    assert len(items) == 100
    # The write-only cost never leaves; the computed label is added.
    assert items[1] == {"name": "item1", "price": 1.25, "is_offer": False, "label": "item1 (1.25)"}


def test_bench_parse(client):
    payload = {
        "title": "doc",
        "entries": [
            {"id": i, "title": f"e{i}", "score": i / 2, "published": i % 2 == 0,
             "author": {"id": i % 3, "name": "a", "email": "a@example.com"}, "tags": ["t"]}
            for i in range(10)
        ],
        "tags": ["x", "y"],
        "metadata": {"k1": "v1", "k2": "v2", "k3": "v3"},
    }
    r = client.post("/bench/parse", json=payload)
    assert r.status_code == 200
    assert r.json() == {"title": "doc", "entries": 10, "published": 5, "authors": 3, "tags": 2, "metadata_keys": 3}


# --- headers, cookies, errors, non-JSON responses -----------------------------------


def test_header_is_echoed_as_text(client):
    r = client.get("/header", headers={"x-test": "abc-123"})
    assert r.status_code == 200
    assert r.headers["content-type"] == TEXT
    assert r.text == "abc-123"


def test_missing_header_is_422(client):
    r = client.get("/header")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["header", "x-test"]


def test_cookie_is_echoed_as_text(client):
    r = client.get("/cookie", headers={"cookie": "session=s3cr3t; other=1"})
    assert r.status_code == 200
    assert r.headers["content-type"] == TEXT
    assert r.text == "s3cr3t"


def test_http_exception_becomes_its_status(client):
    r = client.get("/exc")
    assert r.status_code == 404
    assert r.headers["content-type"] == JSON
    assert r.json() == {"detail": "Not found"}


def test_html(client):
    r = client.get("/html")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.text == "<h1>Hello</h1>"


def test_redirect(client):
    r = client.get("/redirect")
    assert r.status_code == 302
    assert r.headers["location"] == "/"
    assert r.content == b""


def test_file_static_is_sent_from_disk(client):
    expected = (EXAMPLE_PROJECT / "testproject" / "static_files" / "sample.txt").read_bytes()
    r = client.get("/file-static")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain"
    assert r.headers["content-length"] == str(len(expected))
    assert r.content == expected


# --- forms and uploads ----------------------------------------------------------------


def test_urlencoded_form(client):
    r = client.post("/form", data={"name": "Ada", "age": "36", "email": "ada@example.com"})
    assert r.status_code == 200
    assert r.json() == {"name": "Ada", "age": 36, "email": "ada@example.com"}


def test_multipart_form_with_default(client):
    r = client.post("/form", files={"name": (None, "Bob"), "age": (None, "7")})
    assert r.status_code == 200
    assert r.json() == {"name": "Bob", "age": 7, "email": ""}


def test_form_missing_field_is_422(client):
    r = client.post("/form", data={"name": "Ada"})
    assert r.status_code == 422


def test_upload_several_files(client):
    files = [("file", ("a.txt", b"hello", "text/plain")), ("file", ("b.bin", b"\x00" * 1000, "application/octet-stream"))]
    r = client.post("/upload", files=files)
    assert r.status_code == 200
    assert r.json() == {"uploaded": 2, "total_bytes": 1005, "names": ["a.txt", "b.bin"]}


def test_mixed_form_with_attachment(client):
    r = client.post("/mixed-form", data={"title": "T", "description": "D"},
                    files={"attachment": ("x.bin", b"12345678", "application/octet-stream")})
    assert r.status_code == 200
    assert r.json() == {"title": "T", "description": "D", "has_attachment": True, "attachment_size": 8}


def test_mixed_form_without_attachment(client):
    r = client.post("/mixed-form", files={"title": (None, "only")})
    assert r.status_code == 200
    assert r.json() == {"title": "only", "description": "", "has_attachment": False, "attachment_size": 0}


# --- users app (ORM) -------------------------------------------------------------------


def test_seed_is_idempotent(client):
    first = client.get("/users/seed").json()["count"]
    second = client.get("/users/seed").json()["count"]
    assert first == second >= 1000


def test_users_list(client):
    r = client.get("/users/")
    assert r.status_code == 200
    users = r.json()
    assert len(users) >= 1000
    assert set(users[0]) == {"id", "username"}
    ids = [u["id"] for u in users]
    assert ids == sorted(ids)
    assert {u["username"] for u in users} >= {f"demo{i:04d}" for i in range(1000)}


def test_users_mini10(client):
    r = client.get("/users/mini10")
    assert r.status_code == 200
    users = r.json()
    assert len(users) == 10
    assert all(set(u) == {"id", "username"} for u in users)


def test_viewset_list_is_paginated_and_retrieve(client):
    page = client.get("/vs/users?page=2").json()
    assert [set(u) for u in page["items"]] == [{"id", "username"}] * 10
    assert page["page"] == 2 and page["page_size"] == 10 and page["total"] >= 1000
    assert page["has_previous"] is True and page["previous_page"] == 1
    first = page["items"][0]
    assert client.get(f"/vs/users/{first['id']}").json() == first
    assert client.get("/vs/users/99999999").status_code == 404


def test_router_route(client):
    assert client.get("/router/hello").json() == {"Hello": "World"}


def test_users_full10_and_detail(client):
    r = client.get("/users/full10")
    assert r.status_code == 200
    users = r.json()
    assert len(users) == 10
    first = users[0]
    assert set(first) == {"id", "username", "email", "first_name", "last_name", "is_active", "is_staff",
                          "date_joined", "bio"}
    detail = client.get(f"/users/{first['id']}")
    assert detail.status_code == 200
    assert detail.json() == first


def test_unknown_user_is_404(client):
    r = client.get("/users/987654321")
    assert r.status_code == 404
    assert r.json() == {"detail": "User 987654321 not found"}


# --- what the router answers by itself -----------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/items", "/items/1/extra", "/users/1/2"])
def test_unknown_path_is_404_text(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text == "Not Found"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("POST", "/", {"GET"}), ("DELETE", "/items/3", {"GET", "PUT"}), ("GET", "/form", {"POST"})],
)
def test_other_method_is_405_with_allow(client, method, path, allowed):
    r = client.request(method, path)
    assert r.status_code == 405
    listed = {m.strip() for m in r.headers["allow"].split(",")}
    assert listed >= allowed
    assert method not in listed
    assert r.json() == {"detail": "Method Not Allowed"}


@pytest.mark.parametrize("path", ["/", "/items/5?q=x", "/html", "/file-static", "/items100"])
def test_head_for_get_routes(client, path):
    get = client.get(path)
    head = client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""

    def comparable(r):
        return {k: v for k, v in r.headers.items() if k not in ("date",)}

    assert comparable(head) == comparable(get)


def test_head_on_post_only_route_is_405(client):
    r = client.head("/form")
    assert r.status_code == 405


@pytest.mark.parametrize(("path", "allowed"), [("/", {"GET"}), ("/items/3", {"GET", "PUT"}), ("/form", {"POST"})])
def test_automatic_options(client, path, allowed):
    r = client.options(path)
    assert r.status_code == 200
    assert r.json() == {}
    assert {m.strip() for m in r.headers["allow"].split(",")} >= allowed


def test_options_on_unknown_path_is_404(client):
    assert client.options("/nope").status_code == 404
