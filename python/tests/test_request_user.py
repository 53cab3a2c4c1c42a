"""``Request``: type hints, ``request.user``/``auser``, META and URL helpers."""

from __future__ import annotations

import threading

import pytest

from django_bolt import BoltAPI, JWTAuthentication, Request, Token
from django_bolt.auth import get_registered_backend
from django_bolt.testing import TestClient

SECRET = "request-user-tests-secret-of-32-bytes"


def bearer(sub: str = "7") -> dict[str, str]:
    return {"Authorization": f"Bearer {Token.create(sub=sub).encode(SECRET)}"}


class Person:
    def __init__(self, pk: str) -> None:
        self.pk = pk
        self.username = f"user{pk}"


class CountingJWT(JWTAuthentication):
    """Loads users without a database and counts how often it did."""

    def __init__(self) -> None:
        super().__init__(secret=SECRET)
        self.loads: list[tuple[str, str]] = []

    def get_user_sync(self, user_id):
        self.loads.append((user_id, threading.current_thread().name))
        return None if user_id == "gone" else Person(user_id)


def test_request_is_subscriptable_and_binds_by_annotation():
    api = BoltAPI()

    @api.get("/hinted")
    async def hinted(r: Request[Person, dict, dict]) -> dict:
        return {"path": r.path, "method": r.method}

    assert Request[Person, dict, dict].__origin__ is Request
    with TestClient(api) as client:
        assert client.get("/hinted").json() == {"path": "/hinted", "method": "GET"}


def test_user_is_loaded_lazily_by_the_authenticating_backend_off_the_loop():
    backend = CountingJWT()
    api = BoltAPI()

    @api.get("/me", auth=[backend])
    async def me(request):
        user = request.user
        assert backend.loads == []  # nothing loaded until the user is used
        name = user.username
        again = request.user.username
        return {"name": name, "again": again}

    @api.get("/untouched", auth=[backend])
    async def untouched(request):
        request.user  # the proxy alone loads nothing
        return {}

    assert get_registered_backend("jwt") is backend
    with TestClient(api) as client:
        assert client.get("/me", headers=bearer("42")).json() == {"name": "user42", "again": "user42"}
        assert client.get("/untouched", headers=bearer("43")).json() == {}
    assert [user_id for user_id, _ in backend.loads] == ["42"]
    # Loaded on a worker thread, never on the thread running the event loop.
    assert backend.loads[0][1].startswith("bolt-user-loader")


def test_sync_handler_loads_in_its_own_thread():
    backend = CountingJWT()
    api = BoltAPI()

    @api.get("/sync", auth=[backend])
    def sync_me(request):
        return {"name": request.user.username}

    with TestClient(api) as client:
        assert client.get("/sync", headers=bearer("5")).json() == {"name": "user5"}


def test_missing_user_is_a_proxy_of_none_and_no_auth_is_none():
    backend = CountingJWT()
    api = BoltAPI()

    @api.get("/who", auth=[backend])
    async def who(request):
        user = request.user
        return {"none": user is None, "falsy": not user}

    with TestClient(api) as client:
        assert client.get("/who").json() == {"none": True, "falsy": True}
        assert client.get("/who", headers=bearer("gone")).json() == {"none": False, "falsy": True}


def test_auser_loads_the_user_or_falls_back_to_anonymous():
    backend = CountingJWT()
    api = BoltAPI()

    @api.get("/auser", auth=[backend])
    async def auser(request):
        user = await request.auser()
        return {"type": type(user).__name__, "anonymous": bool(getattr(user, "is_anonymous", False))}

    with TestClient(api) as client:
        assert client.get("/auser", headers=bearer("9")).json() == {"type": "Person", "anonymous": False}
        assert client.get("/auser").json() == {"type": "AnonymousUser", "anonymous": True}
        assert client.get("/auser", headers=bearer("gone")).json() == {"type": "AnonymousUser", "anonymous": True}


def test_user_can_be_assigned():
    api = BoltAPI()

    @api.get("/set")
    async def set_user(request):
        request["user"] = "someone"
        with pytest.raises(KeyError, match="only request"):
            request["method"] = "POST"
        return {"user": request.user}

    with TestClient(api) as client:
        assert client.get("/set").json() == {"user": "someone"}


def test_meta_and_url_helpers():
    api = BoltAPI()

    @api.post("/where")
    async def where(request):
        meta = request.META
        return {
            "meta": {k: meta.get(k) for k in (
                "REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "SERVER_NAME", "SERVER_PORT",
                "SERVER_PROTOCOL", "SCRIPT_NAME", "CONTENT_TYPE", "HTTP_X_TRACE")},
            "full": request.get_full_path(),
            "absolute": request.build_absolute_uri(),
            "root": request.build_absolute_uri("/other?x=1"),
            "relative": request.build_absolute_uri("sibling"),
            "external": request.build_absolute_uri("https://example.org/a"),
        }

    with TestClient(api) as client:
        r = client.post("/where?b=2&a=%20", content=b"{}",
                        headers={"Host": "api.example:8443", "X-Forwarded-Proto": "https", "X-Trace": "t1",
                                 "Content-Type": "application/json"})
        assert r.json() == {
            "meta": {
                "REQUEST_METHOD": "POST", "PATH_INFO": "/where", "QUERY_STRING": "b=2&a=%20",
                "SERVER_NAME": "api.example", "SERVER_PORT": "8443", "SERVER_PROTOCOL": "HTTP/1.1",
                "SCRIPT_NAME": "", "CONTENT_TYPE": "application/json", "HTTP_X_TRACE": "t1",
            },
            "full": "/where?b=2&a=%20",
            "absolute": "https://api.example:8443/where?b=2&a=%20",
            "root": "https://api.example:8443/other?x=1",
            "relative": "https://api.example:8443/sibling",
            "external": "https://example.org/a",
        }


def test_absolute_uri_defaults():
    api = BoltAPI()

    @api.get("/plain")
    async def plain(request):
        return {"absolute": request.build_absolute_uri(), "port": request.META["SERVER_PORT"]}

    with TestClient(api) as client:
        # httpx always sends a Host; the test client's is testserver.local.
        assert client.get("/plain").json() == {"absolute": "http://testserver.local/plain", "port": "80"}


def test_meta_leaves_out_header_names_with_underscores():
    # X_Trace and X-Trace would both be HTTP_X_TRACE: a client could slip one past a proxy
    # that strips or sets the other. Django's ASGIRequest, runserver and nginx drop them.
    api = BoltAPI()

    @api.get("/meta")
    async def meta(request):
        return {k: v for k, v in request.META.items() if k.startswith("HTTP_X_")}

    with TestClient(api) as client:
        r = client.get("/meta", headers={"X-Trace": "real", "X_Trace": "spoof", "X_Forwarded_Proto": "https"})
    assert r.json() == {"HTTP_X_TRACE": "real"}


def test_state_values_read_as_attributes():
    api = BoltAPI()

    @api.get("/state")
    async def state(request):
        request.state["tenant"] = "acme"
        with pytest.raises(AttributeError, match="'Request' object has no attribute 'nothing'"):
            request.nothing
        return {"tenant": request.tenant}

    with TestClient(api) as client:
        assert client.get("/state").json() == {"tenant": "acme"}
