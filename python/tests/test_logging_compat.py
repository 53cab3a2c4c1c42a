"""``BoltAPI(logging_config=...)`` and the original's ``LoggingMiddleware`` methods and
field names."""

from __future__ import annotations

import logging

import pytest

from django_bolt import BoltAPI
from django_bolt.logging import LoggingConfig, LoggingMiddleware
from django_bolt.testing import TestClient

LOGGER = "test.compat.access"


def records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER]


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    return caplog


def make_api(**kwargs) -> BoltAPI:
    api = BoltAPI(**kwargs)

    @api.get("/items")
    async def items():
        return {"items": [1, 2, 3]}

    @api.get("/health")
    async def health():
        return {"ok": True}

    @api.post("/echo")
    async def echo(request):
        return {"size": len(request.body)}

    return api


# --- BoltAPI(logging_config=...) ------------------------------------------------------------


def test_logging_config_given_to_boltapi_is_honoured(log):
    config = LoggingConfig(logger_name=LOGGER, response_log_fields={"status_code", "duration"},
                           request_log_fields={"method", "path", "headers"}, skip_paths={"/health"})
    with TestClient(make_api(logging_config=config)) as client:
        client.get("/items", headers={"authorization": "Bearer secret"})
        client.get("/health")
    request_line, response_line = records(log)
    assert request_line.getMessage() == "GET /items"
    assert request_line.headers["authorization"] == "***"
    assert response_line.getMessage().startswith("GET /items 200 (")
    assert not any(r.path == "/health" for r in records(log) if hasattr(r, "path"))


def test_its_levels_apply(log):
    config = LoggingConfig(logger_name=LOGGER, log_level="WARNING")
    with TestClient(make_api(logging_config=config)) as client:
        client.get("/items")
    assert (records(log)[-1].levelno, records(log)[-1].getMessage()) == (logging.WARNING, "GET /items 200")


def test_without_logging_config_nothing_is_logged_from_python(log):
    with TestClient(make_api()) as client:
        client.get("/items")
    assert records(log) == []


def test_enable_logging_false_turns_the_config_off(log):
    with TestClient(make_api(logging_config=LoggingConfig(logger_name=LOGGER), enable_logging=False)) as client:
        client.get("/items")
    assert records(log) == []


def test_a_logging_config_of_another_type_is_refused_with_what_to_write():
    with pytest.raises(TypeError, match=r"LoggingConfig\(\.\.\.\)"):
        BoltAPI(logging_config={"log_level": "INFO"})


# --- the original's field names ---------------------------------------------------------------


def test_body_and_size_are_accepted_field_names(log):
    config = LoggingConfig(logger_name=LOGGER, request_log_fields={"method", "path", "body"},
                           response_log_fields={"status_code", "size"}, max_body_log_size=4)
    with TestClient(make_api(logging_config=config)) as client:
        response = client.post("/echo", content=b"hello")
    request_line, response_line = records(log)
    assert request_line.request_body == "hell... (5 bytes)"
    assert response_line.response_size == len(response.content)


def test_unknown_field_names_are_still_refused():
    with pytest.raises(ValueError, match="request_log_fields"):
        LoggingConfig(request_log_fields={"bodies"})
    with pytest.raises(ValueError, match="response_log_fields"):
        LoggingConfig(response_log_fields={"bytes"})


# --- the original's methods, on request dicts -------------------------------------------------


REQUEST = {
    "method": "POST", "path": "/orders", "query": {"page": "2"}, "body": b"{}",
    "headers": {"Authorization": "Bearer t", "X-Forwarded-For": "10.0.0.9", "user-agent": "ua/1",
                "x-forwarded-for": "10.0.0.9"},
    "cookies": {"sessionid": "s", "theme": "dark"},
}


def middleware(**fields) -> LoggingMiddleware:
    return LoggingMiddleware(LoggingConfig(logger_name=LOGGER, **fields))


def test_obfuscate_headers_and_cookies():
    mw = middleware()
    assert mw.obfuscate_headers({"Authorization": "x", "Accept": "y"}) == {"Authorization": "***", "Accept": "y"}
    assert mw.obfuscate_cookies({"sessionid": "s", "theme": "dark"}) == {"sessionid": "***", "theme": "dark"}


def test_extract_request_data_takes_the_configured_fields():
    mw = middleware(request_log_fields={"method", "path", "query", "headers", "cookies", "client_ip", "user_agent"})
    data = mw.extract_request_data(REQUEST)
    assert data["method"] == "POST" and data["path"] == "/orders" and data["query"] == {"page": "2"}
    assert data["headers"]["Authorization"] == "***"
    assert data["cookies"] == {"sessionid": "***", "theme": "dark"}
    assert data["client_ip"] == "10.0.0.9" and data["user_agent"] == "ua/1"
    assert "request_body" not in data
    assert set(middleware().extract_request_data(REQUEST)) == {"method", "path"}


def test_log_request_logs_at_debug(log):
    middleware().log_request(REQUEST)
    [record] = records(log)
    assert (record.levelno, record.getMessage()) == (logging.DEBUG, "POST /orders")
    log.clear()
    middleware(skip_paths={"/orders"}).log_request(REQUEST)
    assert records(log) == []


@pytest.mark.parametrize(("status", "level"), [(200, logging.INFO), (404, logging.WARNING), (503, logging.ERROR)])
def test_log_response_levels_by_status(log, status, level):
    middleware(response_log_fields={"status_code", "duration"}).log_response(REQUEST, status, 0.0123, 42)
    [record] = records(log)
    assert record.levelno == level
    assert record.getMessage() == f"POST /orders {status} (12.30ms)"
    assert (record.status_code, record.duration_ms, record.response_size) == (status, 12.3, 42)


def test_log_response_honours_the_slow_threshold_and_skipped_codes(log):
    middleware(min_duration_ms=100).log_response(REQUEST, 200, 0.01)
    middleware(skip_status_codes={204}).log_response(REQUEST, 204, 1.0)
    assert records(log) == []
    middleware(min_duration_ms=100).log_response(REQUEST, 500, 0.01)  # errors always
    assert len(records(log)) == 1


def test_log_exception(log):
    try:
        raise ValueError("broken")
    except ValueError as exc:
        middleware().log_exception(REQUEST, exc)
    [record] = records(log)
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "Exception in POST /orders: ValueError: broken"
    assert record.exc_info and record.exc_info[0] is ValueError
    seen = []
    handled = middleware(exception_logging_handler=lambda *args: seen.append(args))
    handled.log_exception(REQUEST, RuntimeError("x"), exc_info=None)
    assert len(seen) == 1 and seen[0][1] is REQUEST
