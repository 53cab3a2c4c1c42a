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
import warnings
from typing import Any, Callable, NamedTuple

import msgspec

__all__ = ["Prepared", "prepare", "load", "serve", "route_table", "CHECKED_ENV"]

_runners: list[Callable[[Any], Any]] = []
_websocket_routes: list[Any] = []
_websocket_channel_size = 100

# Set by runbolt once it has checked the project (prepare) in its own process.
CHECKED_ENV = "BOLT_PROJECT_CHECKED"


_EVERYTHING = ("params", "query", "headers", "cookies", "body")


def _needs(route: Any) -> frozenset[str]:
    """What Go must send: the binding plan's needs, or everything when Python guards or
    middleware will look at the request too."""
    if route.security.python_guards or route.security.python_middleware:
        return frozenset(_EVERYTHING) | (route.plan.needs & {"form"})
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


class Prepared(NamedTuple):
    api: Any  # the merged BoltAPI
    routes: list[Any]
    table: dict[str, Any]  # the route table for the Go core
    docs_path: str | None  # where the API docs are served, None without docs


def prepare(options: dict[str, Any]) -> Prepared:
    """Discover, merge and compile the project's APIs.

    Django must be set up. ``runbolt`` calls this before it starts the server, so that
    a mistake in the project is reported once, by the command, and never reaches a
    supervisor that would restart a worker failing the same way each time.
    """
    from .. import responses
    from ..discovery import NothingToServe, discover_apis, merge_apis
    from ..openapi.config import resolve_openapi_config
    from ..openapi.routes import OpenAPIRouteRegistrar

    responses.initialize_file_response_settings()
    apis = discover_apis()
    if not apis:
        raise NothingToServe()
    api = merge_apis(apis)
    admin_served = False
    if not options.get("no_admin"):
        from ..admin import register_admin_routes

        admin_served = register_admin_routes(api)
    docs_config = resolve_openapi_config(found.openapi_config for _, found in apis)
    if docs_config is not None:
        OpenAPIRouteRegistrar(api, docs_config).register()
    routes = api.routes()
    for route in routes:
        route.runner  # compiled now: a handler whose types cannot be resolved fails here
    from django.conf import settings

    from ..staticfiles import static_files_config

    # The admin's CSS and scripts are found by the staticfiles finders, with or without DEBUG.
    static = static_files_config(settings, finders=settings.DEBUG or admin_served)
    table = route_table(api, routes, options.get("settings"), static_files=static or {})
    return Prepared(api, routes, table, docs_config.path if docs_config is not None else None)


def load(sys_path: list[str], options: dict[str, Any]) -> bytes:
    """Import the project and return the route table (msgpack) for the Go core."""
    sys.path[:] = sys_path
    import django

    django.setup()
    from ..logging.config import setup_django_logging

    setup_django_logging()
    if os.environ.get(CHECKED_ENV):
        # runbolt imported the project and showed its warnings already: once is enough.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prepared = prepare(options)
    else:
        prepared = prepare(options)
    _runners[:] = [route.runner for route in prepared.routes]
    _websocket_routes[:] = prepared.api.websocket_routes()
    global _websocket_channel_size
    _websocket_channel_size = prepared.table["settings"]["ws_channel_size"]
    if os.environ.get("BOLT_PRINT_ROUTES"):
        for r in prepared.routes:
            print(f"{r.method:7} {r.path}", file=sys.stderr)
        for w in _websocket_routes:
            print(f"{'WS':7} {w.path}", file=sys.stderr)
    return msgspec.msgpack.encode(prepared.table)


def serve(fd: int, workers: int) -> None:
    """Run the event loop until the core sends STOP."""
    from .loop import serve as serve_loop

    serve_loop(fd, _runners, workers, _websocket_routes, _websocket_channel_size)
    # The Go side exits without finalising the interpreter: run the exit hooks now
    # (the logging queue listener flushes there).
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
