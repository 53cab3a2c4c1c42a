"""``python manage.py bolt_routes``: every route the server would serve, with its security.

One line per route (``WS`` for a WebSocket route): method, path, handler,
authentication, guards and rate limit::

    METHOD  PATH         HANDLER                     AUTH  GUARDS            RATE LIMIT
    GET     /auth/me     accounts.api.me             jwt   is_authenticated  -
    GET     /limited     accounts.api.limited        -     -                 5/s, burst 10, by ip

``--format json`` writes the same as a JSON list. Secrets (JWT keys, API keys) are never
printed: a backend shows as its type and the header it reads.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from ..project import load_project_api

COLUMNS = ("method", "path", "handler", "auth", "guards", "rate_limit")


def describe(method: str, route: Any) -> dict[str, Any]:
    """What ``bolt_routes`` says about one route (a ``Route`` or a ``WebSocketRoute``)."""
    native = route.security.native or {}
    auth = [
        backend["type"] if backend.get("header") in (None, "authorization", "x-api-key")
        else f"{backend['type']}({backend['header']})"
        for backend in native.get("auth_backends", ())
    ]
    guards = [_guard(meta) for meta in native.get("guards", ())]
    guards += [type(guard).__name__ for guard in route.security.python_guards]
    limits = [
        f"{entry['rps']}/s, burst {entry.get('burst', entry['rps'])}, by {entry.get('key', 'ip')}"
        for entry in native.get("middleware", ())
        if entry.get("type") == "rate_limit"
    ]
    fn = route.fn
    return {
        "method": method,
        "path": route.path,
        "handler": f"{fn.__module__}.{fn.__qualname__}",
        "auth": auth,
        "guards": guards,
        "rate_limit": limits[0] if limits else None,
    }


def _guard(meta: dict[str, Any]) -> str:
    if "permission" in meta:
        return f"{meta['type']}({meta['permission']})"
    if "permissions" in meta:
        return f"{meta['type']}({', '.join(meta['permissions'])})"
    return meta["type"]


class Command(BaseCommand):
    help = "List the routes runbolt serves: method, path, handler, authentication, guards and rate limit."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=("table", "json"), default="table", help="Output format.")
        parser.add_argument("--no-admin", action="store_true", help="Leave out the Django admin routes.")
        parser.add_argument("--no-docs", action="store_true", help="Leave out the documentation routes.")

    def handle(self, *args, **opts):
        project = load_project_api(admin=not opts["no_admin"], docs=not opts["no_docs"])
        rows = [describe(route.method, route) for route in project.api.routes()]
        rows += [describe("WS", route) for route in project.api.websocket_routes()]
        if opts["format"] == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        cells = [[_cell(row[column]) for column in COLUMNS] for row in rows]
        header = ["METHOD", "PATH", "HANDLER", "AUTH", "GUARDS", "RATE LIMIT"]
        widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
        for line in [header, *cells]:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
        self.stdout.write(f"\n{len(rows)} routes from {', '.join(project.modules)}")


def _cell(value: Any) -> str:
    if not value:
        return "-"
    return ", ".join(value) if isinstance(value, list) else str(value)
