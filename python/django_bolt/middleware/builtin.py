"""Ready-made Python middleware: timing, request logging, error answers.

Pass the class, as with any Django-style middleware::

    api = BoltAPI(middleware=[TimingMiddleware, ErrorHandlerMiddleware])

To change a constructor option, subclass and call ``super().__init__`` with it::

    class Verbose(LoggingMiddleware):
        def __init__(self, get_response):
            super().__init__(get_response, log_headers=True)
"""

from __future__ import annotations

import logging
import time
import traceback
import uuid
from typing import Any

from ..exceptions import BoltException, HTTPException
from .middleware import BaseMiddleware, GetResponse, Middleware

__all__ = ["TimingMiddleware", "LoggingMiddleware", "ErrorHandlerMiddleware"]


class TimingMiddleware(BaseMiddleware):
    """Gives each request an id and reports how long it took.

    Sets ``request.state["request_id"]`` (a uuid4) and ``request.state["start_time"]``
    (``time.perf_counter()``), and adds ``X-Request-ID`` and ``X-Response-Time``
    (seconds, four decimals, e.g. ``0.0012s``) to the response.
    """

    async def process_request(self, request: Any) -> Any:
        request_id = str(uuid.uuid4())
        start = time.perf_counter()
        state = request.state
        state["request_id"] = request_id
        state["start_time"] = start
        response = await self.get_response(request)
        response.headers["x-request-id"] = request_id
        response.headers["x-response-time"] = f"{time.perf_counter() - start:.4f}s"
        return response


class LoggingMiddleware(BaseMiddleware):
    """One log line per request and one per response, on logger ``django_bolt.requests``.

    ``log_headers`` adds the request headers, ``log_body`` the request body (first
    1000 bytes) to the request line. Health, metrics and documentation paths are not
    logged.
    """

    exclude_paths = ("/health", "/health/**", "/metrics", "/docs", "/docs/**", "/openapi.json")

    def __init__(
        self,
        get_response: GetResponse | None = None,
        logger: logging.Logger | None = None,
        log_body: bool = False,
        log_headers: bool = False,
        log_level: int = logging.INFO,
    ) -> None:
        super().__init__(get_response)
        self.logger = logger or logging.getLogger("django_bolt.requests")
        self.log_body = log_body
        self.log_headers = log_headers
        self.log_level = log_level

    async def process_request(self, request: Any) -> Any:
        logger = self.logger
        enabled = logger.isEnabledFor(self.log_level)
        if enabled:
            extra: dict[str, Any] = {"method": request.method, "path": request.path}
            if self.log_headers:
                extra["headers"] = request.headers
            if self.log_body:
                extra["body"] = request.body[:1000].decode("utf-8", "replace")
            logger.log(self.log_level, "Request: %s %s", request.method, request.path, extra=extra)
        start = time.perf_counter()
        response = await self.get_response(request)
        if enabled:
            took = (time.perf_counter() - start) * 1000
            logger.log(
                self.log_level,
                "Response: %s %s %d (%.2fms)",
                request.method,
                request.path,
                response.status_code,
                took,
                extra={"method": request.method, "path": request.path,
                       "status_code": response.status_code, "duration_ms": round(took, 2)},
            )
        return response


class ErrorHandlerMiddleware(Middleware):
    """Turns unexpected exceptions into ``HTTPException(500)``.

    ``HTTPException`` and validation errors pass through unchanged. Anything else is
    logged with its traceback (logger ``django_bolt.errors``) and answered 500
    ``Internal Server Error``, or the traceback itself when ``debug=True``.
    """

    def __init__(self, get_response: GetResponse | None = None, debug: bool = False) -> None:
        super().__init__(get_response)
        self.debug = debug
        self.logger = logging.getLogger("django_bolt.errors")

    async def process_request(self, request: Any) -> Any:
        try:
            return await self.get_response(request)
        except BoltException:
            raise
        except Exception as exc:
            self.logger.exception("Unhandled exception in %s %s", request.method, request.path)
            detail = traceback.format_exc() if self.debug else "Internal Server Error"
            raise HTTPException(500, detail) from exc
