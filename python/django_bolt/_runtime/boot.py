"""Start-up inside the server process, called by the Go core.

``load`` sets up Django, discovers and merges the project's APIs, compiles every route
and returns the route table for Go as msgpack. ``serve`` then runs the event loop on
the calling (main) thread until the core stops it. Any error here stops start-up with
its traceback; nothing is served half-configured.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import Any, Callable

import msgspec

__all__ = ["load", "serve", "route_table"]

_runners: list[Callable[[Any], Any]] = []
_websocket_routes: list[Any] = []
_websocket_channel_size = 100


_EVERYTHING = ("params", "query", "headers", "cookies", "body")


def _needs(route: Any) -> frozenset[str]:
    """What Go must send: the binding plan's needs, or everything when Python guards or
    middleware will look at the request too."""
    if route.security.python_guards or route.security.python_middleware:
        return frozenset(_EVERYTHING)
    return route.plan.needs


def route_table(api: Any, routes: list[Any], overrides: dict[str, Any] | None = None,
                static_files: dict[str, Any] | None = None) -> dict[str, Any]:
    """The document the Go core builds its router and middleware from.

    ``overrides`` are settings given as runbolt flags (``{"BOLT_BACKLOG": 2048}``);
    ``static_files`` replaces the static-file settings (test clients).
    """
    from django.conf import settings

    from ..conf import server_settings
    from ..middleware.compiler import global_security_config
    from ..staticfiles import static_files_config

    return {
        "routes": [
            {
                "method": r.method,
                "path": r.path,
                "handler_id": r.handler_id,
                "needs": sorted(_needs(r)),
                "security": r.security.native,
                "name": f"{r.fn.__module__}.{r.fn.__qualname__}",
            }
            for r in routes
        ],
        "websockets": [w.table_entry() for w in api.websocket_routes()],
        "global": global_security_config(api.compression),
        "settings": {"debug": bool(settings.DEBUG), **server_settings(settings, overrides)},
        "static": static_files_config(settings, static_files),
    }


def load(sys_path: list[str], options: dict[str, Any]) -> bytes:
    """Import the project and return the route table (msgpack) for the Go core.

    Returns ``b""`` when the project has no API (after saying so).
    """
    sys.path[:] = sys_path
    import django
    from django.conf import settings

    django.setup()
    from ..logging.config import setup_django_logging

    setup_django_logging()
    from ..conf import check_unknown_settings

    for warning in check_unknown_settings(settings):
        print(f"WARNING: {warning}", file=sys.stderr)

    from .. import responses
    from ..discovery import discover_apis, merge_apis
    from ..openapi.config import resolve_openapi_config
    from ..openapi.routes import OpenAPIRouteRegistrar

    responses.initialize_file_response_settings()
    apis = discover_apis()
    if not apis:
        print("No BoltAPI instances found. Create api.py files with api = BoltAPI()", file=sys.stderr)
        return b""
    api = merge_apis(apis)
    admin_served = False
    if not options.get("no_admin"):
        from ..admin import register_admin_routes

        admin_served = register_admin_routes(api)
    docs_config = resolve_openapi_config(found.openapi_config for _, found in apis)
    if docs_config is not None:
        OpenAPIRouteRegistrar(api, docs_config).register()

    routes = api.routes()
    _runners[:] = [route.runner for route in routes]
    _websocket_routes[:] = api.websocket_routes()
    from ..staticfiles import static_files_config

    static = static_files_config(settings, finders=settings.DEBUG or admin_served)
    table = route_table(api, routes, options.get("settings"), static_files=static or {})
    global _websocket_channel_size
    _websocket_channel_size = table["settings"]["ws_channel_size"]
    if os.environ.get("BOLT_PRINT_ROUTES"):
        for r in routes:
            print(f"{r.method:7} {r.path}", file=sys.stderr)
        for w in _websocket_routes:
            print(f"{'WS':7} {w.path}", file=sys.stderr)
    return msgspec.msgpack.encode(table)


def serve(fd: int, workers: int) -> None:
    """Run the event loop until the core sends STOP."""
    from .loop import serve as serve_loop

    serve_loop(fd, _runners, workers, _websocket_routes, _websocket_channel_size)
    # The Go side exits without finalising the interpreter: run the exit hooks now
    # (the logging queue listener flushes there).
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
