"""The server's ``BOLT_*`` settings: names, types, defaults, validation.

Every setting is read and checked once, at start-up. A wrong value stops the server with
a message naming the setting and the form it expects; an unknown ``BOLT_*`` name (a
typo, usually) is reported with the closest known name. ``docs/settings.md`` lists them
all; ``python -m django_bolt.conf`` prints that table from this module.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass
from typing import Any, Callable

from django.core.exceptions import ImproperlyConfigured

__all__ = ["SERVER_SETTINGS", "OTHER_SETTINGS", "server_settings", "check_unknown_settings", "Setting"]

MiB = 1024 * 1024


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    kind: str  # "int", "seconds", "bool", "fraction", "choice", "path"
    doc: str
    choices: tuple[str, ...] = ()
    minimum: float = 0

    @property
    def key(self) -> str:
        """The name the Go core reads (``BOLT_READ_TIMEOUT`` ⇒ ``read_timeout``)."""
        return self.name.removeprefix("BOLT_").lower()

    def expected(self) -> str:
        if self.kind == "int":
            return f"an integer ≥ {int(self.minimum)}, e.g. {self.name} = {self.default}"
        if self.kind == "seconds":
            return f"a number of seconds ≥ {self.minimum:g}, e.g. {self.name} = {self.default}"
        if self.kind == "bool":
            return f"True or False, e.g. {self.name} = {self.default}"
        if self.kind == "fraction":
            return f"a number from 0 to 1, e.g. {self.name} = {self.default}"
        if self.kind == "path":
            return f"a URL path, e.g. {self.name} = {self.default!r}"
        return f"one of {', '.join(map(repr, self.choices))}, e.g. {self.name} = {self.default!r}"

    def validate(self, value: Any) -> Any:
        ok: Callable[[Any], bool] = {
            "int": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= self.minimum,
            "seconds": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v >= self.minimum,
            "bool": lambda v: isinstance(v, bool),
            "fraction": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1,
            "choice": lambda v: v in self.choices,
            "path": lambda v: isinstance(v, str) and v.startswith("/") and "?" not in v,
        }[self.kind]
        if not ok(value):
            raise ImproperlyConfigured(f"{self.name} = {value!r} is not valid: use {self.expected()}")
        return float(value) if self.kind in ("seconds", "fraction") else value


# Settings the Go core reads; each reaches it under Setting.key.
SERVER_SETTINGS: tuple[Setting, ...] = (
    Setting("BOLT_MAX_UPLOAD_SIZE", 10 * MiB, "int", "Largest request body, in bytes, for every content type; larger ⇒ 413.", minimum=1),
    Setting("BOLT_MEMORY_SPOOL_THRESHOLD", 1 * MiB, "int", "Multipart bodies and uploaded files larger than this, in bytes, are kept in temporary files instead of memory."),
    Setting("BOLT_MAX_HEADER_SIZE", 8192, "int", "Largest value of a single request header, in bytes; larger ⇒ 400.", minimum=1),
    Setting("BOLT_MAX_HEADER_BYTES", 32768, "int", "Largest request head (request line and all headers), in bytes; larger ⇒ 431.", minimum=1024),
    Setting("BOLT_MAX_HEADER_COUNT", 100, "int", "Most header lines in one request; more ⇒ 400.", minimum=1),
    Setting("BOLT_READ_TIMEOUT", 30, "seconds", "Time a client has to send a request's head and body; slower clients are disconnected.", minimum=0.001),
    Setting("BOLT_WRITE_TIMEOUT", 0, "seconds", "Time allowed to produce and write one response, streams included: a handler that has not answered by then gets a 500 (logged); 0 means no limit."),
    Setting("BOLT_KEEP_ALIVE", 75, "seconds", "How long an idle keep-alive connection stays open; 0 closes every connection after one response."),
    Setting("BOLT_MAX_CONNECTIONS", 10000, "int", "Most concurrent connections per process, open streams included (WebSockets have their own limit); more are answered 503 and closed.", minimum=1),
    Setting("BOLT_MAX_PENDING", 0, "int", "Most requests waiting for or running in Python per process; more are answered 503 with Retry-After at once, in Go. 0 means unbounded."),
    Setting("BOLT_SHUTDOWN_TIMEOUT", 30, "seconds", "On SIGTERM/SIGINT, how long in-flight requests and streams may take to finish."),
    Setting("BOLT_BACKLOG", 1024, "int", "Listen backlog: connections the kernel queues before the server accepts them.", minimum=1),
    Setting("BOLT_ACCESS_LOG", "off", "choice", "Access log written by Go to stderr, one line per request.", choices=("off", "text", "json")),
    Setting("BOLT_ACCESS_LOG_SAMPLE", 1.0, "fraction", "Fraction of successful (< 400) requests logged; errors are always logged."),
    Setting("BOLT_ACCESS_LOG_SLOW_MS", 0, "int", "Log successful requests only when they take at least this many milliseconds; 0 logs all."),
    Setting("BOLT_REQUEST_ID", False, "bool", "Accept X-Request-ID (or generate one), echo it on the response, log it and put it in request.context['request_id']."),
    Setting("BOLT_METRICS", False, "bool", "Serve Prometheus metrics (text format) from Go at BOLT_METRICS_PATH, for every worker process together."),
    Setting("BOLT_METRICS_PATH", "/metrics", "path", "Path of the metrics endpoint."),
    Setting("BOLT_WS_MAX_CONNECTIONS", 10000, "int", "Most open WebSockets per process; more upgrades are answered 503.", minimum=1),
    Setting("BOLT_WS_CHANNEL_SIZE", 100, "int", "Messages a WebSocket handler may fall behind (inbound), and messages waiting to be written to a client (outbound); inbound overflow closes 1011, outbound 1008.", minimum=1),
    Setting("BOLT_WS_HEARTBEAT_INTERVAL", 5, "seconds", "Seconds between the server's pings on an open WebSocket.", minimum=0.01),
    Setting("BOLT_WS_CLIENT_TIMEOUT", 10, "seconds", "A WebSocket client silent this long (no frame, no pong) is closed; its handler sees 1001.", minimum=0.01),
    Setting("BOLT_WS_MAX_MESSAGE_SIZE", MiB, "int", "Largest inbound WebSocket message, in bytes; larger closes with 1009.", minimum=1),
)

# Settings read by the Python side; validated where they are used.
OTHER_SETTINGS: dict[str, str] = {
    "BOLT_API": 'List of "module:attribute" BoltAPI locations; replaces discovery.',
    "BOLT_AUTHENTICATION_CLASSES": "Default authentication backends (instances) of routes without auth=.",
    "BOLT_DEFAULT_PERMISSION_CLASSES": "Default guards (instances) of routes without guards=; default [AllowAny()].",
    "BOLT_ALLOWED_FILE_PATHS": "Directories FileResponse may serve from; unset means anywhere.",
    "BOLT_COMPRESSION": "CompressionConfig(...) for responses, or None/False to turn compression off.",
    "BOLT_CORS_ALLOWED_ORIGINS": "Same as CORS_ALLOWED_ORIGINS: the project-wide CORS origins (see docs/guide/middleware.md).",
    "BOLT_CORS_ALLOWED_ORIGIN_REGEXES": "Same as CORS_ALLOWED_ORIGIN_REGEXES.",
    "BOLT_CORS_ALLOW_ALL_ORIGINS": "Same as CORS_ALLOW_ALL_ORIGINS.",
    "BOLT_CORS_ALLOW_CREDENTIALS": "Same as CORS_ALLOW_CREDENTIALS.",
    "BOLT_CORS_ALLOW_METHODS": "Same as CORS_ALLOW_METHODS.",
    "BOLT_CORS_ALLOW_HEADERS": "Same as CORS_ALLOW_HEADERS.",
    "BOLT_CORS_EXPOSE_HEADERS": "Same as CORS_EXPOSE_HEADERS.",
    "BOLT_CORS_PREFLIGHT_MAX_AGE": "Same as CORS_PREFLIGHT_MAX_AGE.",
    "BOLT_EMIT_SIGNALS": "Send Django's request_started/request_finished for each request (CONN_MAX_AGE recycling); default False.",
    "BOLT_TRUSTED_PROXIES": "Proxy IPs/networks whose X-Forwarded-For / X-Real-IP are believed for rate-limit keys (the client is the last X-Forwarded-For entry that is not one of them).",
    "BOLT_RATE_LIMIT_BACKEND": 'Where rate-limit buckets live: "" (each process) or "redis://host:port/db" (shared).',
    "BOLT_DJANGO_SITE": "True (default): paths no API route serves but the URLconf resolves go to Django's ASGI application.",
    "BOLT_RATE_LIMIT_BACKEND_REQUIRED": "True: runbolt refuses to start when the rate-limit backend does not answer (default: a warning).",
    "BOLT_OPENAPI_CDN": "True: the docs UIs load their scripts from public CDNs instead of the copies shipped in the package.",
}


def server_settings(settings: Any = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The validated server settings as ``{key: value}``; ``overrides`` come from runbolt flags."""
    if settings is None:
        from django.conf import settings
    out: dict[str, Any] = {}
    for s in SERVER_SETTINGS:
        value = (overrides or {}).get(s.name, getattr(settings, s.name, s.default))
        out[s.key] = s.validate(value)
    return out


def check_unknown_settings(settings: Any = None) -> list[str]:
    """Warnings for ``BOLT_*`` names no part of django_bolt reads."""
    if settings is None:
        from django.conf import settings
    known = {s.name for s in SERVER_SETTINGS} | set(OTHER_SETTINGS)
    warnings = []
    for name in dir(settings):
        if name.startswith("BOLT_") and name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            warnings.append(f"Unknown setting {name}: django_bolt does not read it{hint}")
    return warnings


def _markdown() -> str:
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    for s in SERVER_SETTINGS:
        rows.append(f"| `{s.name}` | `{s.default!r}` | {s.doc} |")
    for name, doc in OTHER_SETTINGS.items():
        rows.append(f"| `{name}` | unset | {doc} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    sys.stdout.write(_markdown())
