"""``BoltAPI``: the object an ``api.py`` file creates and decorates handlers with.

    api = BoltAPI()

    @api.get("/items/{item_id}")
    async def get_item(item_id: int, q: str | None = None):
        return {"item_id": item_id, "q": q}

Decorating compiles what can be compiled at once (the binding plan, the auth, guard
and middleware configuration), so a mistake in a signature or an option fails when
the module is imported, naming the handler. ``runbolt`` discovers every ``BoltAPI``
of the project, merges them and hands the routes to the Go core.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Dict, List, Tuple

from .binding import BindingPlan, compile_binding
from .middleware.compiler import RouteSecurity, check_global_middleware, compile_route_security
from .middleware.django_adapter import view_target
from .middleware.django_loader import load_django_middleware
from .request import Request as _RequestObject
from .serialization import Validator, make_validator

__all__ = ["BoltAPI", "Route", "_BOLT_API_REGISTRY", "HTTP_METHODS", "TRAILING_SLASH_MODES"]

# Type aliases of the original API, kept for code that imports them.
Request = Dict[str, Any]
Response = Tuple[int, List[Tuple[str, str]], bytes]

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

# Every BoltAPI ever constructed, in order (discovery and tools read it).
_BOLT_API_REGISTRY: list[BoltAPI] = []

_UNSET: Any = object()


@dataclass(eq=False)
class Route:
    """One registered route and everything compiled for it."""

    method: str
    path: str
    handler_id: int
    fn: Callable[..., Any]
    plan: BindingPlan
    security: RouteSecurity
    status_code: int
    response_type: Any  # the declared type, or _UNSET to read the return annotation
    api: BoltAPI
    # Documentation options: they change the OpenAPI document only.
    tags: list[str] | None = None
    summary: str | None = None
    description: str | None = None
    include_in_schema: bool = True
    deprecated: bool = False

    @cached_property
    def runner(self) -> Callable[[Any], Any]:
        """The per-request coroutine function, compiled on first use (at start-up)."""
        from ._runtime.route import compile_runner

        return compile_runner(self)

    def validator(self) -> Validator | None:
        """The response validator; resolved at start-up so forward references work."""
        response_type = self.response_type
        if response_type is _UNSET:
            try:
                hints = typing.get_type_hints(self.fn, include_extras=True)
            except Exception as exc:
                raise TypeError(
                    f"Cannot resolve the return annotation of handler {self.fn.__qualname__} "
                    f"({self.method} {self.path}): {exc}. Import the type it names, or pass response_model=."
                ) from exc
            response_type = hints.get("return")
        return make_validator(response_type)


def _logging_middleware(config: Any) -> Any:
    """The ``LoggingMiddleware`` a ``BoltAPI(logging_config=...)`` puts first on its routes."""
    from .logging import LoggingConfig, LoggingMiddleware

    if not isinstance(config, LoggingConfig):
        raise TypeError(
            f"BoltAPI(logging_config=...) takes a LoggingConfig, not {type(config).__name__}; "
            "write logging_config=LoggingConfig(...) from django_bolt.logging"
        )
    return LoggingMiddleware(config)


class BoltAPI:
    """A set of routes with shared prefix, middleware and configuration."""

    def __init__(
        self,
        prefix: str = "",
        middleware: list[Any] | None = None,
        middleware_config: dict[str, dict[str, Any]] | None = None,
        enable_logging: bool = True,
        logging_config: Any = None,
        compression: Any = None,
        openapi_config: Any = None,
        *,
        trailing_slash: str = "keep",
        django_middleware: Any = None,
    ) -> None:
        if trailing_slash not in TRAILING_SLASH_MODES:
            raise ValueError(
                f"BoltAPI(trailing_slash={trailing_slash!r}): use one of {', '.join(map(repr, TRAILING_SLASH_MODES))}"
            )
        self.trailing_slash = trailing_slash
        self.prefix = prefix.rstrip("/")
        check_global_middleware(middleware, "BoltAPI(middleware=...)")
        self.django_middleware = django_middleware
        self.emit_signals = _emit_signals_setting()
        # Django's middleware runs outside the API's own, as one stack.
        stack = load_django_middleware(django_middleware)
        self.middleware = ([stack] if stack is not None else []) + list(middleware or [])
        self.middleware_config = dict(middleware_config or {})
        self.enable_logging = enable_logging
        self.logging_config = logging_config
        if logging_config is not None and enable_logging:
            self.middleware.insert(0, _logging_middleware(logging_config))
        self.compression = compression
        self.openapi_config = openapi_config
        self._routes: list[tuple[str, str, int, Callable[..., Any]]] = []
        self._handlers: dict[int, Callable[..., Any]] = {}
        self._handler_meta: dict[Callable[..., Any], dict[str, Any]] = {}
        self._handler_middleware: dict[int, dict[str, Any]] = {}
        self._route_table: dict[int, Route] = {}
        self._next_handler_id = 0
        # The API this one was mounted into, if any (discovery then skips it).
        self.mounted_into: BoltAPI | None = None
        self._websocket_routes: list[Any] = []
        # Where the Go server serves the docs UIs' files; set when docs are registered.
        self.docs_assets: dict[str, Any] | None = None
        _BOLT_API_REGISTRY.append(self)

    # -- decorators ---------------------------------------------------------------

    def get(self, path: str, *, response_model: Any = None, status_code: int | None = None,
            guards: list[Any] | None = None, auth: list[Any] | None = None, tags: list[str] | None = None,
            summary: str | None = None, description: str | None = None, include_in_schema: bool = True,
            deprecated: bool = False) -> Callable:
        return self._decorator("GET", path, response_model=response_model, status_code=status_code,
                               guards=guards, auth=auth, tags=tags, summary=summary, description=description,
                               include_in_schema=include_in_schema, deprecated=deprecated)

    def post(self, path: str, *, response_model: Any = None, status_code: int | None = None,
            guards: list[Any] | None = None, auth: list[Any] | None = None, tags: list[str] | None = None,
            summary: str | None = None, description: str | None = None, include_in_schema: bool = True,
            deprecated: bool = False) -> Callable:
        return self._decorator("POST", path, response_model=response_model, status_code=status_code,
                               guards=guards, auth=auth, tags=tags, summary=summary, description=description,
                               include_in_schema=include_in_schema, deprecated=deprecated)

    def put(self, path: str, *, response_model: Any = None, status_code: int | None = None,
            guards: list[Any] | None = None, auth: list[Any] | None = None, tags: list[str] | None = None,
            summary: str | None = None, description: str | None = None, include_in_schema: bool = True,
            deprecated: bool = False) -> Callable:
        return self._decorator("PUT", path, response_model=response_model, status_code=status_code,
                               guards=guards, auth=auth, tags=tags, summary=summary, description=description,
                               include_in_schema=include_in_schema, deprecated=deprecated)

    def patch(self, path: str, *, response_model: Any = None, status_code: int | None = None,
            guards: list[Any] | None = None, auth: list[Any] | None = None, tags: list[str] | None = None,
            summary: str | None = None, description: str | None = None, include_in_schema: bool = True,
            deprecated: bool = False) -> Callable:
        return self._decorator("PATCH", path, response_model=response_model, status_code=status_code,
                               guards=guards, auth=auth, tags=tags, summary=summary, description=description,
                               include_in_schema=include_in_schema, deprecated=deprecated)

    def delete(self, path: str, *, response_model: Any = None, status_code: int | None = None,
            guards: list[Any] | None = None, auth: list[Any] | None = None, tags: list[str] | None = None,
            summary: str | None = None, description: str | None = None, include_in_schema: bool = True,
            deprecated: bool = False) -> Callable:
        return self._decorator("DELETE", path, response_model=response_model, status_code=status_code,
                               guards=guards, auth=auth, tags=tags, summary=summary, description=description,
                               include_in_schema=include_in_schema, deprecated=deprecated)

    def head(self, path: str, *, response_model: Any = None, status_code: int | None = None,
            guards: list[Any] | None = None, auth: list[Any] | None = None, tags: list[str] | None = None,
            summary: str | None = None, description: str | None = None, include_in_schema: bool = True,
            deprecated: bool = False) -> Callable:
        return self._decorator("HEAD", path, response_model=response_model, status_code=status_code,
                               guards=guards, auth=auth, tags=tags, summary=summary, description=description,
                               include_in_schema=include_in_schema, deprecated=deprecated)

    def options(self, path: str, *, response_model: Any = None, status_code: int | None = None,
            guards: list[Any] | None = None, auth: list[Any] | None = None, tags: list[str] | None = None,
            summary: str | None = None, description: str | None = None, include_in_schema: bool = True,
            deprecated: bool = False) -> Callable:
        return self._decorator("OPTIONS", path, response_model=response_model, status_code=status_code,
                               guards=guards, auth=auth, tags=tags, summary=summary, description=description,
                               include_in_schema=include_in_schema, deprecated=deprecated)

    def websocket(self, path: str, *, guards: list[Any] | None = None, auth: list[Any] | None = None) -> Callable:
        """Register an ``async def handler(websocket, ...)`` for WebSocket upgrades at ``path``.

        Upgrade headers, connection cap, ``@rate_limit``, Origin (global CORS origins),
        ``auth`` and ``guards`` are checked in Go before the handshake.
        """
        if not isinstance(path, str) or not (self.prefix + path).startswith("/"):
            raise ValueError(f"@api.websocket({path!r}): a route path is a string starting with '/'")

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            from .websocket.handlers import compile_websocket_route

            full = self.prefix + path
            _register_user_loaders(auth)
            if any(r.path == full for r in self._websocket_routes):
                raise ValueError(f"@api.websocket({path!r}): a WebSocket route for {full} already exists")
            self._websocket_routes.append(
                compile_websocket_route(fn, full, len(self._websocket_routes), guards=guards, auth=auth))
            return fn

        return register

    def websocket_routes(self) -> list[Any]:
        """The registered WebSocket routes, by handler id."""
        return list(self._websocket_routes)

    def _decorator(self, method: str, path: str, **options: Any) -> Callable:
        where = f"@api.{method.lower()}({path!r})"
        if not isinstance(path, str) or not (self.prefix + path).startswith("/"):
            raise ValueError(f"{where}: a route path is a string starting with '/'")
        check_route_options(where, options)

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            if not callable(fn):
                raise TypeError(f"{where} must decorate a function")
            self._register(method, self.route_path(path), fn, **options)
            return fn

        return register

    def view(self, path: str, *, methods: list[str] | None = None, guards: list[Any] | None = None,
             auth: list[Any] | None = None, status_code: int | None = None,
             tags: list[str] | None = None) -> Callable:
        """Register an ``APIView`` subclass: one route per verb method (see ``views``)."""
        from .views import register_view

        check_route_options(f"@api.view({path!r})", {"status_code": status_code, "tags": tags})

        def register(cls: Any) -> Any:
            register_view(self, cls, path, methods=methods, guards=guards, auth=auth, status_code=status_code,
                          tags=tags)
            return cls

        return register

    def viewset(self, path: str, *, guards: list[Any] | None = None, auth: list[Any] | None = None,
                status_code: int | None = None, lookup_field: str = "pk", tags: list[str] | None = None) -> Callable:
        """Register a ``ViewSet`` subclass: a route per action and ``@action`` (see ``views``)."""
        from .views import register_viewset

        check_route_options(f"@api.viewset({path!r})", {"status_code": status_code, "tags": tags})

        def register(cls: Any) -> Any:
            register_viewset(self, cls, path, guards=guards, auth=auth, status_code=status_code,
                             lookup_field=lookup_field, tags=tags)
            return cls

        return register

    def route_path(self, path: str) -> str:
        """The served path of a route declared as ``path``: the API prefix, then the
        trailing-slash mode."""
        return normalize_trailing_slash(self.prefix + path, self.trailing_slash)

    # -- composing APIs -----------------------------------------------------------

    def include_router(self, router: Any, prefix: str = "") -> None:
        """Serve the routes of a ``Router`` (and of the routers it includes) under ``prefix``."""
        from .router import Router

        if not isinstance(router, Router):
            hint = ("; a BoltAPI is added with api.mount(path, sub_api)" if isinstance(router, BoltAPI)
                    else "; create one with Router(prefix=...) and decorate handlers with @router.get(...)")
            raise TypeError(f"api.include_router() takes a Router, not {type(router).__name__}{hint}")
        if prefix and not prefix.startswith("/"):
            raise ValueError(f"api.include_router(prefix={prefix!r}): a prefix starts with '/', e.g. prefix=\"/v1\"")
        for route, middleware in router.collect():
            self._register(route.method, self.route_path(prefix.rstrip("/") + route.path), route.fn,
                           middleware=[*self.middleware, *middleware], **route.options)
        router.mark_included()

    def mount(self, path: str, app: BoltAPI) -> None:
        """Serve every route of another ``BoltAPI`` under ``path``.

        HTTP and WebSocket routes are copied; they keep their own authentication, guards
        and middleware; their paths follow this API's trailing-slash mode (not its
        prefix). ``app`` is then served only through this API.
        """
        if not isinstance(app, BoltAPI):
            raise TypeError(
                f"api.mount() takes a BoltAPI, not {type(app).__name__}; a Router is added with api.include_router(router)"
            )
        if app is self:
            raise ValueError("api.mount(): an API cannot mount itself")
        if not isinstance(path, str) or "{" in path:
            raise ValueError(f"api.mount({path!r}, ...): the mount path is a fixed path such as \"/v1\"")
        prefix = "/" + path.strip("/") if path.strip("/") else ""
        for route in app.routes():
            self._add(dataclasses.replace(
                route,
                path=normalize_trailing_slash(prefix + route.path, self.trailing_slash),
                handler_id=self._next_handler_id,
            ))
        for ws_route in app.websocket_routes():
            self._websocket_routes.append(dataclasses.replace(
                ws_route,
                path=normalize_trailing_slash(prefix + ws_route.path, self.trailing_slash),
                handler_id=len(self._websocket_routes),
            ))
        app.mounted_into = self

    def _register(self, method: str, full_path: str, fn: Callable[..., Any], *, response_model: Any = None,
                  status_code: int | None = None, guards: list[Any] | None = None, auth: list[Any] | None = None,
                  middleware: list[Any] | None = None, middleware_config: dict[str, Any] | None = None,
                  tags: list[str] | None = None, summary: str | None = None, description: str | None = None,
                  include_in_schema: bool = True, deprecated: bool = False) -> None:
        """Compile and add one route; ``middleware``/``middleware_config`` default to the API's."""
        if self.mounted_into is not None:
            # mount() copied this API's routes when it was called: a later one would never be served.
            raise RuntimeError(
                f"{method} {full_path} ({getattr(fn, '__qualname__', fn)}) is added to an API that is already "
                "mounted into another one; declare every route before calling api.mount(path, sub_api)"
            )
        plan = compile_binding(view_target(fn), method, full_path)
        _register_user_loaders(auth)
        if response_model is not None and getattr(fn, "__bolt_pagination__", None) is not None:
            # @paginate converts its items with the route's item type.
            fn.__bolt_response_model__ = response_model
        security = compile_route_security(
            fn, method, full_path,
            middleware=self.middleware if middleware is None else middleware,
            middleware_config=self.middleware_config if middleware_config is None else middleware_config,
            guards=guards, auth=auth,
        )
        self._add(Route(
            method=method,
            path=full_path,
            handler_id=self._next_handler_id,
            fn=fn,
            plan=plan,
            security=security,
            status_code=200 if status_code is None else status_code,
            response_type=_UNSET if response_model is None else response_model,
            api=self,
            tags=list(tags) if tags else None,
            summary=summary,
            description=description,
            include_in_schema=include_in_schema,
            deprecated=deprecated,
        ))

    def _add(self, route: Route) -> None:
        self._next_handler_id = route.handler_id + 1
        self._routes.append((route.method, route.path, route.handler_id, route.fn))
        self._handlers[route.handler_id] = route.fn
        self._handler_meta[route.fn] = route.plan.meta
        if route.security.native is not None:
            self._handler_middleware[route.handler_id] = route.security.native
        self._route_table[route.handler_id] = route

    def routes(self) -> list[Route]:
        """The registered routes in handler-id order."""
        return [self._route_table[hid] for hid in sorted(self._route_table)]

    # -- calling a handler directly ---------------------------------------------------

    async def _dispatch(self, handler: Callable[..., Any], request: Any, handler_id: int | None = None) -> Any:
        """Run one handler as the server would; ``request`` may be a plain dict.

        Returns ``(status, headers, body)`` or a ``StreamingResponse``.
        """
        route = self._route_table.get(handler_id) if handler_id is not None else None
        if route is None:
            route = next((r for r in self._route_table.values() if r.fn is handler), None)
        if route is None:
            raise LookupError(f"{getattr(handler, '__qualname__', handler)!r} is not a handler of this API")
        if isinstance(request, dict):
            request = _RequestObject(
                request.get("method", route.method),
                request.get("path", route.path),
                request.get("params"),
                _query_bytes(request.get("query")),
                request.get("headers"),
                request.get("body"),
                request.get("context"),
            )
        return await route.runner(request)


