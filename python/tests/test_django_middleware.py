"""Django's own middleware on Bolt routes: sessions, authentication, messages, CSRF,
through the in-process client (the real-server round trip is in tests/test_sessions.py)."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import alogin, alogout
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.views.decorators.csrf import csrf_exempt

from django_bolt import BoltAPI
from django_bolt.middleware import DjangoMiddleware, DjangoMiddlewareStack, Middleware, load_django_middleware
from django_bolt.testing import TestClient

from contract_helpers import migrate_once

SESSION = "django.contrib.sessions.middleware.SessionMiddleware"
AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
CSRF = "django.middleware.csrf.CsrfViewMiddleware"
MESSAGES = "django.contrib.messages.middleware.MessageMiddleware"
SECURITY = "django.middleware.security.SecurityMiddleware"

DJANGO_SETTINGS = dict(
    # Signed-cookie sessions: no session table is needed for these tests.
    SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    ALLOWED_HOSTS=["*"],
    MIDDLEWARE=[SECURITY, SESSION, CSRF, AUTH, MESSAGES],
)


@pytest.fixture(autouse=True)
def django_settings():
    with override_settings(**DJANGO_SETTINGS):
        yield


def test_session_round_trip_with_async_methods():
    api = BoltAPI(middleware=[DjangoMiddleware(SESSION)])

    @api.post("/visit")
    @csrf_exempt
    async def visit(request):
        count = await request.session.aget("count", 0) + 1
        await request.session.aset("count", count)
        return {"count": count, "keys": list(await request.session.akeys())}

    with TestClient(api) as client:
        first = client.post("/visit")
        assert first.json() == {"count": 1, "keys": ["count"]}
        assert "sessionid" in first.cookies
        second = client.post("/visit")
    assert second.json() == {"count": 2, "keys": ["count"]}


def test_session_flush_and_pop():
    api = BoltAPI(django_middleware=[SESSION])

    @api.get("/set")
    async def set_(request):
        await request.session.aset("a", 1)
        await request.session.aset("b", 2)
        return "ok"

    @api.get("/pop")
    async def pop(request):
        return {"popped": await request.session.apop("a"), "items": dict(await request.session.aitems())}

    @api.get("/flush")
    async def flush(request):
        await request.session.aflush()
        return {"items": dict(await request.session.aitems())}

    with TestClient(api) as client:
        client.get("/set")
        assert client.get("/pop").json() == {"popped": 1, "items": {"b": 2}}
        assert client.get("/flush").json() == {"items": {}}


def test_alogin_auser_and_alogout():
    migrate_once()
    User.objects.filter(username="ann").delete()
    User.objects.create_user("ann", password="pw")
    api = BoltAPI(django_middleware=[SESSION, AUTH])

    @api.post("/login")
    @csrf_exempt
    async def login(request):
        user = await User.objects.aget(username="ann")
        await alogin(request, user)
        return {"user": request.user.username}

    @api.get("/me")
    async def me(request):
        user = await request.auser()
        return {"authenticated": user.is_authenticated, "name": user.get_username()}

    @api.post("/logout")
    @csrf_exempt
    async def logout(request):
        await alogout(request)
        return "bye"

    with TestClient(api) as client:
        assert client.get("/me").json() == {"authenticated": False, "name": ""}
        assert client.post("/login").json() == {"user": "ann"}
        assert client.get("/me").json() == {"authenticated": True, "name": "ann"}
        client.post("/logout")
        assert client.get("/me").json() == {"authenticated": False, "name": ""}


def test_sync_hooks_that_query_the_database_run_off_the_event_loop():
    """RemoteUserMiddleware.process_request reads request.user, which loads the logged-in
    user from the database: on the event loop the ORM would refuse (a 500)."""
    migrate_once()
    User.objects.filter(username="remy").delete()
    User.objects.create_user("remy", password="pw")
    api = BoltAPI(middleware=[DjangoMiddlewareStack([SESSION, AUTH, "django.contrib.auth.middleware.RemoteUserMiddleware"])])

    @api.post("/login")
    @csrf_exempt
    async def login(request):
        await alogin(request, await User.objects.aget(username="remy"))
        return {"ok": True}

    @api.get("/me")
    async def me(request):
        user = await request.auser()
        return {"name": user.get_username()}

    with TestClient(api) as client:
        assert client.post("/login").status_code == 200
        r = client.get("/me")
    assert r.status_code == 200, r.text
    assert r.json() == {"name": "remy"}


def test_csrf_refuses_unsafe_methods_unless_exempt():
    api = BoltAPI(django_middleware=True)

    @api.post("/protected")
    async def protected():
        return {"ok": True}

    @api.post("/exempt")
    @csrf_exempt
    async def exempt():
        return {"ok": True}

    @api.get("/read")
    async def read():
        return {"ok": True}

    with TestClient(api) as client:
        refused = client.post("/protected", json={})
        assert refused.status_code == 403
        assert "CSRF" in refused.text
        assert client.post("/exempt", json={}).json() == {"ok": True}
        assert client.get("/read").status_code == 200


def test_csrf_token_from_the_cookie_is_accepted():
    from django.middleware.csrf import get_token

    api = BoltAPI(django_middleware=[SESSION, CSRF])

    @api.get("/form")
    async def form(request):
        return {"token": get_token(request)}

    @api.post("/submit")
    async def submit():
        return {"ok": True}

    with TestClient(api) as client:
        token = client.get("/form").json()["token"]
        assert "csrftoken" in client.cookies
        r = client.post("/submit", headers={"X-CSRFToken": token, "Origin": "http://testserver.local"})
    assert r.status_code == 200, r.text


def test_messages_reach_the_handler():
    from django.contrib import messages

    api = BoltAPI(django_middleware=[SESSION, MESSAGES])

    @api.get("/add")
    async def add(request):
        messages.info(request, "hello")
        return "added"

    @api.get("/read")
    async def read(request):
        return [m.message for m in messages.get_messages(request)]

    with TestClient(api) as client:
        client.get("/add")
        assert client.get("/read").json() == ["hello"]
        assert client.get("/read").json() == []


def test_django_middleware_response_reaches_the_client():
    from django.http import HttpResponseRedirect

    class Gate:
        def __init__(self, get_response):
            self.get_response = get_response

        def __call__(self, request):
            if request.path == "/old":
                return HttpResponseRedirect("/new")
            return self.get_response(request)

    api = BoltAPI(middleware=[DjangoMiddleware(Gate)])
    api.get("/old")(lambda: "never")
    api.get("/other")(lambda: "seen")
    with TestClient(api) as client:
        r = client.get("/old", follow_redirects=False)
        assert r.status_code == 302
        assert r.headers["location"] == "/new"
        assert client.get("/other").text == "seen"


def test_security_middleware_headers_and_order_with_bolt_middleware():
    class Outer(Middleware):
        async def process_request(self, request):
            response = await self.get_response(request)
            response.headers["x-outer"] = request.state.get("session") is not None and "session" or "none"
            return response

    api = BoltAPI(django_middleware=[SECURITY, SESSION], middleware=[Outer])
    api.get("/x")(lambda: {"x": 1})
    with TestClient(api) as client:
        r = client.get("/x")
    assert r.json() == {"x": 1}
    assert r.headers["x-content-type-options"] == "nosniff"
    # The Django stack runs before (outside) the API's own middleware.
    assert r.headers["x-outer"] == "session"


def test_session_without_the_middleware_is_an_attribute_error():
    api = BoltAPI()

    @api.get("/s")
    async def s(request):
        return request.session

    with TestClient(api, raise_server_exceptions=False) as client:
        r = client.get("/s")
    assert r.status_code == 500


def test_loader_forms(caplog):
    assert load_django_middleware(False) is None
    everything = load_django_middleware(True)
    assert [m.middleware_class.__name__ for m in everything.middleware] == [
        "SecurityMiddleware", "SessionMiddleware", "CsrfViewMiddleware", "AuthenticationMiddleware",
        "MessageMiddleware",
    ]
    # Listed in settings order whatever the order given.
    picked = load_django_middleware([AUTH, SESSION])
    assert [m.middleware_class.__name__ for m in picked.middleware] == ["SessionMiddleware", "AuthenticationMiddleware"]
    some = load_django_middleware({"exclude": [CSRF, MESSAGES]})
    assert [m.middleware_class.__name__ for m in some.middleware] == [
        "SecurityMiddleware", "SessionMiddleware", "AuthenticationMiddleware",
    ]
    with pytest.raises(ImproperlyConfigured, match="settings.MIDDLEWARE does not list"):
        load_django_middleware(["django.middleware.gzip.GZipMiddleware"])
    with override_settings(MIDDLEWARE=[SESSION, "nowhere.Middleware"]):
        with caplog.at_level(logging.WARNING, logger="django_bolt"):
            stack = load_django_middleware(True)
    assert len(stack.middleware) == 1
    assert "nowhere.Middleware" in caplog.text


def test_adapter_is_not_a_get_response_middleware():
    with pytest.raises(TypeError, match="not called with a get_response"):
        DjangoMiddleware(SESSION)(lambda request: None)
    with pytest.raises(TypeError, match="not called with a get_response"):
        DjangoMiddlewareStack([SESSION])(lambda request: None)


def test_session_cookie_reaches_a_streaming_response():
    from django_bolt.responses import StreamingResponse

    api = BoltAPI(django_middleware=[SESSION])

    @api.get("/stream")
    async def stream(request):
        await request.session.aset("streamed", True)

        async def chunks():
            yield b"streamed"

        return StreamingResponse(chunks(), media_type="text/plain")

    with TestClient(api) as client:
        r = client.get("/stream")
    assert r.text == "streamed"
    assert any(line.startswith("sessionid=") for line in r.headers.get_list("set-cookie"))


def test_django_middleware_does_not_believe_forwarded_headers_a_client_sends():
    # Without a proxy in between, X-Forwarded-For and X-Forwarded-Proto are whatever the
    # client wrote: Django middleware must not see them as REMOTE_ADDR and an HTTPS
    # connection (INTERNAL_IPS checks, IP allowlists, SECURE_SSL_REDIRECT); Django trusts
    # a proxy's scheme only through SECURE_PROXY_SSL_HEADER, as under any ASGI server.
    seen = {}

    class Spy:
        def __init__(self, get_response):
            self.get_response = get_response

        def __call__(self, request):
            seen.update(addr=request.META.get("REMOTE_ADDR"), secure=request.is_secure())
            return self.get_response(request)

    api = BoltAPI(middleware=[DjangoMiddleware(Spy)])
    api.get("/where")(lambda: "ok")
    with TestClient(api) as client:
        r = client.get("/where", headers={"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "https"})
        assert r.text == "ok"
    assert seen == {"addr": None, "secure": False}
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        with TestClient(api) as client:
            client.get("/where", headers={"X-Forwarded-Proto": "https"})
        assert seen["secure"] is True
