"""Routers, mounts, trailing-slash redirects, cookies and class-based views over a real
server (``manage.py runbolt`` on a socket), served by tests/api_project."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest

from .conftest import Server, migrate
from .servers import server_env

API_PROJECT = Path(__file__).resolve().parent / "api_project"
SECRET = "api-project-jwt-secret-of-32-bytes!!"


@pytest.fixture(scope="session")
def api_server(session_servers, tmp_path_factory) -> Server:
    db = tmp_path_factory.mktemp("api-project-db") / "db.sqlite3"
    env = server_env(API_PROJECT_DB=str(db))
    migrate(API_PROJECT, env)
    return session_servers.start(API_PROJECT, env=env)


@pytest.fixture
def http(api_server: Server):
    with httpx.Client(base_url=api_server.base_url, timeout=10.0, follow_redirects=False) as client:
        yield client


# --- trailing slash ------------------------------------------------------------------


def test_strip_mode_redirects_the_slash_spelling_with_its_query(http):
    assert http.get("/strip/items?q=1").json() == {"route": "strip", "q": "1"}
    r = http.get("/strip/items/?q=a%20b&z=")
    assert r.status_code == 308
    assert r.headers["location"] == "/strip/items?q=a%20b&z="
    assert r.content == b""


def test_redirect_keeps_method_and_body_for_clients_that_follow(http):
    r = http.post("/strip/orders/", json={"n": 1})
    assert (r.status_code, r.headers["location"]) == (308, "/strip/orders")
    followed = http.post("/strip/orders/", json={"n": 1}, follow_redirects=True)
    assert followed.json() == {"created": {"n": 1}}


def test_redirect_is_method_specific(http):
    # /strip/orders exists for POST only: a GET of the other spelling is a plain 404.
    assert http.get("/strip/orders/").status_code == 404
    assert http.head("/strip/items/").status_code == 308


def test_merged_apis_keep_their_own_modes(http):
    # The project API keeps "/keep/slash/" as written; the other spelling redirects to it.
    assert http.get("/keep/slash/").json() == {"route": "keep"}
    r = http.get("/keep/slash")
    assert (r.status_code, r.headers["location"]) == (308, "/keep/slash/")


def test_mounted_api_follows_the_parents_mode(http):
    # v1 declared "/things" with trailing_slash="append" ("/things/"); the strip-mode parent
    # serves it at /v1/things.
    assert http.get("/v1/things").json() == {"route": "v1 things"}
    r = http.get("/v1/things/")
    assert (r.status_code, r.headers["location"]) == (308, "/v1/things")


# --- routers ---------------------------------------------------------------------------


def test_router_prefixes_and_middleware_order(http):
    assert http.get("/v2/shop/books/stamps").json() == {"stamps": ["shop", "books"]}


def test_router_route_auth(http):
    from django_bolt import Token

    assert http.get("/v2/shop/private").status_code == 401
    token = Token.create(sub="1").encode(SECRET)
    r = http.get("/v2/shop/private", headers={"Authorization": f"Bearer {token}"})
    assert r.json() == {"private": True}


# --- request.user ----------------------------------------------------------------------


def test_request_user_loads_the_django_user(http):
    from django_bolt import Token

    user_id = http.post("/setup/user?name=ada").json()["id"]
    headers = {"Authorization": f"Bearer {Token.create(sub=str(user_id)).encode(SECRET)}"}
    assert http.get("/me", headers=headers).json() == {"username": "ada", "auser": "ada"}
    assert http.get("/me/sync", headers=headers).json() == {"username": "ada"}


# --- cookies -----------------------------------------------------------------------------


def test_several_cookies_one_header_each(http):
    r = http.post("/cookies/login")
    assert r.json() == {"ok": True}
    assert r.headers.get_list("set-cookie") == [
        "sid=abc; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax",
        "old=; Max-Age=0; expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; SameSite=Lax",
    ]


@pytest.mark.parametrize(
    ("path", "status", "cookies"),
    [
        ("/cookies/redirect", 302, ["flash=moved; Path=/; SameSite=Lax"]),
        ("/cookies/stream", 200, ["s=1; Path=/; SameSite=Lax", "t=2; Path=/; SameSite=Lax"]),
        ("/cookies/file", 200, ["f=1; Path=/; SameSite=Lax"]),
        ("/cookies/error", 403, ["why=denied; Path=/; SameSite=Lax"]),
    ],
)
def test_cookies_on_redirects_streams_files_and_errors(http, path, status, cookies):
    r = http.get(path)
    assert r.status_code == status
    assert r.headers.get_list("set-cookie") == cookies
    if path == "/cookies/stream":
        assert r.text == "one,two"


# --- class-based views and pagination ----------------------------------------------------------


def test_model_viewset_over_a_real_server(http):
    from django_bolt import Token

    ids = []
    for i in range(7):
        r = http.post("/books", json={"title": f"Book {i}", "isbn": f"isbn-{i}-{id(http)}", "pages": i})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    page = http.get("/books?page=1&page_size=2").json()
    assert page["page_size"] == 2 and page["has_next"] is True and len(page["items"]) == 2
    assert http.get(f"/books/{ids[0]}").json()["title"] == "Book 0"
    assert http.get("/books/999999").json() == {"detail": "Not found"}
    assert http.patch(f"/books/{ids[1]}", json={"title": "Renamed", "isbn": f"isbn-1-{id(http)}"}).json()[
        "title"] == "Renamed"
    assert http.post(f"/books/{ids[2]}/stamp").status_code == 401
    token = Token.create(sub="5").encode(SECRET)
    r = http.post(f"/books/{ids[2]}/stamp", headers={"Authorization": f"Bearer {token}"})
    assert r.json() == {"stamped": f"isbn-2-{id(http)}", "by": "5"}
    r = http.delete(f"/books/{ids[3]}")
    assert (r.status_code, r.content) == (204, b"")
    assert http.get(f"/books/{ids[3]}").status_code == 404
    # The slash spelling of a detail route is redirected, like any route.
    assert http.get(f"/books/{ids[0]}/").status_code == 308

    seen, url = [], "/books-by-cursor"
    while True:
        body = http.get(url).json()
        seen.extend(item["id"] for item in body["items"])
        if not body["has_next"]:
            break
        url = f"/books-by-cursor?cursor={body['next_cursor']}"
    assert seen == sorted(seen, reverse=True) and set(ids) - {ids[3]} <= set(seen)
    assert http.get("/books-by-cursor?cursor=%%%").json()["items"][0]["id"] == seen[0]


def test_a_cursor_of_deeply_nested_json_is_a_bad_cursor(http):
    # A bad cursor gives the first page; one decoding to JSON nested past the
    # interpreter's recursion limit was a 500.
    first = http.get("/books-by-cursor").json()
    cursor = base64.b64encode(b"[" * 3000 + b"]" * 3000).decode()
    r = http.get("/books-by-cursor", params={"cursor": cursor})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["items"] == first["items"]
