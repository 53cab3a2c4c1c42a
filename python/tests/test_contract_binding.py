"""Where handler parameters come from, and what bad input gets back."""

from __future__ import annotations

import dataclasses
from typing import Annotated, List, Optional

import msgspec
import pytest

from contract_helpers import multipart
from django_bolt import APIKeyAuthentication, BoltAPI
from django_bolt.params import Body, Cookie, Depends, File, Form, Header, Path, Query
from django_bolt.responses import UploadFile
from django_bolt.testing import TestClient


class Item(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


class Address(msgspec.Struct):
    city: str


class Person(msgspec.Struct):
    name: str
    address: Address


@dataclasses.dataclass
class Point:
    x: int
    y: int


def build_api() -> BoltAPI:
    api = BoltAPI()

    # -- path ---------------------------------------------------------------------
    @api.get("/items/{item_id}")
    async def get_item(item_id: int):
        return {"item_id": item_id, "type": type(item_id).__name__}

    @api.get("/typed/{item_id:int}")
    async def typed(item_id: int):
        return {"item_id": item_id}

    @api.get("/files/{file_path:path}")
    async def files(file_path: str):
        return {"file_path": file_path}

    @api.get("/users/{user_id}/posts/{post_id}")
    async def two_params(user_id: str, post_id: int):
        return {"user_id": user_id, "post_id": post_id}

    @api.get("/explicit/{key}")
    async def explicit(k: Annotated[str, Path("key")]):
        return {"k": k}

    @api.get("/flags/{on}")
    async def flags(on: bool, ratio: float = 0.5):
        return {"on": on, "ratio": ratio}

    # -- query --------------------------------------------------------------------
    @api.get("/search")
    async def search(q: str, limit: int = 10, offset: Optional[int] = None, exact: bool = False):
        return {"q": q, "limit": limit, "offset": offset, "exact": exact}

    @api.get("/optional-query")
    async def optional_query(q: str | None = None):
        return {"q": q}

    @api.get("/tags")
    async def tags(tag: list[str]):
        return {"tag": tag}

    @api.get("/int-list")
    async def int_list(n: List[int] = []):
        return {"n": n}

    @api.get("/aliased-query")
    async def aliased_query(search: Annotated[str, Query("s")] = "none"):
        return {"search": search}

    @api.get("/marker-default")
    async def marker_default(page: int = Query(default=1)):
        return {"page": page}

    @api.get("/constrained")
    async def constrained(n: Annotated[int, Query(ge=1, le=10)]):
        return {"n": n}

    # -- header -------------------------------------------------------------------
    @api.get("/header-underscore")
    async def header_underscore(x_custom_value: Annotated[str, Header()]):
        return {"value": x_custom_value}

    @api.get("/header-alias")
    async def header_alias(api_key: Annotated[str, Header("x-api-key")]):
        return {"api_key": api_key}

    @api.get("/header-default")
    async def header_default(user_agent: Annotated[str, Header()] = "none", x_n: Annotated[int, Header()] = 0):
        return {"user_agent": user_agent, "x_n": x_n}

    @api.get("/header-as-default")
    async def header_as_default(token: str = Header("x-token")):
        return {"token": token}

    # -- cookie -------------------------------------------------------------------
    @api.get("/cookie")
    async def cookie(session: Annotated[str, Cookie("session")]):
        return {"session": session}

    @api.get("/cookie-by-name")
    async def cookie_by_name(theme: Annotated[str, Cookie()] = "light", visits: Annotated[int, Cookie()] = 0):
        return {"theme": theme, "visits": visits}

    # -- form ---------------------------------------------------------------------
    @api.post("/login")
    async def login(username: Annotated[str, Form("username")], password: Annotated[str, Form()],
                    remember: Annotated[bool, Form()] = False):
        return {"username": username, "password": password, "remember": remember}

    @api.post("/form-int")
    async def form_int(age: Annotated[int, Form()]):
        return {"age": age}

    @api.post("/form-blank")
    async def form_blank(title: Annotated[str, Form()] = "untitled", count: Annotated[int, Form()] = 0,
                         note: Annotated[Optional[int], Form()] = None):
        return {"title": title, "count": count, "note": note}

    # -- files --------------------------------------------------------------------
    @api.post("/upload-bytes")
    async def upload_bytes(upload: Annotated[bytes, File("upload")]):
        return {"size": len(upload), "head": upload[:5].decode()}

    @api.post("/upload-dict")
    async def upload_dict(doc: Annotated[dict, File()]):
        return {"filename": doc["filename"], "content_type": doc["content_type"], "size": doc["size"],
                "content": doc["content"].decode()}

    @api.post("/upload-list")
    async def upload_list(docs: Annotated[list[dict], File()]):
        return {"names": [d["filename"] for d in docs], "sizes": [d["size"] for d in docs]}

    @api.post("/upload-object")
    async def upload_object(avatar: Annotated[UploadFile, File()], title: Annotated[str, Form()]):
        data = avatar.read()
        return {"title": title, "filename": avatar.filename, "content_type": avatar.content_type,
                "size": avatar.size, "data": data.hex()}

    # -- body ---------------------------------------------------------------------
    @api.post("/items")
    async def create_item(item: Item):
        return {"name": item.name, "price": item.price, "tags": item.tags}

    @api.post("/people")
    async def create_person(person: Person):
        return {"city": person.address.city}

    @api.post("/optional-body")
    async def optional_body(item: Optional[Item] = None):
        return {"item": None if item is None else item.name}

    @api.post("/points")
    async def create_point(point: Point):
        return {"sum": point.x + point.y, "type": type(point).__name__}

    @api.post("/raw-dict")
    async def raw_dict(payload: Annotated[dict, Body()]):
        return {"keys": sorted(payload)}

    @api.put("/items/{item_id}")
    async def update_item(item_id: int, item: Item, notify: bool = False):
        return {"item_id": item_id, "name": item.name, "notify": notify}

    # -- request ------------------------------------------------------------------
    @api.get("/req")
    async def req_only(request):
        return {
            "method": request["method"],
            "path": request["path"],
            "query": request["query"],
            "header": request["headers"].get("x-probe"),
            "cookies": request["cookies"],
            "auth": request.get("auth", {}),
            "missing": request.get("nope", "fallback"),
        }

    @api.get("/req-mixed/{pid}")
    async def req_mixed(pid: int, request, q: str = ""):
        return {"pid": pid, "params": request["params"], "q": q, "attr_path": request.path}

    @api.post("/req-body")
    async def req_body(request):
        return {"body": request["body"].decode(), "attr": request.body.decode()}

    @api.get("/req-keyerror")
    async def req_keyerror(request):
        try:
            request["user"]
        except KeyError:
            return {"keyerror": True}
        return {"keyerror": False}

    @api.get("/auth-context", auth=[APIKeyAuthentication(api_keys=["k1"])])
    async def auth_context(request):
        auth = request.get("auth", {})
        return {"user_id": auth.get("user_id"), "same": auth is request["context"]}

    return api


@pytest.fixture(scope="module")
def client():
    with TestClient(build_api()) as c:
        yield c


def detail(r) -> list[dict]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert isinstance(body["detail"], list) and body["detail"]
    for err in body["detail"]:
        assert {"loc", "msg", "type"} <= set(err)
    return body["detail"]


# ---------------------------------------------------------------------------------
# path


def test_path_param_coerced_to_int(client):
    assert client.get("/items/42").json() == {"item_id": 42, "type": "int"}


def test_path_param_invalid_is_422(client):
    errors = detail(client.get("/items/abc"))
    assert errors[0]["loc"] == ["path", "item_id"]


def test_typed_path_segment_is_path_param(client):
    assert client.get("/typed/7").json() == {"item_id": 7}


def test_path_catch_all(client):
    assert client.get("/files/a/b/c.txt").json() == {"file_path": "a/b/c.txt"}


def test_multiple_path_params(client):
    assert client.get("/users/u1/posts/9").json() == {"user_id": "u1", "post_id": 9}


def test_path_marker_alias(client):
    assert client.get("/explicit/zz").json() == {"k": "zz"}


@pytest.mark.parametrize("raw,expected", [("true", True), ("0", False), ("off", False), ("yes", True)])
def test_path_bool_coercion(client, raw, expected):
    assert client.get(f"/flags/{raw}").json()["on"] is expected


# ---------------------------------------------------------------------------------
# query


def test_query_required_and_defaults(client):
    assert client.get("/search", params={"q": "x"}).json() == {
        "q": "x", "limit": 10, "offset": None, "exact": False,
    }


def test_query_all_values(client):
    r = client.get("/search?q=x&limit=5&offset=2&exact=true")
    assert r.json() == {"q": "x", "limit": 5, "offset": 2, "exact": True}


def test_query_missing_required_is_422(client):
    errors = detail(client.get("/search"))
    assert errors[0]["loc"] == ["query", "q"]
    assert errors[0]["type"] == "missing"


def test_query_invalid_int_is_422(client):
    errors = detail(client.get("/search?q=x&limit=many"))
    assert errors[0]["loc"] == ["query", "limit"]


def test_query_optional_missing_is_none(client):
    assert client.get("/optional-query").json() == {"q": None}


def test_query_plus_is_space(client):
    assert client.get("/search?q=hello+world").json()["q"] == "hello world"


def test_query_percent_decoding(client):
    assert client.get("/search?q=caf%C3%A9%20ok%2B").json()["q"] == "café ok+"


def test_query_repeated_keys_list(client):
    assert client.get("/tags?tag=a&tag=b&tag=c").json() == {"tag": ["a", "b", "c"]}


def test_query_single_value_list(client):
    assert client.get("/tags?tag=only").json() == {"tag": ["only"]}


def test_query_list_items_coerced(client):
    assert client.get("/int-list?n=1&n=2").json() == {"n": [1, 2]}
    assert client.get("/int-list").json() == {"n": []}
    errors = detail(client.get("/int-list?n=1&n=x"))
    assert errors[0]["loc"][:2] == ["query", "n"]


def test_query_alias(client):
    assert client.get("/aliased-query?s=found").json() == {"search": "found"}
    assert client.get("/aliased-query?search=ignored").json() == {"search": "none"}


def test_query_marker_default(client):
    assert client.get("/marker-default").json() == {"page": 1}
    assert client.get("/marker-default?page=3").json() == {"page": 3}


def test_query_constraint_violation_is_422(client):
    assert client.get("/constrained?n=5").json() == {"n": 5}
    errors = detail(client.get("/constrained?n=11"))
    assert errors[0]["loc"] == ["query", "n"]


# ---------------------------------------------------------------------------------
# header


def test_header_underscore_to_hyphen(client):
    r = client.get("/header-underscore", headers={"X-Custom-Value": "abc"})
    assert r.json() == {"value": "abc"}


def test_header_missing_is_422(client):
    errors = detail(client.get("/header-underscore"))
    assert errors[0]["loc"][0] == "header"


def test_header_positional_alias(client):
    assert client.get("/header-alias", headers={"X-API-Key": "secret"}).json() == {"api_key": "secret"}


def test_header_defaults_and_coercion(client):
    r = client.get("/header-default", headers={"User-Agent": "probe/1", "X-N": "12"})
    assert r.json() == {"user_agent": "probe/1", "x_n": 12}


def test_header_invalid_int_is_422(client):
    errors = detail(client.get("/header-default", headers={"X-N": "twelve"}))
    assert errors[0]["loc"][0] == "header"


def test_header_marker_as_default_is_required(client):
    assert client.get("/header-as-default", headers={"x-token": "t"}).json() == {"token": "t"}
    detail(client.get("/header-as-default"))


# ---------------------------------------------------------------------------------
# cookie


def test_cookie_alias(client):
    assert client.get("/cookie", headers={"Cookie": "session=abc123; other=1"}).json() == {"session": "abc123"}


def test_cookie_missing_is_422(client):
    errors = detail(client.get("/cookie"))
    assert errors[0]["loc"] == ["cookie", "session"]


def test_cookie_by_name_with_defaults(client):
    assert client.get("/cookie-by-name").json() == {"theme": "light", "visits": 0}
    r = client.get("/cookie-by-name", headers={"Cookie": "theme=dark; visits=3"})
    assert r.json() == {"theme": "dark", "visits": 3}


def test_cookie_invalid_int_is_422(client):
    errors = detail(client.get("/cookie-by-name", headers={"Cookie": "visits=lots"}))
    assert errors[0]["loc"] == ["cookie", "visits"]


# ---------------------------------------------------------------------------------
# form


def test_form_urlencoded(client):
    r = client.post("/login", data={"username": "alice", "password": "pw", "remember": "on"})
    assert r.json() == {"username": "alice", "password": "pw", "remember": True}


def test_form_multipart_fields(client):
    body, ctype = multipart({"username": "bob", "password": "x y"})
    r = client.post("/login", content=body, headers={"Content-Type": ctype})
    assert r.json() == {"username": "bob", "password": "x y", "remember": False}


def test_form_missing_field_is_422(client):
    errors = detail(client.post("/login", data={"username": "alice"}))
    assert errors[0]["loc"] == ["form", "password"]


def test_form_invalid_int_is_422(client):
    assert client.post("/form-int", data={"age": "30"}).json() == {"age": 30}
    errors = detail(client.post("/form-int", data={"age": "old"}))
    assert errors[0]["loc"] == ["form", "age"]


def test_form_urlencoded_blank_values_are_absent(client):
    r = client.post("/form-blank", content=b"title=&count=&note=",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200
    assert r.json() == {"title": "untitled", "count": 0, "note": None}


# ---------------------------------------------------------------------------------
# files


def test_file_as_bytes(client):
    r = client.post("/upload-bytes", files={"upload": ("a.bin", b"hello world", "application/octet-stream")})
    assert r.json() == {"size": 11, "head": "hello"}


def test_file_as_dict(client):
    r = client.post("/upload-dict", files={"doc": ("notes.txt", b"some notes", "text/plain")})
    assert r.json() == {"filename": "notes.txt", "content_type": "text/plain", "size": 10,
                        "content": "some notes"}


def test_files_as_list_of_dicts(client):
    body, ctype = multipart(files=[
        ("docs", "one.txt", "text/plain", b"1"),
        ("docs", "two.txt", "text/plain", b"22"),
    ])
    r = client.post("/upload-list", content=body, headers={"Content-Type": ctype})
    assert r.json() == {"names": ["one.txt", "two.txt"], "sizes": [1, 2]}


def test_single_file_as_list_of_dicts(client):
    r = client.post("/upload-list", files={"docs": ("only.txt", b"abc", "text/plain")})
    assert r.json() == {"names": ["only.txt"], "sizes": [3]}


def test_file_as_upload_file_object(client):
    r = client.post(
        "/upload-object",
        data={"title": "me"},
        files={"avatar": ("face.png", b"\x89PNGdata", "image/png")},
    )
    body = r.json()
    assert body["title"] == "me"
    assert body["filename"] == "face.png"
    assert body["content_type"] == "image/png"
    assert body["size"] == 8
    assert body["data"] == b"\x89PNGdata".hex()


def test_missing_file_is_422(client):
    errors = detail(client.post("/upload-bytes", data={"other": "x"}))
    assert errors[0]["loc"][-1] == "upload"


# ---------------------------------------------------------------------------------
# body


def test_struct_body(client):
    r = client.post("/items", json={"name": "pen", "price": 1.25, "tags": ["a"]})
    assert r.json() == {"name": "pen", "price": 1.25, "tags": ["a"]}


def test_struct_body_missing_field_is_422(client):
    errors = detail(client.post("/items", json={"name": "pen"}))
    assert errors[0]["loc"][0] == "body"
    assert errors[0]["type"] == "missing_field"
    assert "price" in errors[0]["loc"] or "price" in errors[0]["msg"]


def test_struct_body_wrong_type_is_422(client):
    errors = detail(client.post("/items", json={"name": "pen", "price": "cheap"}))
    assert errors[0]["loc"] == ["body", "price"]
    assert errors[0]["type"] == "validation_error"


def test_nested_struct_error_location(client):
    errors = detail(client.post("/people", json={"name": "a", "address": {"city": 5}}))
    assert errors[0]["loc"] == ["body", "address.city"]


@pytest.mark.parametrize("raw", [b"{not json", b"", b'{"name": "x", "price": 1', b"\xff\xfe", b"   "])
def test_malformed_or_empty_json_is_422_json_invalid(client, raw):
    errors = detail(client.post("/items", content=raw, headers={"Content-Type": "application/json"}))
    assert errors[0]["type"] == "json_invalid"
    assert errors[0]["loc"] == ["body"]


def test_optional_struct_body(client):
    assert client.post("/optional-body", json={"name": "x", "price": 1}).json() == {"item": "x"}


def test_dataclass_body(client):
    assert client.post("/points", json={"x": 2, "y": 3}).json() == {"sum": 5, "type": "Point"}


def test_dataclass_body_invalid_is_422(client):
    errors = detail(client.post("/points", json={"x": "two", "y": 3}))
    assert errors[0]["loc"][0] == "body"


def test_body_marker_on_dict(client):
    assert client.post("/raw-dict", json={"b": 1, "a": 2}).json() == {"keys": ["a", "b"]}


def test_body_marker_on_dict_rejects_list(client):
    detail(client.post("/raw-dict", json=[1, 2]))


def test_path_query_and_body_together(client):
    r = client.put("/items/5?notify=yes", json={"name": "n", "price": 2})
    assert r.json() == {"item_id": 5, "name": "n", "notify": True}


# ---------------------------------------------------------------------------------
# request object


def test_request_mapping_access(client):
    r = client.get("/req?a=1&a=2&b=x+y", headers={"X-Probe": "p", "Cookie": "c1=v1; c2=v2"})
    body = r.json()
    assert body["method"] == "GET"
    assert body["path"] == "/req"
    assert body["query"] == {"a": "2", "b": "x y"}
    assert body["header"] == "p"
    assert body["cookies"] == {"c1": "v1", "c2": "v2"}
    assert body["auth"] == {}
    assert body["missing"] == "fallback"


def test_request_with_other_params(client):
    assert client.get("/req-mixed/3?q=z").json() == {"pid": 3, "params": {"pid": "3"}, "q": "z",
                                                     "attr_path": "/req-mixed/3"}


def test_request_body_bytes(client):
    assert client.post("/req-body", content=b"raw!").json() == {"body": "raw!", "attr": "raw!"}


def test_request_unknown_key_raises_keyerror(client):
    assert client.get("/req-keyerror").json() == {"keyerror": True}


def test_request_get_auth_is_context(client):
    r = client.get("/auth-context", headers={"X-API-Key": "k1"})
    assert r.json() == {"user_id": "apikey:k1", "same": True}


# ---------------------------------------------------------------------------------
# GET/HEAD/DELETE/OPTIONS handlers cannot take a body


@pytest.mark.parametrize("method", ["get", "head", "delete", "options"])
def test_body_param_on_bodiless_method_fails_at_decoration(method):
    api = BoltAPI()
    with pytest.raises(TypeError) as info:
        getattr(api, method)("/nobody")(_handler_with_body)
    message = str(info.value)
    assert "_handler_with_body" in message
    assert f"{method.upper()} /nobody cannot have body parameters" in message
    assert "['item']" in message


async def _handler_with_body(item: Item):
    return {}


# ---------------------------------------------------------------------------------
# Depends


calls: dict[str, int] = {}


def _count(name: str) -> None:
    calls[name] = calls.get(name, 0) + 1


async def get_settings_dep():
    _count("settings")
    return {"env": "test"}


def get_token(x_token: Annotated[str, Header()] = "anon"):
    _count("token")
    return x_token


async def get_user(token: Annotated[str, Depends(get_token)], settings: dict = Depends(get_settings_dep)):
    _count("user")
    return {"token": token, "env": settings["env"]}


async def get_page(page: int = 1, request=None):
    return {"page": page, "path": request["path"] if request is not None else None}


async def needs_request(request):
    return request["headers"].get("x-trace", "none")


class Paginator:
    def __init__(self, size: int = 20):
        self.size = size


def fresh_counter():
    _count("fresh")
    return calls["fresh"]


def dep_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/me")
    async def me(user: Annotated[dict, Depends(get_user)], settings=Depends(get_settings_dep)):
        return {"user": user, "settings": settings}

    @api.get("/page")
    async def page(p=Depends(get_page)):
        return p

    @api.get("/trace")
    async def trace(t: str = Depends(needs_request)):
        return {"trace": t}

    @api.get("/sync-dep")
    async def sync_dep(token=Depends(get_token)):
        return {"token": token}

    @api.get("/class-dep")
    async def class_dep(pager: Paginator = Depends(Paginator)):
        return {"size": pager.size}

    @api.get("/uncached")
    async def uncached(a=Depends(fresh_counter, use_cache=False), b=Depends(fresh_counter, use_cache=False)):
        return {"a": a, "b": b}

    @api.get("/dep-on-path/{owner}")
    async def dep_on_path(owner_info=Depends(lambda owner: {"owner": owner.upper()})):
        return owner_info

    @api.get("/dep-required-query")
    async def dep_required_query(v=Depends(lambda must: must)):
        return {"v": v}

    return api


@pytest.fixture(scope="module")
def dep_client():
    with TestClient(dep_api()) as c:
        yield c


def test_depends_nested_and_cached_per_request(dep_client):
    calls.clear()
    r = dep_client.get("/me", headers={"X-Token": "tok"})
    assert r.json() == {"user": {"token": "tok", "env": "test"}, "settings": {"env": "test"}}
    # get_settings_dep is used by the handler and by get_user, but runs once.
    assert calls == {"settings": 1, "token": 1, "user": 1}
    dep_client.get("/me")
    assert calls == {"settings": 2, "token": 2, "user": 2}


def test_depends_reads_query_and_request(dep_client):
    assert dep_client.get("/page?page=4").json() == {"page": 4, "path": "/page"}
    assert dep_client.get("/page").json() == {"page": 1, "path": "/page"}


def test_depends_request_only(dep_client):
    assert dep_client.get("/trace", headers={"X-Trace": "t1"}).json() == {"trace": "t1"}


def test_depends_sync_callable(dep_client):
    assert dep_client.get("/sync-dep", headers={"X-Token": "s"}).json() == {"token": "s"}
    assert dep_client.get("/sync-dep").json() == {"token": "anon"}


def test_depends_class(dep_client):
    assert dep_client.get("/class-dep?size=5").json() == {"size": 5}


def test_depends_use_cache_false(dep_client):
    calls.clear()
    body = dep_client.get("/uncached").json()
    assert sorted([body["a"], body["b"]]) == [1, 2]


def test_depends_path_param(dep_client):
    assert dep_client.get("/dep-on-path/ann").json() == {"owner": "ANN"}


def test_depends_missing_input_is_422(dep_client):
    assert dep_client.get("/dep-required-query?must=1").json() == {"v": "1"}
    errors = detail(dep_client.get("/dep-required-query"))
    assert errors[0]["loc"] == ["query", "must"]


def test_depends_without_callable_rejected():
    api = BoltAPI()
    with pytest.raises((TypeError, ValueError)):
        @api.get("/bad-dep")
        async def bad_dep(x=Depends()):
            return x
