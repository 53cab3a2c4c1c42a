"""Logging configuration: what ``LoggingMiddleware`` records, and the server's log output.

``LoggingConfig`` says which requests are logged and with what detail;
``get_default_logging_config()`` builds one from the environment::

    DJANGO_BOLT_LOG_LEVEL=INFO      level of the lines for successful responses
    DJANGO_BOLT_LOG_SAMPLE=0.1      log a tenth of the successful responses
    DJANGO_BOLT_LOG_SLOW_MS=100     log successful responses taking >= 100 ms only
                                    (default 250 when DEBUG is off, all when on)

Error responses (status >= 400) are always logged, whatever the sampling
and threshold say.

``setup_django_logging()`` gives a project without a ``LOGGING`` setting a
readable log on stderr, written by a background thread so that a slow
terminal or pipe never holds up a request.
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import os
import queue
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, get_args

__all__ = [
    "LoggingConfig",
    "RequestLogFields",
    "ResponseLogFields",
    "get_default_logging_config",
    "setup_django_logging",
]

# What a request line can carry: ``client_ip`` is read from X-Forwarded-For
# or X-Real-IP; headers and cookies are given with secret values masked; ``body``
# is the request body, cut at ``max_body_log_size``.
RequestLogFields = Literal["method", "path", "query", "headers", "cookies", "body", "client_ip", "user_agent"]
# What a response line says: the status always, ``duration`` appends "(12.34ms)",
# ``size`` the body's size in bytes.
ResponseLogFields = Literal["status_code", "duration", "size"]

LOG_FORMAT = "%(levelname)s - %(asctime)s - %(name)s - %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
DEFAULT_SLOW_MS = 250


def _level(name: str, what: str) -> int:
    level = logging.getLevelName(name.upper()) if isinstance(name, str) else None
    if not isinstance(level, int):
        raise ValueError(f"{what} must be a logging level name such as 'INFO' or 'WARNING', not {name!r}")
    return level


@dataclass
class LoggingConfig:
    """What ``LoggingMiddleware`` logs, and at which level.

    Successful responses are logged at ``log_level``, 4xx at WARNING and 5xx
    at ``error_log_level``. ``obfuscate_headers``/``obfuscate_cookies`` are
    the (lower-case) names whose values are masked. Bodies are logged only
    when ``log_request_body``/``log_response_body`` are set, cut at
    ``max_body_log_size`` bytes. ``exception_logging_handler(logger,
    request, exc, exc_info)`` is called for exceptions answered with a 5xx.
    Requests to ``skip_paths`` and responses with ``skip_status_codes`` are
    not logged; ``sample_rate`` (0..1) and ``min_duration_ms`` thin out the
    successful ones.
    """

    logger_name: str = "django.server"
    request_log_fields: set[str] = field(default_factory=lambda: {"method", "path", "status_code"})
    response_log_fields: set[str] = field(default_factory=lambda: {"status_code"})
    obfuscate_headers: set[str] = field(
        default_factory=lambda: {"authorization", "cookie", "x-api-key", "x-auth-token"}
    )
    obfuscate_cookies: set[str] = field(default_factory=lambda: {"sessionid", "csrftoken"})
    log_request_body: bool = False
    log_response_body: bool = False
    max_body_log_size: int = 1024
    log_level: str = "INFO"
    error_log_level: str = "ERROR"
    exception_logging_handler: Callable[..., Any] | None = None
    skip_paths: set[str] = field(default_factory=lambda: {"/health", "/ready", "/metrics"})
    skip_status_codes: set[int] = field(default_factory=set)
    sample_rate: float | None = None
    min_duration_ms: float | None = None

    def __post_init__(self) -> None:
        # "status_code" is accepted among the request fields: it is in the defaults.
        unknown = set(self.request_log_fields) - set(get_args(RequestLogFields)) - {"status_code"}
        if unknown:
            raise ValueError(
                f"LoggingConfig: unknown request_log_fields {sorted(unknown)}; "
                f"choose from {sorted(get_args(RequestLogFields))}"
            )
        unknown = set(self.response_log_fields) - set(get_args(ResponseLogFields))
        if unknown:
            raise ValueError(
                f"LoggingConfig: unknown response_log_fields {sorted(unknown)}; "
                f"choose from {sorted(get_args(ResponseLogFields))}"
            )
        self.log_level = self.log_level.upper() if isinstance(self.log_level, str) else self.log_level
        self.error_log_level = (
            self.error_log_level.upper() if isinstance(self.error_log_level, str) else self.error_log_level
        )
        _level(self.log_level, "LoggingConfig.log_level")
        _level(self.error_log_level, "LoggingConfig.error_log_level")
        if self.sample_rate is not None and not 0 <= self.sample_rate <= 1:
            raise ValueError(f"LoggingConfig: sample_rate is a fraction between 0 and 1, not {self.sample_rate!r}")
        if self.min_duration_ms is not None and self.min_duration_ms < 0:
            raise ValueError(f"LoggingConfig: min_duration_ms must be >= 0, not {self.min_duration_ms!r}")
        if self.exception_logging_handler is not None and not callable(self.exception_logging_handler):
            raise TypeError("LoggingConfig: exception_logging_handler must be callable(logger, request, exc, exc_info)")
        self.obfuscate_headers = {name.lower() for name in self.obfuscate_headers}
        self.obfuscate_cookies = set(self.obfuscate_cookies)

    def get_logger(self) -> logging.Logger:
        return logging.getLogger(self.logger_name)

    def access_log_policy(self) -> dict[str, Any]:
        """What this config says about the Go access log's lines (``BOLT_ACCESS_LOG``) for
        the routes of its API: skipped paths and statuses, sampling and the slow
        threshold of successful requests (None keeps the ``BOLT_ACCESS_LOG_*``
        setting), the query string and User-Agent when ``request_log_fields`` name
        them, and the lines' levels."""
        return {
            "skip_paths": sorted(self.skip_paths),
            "skip_status_codes": sorted(int(code) for code in self.skip_status_codes),
            "sample_rate": None if self.sample_rate is None else float(self.sample_rate),
            "min_duration_ms": None if self.min_duration_ms is None else float(self.min_duration_ms),
            "query": "query" in self.request_log_fields,
            "user_agent": "user_agent" in self.request_log_fields,
            "level": self.log_level,
            "error_level": self.error_log_level,
        }

    def should_log_request(self, path: str, status_code: int | None = None) -> bool:
        """False for skipped paths, and for skipped status codes once the status is known."""
        if path in self.skip_paths:
            return False
        return status_code is None or status_code not in self.skip_status_codes


