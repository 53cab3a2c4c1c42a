"""``LoggingMiddleware``: an access log written by Python, for the routes you choose.

Not installed by default: logging from Python costs every request it sees a
few microseconds of formatting and locking, which is much of the budget of a
fast route. Add it where the log is worth it::

    api = BoltAPI(middleware=[LoggingMiddleware()])            # every route of this API
    api = BoltAPI(middleware=[create_logging_middleware(logger_name="shop.access")])

    @api.post("/orders")
    @middleware(LoggingMiddleware(LoggingConfig(log_request_body=True)))
    async def create_order(order: Order): ...                   # one route

What it logs, per request:

* at DEBUG, ``"<METHOD> <path>"`` with the fields of
  ``LoggingConfig.request_log_fields`` as record attributes (headers and
  cookies with secret values masked);
* when the response is known, ``"<METHOD> <path> <status>"`` (plus
  ``" (<ms>ms)"`` with ``"duration"`` in ``response_log_fields``): 2xx/3xx
  at ``log_level``, subject to the logger's level, ``sample_rate`` and
  ``min_duration_ms``; 4xx at WARNING and 5xx at ``error_log_level``, always.
  Each record has the attributes ``method``, ``path``, ``status_code``,
  ``duration_ms`` and ``response_size`` (None for streams).

Requests refused before Python runs (by the server's authentication,
guards, rate limits, or because no route matches) are not seen here.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..error_handlers import handle_exception
from ..middleware.middleware import Middleware
from .config import LoggingConfig, get_default_logging_config

__all__ = ["LoggingMiddleware", "create_logging_middleware"]

MASK = "***"


def _masked(values: dict[str, str], secret: set[str]) -> dict[str, str]:
    return {name: MASK if name.lower() in secret else value for name, value in values.items()}


def _clipped(body: bytes, limit: int) -> str:
    text = body[:limit].decode("utf-8", "replace")
    if len(body) > limit:
        text += f"... ({len(body)} bytes)"
    return text


def _client_ip(headers: dict[str, str]) -> str | None:
    forwarded = headers.get("x-forwarded-for")
    if forwarded:
        return forwarded.split(",")[0].strip()
    return headers.get("x-real-ip")


class LoggingMiddleware(Middleware):
    """Logs each request and its response as ``config`` says (see the module docstring).

    Put it first in ``middleware=[...]`` so it sees the response that is
    sent. An exception raised below it is answered right here, exactly as the
    framework would answer it (``handle_exception``, which also logs the
    traceback of unexpected errors), so that the status it logs is the one
    the client gets.
    """

    def __init__(self, config: LoggingConfig | None = None) -> None:
        self.config = get_default_logging_config() if config is None else config
        self.logger = self.config.get_logger()
        self._success_level = logging.getLevelName(self.config.log_level)
        self._error_level = logging.getLevelName(self.config.error_log_level)

    async def process_request(self, request: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
        if not self.config.should_log_request(request.path):
            return await call_next(request)
        start = time.perf_counter()
        self.log_request(request)
        try:
            response = await call_next(request)
        except Exception as exc:
            exc_info = sys.exc_info()
            # handle_exception logs the traceback of an unexpected error itself.
            response = handle_exception(exc, None, request)
            if self.config.exception_logging_handler is not None and response[0] >= 500:
                self.log_exception(request, exc, exc_info)
        body = None
        if isinstance(response, tuple):
            status, _, body = response
        else:
            # A stream or a response object carries its status. A plain value a
            # middleware below answered with is sent with the route's status
            # code, which this middleware does not know: 200 unless set.
            status = getattr(response, "status_code", 200)
        self._log_response(request, status, (time.perf_counter() - start) * 1000, body)
        return response

    # The original's public methods; ``request`` may be a ``Request`` or a dict with the
    # same keys (``method``, ``path``, ``query``, ``headers``, ``cookies``, ``body``).

    def obfuscate_headers(self, headers: dict[str, str]) -> dict[str, str]:
        """``headers`` with the values of ``obfuscate_headers`` names masked."""
        return _masked(headers, self.config.obfuscate_headers)

    def obfuscate_cookies(self, cookies: dict[str, str]) -> dict[str, str]:
        """``cookies`` with the values of ``obfuscate_cookies`` names masked."""
        return _masked(cookies, self.config.obfuscate_cookies)

    def extract_request_data(self, request: Any) -> dict[str, Any]:
        """The ``request_log_fields`` of ``request``, secrets masked, the body cut."""
        config = self.config
        fields = config.request_log_fields
        headers = request.get("headers") or {}
        data: dict[str, Any] = {}
        if "method" in fields:
            data["method"] = request.get("method", "")
        if "path" in fields:
            data["path"] = request.get("path", "")
        if "query" in fields:
            data["query"] = request.get("query") or {}
        if "headers" in fields:
            data["headers"] = self.obfuscate_headers(headers)
        if "cookies" in fields:
            data["cookies"] = self.obfuscate_cookies(request.get("cookies") or {})
        if "client_ip" in fields:
            data["client_ip"] = _client_ip(headers)
        if "user_agent" in fields:
            data["user_agent"] = headers.get("user-agent")
        if "body" in fields or config.log_request_body:
            body = request.get("body") or b""
            if isinstance(body, str):
                body = body.encode()
            data["request_body"] = _clipped(body, config.max_body_log_size)
        return data

    def log_request(self, request: Any) -> None:
        """``"<METHOD> <path>"`` at DEBUG with ``extract_request_data`` as record attributes."""
        path = request.get("path", "/")
        if not self.config.should_log_request(path) or not self.logger.isEnabledFor(logging.DEBUG):
            return
        self.logger.debug("%s %s", request.get("method", ""), path, extra=self.extract_request_data(request))

    def log_response(self, request: Any, status_code: int, duration: float, response_size: int | None = None) -> None:
        """``"<METHOD> <path> <status>"``: successes at ``log_level`` (subject to sampling
        and ``min_duration_ms``), 4xx at WARNING, 5xx at ``error_log_level``.
        ``duration`` is in seconds."""
        self._log_response(request, status_code, duration * 1000, None, response_size)

    def log_exception(self, request: Any, exc: BaseException, exc_info: Any = True) -> None:
        """An exception answered with a 5xx: to ``exception_logging_handler(logger,
        request, exc, exc_info)`` when configured, else ``"Exception in <METHOD> <path>:
        <Type>: <message>"`` at ``error_log_level`` with the traceback."""
        handler = self.config.exception_logging_handler
        if handler is not None:
            handler(self.logger, request, exc, exc_info)
            return
        method, path = request.get("method", ""), request.get("path", "/")
        self.logger.log(
            self._error_level, "Exception in %s %s: %s: %s", method, path, type(exc).__name__, exc,
            exc_info=exc_info,
            extra={"method": method, "path": path, "exception_type": type(exc).__name__},
        )

    def _log_response(self, request: Any, status: int, duration_ms: float, body: bytes | None,
                      size: int | None = None) -> None:
        config = self.config
        method, path = request.get("method", ""), request.get("path", "/")
        if not config.should_log_request(path, status):
            return
        if status < 400:
            level = self._success_level
            if not self.logger.isEnabledFor(level):
                return
            if config.min_duration_ms is not None and duration_ms < config.min_duration_ms:
                return
            if config.sample_rate is not None and random.random() >= config.sample_rate:
                return
        elif status < 500:
            level = logging.WARNING
        else:
            level = self._error_level
        message = f"{method} {path} {status}"
        if "duration" in config.response_log_fields:
            message += f" ({duration_ms:.2f}ms)"
        if size is None and body is not None:
            size = len(body)
        extra = {
            "method": method,
            "path": path,
            "status_code": status,
            "duration_ms": round(duration_ms, 2),
            "response_size": size,
        }
        if config.log_response_body and body is not None:
            extra["response_body"] = _clipped(body, config.max_body_log_size)
        self.logger.log(level, "%s", message, extra=extra)


def create_logging_middleware(logger_name: str | None = None, log_level: str | None = None,
                              **overrides: Any) -> LoggingMiddleware:
    """A ``LoggingMiddleware`` with the defaults of ``get_default_logging_config()``,
    changed by the arguments (any ``LoggingConfig`` field by name)."""
    if logger_name is not None:
        overrides["logger_name"] = logger_name
    if log_level is not None:
        overrides["log_level"] = log_level
    return LoggingMiddleware(dataclasses.replace(get_default_logging_config(), **overrides))
