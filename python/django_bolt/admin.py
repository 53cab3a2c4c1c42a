"""Serving Django's admin (and the static files it needs) next to the API.

``runbolt`` adds ``/<admin prefix>/`` routes that hand the request to Django's own ASGI
application, so the admin, its login and its CSRF protection work exactly as under any
ASGI server. These routes skip the API's auth, guards and middleware: the admin has its
own. With ``--no-admin`` nothing is added. Its static files are served by the Go core
(``django_bolt.staticfiles``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

__all__ = [
    "is_admin_installed",
    "detect_admin_url_prefix",
    "should_enable_admin",
    "ASGIFallbackHandler",
    "register_admin_routes",
]

logger = logging.getLogger("django_bolt")

_REQUIRED_APPS = (
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
)


def is_admin_installed() -> bool:
    from django.apps import apps

    return apps.is_installed("django.contrib.admin")


def should_enable_admin() -> bool:
    from django.apps import apps

    if not is_admin_installed():
        return False
    missing = [name for name in _REQUIRED_APPS if not apps.is_installed(name)]
    if missing:
        logger.warning("Django admin is not served: it needs %s in INSTALLED_APPS", ", ".join(missing))
        return False
    return True


def detect_admin_url_prefix() -> str | None:
    """The URL prefix the root URLconf mounts the admin site at (e.g. ``"admin"``)."""
    from django.contrib import admin
    from django.urls import URLResolver, get_resolver

    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and getattr(pattern, "app_name", None) == "admin":
            return str(pattern.pattern).strip("^$/") or None
        if isinstance(pattern, URLResolver) and pattern.urlconf_name is admin.site.urls:
            return str(pattern.pattern).strip("^$/") or None
    return None


class ASGIFallbackHandler:
    """Runs one request through Django's ASGI application and collects the response.

    ``host`` and ``port`` are the address the server is bound to: the ASGI ``server``
    and, when the request has none, its ``Host`` header.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 8000) -> None:
        from django.core.asgi import get_asgi_application

        self.host = host
        self.port = port
        self._app = get_asgi_application()

    async def __call__(self, request: Any) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = request._headers
        if "host" not in headers:
            headers = {**headers, "host": f"{self.host}:{self.port}"}
        forwarded_proto = headers.get("x-forwarded-proto", "")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": "https" if forwarded_proto == "https" else "http",
            "path": request.path,
            "raw_path": request.path.encode(),
            "query_string": request._raw_query or b"",
            "root_path": "",
            "headers": [(k.encode("latin-1"), v.encode("latin-1", "replace")) for k, v in headers.items()],
            "client": (headers.get("x-forwarded-for", "127.0.0.1").split(",")[0].strip(), 0),
            "server": (self.host, self.port),
        }
        body = request.body
        sent = False
        finished = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                # Django listens for a disconnect while the view runs; the whole body was
                # already delivered, so the "client" stays until the response is complete.
                await finished.wait()
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        out_headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                out_headers.extend((k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self._app(scope, receive, send)
        finally:
            finished.set()
        return status, out_headers, b"".join(chunks)


def register_admin_routes(api: Any) -> bool:
    """Add the admin routes to ``api`` (the merged API of the project); whether it did."""
    if not should_enable_admin():
        return False
    prefix = detect_admin_url_prefix()
    if prefix is None:
        return False
    handler = ASGIFallbackHandler()

    async def admin_view(request):
        return await handler(request)

    # The admin has its own authentication and CSRF protection: none of the API's applies.
    bare = {"guards": [], "auth": [], "middleware": [], "middleware_config": {}}
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        api._register(method, f"/{prefix}/", admin_view, **bare)
        api._register(method, f"/{prefix}/{{path:path}}", admin_view, **bare)
    # The admin's CSS and scripts are static files, served by the Go core
    # (django_bolt.staticfiles).
    return True
