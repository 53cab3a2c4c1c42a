"""``LoggingMiddleware``: the opt-in access log, through the Go pipeline."""

from __future__ import annotations

import logging
from typing import Annotated

import pytest

from django_bolt import BoltAPI, StreamingResponse  # noqa: E402
from django_bolt.exceptions import NotFound  # noqa: E402
from django_bolt.logging import LoggingConfig, LoggingMiddleware, create_logging_middleware  # noqa: E402
from django_bolt.middleware import Middleware, middleware  # noqa: E402
from django_bolt.params import Header  # noqa: E402
from django_bolt.testing import TestClient  # noqa: E402

LOGGER = "test.access"


def make_api(config: LoggingConfig | None = None, *, mw=None) -> BoltAPI:
    config = config or LoggingConfig(logger_name=LOGGER)
    api = BoltAPI(middleware=[LoggingMiddleware(config)] if mw is None else mw)

    @api.get("/items")
    async def items():
        return {"items": [1, 2, 3]}

    @api.post("/echo")
    async def echo(request):
        return {"got": request.body.decode()}

    @api.get("/missing")
    async def missing():
        raise NotFound("no such item")

    @api.get("/crash")
    async def crash():
        raise RuntimeError("kaput")

    @api.get("/stream")
    async def stream():
        return StreamingResponse(iter([b"a", b"b"]), status_code=206)

    @api.get("/health")
    async def health():
        return {"status": "ok"}

    @api.get("/whoami")
    async def whoami(request, x_token: Annotated[str, Header()] = ""):
        return {}

    return api


def records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER]


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    return caplog


def test_successful_response_is_logged_with_its_details(log):
    with TestClient(make_api()) as client:
        response = client.get("/items")
    assert response.json() == {"items": [1, 2, 3]}
    (request_line, response_line) = records(log)
    assert (request_line.levelno, request_line.getMessage()) == (logging.DEBUG, "GET /items")
    assert (response_line.levelno, response_line.getMessage()) == (logging.INFO, "GET /items 200")
    assert response_line.method == "GET"
    assert response_line.path == "/items"
    assert response_line.status_code == 200
    assert response_line.response_size == len(response.content)
    assert response_line.duration_ms >= 0


def test_duration_in_the_message_when_asked(log):
    config = LoggingConfig(logger_name=LOGGER, response_log_fields={"status_code", "duration"})
    with TestClient(make_api(config)) as client:
        client.get("/items")
    message = records(log)[-1].getMessage()
    assert message.startswith("GET /items 200 (") and message.endswith("ms)")


def test_request_line_masks_secrets(log):
    config = LoggingConfig(
        logger_name=LOGGER,
        request_log_fields={"method", "path", "headers", "cookies", "client_ip", "user_agent", "query"},
    )
    with TestClient(make_api(config)) as client:
        client.get(
            "/whoami?debug=1",
            headers={"authorization": "Bearer secret", "x-token": "t", "x-forwarded-for": "10.0.0.7, 10.0.0.1",
                     "user-agent": "probe/1", "cookie": "sessionid=abc; theme=dark"},
        )
    request_line = records(log)[0]
    assert request_line.headers["authorization"] == "***"
    assert request_line.headers["cookie"] == "***"
    assert request_line.headers["x-token"] == "t"
    assert request_line.cookies == {"sessionid": "***", "theme": "dark"}
    assert request_line.client_ip == "10.0.0.7"
    assert request_line.user_agent == "probe/1"
    assert request_line.query == {"debug": "1"}


def test_bodies_are_logged_only_when_asked_and_clipped(log):
    config = LoggingConfig(logger_name=LOGGER, log_request_body=True, log_response_body=True, max_body_log_size=5)
    with TestClient(make_api(config)) as client:
        client.post("/echo", content=b"hello world")
    request_line, response_line = records(log)
    assert request_line.request_body == "hello... (11 bytes)"
    assert response_line.response_body.startswith('{"got')
    with TestClient(make_api()) as client:
        log.clear()
        client.post("/echo", content=b"hello world")
    assert not any(hasattr(r, "request_body") or hasattr(r, "response_body") for r in records(log))


def test_http_exceptions_are_logged_as_their_response(log):
    with TestClient(make_api()) as client:
        response = client.get("/missing")
    assert response.status_code == 404
    assert response.json() == {"detail": "no such item"}
    line = records(log)[-1]
    assert (line.levelno, line.getMessage(), line.status_code) == (logging.WARNING, "GET /missing 404", 404)


