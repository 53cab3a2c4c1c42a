"""Serving Django's admin (and the static files it needs) next to the API.

``runbolt`` adds ``/<admin prefix>/`` routes that hand the request to Django's own ASGI
application, so the admin, its login and its CSRF protection work exactly as under any
ASGI server. These routes skip the API's auth, guards and middleware: the admin has its
own. With ``--no-admin`` nothing is added. Its static files are served by the Go core
(``django_bolt.staticfiles``).
"""

from __future__ import annotations

import logging
from typing import Any

from .site import DjangoSite

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


class ASGIFallbackHandler(DjangoSite):
    """Runs one request through Django's ASGI application (the admin's bridge); the same
    bridge serves the rest of the Django site (``django_bolt.site``)."""


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
