"""The example project's OpenAPI document against what its server really answers.

For every operation of the document, requests that succeed and requests that fail (bad
parameters, missing credentials, refused permissions, the rate limit...) are sent to a real
server; each answer's status must be documented for that operation, its content type must be
one the operation lists for that status, and a JSON body must validate against the
documented schema. An operation without a case here fails the test: a new route in the
example project needs its requests below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema
import pytest
from openapi_spec_validator import validate

DEMO_API_KEY = "demo-key-123"  # accounts/api.py
CSRF_TOKEN = "a" * 32  # any 32 letters are a well-formed CSRF secret


@dataclass
class Case:
    method: str
    url: str
    status: int
    kwargs: dict[str, Any] = field(default_factory=dict)
    token: str | None = None  # a user whose JWT is sent
    session: str | None = None  # a user whose Django session cookie is sent
    repeat: int = 1  # send until the last answer (the rate limit needs a burst)


def _item() -> dict[str, Any]:
    return {"name": "pen", "price": 1.5}


def _payload() -> dict[str, Any]:
    author = {"id": 1, "name": "a", "email": "a@example.com"}
    return {"title": "t", "entries": [{"id": 1, "title": "e", "score": 1.0, "published": True, "author": author}]}


CASES: dict[tuple[str, str], list[Case]] = {
    ("get", "/"): [Case("GET", "/", 200)],
    ("get", "/items/{item_id}"): [Case("GET", "/items/3?q=x", 200), Case("GET", "/items/abc", 422)],
    ("put", "/items/{item_id}"): [
        Case("PUT", "/items/3", 200, {"json": _item()}),
        Case("PUT", "/items/3", 422, {"json": {"name": "pen"}}),
        Case("PUT", "/items/3", 413, {"content": b"x" * (10 * 1024 * 1024 + 1),
                                      "headers": {"content-type": "application/json"}}),
    ],
    ("get", "/items100"): [Case("GET", "/items100", 200)],
    ("get", "/serializer/items100"): [Case("GET", "/serializer/items100", 200)],
    ("post", "/bench/parse"): [
        Case("POST", "/bench/parse", 200, {"json": _payload()}),
        Case("POST", "/bench/parse", 422, {"content": b"{not json", "headers": {"content-type": "application/json"}}),
    ],
    ("get", "/bench/slow"): [Case("GET", "/bench/slow?ms=1", 200), Case("GET", "/bench/slow?ms=soon", 422)],
    ("get", "/header"): [Case("GET", "/header", 200, {"headers": {"x-test": "v"}}), Case("GET", "/header", 422)],
    ("get", "/cookie"): [Case("GET", "/cookie", 200, {"cookies": {"session": "s"}}), Case("GET", "/cookie", 422)],
    ("get", "/exc"): [Case("GET", "/exc", 404)],
    ("get", "/html"): [Case("GET", "/html", 200)],
    ("get", "/redirect"): [Case("GET", "/redirect", 302)],
    ("post", "/form"): [
        Case("POST", "/form", 200, {"data": {"name": "n", "age": "3"}}),
        Case("POST", "/form", 422, {"data": {"name": "n", "age": "old"}}),
    ],
    ("post", "/upload"): [Case("POST", "/upload", 200, {"files": [("file", ("a.txt", b"abc", "text/plain"))]})],
    ("post", "/mixed-form"): [
        Case("POST", "/mixed-form", 200, {"data": {"title": "t"}, "files": {"attachment": ("a.bin", b"\0\1")}}),
        Case("POST", "/mixed-form", 422, {"data": {"description": "no title"}}),
    ],
    ("get", "/file-static"): [Case("GET", "/file-static", 200)],
    ("get", "/stream"): [Case("GET", "/stream", 200)],
    ("get", "/sse"): [Case("GET", "/sse", 200)],
    ("get", "/sse-async"): [Case("GET", "/sse-async", 200)],
    ("post", "/v1/chat/completions"): [
        Case("POST", "/v1/chat/completions", 200, {"json": {"model": "m", "messages": [{"role": "user", "content": "hi"}]}}),
        Case("POST", "/v1/chat/completions", 422, {"json": {"model": "m", "messages": [], "n_chunks": -1}}),
    ],
    ("get", "/users/"): [Case("GET", "/users/", 200)],
    # WebSocket routes (chat app): a request that is not an upgrade is refused.
    ("get", "/ws/rooms/{room}"): [Case("GET", "/ws/rooms/1", 400)],
    ("get", "/ws/echo"): [
        Case("GET", "/ws/echo", 400),
        Case("GET", "/ws/echo", 401, {"headers": {
            "connection": "Upgrade", "upgrade": "websocket", "sec-websocket-version": "13",
            "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ=="}}),
    ],
    ("get", "/users/seed"): [Case("GET", "/users/seed", 200)],
    ("get", "/users/full10"): [Case("GET", "/users/full10", 200)],
    ("get", "/users/mini10"): [Case("GET", "/users/mini10", 200)],
    ("get", "/users/{user_id}"): [
        Case("GET", "/users/1", 200), Case("GET", "/users/999999999", 404), Case("GET", "/users/me", 422)],
    ("get", "/vs/users"): [Case("GET", "/vs/users?page=2", 200), Case("GET", "/vs/users?page=x&page_size=0", 200)],
    ("get", "/vs/users/{pk}"): [
        Case("GET", "/vs/users/1", 200), Case("GET", "/vs/users/999999999", 404), Case("GET", "/vs/users/me", 422)],
    ("get", "/router/hello"): [Case("GET", "/router/hello", 200)],
    ("post", "/auth/token"): [
        Case("POST", "/auth/token", 200, {"json": {"username": "demo", "password": "demo"}}),
        Case("POST", "/auth/token", 401, {"json": {"username": "demo", "password": "wrong"}}),
        Case("POST", "/auth/token", 422, {"json": {"username": "demo"}}),
    ],
    ("get", "/auth/me"): [Case("GET", "/auth/me", 200, token="demo"), Case("GET", "/auth/me", 401)],
    ("get", "/auth/admin"): [
        Case("GET", "/auth/admin", 200, token="admin"), Case("GET", "/auth/admin", 403, token="demo"),
        Case("GET", "/auth/admin", 401)],
    ("get", "/auth/perm"): [
        Case("GET", "/auth/perm", 200, token="admin"), Case("GET", "/auth/perm", 403, token="staff")],
    ("get", "/apikey"): [
        Case("GET", "/apikey", 200, {"headers": {"x-api-key": DEMO_API_KEY}}), Case("GET", "/apikey", 401)],
    ("get", "/limited"): [Case("GET", "/limited", 429, repeat=40)],
    ("get", "/cors"): [Case("GET", "/cors", 200, {"headers": {"origin": "http://example.com"}})],
    ("get", "/mw/timed"): [Case("GET", "/mw/timed", 200)],
    ("get", "/mw/session-count"): [Case("GET", "/mw/session-count", 200)],
    ("get", "/mw/session-peek"): [Case("GET", "/mw/session-peek", 200, {"cookies": {"sessionid": "unknown"}})],
    ("get", "/mw/session/csrf"): [Case("GET", "/mw/session/csrf", 200)],
    ("post", "/mw/session/login"): [
        Case("POST", "/mw/session/login", 200, {"json": {"username": "demo", "password": "demo"}}),
        Case("POST", "/mw/session/login", 401, {"json": {"username": "demo", "password": "wrong"}}),
        Case("POST", "/mw/session/login", 422, {"json": {"username": "demo"}}),
    ],
    ("get", "/mw/session/me"): [Case("GET", "/mw/session/me", 200)],
    # CSRF: the token of the cookie repeated in the header (plain HTTP, no Origin: no origin check).
    ("post", "/mw/session/note"): [Case("POST", "/mw/session/note", 200, {
        "cookies": {"csrftoken": CSRF_TOKEN}, "headers": {"x-csrftoken": CSRF_TOKEN}})],
    ("post", "/mw/session/logout"): [Case("POST", "/mw/session/logout", 200)],
    # Behind Django's @login_required / @permission_required: the anonymous 302 and the
    # 403 are Django's own answers, which the document does not describe.
    ("get", "/mw/session/account"): [Case("GET", "/mw/session/account", 200, session="demo")],
    ("get", "/mw/session/user-admin"): [Case("GET", "/mw/session/user-admin", 200, session="admin")],
    ("get", "/mw/session/remote-user"): [Case("GET", "/mw/session/remote-user", 200, session="demo")],
}


@pytest.fixture(scope="module")
def document(example_server) -> dict[str, Any]:
    response = httpx.get(example_server.base_url + "/docs/openapi.json", timeout=30)
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def tokens(example_server) -> dict[str, str]:
    out = {}
    for name in ("admin", "staff", "demo"):
        response = httpx.post(example_server.base_url + "/auth/token",
                              json={"username": name, "password": name}, timeout=30)
        assert response.status_code == 200, response.text
        out[name] = response.json()["access_token"]
    return out


@pytest.fixture(scope="module")
def sessions(example_server) -> dict[str, str]:
    """A logged-in Django session id per login account."""
    out = {}
    for name in ("admin", "demo"):
        response = httpx.post(example_server.base_url + "/mw/session/login",
                              json={"username": name, "password": name}, timeout=30)
        assert response.status_code == 200, response.text
        out[name] = response.cookies["sessionid"]
    return out


def test_document_is_valid_openapi(document):
    validate(document)


def test_every_operation_has_cases(document):
    operations = {(method, path) for path, item in document["paths"].items() for method in item
                  if not method.startswith("x-")}  # extensions such as "x-websocket" are not operations
    assert operations == set(CASES), (
        f"without cases: {sorted(operations - set(CASES))}; not in the document: {sorted(set(CASES) - operations)}")


def _body_schema(document: dict[str, Any], operation: dict[str, Any], status: int, content_type: str) -> Any:
    """The documented schema for this answer; fails when status or media type is undocumented."""
    responses = operation["responses"]
    assert str(status) in responses, f"status {status} is not documented (documented: {sorted(responses)})"
    content = responses[str(status)].get("content")
    media = content_type.split(";")[0].strip()
    if content is None:
        return None
    assert media in content, f"{media} is not documented for {status} (documented: {sorted(content)})"
    return content[media]["schema"]


def _check(document: dict[str, Any], operation: dict[str, Any], response: httpx.Response) -> None:
    schema = _body_schema(document, operation, response.status_code, response.headers.get("content-type", ""))
    if schema is None:
        return
    media = response.headers["content-type"].split(";")[0].strip()
    if media == "application/json":
        instance = response.json()
    elif schema.get("format") == "binary":
        return  # any bytes are a binary string
    else:
        instance = response.text
    # The document's components travel with the schema, so "#/components/..." resolves.
    jsonschema.Draft202012Validator({**schema, "components": document["components"]}).validate(instance)


def _cases() -> list[tuple[str, str, int, Case]]:
    return [(method, path, n, case) for (method, path), cases in CASES.items() for n, case in enumerate(cases)]


@pytest.mark.parametrize("method, path, n, case", _cases(),
                         ids=[f"{c.method} {c.url} {c.status}" for *_, c in _cases()])
def test_answer_matches_the_document(example_server, document, tokens, sessions, method, path, n, case):
    operation = document["paths"][path][method]
    kwargs = dict(case.kwargs)
    if case.token:
        kwargs["headers"] = {**kwargs.get("headers", {}), "authorization": f"Bearer {tokens[case.token]}"}
    if case.session:
        kwargs["cookies"] = {**kwargs.get("cookies", {}), "sessionid": sessions[case.session]}
    with httpx.Client(base_url=example_server.base_url, timeout=60, follow_redirects=False) as client:
        for _ in range(case.repeat):
            response = client.request(case.method, case.url, **kwargs)
            if response.status_code == case.status:
                break
    assert response.status_code == case.status, response.text[:500]
    _check(document, operation, response)
    if response.status_code == 429:
        assert int(response.headers["retry-after"]) >= 0
        assert "Retry-After" in operation["responses"]["429"]["headers"]
