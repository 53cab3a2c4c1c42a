"""Access log lines on stderr and request ids (X-Request-ID, request.context)."""

from __future__ import annotations

import json
import re

import pytest

from .runtime_helpers import new_token, wait_until

GENERATED_ID = re.compile(r"[0-9a-f]{16}")


@pytest.fixture(scope="module")
def json_logged(module_runtime):
    return module_runtime.start(settings={"BOLT_ACCESS_LOG": "json", "BOLT_REQUEST_ID": True})


@pytest.fixture(scope="module")
def text_logged(module_runtime):
    # Successful requests sampled away entirely: only errors are logged.
    return module_runtime.start(settings={"BOLT_ACCESS_LOG": "text", "BOLT_ACCESS_LOG_SAMPLE": 0.0})


@pytest.fixture(scope="module")
def plain(module_runtime):
    return module_runtime.start()


def _json_lines(server) -> list[dict]:
    lines = []
    for line in server.output().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))  # every JSON-looking line must be valid JSON
    return lines


def _logged(server, request_ids: set[str]) -> list[dict]:
    """Wait (the log is flushed every 200 ms) until every id has a line; return those lines."""
    def lines():
        found = [e for e in _json_lines(server) if e.get("request_id") in request_ids]
        return found if {e["request_id"] for e in found} >= request_ids else None

    return wait_until(lines, 15, f"access-log lines for {sorted(request_ids)}")


def test_json_access_log_has_one_line_per_request_with_its_fields(json_logged):
    tag = new_token()
    calls = [("GET", "/", 200), ("GET", "/status?code=418", 418), ("GET", "/no/such/route", 404),
             ("POST", "/upload", 200), ("GET", "/items/5", 200)]
    ids = {}
    for i, (method, path, status) in enumerate(calls):
        rid = f"{tag}-{i}"
        ids[rid] = (method, path, status)
        r = json_logged.http.request(method, json_logged.url(path), headers={"x-request-id": rid}, content=b"abc" if method == "POST" else None)
        assert r.status_code == status
    lines = _logged(json_logged, set(ids))
    assert sorted(e["request_id"] for e in lines) == sorted(ids), "not exactly one line per request"
    for entry in lines:
        method, path, status = ids[entry["request_id"]]
        assert entry["method"] == method
        assert entry["path"] == path
        assert entry["status"] == status
        assert isinstance(entry["duration_ms"], (int, float)) and entry["duration_ms"] >= 0
        assert entry["remote"] == "127.0.0.1"
    by_path = {e["path"]: e for e in lines}
    assert by_path["/items/5"]["route"] == "/items/{item_id}"
    assert by_path["/upload"]["bytes"] == len(b'{"size":3}')


def test_json_access_log_shows_the_generated_request_id(json_logged):
    r = json_logged.get("/pid")
    rid = r.headers["x-request-id"]
    assert GENERATED_ID.fullmatch(rid), rid
    [entry] = _logged(json_logged, {rid})
    assert entry["path"] == "/pid" and entry["status"] == 200


def test_a_client_request_id_is_echoed_and_reaches_request_context(json_logged):
    rid = f"client-{new_token()}"
    r = json_logged.get("/context", headers={"x-request-id": rid})
    assert r.status_code == 200
    assert r.headers["x-request-id"] == rid
    assert r.json()["context"]["request_id"] == rid


def test_a_request_id_is_generated_when_absent(json_logged):
    first = json_logged.get("/context")
    second = json_logged.get("/context")
    for r in (first, second):
        rid = r.headers["x-request-id"]
        assert GENERATED_ID.fullmatch(rid), rid
        assert r.json()["context"]["request_id"] == rid
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.parametrize("bad", ["has space", "x" * 129, 'quote"d'])
def test_an_unusable_client_request_id_is_replaced(json_logged, bad):
    r = json_logged.get("/context", headers={"x-request-id": bad})
    rid = r.headers["x-request-id"]
    assert GENERATED_ID.fullmatch(rid), rid
    assert r.json()["context"]["request_id"] == rid


def test_without_request_ids_nothing_is_added(plain):
    r = plain.get("/context", headers={"x-request-id": "ignored"})
    assert "x-request-id" not in r.headers
    assert r.json()["context"] is None


def test_text_access_log_with_sampling_zero_logs_only_errors(text_logged):
    tag = new_token()
    assert text_logged.get(f"/?ok={tag}").status_code == 200
    assert text_logged.get(f"/status?code=418&err={tag}").status_code == 418
    assert text_logged.get(f"/no/such/route?err={tag}").status_code == 404
    def lines():
        found = [line for line in text_logged.output().splitlines() if tag in line]
        return found if len(found) >= 2 else None

    found = wait_until(lines, 15, "the error lines in the text access log")
    assert len(found) == 2, found
    assert not any(f"ok={tag}" in line for line in found)
    joined = "\n".join(found)
    assert re.search(rf'"GET /status\?code=418&err={tag}" 418 \d+ [\d.]+ms', joined), joined
    assert re.search(rf'"GET /no/such/route\?err={tag}" 404 \d+ [\d.]+ms', joined), joined
    assert "rid=" not in joined


def test_an_exception_log_carries_the_request_id(json_logged):
    rid = f"{new_token()}-crash"
    r = json_logged.get("/crash", headers={"x-request-id": rid})
    assert r.status_code == 500
    line = wait_until(lambda: next((ln for ln in json_logged.output().splitlines()
                                     if "RuntimeError: a handler bug" in ln and rid in ln), None),
                      15, "the exception's log line")
    assert f"(request id {rid})" in line
