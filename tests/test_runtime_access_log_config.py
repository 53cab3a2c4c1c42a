"""A BoltAPI's LoggingConfig drives the Go access log of its routes, read from the
server's stderr: skipped paths and statuses, the slow threshold and sampling of
successful requests, the query string, the User-Agent and the lines' levels."""

from __future__ import annotations

import json

import pytest

from .runtime_helpers import new_token, wait_until

LOGGING_CONFIG = {
    "skip_paths": ["/logged/ok"],
    "skip_status_codes": [404],
    "min_duration_ms": 80,
    "request_log_fields": ["method", "path", "user_agent"],
    "log_level": "DEBUG",
    "error_log_level": "CRITICAL",
}


@pytest.fixture(scope="module")
def server(module_runtime):
    return module_runtime.start(settings={
        "BOLT_ACCESS_LOG": "json", "BOLT_REQUEST_ID": True, "RTPROJ_LOGGING_CONFIG": LOGGING_CONFIG,
    })


@pytest.fixture(scope="module")
def text_server(module_runtime):
    return module_runtime.start(settings={
        "BOLT_ACCESS_LOG": "text", "RTPROJ_LOGGING_CONFIG": {
            "sample_rate": 0.0, "request_log_fields": ["method", "path", "query"],
        },
    })


def _lines_until(server, last_id: str) -> dict[str, dict]:
    """The JSON access-log lines by request id, once the line of ``last_id`` (a request
    sent after all the others, always logged) is there: the log is flushed in order."""
    def lines():
        found = {}
        for line in server.output().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if "request_id" in entry:
                    found[entry["request_id"]] = entry
        return found if last_id in found else None

    return wait_until(lines, 15, f"the access-log line of {last_id}")


def test_the_logging_config_decides_which_requests_of_its_routes_are_logged(server):
    tag = new_token()
    calls = {
        "skipped-path": ("/logged/ok", 200),
        "skipped-path-with-query": ("/logged/ok?x=1", 200),
        "skipped-status": ("/logged/status?code=404", 404),
        "fast": ("/logged/status?code=200", 200),
        "slow": ("/logged/slow?ms=150", 200),
        "client-error": ("/logged/status?code=401", 401),
        "server-error": ("/logged/status?code=503", 503),
        # A route of an API without a LoggingConfig keeps the settings' rules.
        "other-api": ("/status?code=200", 200),
        "other-api-404": ("/status?code=404", 404),
    }
    for name, (path, status) in calls.items():
        r = server.get(path, headers={"x-request-id": f"{tag}-{name}", "user-agent": f"probe/{tag}"})
        assert r.status_code == status, (name, r.text)
    last = f"{tag}-last"
    assert server.get("/status?code=500", headers={"x-request-id": last}).status_code == 500
    lines = _lines_until(server, last)
    logged = {rid.removeprefix(f"{tag}-") for rid in lines if rid.startswith(tag)}
    assert logged == {"slow", "client-error", "server-error", "other-api", "other-api-404", "last"}, logged

    slow = lines[f"{tag}-slow"]
    assert slow["level"] == "DEBUG"
    assert slow["path"] == "/logged/slow", "the query string is logged only when request_log_fields has 'query'"
    assert slow["route"] == "/logged/slow"
    assert slow["duration_ms"] >= 80
    assert slow["user_agent"] == f"probe/{tag}"
    assert lines[f"{tag}-client-error"]["level"] == "WARNING"
    assert lines[f"{tag}-server-error"]["level"] == "CRITICAL"
    other = lines[f"{tag}-other-api"]
    assert other["level"] == "INFO" and other["path"] == "/status?code=200" and "user_agent" not in other
    assert lines[f"{tag}-other-api-404"]["level"] == "WARNING"
    assert lines[last]["level"] == "ERROR"


def test_a_sample_rate_of_zero_leaves_only_the_errors_in_a_text_log(text_server):
    tag = new_token()
    assert text_server.get(f"/logged/ok?ok={tag}").status_code == 200
    assert text_server.get(f"/logged/status?code=418&err={tag}").status_code == 418
    assert text_server.get(f"/?other={tag}").status_code == 200  # another API: logged

    def lines():
        found = [line for line in text_server.output().splitlines() if tag in line and ' 127.0.0.1 "' in line]
        return found if len(found) >= 2 else None

    found = wait_until(lines, 15, "the text access-log lines")
    text = "\n".join(found)
    assert len(found) == 2, text
    assert f"ok={tag}" not in text
    assert f' WARNING 127.0.0.1 "GET /logged/status?code=418&err={tag}" 418 ' in text, text
    assert f' INFO 127.0.0.1 "GET /?other={tag}" 200 ' in text, text
