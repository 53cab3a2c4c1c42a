"""CORS done by the Go core: preflights, allowed origins, and headers on every kind of
response of a CORS route."""

from __future__ import annotations

import pytest

from .security_helpers import bearer, claims, fetch, mint, unique

ALLOWED = "http://other.example"   # second of the route's origins: must be echoed, not the first
ROUTE_FIRST = "http://example.com"
GLOBAL = "http://global.example"   # BOLT_CORS_ALLOWED_ORIGINS of the main profile
EVIL = "http://evil.example"


def preflight(server, path: str, origin: str, method: str = "GET", request_headers: str | None = None):
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if request_headers:
        headers["Access-Control-Request-Headers"] = request_headers
    return fetch(server.url(path), method="OPTIONS", headers=headers)


def vary_tokens(response) -> set[str]:
    return {t.strip().lower() for v in response.headers.get_list("vary") for t in v.split(",") if t.strip()}


def assert_cors(response, origin: str) -> None:
    assert response.headers.get("access-control-allow-origin") == origin, dict(response.headers)
    assert "origin" in vary_tokens(response)


def assert_no_cors(response) -> None:
    assert "access-control-allow-origin" not in response.headers, dict(response.headers)
    assert "access-control-allow-credentials" not in response.headers


# --- preflight ------------------------------------------------------------------------------


def test_preflight_on_a_get_route_without_options_handler(main_server):
    response = preflight(main_server, "/cors/route", ALLOWED, "GET", "X-Custom")
    assert response.status == 204
    assert response.body == b""
    assert_cors(response, ALLOWED)
    assert response.headers["access-control-allow-methods"] == "GET, POST"
    assert response.headers["access-control-allow-headers"] == "Content-Type, X-Custom"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-max-age"] == "600"


def test_preflight_uses_the_route_of_the_requested_method(main_server):
    response = preflight(main_server, "/cors/route", ROUTE_FIRST, "POST", "Content-Type")
    assert response.status == 204
    assert_cors(response, ROUTE_FIRST)


def test_preflight_from_a_disallowed_origin(main_server):
    response = preflight(main_server, "/cors/route", EVIL)
    assert response.status == 403
    assert_no_cors(response)


def test_preflight_with_default_options(main_server):
    response = preflight(main_server, "/cors/global", GLOBAL)
    assert response.status == 204
    assert_cors(response, GLOBAL)
    assert response.headers["access-control-allow-methods"] == "GET, POST, PUT, PATCH, DELETE, OPTIONS"
    assert response.headers["access-control-allow-headers"] == "Content-Type, Authorization"
    assert response.headers["access-control-max-age"] == "3600"
    assert "access-control-allow-credentials" not in response.headers


def test_route_without_cors_gets_the_project_wide_policy(main_server):
    # BOLT_CORS_ALLOWED_ORIGINS is the project-wide policy (same as CORS_ALLOWED_ORIGINS).
    response = preflight(main_server, "/cors/none", GLOBAL)
    assert response.status == 204
    assert_cors(response, GLOBAL)
    assert_cors(fetch(main_server.url("/cors/none"), headers={"Origin": GLOBAL}), GLOBAL)
    refused = preflight(main_server, "/cors/none", EVIL)
    assert refused.status == 403
    assert_no_cors(refused)


def test_unknown_path_preflight_and_404_with_the_project_wide_policy(main_server):
    response = preflight(main_server, "/cors/nowhere", GLOBAL, "DELETE")
    assert response.status == 204
    assert_cors(response, GLOBAL)
    missing = fetch(main_server.url("/cors/nowhere"), headers={"Origin": GLOBAL})
    assert missing.status == 404
    assert_cors(missing, GLOBAL)


def test_preflight_skips_authentication_and_rate_limits(main_server):
    assert preflight(main_server, "/cors/guarded", ROUTE_FIRST).status == 204
    for _ in range(4):  # the route allows one request per second and client
        response = preflight(main_server, "/cors/limited", ROUTE_FIRST)
        assert response.status == 204
        assert_cors(response, ROUTE_FIRST)


def test_wildcard_origin(main_server):
    response = preflight(main_server, "/cors/wildcard", EVIL)
    assert response.status == 204
    assert response.headers["access-control-allow-origin"] == "*"
    actual = fetch(main_server.url("/cors/wildcard"), headers={"Origin": EVIL})
    assert actual.status == 200
    assert actual.headers["access-control-allow-origin"] == "*"