def _env_number(name: str, parse: Callable[[str], float], check: Callable[[float], bool], expected: str) -> Any:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        value = parse(raw)
    except ValueError:
        value = None
    if value is None or not check(value):
        raise ValueError(f"{name} must be {expected}, not {raw!r}")
    return value


def get_default_logging_config() -> LoggingConfig:
    """A ``LoggingConfig`` from the environment and Django's ``DEBUG`` (see the module docstring)."""
    from django.conf import settings

    level = os.environ.get("DJANGO_BOLT_LOG_LEVEL") or "INFO"
    sample_rate = _env_number("DJANGO_BOLT_LOG_SAMPLE", float, lambda v: 0 <= v <= 1, "a fraction between 0 and 1")
    slow_ms = _env_number("DJANGO_BOLT_LOG_SLOW_MS", float, lambda v: v >= 0, "a number of milliseconds >= 0")
    if slow_ms is None and not settings.DEBUG:
        # In production an access log of every fast request costs more than it tells.
        slow_ms = DEFAULT_SLOW_MS
    return LoggingConfig(log_level=level, sample_rate=sample_rate, min_duration_ms=slow_ms)


# The installed handler and the listener writing its queue (stopped at exit,
# which writes what is still queued).
_installed: tuple[logging.handlers.QueueHandler, logging.handlers.QueueListener] | None = None
_HANDLED_LOGGERS = ("", "django.server", "django_bolt")


def setup_django_logging(force: bool = False) -> None:
    """Log to stderr through a background thread, unless the settings define ``LOGGING``.

    Installed once per process (``force=True`` replaces an earlier
    installation): one handler on the root, ``django.server`` and
    ``django_bolt`` loggers. With ``DEBUG`` on, ours log at DEBUG and the root at
    INFO (libraries' DEBUG lines, such as asyncio's, stay quiet); otherwise all at
    WARNING. ``django`` records reach it through the root logger.
    """
    global _installed
    from django.conf import settings

    if settings.is_overridden("LOGGING"):
        return
    if _installed is not None:
        if not force:
            return
        _uninstall(*_installed)
    debug = bool(settings.DEBUG)
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(logging.Formatter(LOG_FORMAT, DATE_FORMAT))
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = logging.handlers.QueueHandler(records)
    listener = logging.handlers.QueueListener(records, stream)
    listener.start()
    atexit.register(listener.stop)
    _installed = (handler, listener)

    level = logging.DEBUG if debug else logging.WARNING
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO if debug else logging.WARNING)
    for name in _HANDLED_LOGGERS[1:]:
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
    django_logger = logging.getLogger("django")
    # Django's own console handler would print each record a second time; its
    # other handlers (mail to ADMINS) stay.
    django_logger.handlers = [h for h in django_logger.handlers if not _is_console(h)]
    # At DEBUG Django logs every SQL query; INFO keeps its usual verbosity.
    django_logger.setLevel(logging.INFO if debug else logging.WARNING)
    django_logger.propagate = True


def _is_console(handler: logging.Handler) -> bool:
    return type(handler) is logging.StreamHandler


def _uninstall(handler: logging.Handler, listener: logging.handlers.QueueListener) -> None:
    for name in _HANDLED_LOGGERS:
        logging.getLogger(name).removeHandler(handler)
    listener.stop()
    atexit.unregister(listener.stop)
