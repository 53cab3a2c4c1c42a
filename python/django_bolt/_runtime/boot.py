"""Start-up inside the server process, called by the Go core.

``load`` sets up Django, discovers and merges the project's APIs, compiles every route
and returns the route table for Go as msgpack. ``serve`` then runs the event loop on
the calling (main) thread until the core stops it. Any error here stops start-up with
its traceback; nothing is served half-configured.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import warnings
from typing import Any, Callable, NamedTuple

import msgspec

from .table import (AccessLogPolicy, DocsAssets, FileLimit, GlobalConfig, RouteConfig, RouteSpec, Settings,
                    SiteSpec, StaticConfig, Table, WebSocketSpec)

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


def _route_spec(r: Any) -> RouteSpec:
    return RouteSpec(
        method=r.method,
        path=r.path,
        handler_id=r.handler_id,
        needs=sorted(_needs(r)),
        security=_part(r.security.native, RouteConfig),
        uploads=[_part(limit, FileLimit) for limit in r.plan.meta["file_limits"]],
        name=f"{r.fn.__module__}.{r.fn.__qualname__}",
        access_log=_access_log_policy(r.api),
    )


def _part(value: Any, struct: type) -> Any:
    """A compiled mapping as its table Struct (None stays None): a key or type the Go
    core would refuse stops start-up here, named."""
    if value is None:
        return None
    try:
        return msgspec.convert(value, struct)
    except msgspec.ValidationError as exc:
        raise TypeError(f"route table: {struct.__name__}: {exc}") from None


def _access_log_policy(api: Any) -> AccessLogPolicy | None:
    """The access-log policy of the API's ``logging_config``, if it has one."""
    if not api.enable_logging or api.logging_config is None:
        return None
    return _part(api.logging_config.access_log_policy(), AccessLogPolicy)


def route_table(api: Any, routes: list[Any], overrides: dict[str, Any] | None = None,
                static_files: dict[str, Any] | None = None, site: tuple[Any, Any] | None = None,
                allowed_hosts: list[str] | None = None) -> Table:
    """The document the Go core builds its router and middleware from.

    ``overrides`` are settings given as runbolt flags (``{"BOLT_BACKLOG": 2048}``);
    ``static_files`` replaces the static-file settings (test clients); ``site`` is the
    Django site's route and URL space, when the rest of the site is served;
    ``allowed_hosts`` the Host values the server accepts (None: any, as in test clients).
    """
    from django.conf import settings

    from ..conf import server_settings
    from ..middleware.compiler import global_security_config
    from ..staticfiles import static_files_config

    return Table(
        routes=[_route_spec(r) for r in routes],
        websockets=[_part(w.table_entry(), WebSocketSpec) for w in api.websocket_routes()],
        global_=_part(global_security_config(api.compression), GlobalConfig),
        settings=_part({"debug": bool(settings.DEBUG), "allowed_hosts": allowed_hosts or ["*"],
                        **server_settings(settings, overrides)}, Settings),
        static=_part(static_files_config(settings, static_files), StaticConfig),
        site=None if site is None else SiteSpec(
            route=_route_spec(site[0]), exact=list(site[1].exact), prefixes=list(site[1].prefixes)),
        docs_assets=_part(api.docs_assets, DocsAssets),
    )


def _allowed_hosts() -> list[str]:
    """ALLOWED_HOSTS as Django applies it: with DEBUG and an empty list, local hosts only."""
    from django.conf import settings

    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return allowed


def _django_site(handler_id: int, no_admin: bool) -> tuple[Any, Any] | None:
    """The route that runs Django's ASGI application for the rest of the site, and the
    URL space it covers; None when the site is off or its URLconf resolves nothing.
    ``no_admin`` (--no-admin) keeps the admin out of it too."""
    import dataclasses

    from django.conf import settings

    from ..api import _BOLT_API_REGISTRY, BoltAPI
    from ..site import DjangoSite, site_enabled, url_space

    if not site_enabled() or not getattr(settings, "ROOT_URLCONF", None):
        return None
    from ..admin import detect_admin_url_prefix

    admin_prefix = detect_admin_url_prefix() if no_admin else None
    space = url_space((f"/{admin_prefix}/",) if admin_prefix else ())
    if not space.exact and not space.prefixes:
        return None
    holder = BoltAPI(enable_logging=False)
    _BOLT_API_REGISTRY.remove(holder)  # an internal artefact, not one of the project's APIs
    django_site = DjangoSite()

    async def django_site_view(request):
        return await django_site(request)

    # Django has its own middleware, authentication and CSRF protection: none of the API's.
    holder._register("GET", "/", django_site_view, guards=[], auth=[], middleware=[], middleware_config={})
    route = dataclasses.replace(holder.routes()[0], handler_id=handler_id, method="*", path="(django site)")
    return route, space


class Prepared(NamedTuple):
    api: Any  # the merged BoltAPI
    routes: list[Any]
    table: Table  # the route table for the Go core
    docs_path: str | None  # where the API docs are served, None without docs
    site: tuple[Any, Any] | None  # the Django site's route and URL space, when served

    @property
    def runners(self) -> list[Any]:
        """Every handler's runner, indexed by handler id."""
        return [r.runner for r in self.routes] + ([self.site[0].runner] if self.site else [])


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
    site = _django_site(len(routes), bool(options.get("no_admin")))
    table = route_table(api, routes, options.get("settings"), static_files=static or {}, site=site,
                        allowed_hosts=_allowed_hosts())
    return Prepared(api, routes, table, docs_config.path if docs_config is not None else None, site)


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
    _runners[:] = prepared.runners
    _websocket_routes[:] = prepared.api.websocket_routes()
    global _websocket_channel_size
    _websocket_channel_size = prepared.table.settings.ws_channel_size
    if os.environ.get("BOLT_PRINT_ROUTES"):
        for r in prepared.routes:
            print(f"{r.method:7} {r.path}", file=sys.stderr)
        for w in _websocket_routes:
            print(f"{'WS':7} {w.path}", file=sys.stderr)
    return msgspec.msgpack.encode(prepared.table)


def serve(fd: int, workers: int) -> None:
    """Run the event loop until the core sends STOP."""
    from .loop import serve as serve_loop

    # What start-up built (Django's apps and models, the URL and route tables, every
    # imported module) lives as long as the worker. Frozen, it is left out of the
    # collector's older-generation passes, which otherwise walk all of it again and
    # again under load: ~8 % of the CPU of a 10-row ORM read.
    gc.collect()
    gc.freeze()
    serve_loop(fd, _runners, workers, _websocket_routes, _websocket_channel_size)
    # The Go side exits without finalising the interpreter: run the exit hooks now
    # (the logging queue listener flushes there).
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