def test_unhandled_exceptions_are_errors_and_reach_the_handler(log):
    seen = []

    def on_exception(logger, request, exc, exc_info):
        seen.append((logger.name, request.path, type(exc), exc_info[1] is exc))

    config = LoggingConfig(logger_name=LOGGER, exception_logging_handler=on_exception)
    with TestClient(make_api(config)) as client:
        response = client.get("/crash")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    line = records(log)[-1]
    assert (line.levelno, line.getMessage()) == (logging.ERROR, "GET /crash 500")
    assert seen == [(LOGGER, "/crash", RuntimeError, True)]
    # The traceback is logged once, by the framework's error handler.
    assert [r.getMessage() for r in log.records if r.name == "django_bolt"] == [
        "Exception in GET /crash: RuntimeError: kaput"
    ]


def test_error_log_level_applies_to_server_errors(log):
    config = LoggingConfig(logger_name=LOGGER, error_log_level="CRITICAL")
    with TestClient(make_api(config)) as client:
        client.get("/crash")
    assert records(log)[-1].levelno == logging.CRITICAL


def test_streams_are_logged_with_their_status(log):
    with TestClient(make_api()) as client:
        assert client.get("/stream").content == b"ab"
    line = records(log)[-1]
    assert (line.getMessage(), line.response_size) == ("GET /stream 206", None)


def test_skipped_paths_and_status_codes(log):
    config = LoggingConfig(logger_name=LOGGER, skip_status_codes={404})
    with TestClient(make_api(config)) as client:
        client.get("/health")
        client.get("/missing")
    assert [r.getMessage() for r in records(log)] == ["GET /missing"]


def test_slow_only_and_sampling_thin_out_successes_but_never_errors(log):
    for config in (LoggingConfig(logger_name=LOGGER, min_duration_ms=60_000),
                   LoggingConfig(logger_name=LOGGER, sample_rate=0.0)):
        log.clear()
        with TestClient(make_api(config)) as client:
            client.get("/items")
            client.get("/missing")
            client.get("/crash")
        assert [r.getMessage() for r in records(log) if r.levelno > logging.DEBUG] == [
            "GET /missing 404", "GET /crash 500",
        ]


def test_successes_follow_the_logger_level(caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with TestClient(make_api()) as client:
        client.get("/items")
        client.get("/missing")
    assert [r.getMessage() for r in records(caplog)] == ["GET /missing 404"]


def test_log_level_sets_the_level_of_successes(log):
    with TestClient(make_api(LoggingConfig(logger_name=LOGGER, log_level="WARNING"))) as client:
        client.get("/items")
    assert records(log)[-1].levelno == logging.WARNING


def test_response_of_a_middleware_below_is_logged(log):
    class Gate(Middleware):
        async def process_request(self, request, call_next):
            return 429, [("content-type", "text/plain")], b"slow down"

    api = make_api(mw=[LoggingMiddleware(LoggingConfig(logger_name=LOGGER)), Gate()])
    with TestClient(api) as client:
        response = client.get("/items")
    assert (response.status_code, response.text) == (429, "slow down")
    assert records(log)[-1].getMessage() == "GET /items 429"


def test_usable_on_one_route(log):
    api = BoltAPI()

    @api.get("/quiet")
    async def quiet():
        return {}

    @api.get("/loud")
    @middleware(LoggingMiddleware(LoggingConfig(logger_name=LOGGER)))
    async def loud():
        return {}

    with TestClient(api) as client:
        client.get("/quiet")
        client.get("/loud")
    assert [r.getMessage() for r in records(log) if r.levelno > logging.DEBUG] == ["GET /loud 200"]


def test_not_installed_by_default(caplog):
    caplog.set_level(logging.DEBUG)
    api = BoltAPI()

    @api.get("/items")
    async def items():
        return {}

    with TestClient(api) as client:
        client.get("/items")
    assert not [r for r in caplog.records if r.name == "django.server"]


def test_create_logging_middleware_applies_overrides(monkeypatch):
    monkeypatch.delenv("DJANGO_BOLT_LOG_SLOW_MS", raising=False)
    mw = create_logging_middleware(logger_name=LOGGER, log_level="debug", skip_paths={"/x"}, min_duration_ms=5)
    assert isinstance(mw, LoggingMiddleware)
    assert (mw.config.logger_name, mw.config.log_level) == (LOGGER, "DEBUG")
    assert mw.config.skip_paths == {"/x"}
    assert mw.config.min_duration_ms == 5
    assert mw.logger is logging.getLogger(LOGGER)
    with pytest.raises(TypeError):
        create_logging_middleware(colour=True)


def test_default_middleware_reads_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_BOLT_LOG_SLOW_MS", "12")
    assert LoggingMiddleware().config.min_duration_ms == 12
