"""Python middleware, Django sessions, login and CSRF over a real socket (the example
project's sessions_demo app)."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def client(example_server) -> httpx.Client:
    # A fresh cookie jar per test: each test is one browser.
    with httpx.Client(base_url=example_server.base_url, timeout=15.0) as c:
        yield c


def test_timing_middleware_headers(client):
    r = client.get("/mw/timed")
    assert r.status_code == 200
    assert r.headers["x-request-id"] == r.json()["request_id"]
    assert r.headers["x-response-time"].endswith("s")


def test_route_without_middleware_has_no_timing_headers(client):
    assert "x-response-time" not in client.get("/").headers


def test_session_cookie_round_trip(client):
    first = client.get("/mw/session-count")
    assert first.json() == {"visits": 1}
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("sessionid=") and "HttpOnly" in cookie
    assert client.get("/mw/session-count").json() == {"visits": 2}
    assert client.get("/mw/session-count").json() == {"visits": 3}
    # Another browser has its own session.
    with httpx.Client(base_url=str(client.base_url), timeout=15.0) as other:
        assert other.get("/mw/session-count").json() == {"visits": 1}


def test_alogin_then_auser_then_alogout(client):
    assert client.get("/mw/session/me").json() == {"authenticated": False, "username": ""}
    bad = client.post("/mw/session/login", json={"username": "demo", "password": "wrong"})
    assert bad.status_code == 401
    r = client.post("/mw/session/login", json={"username": "demo", "password": "demo"})
    assert r.status_code == 200, r.text
    assert r.json() == {"username": "demo"}
    assert client.get("/mw/session/me").json() == {"authenticated": True, "username": "demo"}
    assert client.post("/mw/session/logout").json() == {"logged_out": True}
    assert client.get("/mw/session/me").json() == {"authenticated": False, "username": ""}


def test_csrf_403_without_token_and_200_with_it(client):
    refused = client.post("/mw/session/note")
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    token = client.get("/mw/session/csrf").json()["csrf_token"]
    assert "csrftoken" in client.cookies
    ok = client.post("/mw/session/note", headers={"X-CSRFToken": token, "Origin": str(client.base_url)})
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"notes": 1}


def test_csrf_exempt_handler_needs_no_token(client):
    # /mw/session/login is @csrf_exempt: no token, no 403.
    r = client.post("/mw/session/login", json={"username": "nobody", "password": "x"})
    assert r.status_code == 401


def _login(client, username: str) -> None:
    r = client.post("/mw/session/login", json={"username": username, "password": username})
    assert r.status_code == 200, r.text


def test_login_required_redirects_to_login_until_the_session_is_logged_in(client):
    r = client.get("/mw/session/account?tab=orders")
    assert r.status_code == 302
    assert r.headers["location"] == "/accounts/login/?next=/mw/session/account%3Ftab%3Dorders"
    assert r.content == b""
    _login(client, "demo")
    r = client.get("/mw/session/account?tab=orders")
    assert r.status_code == 200, r.text
    assert r.json() == {"username": "demo", "staff": False}
    client.post("/mw/session/logout")
    assert client.get("/mw/session/account").status_code == 302


def test_login_required_reads_the_session_cookie_not_the_client(client, example_server):
    _login(client, "staff")
    assert client.get("/mw/session/account").json() == {"username": "staff", "staff": True}
    # Another client with a forged session id is anonymous.
    with httpx.Client(base_url=example_server.base_url, timeout=15.0,
                      cookies={"sessionid": "forged" + "x" * 26}) as other:
        assert other.get("/mw/session/account").status_code == 302


def test_permission_required_with_raise_exception_answers_403(client):
    anonymous = client.get("/mw/session/user-admin")
    assert anonymous.status_code == 403, anonymous.text
    _login(client, "demo")  # may view users, not change them
    assert client.get("/mw/session/user-admin").status_code == 403
    client.post("/mw/session/logout")
    _login(client, "admin")
    r = client.get("/mw/session/user-admin")
    assert r.status_code == 200, r.text
    assert r.json() == {"username": "admin", "can_change_users": True}


def test_a_sync_middleware_hook_that_queries_the_database(client):
    """RemoteUserMiddleware reads the session's user from the database in its sync
    process_request: it runs in a thread, as the ORM refuses the event loop."""
    assert client.get("/mw/session/remote-user").json() == {"authenticated": False, "username": ""}
    assert client.post("/mw/session/login", json={"username": "demo", "password": "demo"}).status_code == 200
    r = client.get("/mw/session/remote-user")
    assert r.status_code == 200, r.text
    assert r.json() == {"authenticated": True, "username": "demo"}