# --- actual requests --------------------------------------------------------------------------


def test_actual_request_from_an_allowed_origin(main_server):
    response = fetch(main_server.url("/cors/route"), headers={"Origin": ALLOWED})
    assert response.status == 200
    assert response.json() == {"cors": "route"}
    assert_cors(response, ALLOWED)
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-expose-headers"] == "X-Total"
    assert response.headers["x-total"] == "3"


def test_actual_request_from_a_disallowed_origin(main_server):
    response = fetch(main_server.url("/cors/route"), headers={"Origin": EVIL})
    assert response.status == 200
    assert_no_cors(response)


def test_route_origins_override_the_global_setting(main_server):
    assert_no_cors(fetch(main_server.url("/cors/route"), headers={"Origin": GLOBAL}))
    assert preflight(main_server, "/cors/route", GLOBAL).status == 403


def test_global_setting_is_the_default_origin_list(main_server):
    assert_cors(fetch(main_server.url("/cors/global"), headers={"Origin": GLOBAL}), GLOBAL)
    assert_no_cors(fetch(main_server.url("/cors/global"), headers={"Origin": ROUTE_FIRST}))


def test_route_cors_overrides_global_cors_middleware(defaults_server):
    wide, route = "http://wide.example", "http://route.example"
    assert_cors(fetch(defaults_server.url("/d/cors-wide"), headers={"Origin": wide}), wide)
    assert_cors(fetch(defaults_server.url("/d/cors-route"), headers={"Origin": route}), route)
    assert_no_cors(fetch(defaults_server.url("/d/cors-route"), headers={"Origin": wide}))
    assert preflight(defaults_server, "/d/cors-route", route).status == 204
    assert preflight(defaults_server, "/d/cors-route", wide).status == 403


# --- CORS headers on error, streaming and file responses ----------------------------------------


def cors_get(server, path: str, **headers: str):
    return fetch(server.url(path), headers={"Origin": ROUTE_FIRST, **headers})


def test_cors_on_401_and_403(main_server, material):
    unauthenticated = cors_get(main_server, "/cors/guarded")
    assert unauthenticated.status == 401
    assert_cors(unauthenticated, ROUTE_FIRST)
    forbidden = cors_get(main_server, "/cors/guarded", **bearer(mint(claims(), material.hs_secret)))
    assert forbidden.status == 403
    assert_cors(forbidden, ROUTE_FIRST)
    allowed = cors_get(main_server, "/cors/guarded", **bearer(mint(claims(permissions=["cors.view"]), material.hs_secret)))
    assert allowed.status == 200
    assert_cors(allowed, ROUTE_FIRST)


def test_cors_on_404_raised_by_the_handler(main_server):
    response = cors_get(main_server, "/cors/missing")
    assert response.status == 404
    assert response.json() == {"detail": "no such thing"}
    assert_cors(response, ROUTE_FIRST)


@pytest.mark.parametrize("query", ["", "?n=abc"])
def test_cors_on_422(main_server, query):
    response = cors_get(main_server, "/cors/validate" + query)
    assert response.status == 422
    assert_cors(response, ROUTE_FIRST)


def test_cors_on_429(main_server):
    client = unique()
    assert cors_get(main_server, "/cors/limited", **{"x-client": client}).status == 200
    limited = cors_get(main_server, "/cors/limited", **{"x-client": client})
    assert limited.status == 429
    assert_cors(limited, ROUTE_FIRST)


def test_cors_on_500(main_server):
    response = cors_get(main_server, "/cors/boom")
    assert response.status == 500
    assert_cors(response, ROUTE_FIRST)


def test_cors_on_streaming_response(main_server):
    response = cors_get(main_server, "/cors/stream")
    assert response.status == 200
    assert response.body.startswith(b"chunk 00 ")
    assert response.body.count(b"\n") == 20
    assert_cors(response, ROUTE_FIRST)


def test_cors_on_file_response(main_server):
    response = cors_get(main_server, "/cors/file")
    assert response.status == 200
    assert response.body.startswith(b"The quick brown fox")
    assert len(response.body) == 5160
    assert_cors(response, ROUTE_FIRST)
