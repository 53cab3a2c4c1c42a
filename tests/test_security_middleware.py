"""Python ``Middleware`` subclasses (Decision 11): they run around the handler, after
the Go core's authentication and guards, and may answer by themselves."""

from __future__ import annotations


from .security_helpers import bearer, claims, fetch, mint, unique


def gate_calls(server) -> int:
    return fetch(server.url("/counters")).json()["gate_handler"]


def test_middleware_adds_headers_outermost_first(main_server):
    response = fetch(main_server.url("/mw/tagged"))
    assert response.status == 200
    assert response.json() == {"tagged": True}
    # The inner middleware sees the response first, so its header comes first.
    assert response.headers.get_list("x-tag-order") == ["inner", "outer"]


def test_middleware_short_circuits_without_calling_the_handler(main_server):
    before = gate_calls(main_server)
    blocked = fetch(main_server.url("/mw/gate"), headers={"x-block": "1"})
    assert blocked.status == 418
    assert blocked.json() == {"blocked": True}
    assert gate_calls(main_server) == before

    passed = fetch(main_server.url("/mw/gate"))
    assert passed.status == 200
    assert passed.json() == {"handler": True}
    assert gate_calls(main_server) == before + 1


def test_go_guards_run_before_python_middleware(main_server, material):
    refused = fetch(main_server.url("/mw/gate-guarded"), headers={"x-block": "1"})
    assert refused.status == 401
    assert refused.json() == {"detail": "Authentication required"}
    token = bearer(mint(claims(), material.hs_secret))
    assert fetch(main_server.url("/mw/gate-guarded"), headers={**token, "x-block": "1"}).status == 418
    assert fetch(main_server.url("/mw/gate-guarded"), headers=token).status == 200


def test_middleware_sees_headers_when_the_handler_takes_no_request(main_server):
    response = fetch(main_server.url("/mw/echo-bare"), headers={"x-echo": "hello"})
    assert response.status == 200
    assert response.headers["x-echoed"] == "hello"


def test_api_wide_middleware_and_skipping_it(nocompress_server):
    stamped = fetch(nocompress_server.url("/nc/text?n=3"), headers={"x-client": unique()})
    assert stamped.status == 200
    assert stamped.headers["x-stamp"] == "api-wide"
    free = fetch(nocompress_server.url("/nc/free"))
    assert free.status == 200
    assert "x-stamp" not in free.headers
