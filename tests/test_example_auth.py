"""Authentication, guards, API keys, rate limiting and CORS (example project, accounts app)."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture(scope="module")
def client(example_server) -> httpx.Client:
    with httpx.Client(base_url=example_server.base_url, timeout=15.0) as c:
        yield c


@pytest.fixture(scope="module")
def tokens(client) -> dict[str, str]:
    out = {}
    for name in ("admin", "staff", "demo"):
        r = client.post("/auth/token", json={"username": name, "password": name})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["token_type"] == "bearer"
        out[name] = body["access_token"]
    return out


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def test_wrong_password_is_401(client):
    r = client.post("/auth/token", json={"username": "demo", "password": "nope"})
    assert r.status_code == 401
    assert r.json() == {"detail": "Invalid username or password"}


def test_token_request_without_body_fields_is_422(client):
    assert client.post("/auth/token", json={"username": "demo"}).status_code == 422


@pytest.mark.parametrize("path", ["/auth/me", "/auth/admin", "/auth/perm"])
@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer not-a-jwt"}, {"authorization": "Basic eDp5"}])
def test_protected_routes_need_a_valid_token(client, path, headers):
    r = client.get(path, headers=headers)
    assert r.status_code == 401
    assert r.json() == {"detail": "Authentication required"}


def test_me(client, tokens):
    r = client.get("/auth/me", headers=_bearer(tokens["demo"]))
    assert r.status_code == 200
    body = r.json()
    assert body["username"] == "demo"
    assert body["is_staff"] is False
    assert body["user_id"]


@pytest.mark.parametrize(("user", "path", "status"), [
    ("admin", "/auth/admin", 200), ("staff", "/auth/admin", 403), ("demo", "/auth/admin", 403),
    ("admin", "/auth/perm", 200), ("staff", "/auth/perm", 403), ("demo", "/auth/perm", 200),
])
def test_guards(client, tokens, user, path, status):
    r = client.get(path, headers=_bearer(tokens[user]))
    assert r.status_code == status, r.text
    if status == 403:
        assert r.json() == {"detail": "Permission denied"}


def test_tampered_token_is_401(client, tokens):
    header, payload, signature = tokens["demo"].split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    r = client.get("/auth/me", headers=_bearer(f"{header}.{payload}.{flipped}"))
    assert r.status_code == 401


def test_api_key(client):
    assert client.get("/apikey").status_code == 401
    assert client.get("/apikey", headers={"x-api-key": "wrong"}).status_code == 401
    r = client.get("/apikey", headers={"x-api-key": "demo-key-123"})
    assert r.status_code == 200
    assert r.json()["backend"] == "api_key"


def test_rate_limit_answers_429_after_the_burst(client):
    statuses = []
    for _ in range(200):
        r = client.get("/limited")
        statuses.append(r.status_code)
        if r.status_code == 429:
            break
    assert statuses[-1] == 429, "200 quick requests never hit a 5 rps limit"
    assert statuses[:10] == [200] * 10, "the burst of 10 was not honoured"
    assert set(statuses[:-1]) == {200}
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["detail"].startswith("Rate limit exceeded")


def test_cors_preflight_for_an_allowed_origin(client):
    r = client.options("/cors", headers={"origin": "http://example.com", "access-control-request-method": "GET"})
    assert r.status_code in (200, 204)
    assert r.headers["access-control-allow-origin"] == "http://example.com"
    assert "GET" in r.headers["access-control-allow-methods"]


def test_cors_headers_on_a_simple_request(client):
    allowed = client.get("/cors", headers={"origin": "http://example.com"})
    assert allowed.status_code == 200
    assert allowed.json() == {"cors": True}
    assert allowed.headers["access-control-allow-origin"] == "http://example.com"
    other = client.get("/cors", headers={"origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_cors_preflight_for_another_origin_is_refused(client):
    r = client.options("/cors", headers={"origin": "http://evil.example", "access-control-request-method": "GET"})
    assert "access-control-allow-origin" not in r.headers
    assert r.status_code >= 400