def _register_user_loaders(auth: list[Any] | None) -> None:
    """Make the route's backends the ones that load ``request.user`` for their schemes."""
    from .auth.backends import BaseAuthentication, get_default_authentication_classes
    from .auth.user_loader import register_auth_backend

    for backend in auth if auth is not None else get_default_authentication_classes():
        if isinstance(backend, BaseAuthentication):
            register_auth_backend(backend.scheme_name, backend)


TRAILING_SLASH_MODES = ("keep", "strip", "append")


def normalize_trailing_slash(path: str, mode: str) -> str:
    """``path`` with its trailing slash removed (``strip``), added (``append``) or as written
    (``keep``). The root is always ``/``; a final ``{name:path}`` segment is left alone."""
    if path in ("", "/"):
        return "/"
    if mode == "strip":
        return path.rstrip("/") or "/"
    if mode == "append" and not path.endswith("/") and not path.endswith(":path}"):
        return path + "/"
    return path


# The keyword options every route decorator accepts (``@api.get``, ``@router.get``, ``@action``...).
ROUTE_OPTIONS = ("response_model", "status_code", "guards", "auth", "tags", "summary", "description",
                 "include_in_schema", "deprecated")


def check_route_options(where: str, options: dict[str, Any]) -> None:
    """Reject unknown or ill-typed route options, naming the decorator and the option."""
    for name in options:
        if name not in ROUTE_OPTIONS:
            raise TypeError(f"{where}: unknown route option {name!r}; the options are {', '.join(ROUTE_OPTIONS)}")
    status_code = options.get("status_code")
    if status_code is not None and (not isinstance(status_code, int) or isinstance(status_code, bool)):
        raise TypeError(f"{where}: status_code must be an int, e.g. status_code=201")
    tags = options.get("tags")
    if tags is not None and (isinstance(tags, str) or not all(isinstance(t, str) for t in tags)):
        raise TypeError(f"{where}: tags must be a list of strings, e.g. tags=[\"items\"]")
    for name in ("summary", "description"):
        value = options.get(name)
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{where}: {name} must be a string")
    for name in ("include_in_schema", "deprecated"):
        if not isinstance(options.get(name, False), bool):
            raise TypeError(f"{where}: {name} must be True or False")


def _emit_signals_setting() -> bool:
    """``BOLT_EMIT_SIGNALS``: send Django's request_started/request_finished per request."""
    from django.conf import settings

    value = getattr(settings, "BOLT_EMIT_SIGNALS", False) if settings.configured else False
    if not isinstance(value, bool):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"BOLT_EMIT_SIGNALS = {value!r} is not valid: use True or False")
    return value


def _query_bytes(query: Any) -> bytes | None:
    if query is None or isinstance(query, bytes):
        return query
    from urllib.parse import urlencode

    return urlencode(query, doseq=True).encode()
