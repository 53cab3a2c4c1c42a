"""HTTP semantics: HEAD, OPTIONS, 404/405, CORS and rate limiting."""

from __future__ import annotations

import pytest

from django_bolt import BoltAPI, StreamingResponse, cors, no_compress, rate_limit
from django_bolt.testing import TestClient

ORIGIN = "https://app.example.com"
OTHER_ORIGIN = "https://other.example.com"


def build_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/things")
    async def list_things():
        return {"things": [1, 2]}

    @api.post("/things")
    async def create_thing():
        return {"created": True}

    @api.delete("/things/{tid}")
    async def delete_thing(tid: int):
        return {"deleted": tid}

    @api.options("/custom-options")
    async def custom_options():
        return {"methods": ["GET"]}

    @api.get("/custom-options")
    async def custom_options_get():
        return {}

    @api.get("/text")
    async def text():
        return "some text body"

    @api.get("/users/me")
    async def users_me():
        return {"who": "me"}

    @api.get("/users/{uid}")
    async def users_by_id(uid: str):
        return {"who": uid}

    @api.get("/slash")
    async def no_slash():
        return {"slash": False}

    @api.put("/only-put")
    async def only_put():
        return {}

    @api.patch("/only-put")
    async def only_patch():
        return {}

    @api.get("/cors")
    @cors(origins=[ORIGIN, OTHER_ORIGIN], methods=["GET", "POST"], headers=["X-Custom", "Content-Type"],
          credentials=True, max_age=600)
    async def cors_route():
        return {"cors": True}

    @api.get("/cors-validated")
    @cors(origins=[ORIGIN])
    async def cors_validated(n: int):
        return {"n": n}

    @api.get("/cors-error")
    @cors(origins=[ORIGIN])
    async def cors_error():
        raise RuntimeError("cors route failed")

    @api.get("/cors-stream")
    @cors(origins=[ORIGIN])
    async def cors_stream():
        return StreamingResponse(iter([b"s1", b"s2"]))

    @api.get("/cors-limited")
    @cors(origins=[ORIGIN])
    @rate_limit(rps=1, burst=1)
    async def cors_limited():
        return {}

    @api.get("/cors-wildcard")
    @cors(origins=["*"])
    async def cors_wildcard():
        return {"cors": "*"}

    @api.get("/limited")
    @rate_limit(rps=5, burst=10)
    async def limited():
        return {"ok": True}

    @api.get("/limited-by-header")
    @rate_limit(rps=1, burst=2, key="x-client")
    async def limited_by_header():
        return {"ok": True}

    @api.get("/big")
    async def big():
        return {"data": "x" * 5000}

    @api.get("/big-no-compress")
    @no_compress
    async def big_no_compress():
        return {"data": "x" * 5000}

    return api


@pytest.fixture(scope="module")
def api():
    return build_api()


@pytest.fixture(scope="module")
def client(api):
    with TestClient(api) as c:
        yield c


@pytest.fixture()
def http_client(api):
    # A fresh client per test so rate-limit buckets start full.
    with TestClient(api, use_http_layer=True) as c:
        yield c


# ---------------------------------------------------------------------------------
# HEAD


def test_automatic_head_for_get_route(client):
    get = client.get("/things")
    r = client.head("/things")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-type"] == get.headers["content-type"]


def test_automatic_head_for_text_route(client):
    r = client.head("/text")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-type"] == "text/plain; charset=utf-8"


def test_automatic_head_with_path_params(client):
    r = client.head("/users/42")
    assert r.status_code == 200
    assert r.content == b""


def test_explicit_head_route_wins():
    called = []
    api_local = BoltAPI()

    @api_local.get("/h")
    async def h_get():
        called.append("get")
        return {}

    @api_local.head("/h")
    async def h_head():
        called.append("head")
        return {}

    with TestClient(api_local) as c:
        r = c.head("/h")
    assert r.status_code == 200
    assert r.content == b""
    assert called == ["head"]


def test_head_on_unknown_path_is_404(client):
    assert client.head("/nothing-here").status_code == 404


# ---------------------------------------------------------------------------------
# 404 / 405


def test_unknown_path_is_404_text(client):
    r = client.get("/does-not-exist")
    assert r.status_code == 404
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == "Not Found"


def test_trailing_slash_is_a_different_route_reached_by_a_redirect(client):
    # Routes keep the path as written (trailing_slash="keep" by default); the other
    # spelling is redirected to it rather than answered 404.
    assert client.get("/slash").status_code == 200
    r = client.get("/slash/", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (308, "/slash")


def test_static_segment_beats_parameter(client):
    assert client.get("/users/me").json() == {"who": "me"}
    assert client.get("/users/you").json() == {"who": "you"}


def test_wrong_method_is_405_with_allow(client):
    r = client.put("/things")
    assert r.status_code == 405
    allow = [m.strip() for m in r.headers["allow"].split(",")]
    assert {"GET", "POST"} <= set(allow)
    assert "PUT" not in allow


def test_405_allow_lists_only_registered_methods(client):
    r = client.get("/only-put")
    assert r.status_code == 405
    allow = {m.strip() for m in r.headers["allow"].split(",")}
    assert {"PUT", "PATCH"} <= allow
    assert "GET" not in allow and "POST" not in allow


def test_405_for_param_route(client):
    r = client.get("/things/3")
    assert r.status_code == 405
    assert "DELETE" in r.headers["allow"]


# ---------------------------------------------------------------------------------
# OPTIONS


def test_automatic_options(client):
    r = client.options("/things")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {}
    allow = [m.strip() for m in r.headers["allow"].split(",")]
    assert allow.index("GET") < allow.index("POST")
    assert allow[-1] == "OPTIONS"


def test_automatic_options_unknown_path_is_404(client):
    assert client.options("/nothing-here").status_code == 404


def test_explicit_options_handler_replaces_automatic(client):
    r = client.options("/custom-options")
    assert r.status_code == 200
    assert r.json() == {"methods": ["GET"]}


# ---------------------------------------------------------------------------------
# CORS (HTTP layer)


def _preflight(c, path, origin=ORIGIN, method="GET", headers=None):
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    h.update(headers or {})
    return c.options(path, headers=h)


def test_cors_preflight_204_echoes_origin(http_client):
    r = _preflight(http_client, "/cors", origin=OTHER_ORIGIN)
    assert r.status_code == 204
    assert r.content == b""
    assert r.headers["access-control-allow-origin"] == OTHER_ORIGIN
    methods = {m.strip() for m in r.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST"} <= methods
    assert "X-Custom".lower() in r.headers["access-control-allow-headers"].lower()
    assert r.headers["access-control-allow-credentials"] == "true"
    assert r.headers["access-control-max-age"] == "600"


def test_cors_preflight_first_origin(http_client):
    r = _preflight(http_client, "/cors", origin=ORIGIN)
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == ORIGIN


def test_cors_actual_request_echoes_listed_origin(http_client):
    r = http_client.get("/cors", headers={"Origin": OTHER_ORIGIN})
    assert r.status_code == 200
    assert r.json() == {"cors": True}
    assert r.headers["access-control-allow-origin"] == OTHER_ORIGIN
    assert r.headers["access-control-allow-credentials"] == "true"
    assert "origin" in r.headers["vary"].lower()


def test_cors_actual_request_unlisted_origin_gets_no_cors_headers(http_client):
    r = http_client.get("/cors", headers={"Origin": "https://evil.example.com"})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers


def test_cors_wildcard(http_client):
    r = http_client.get("/cors-wildcard", headers={"Origin": "https://any.example.com"})
    assert r.headers["access-control-allow-origin"] == "*"


def test_cors_without_origins_is_refused_at_decoration():
    # With no project-wide origin list the route could never answer a cross-origin request.
    with pytest.raises(ValueError, match=r"@cors\(\) needs origins"):
        cors()


def test_cors_not_applied_without_http_layer(client):
    r = client.get("/cors", headers={"Origin": ORIGIN})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers


@pytest.mark.parametrize("path,status", [("/cors-validated", 422), ("/cors-error", 500), ("/cors-stream", 200)])
def test_cors_headers_on_error_and_stream_responses(http_client, path, status):
    r = http_client.get(path, headers={"Origin": ORIGIN})
    assert r.status_code == status
    assert r.headers["access-control-allow-origin"] == ORIGIN


def test_cors_headers_on_429(http_client):
    assert http_client.get("/cors-limited", headers={"Origin": ORIGIN}).status_code == 200
    r = http_client.get("/cors-limited", headers={"Origin": ORIGIN})
    assert r.status_code == 429
    assert r.headers["access-control-allow-origin"] == ORIGIN


def test_preflight_not_rate_limited(http_client):
    statuses = {_preflight(http_client, "/cors-limited").status_code for _ in range(5)}
    assert statuses == {204}


def test_preflight_unknown_path_is_404(http_client):
    assert _preflight(http_client, "/nowhere").status_code == 404


def test_plain_options_on_cors_route_without_preflight_headers(http_client):
    r = http_client.options("/cors")
    assert r.status_code == 200
    assert "allow" in r.headers


# ---------------------------------------------------------------------------------
# rate limiting


def test_rate_limit_burst_then_429(http_client):
    statuses = [http_client.get("/limited").status_code for _ in range(10)]
    assert statuses == [200] * 10
    r = http_client.get("/limited")
    assert r.status_code == 429
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["detail"].startswith("Rate limit exceeded")
    assert isinstance(body["retry_after"], int) and body["retry_after"] >= 1
    assert int(r.headers["retry-after"]) >= 1
    assert r.headers["x-ratelimit-limit"] == "5"
    assert r.headers["x-ratelimit-burst"] == "10"


def test_no_rate_limit_without_http_layer(client):
    statuses = {client.get("/limited").status_code for _ in range(25)}
    assert statuses == {200}


def test_rate_limit_key_header_buckets_are_separate(http_client):
    a = [http_client.get("/limited-by-header", headers={"X-Client": "a"}).status_code for _ in range(3)]
    b = [http_client.get("/limited-by-header", headers={"X-Client": "b"}).status_code for _ in range(2)]
    assert a == [200, 200, 429]
    assert b == [200, 200]


def test_rate_limit_state_is_per_client(api):
    with TestClient(api, use_http_layer=True) as first:
        assert [first.get("/limited").status_code for _ in range(11)][-1] == 429
    with TestClient(api, use_http_layer=True) as second:
        assert second.get("/limited").status_code == 200


# ---------------------------------------------------------------------------------
# compression (HTTP layer)


def test_compression_with_http_layer(http_client):
    r = http_client.get("/big", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers.get("content-encoding") == "gzip"
    assert r.json() == {"data": "x" * 5000}


def test_no_compress_route(http_client):
    r = http_client.get("/big-no-compress", headers={"Accept-Encoding": "gzip"})
    assert r.headers.get("content-encoding") in (None, "identity")
    assert r.json() == {"data": "x" * 5000}


def test_no_compression_without_http_layer(client):
    r = client.get("/big", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in r.headers or r.headers["content-encoding"] == "identity"
    assert r.json() == {"data": "x" * 5000}
