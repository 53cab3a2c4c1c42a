"""Compile each route's security configuration once, at start-up.

Everything that guards a route - authentication backends, guards, CORS, rate
limits, skipped global middleware - is gathered from three places:

1. the API's global ``middleware`` list and ``middleware_config`` dict;
2. the route's ``auth=`` and ``guards=`` (or the ``BOLT_AUTHENTICATION_CLASSES``
   and ``BOLT_DEFAULT_PERMISSION_CLASSES`` settings when they are not given;
   an explicit ``[]`` means none);
3. the decorators on the handler (``@cors``, ``@rate_limit``, ``@middleware``,
   ``@skip_middleware``, ``@no_compress``).

``compile_route_security()`` then splits the result by who executes it. The
part the Go core implements becomes one plain dict (``RouteSecurity.native``,
sent as msgpack); user-written guards and middleware stay Python objects the
runtime calls around the handler. Every entry is validated here, so a typo in
a decorator stops the server at start-up with the route's name instead of
being ignored at request time.

Middleware entries keep this order: global ``middleware``, then
``middleware_config`` (in dict order), then the route's decorators in the order
they were applied (bottom-up). A name in ``@skip_middleware`` removes the
global entries of that type (or, for Python middleware, of that class name).
"""

from __future__ import annotations

import inspect
import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ..auth.backends import BaseAuthentication, JWTAuthentication, get_default_authentication_classes
from ..auth.guards import AllowAny, BasePermission, get_default_permission_classes, is_native_guard
from ..compression import resolve_compression
from .chain import FunctionMiddleware
from .cors_settings import global_cors_settings
from .middleware import (
    Middleware,
    MiddlewareConfig,
    MiddlewareGroup,
    NativeMiddleware,
    is_get_response_class,
    takes_call_next,
)

__all__ = [
    "RouteSecurity",
    "compile_route_security",
    "compile_middleware_meta",
    "middleware_to_dict",
    "global_security_config",
    "NATIVE_MIDDLEWARE_TYPES",
    "NATIVE_SKIP_NAMES",
    "check_global_middleware",
]


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def _is_int(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


# For each middleware type Go implements: option -> (check, what to write instead).
_OPTION_RULES: dict[str, dict[str, tuple[Callable[[Any], bool], str]]] = {
    "cors": {
        "origins": (_is_str_list, "a list of origins, e.g. ['https://app.example.com']"),
        "methods": (_is_str_list, "a list of HTTP methods, e.g. ['GET', 'POST']"),
        "headers": (_is_str_list, "a list of header names, e.g. ['content-type']"),
        "credentials": (lambda v: isinstance(v, bool), "True or False"),
        "max_age": (lambda v: _is_int(v, 0), "a whole number of seconds >= 0"),
        "expose_headers": (_is_str_list, "a list of header names, e.g. ['x-total-count']"),
    },
    "rate_limit": {
        "rps": (lambda v: _is_int(v, 1), "a whole number of requests per second > 0"),
        "burst": (lambda v: _is_int(v, 1), "a whole number >= 1 (default 2 * rps)"),
        "key": (lambda v: isinstance(v, str) and bool(v), "'ip', 'user', 'api_key' or a header name"),
    },
}
_REQUIRED_OPTIONS = {"cors": (), "rate_limit": ("rps",)}

NATIVE_MIDDLEWARE_TYPES = tuple(_OPTION_RULES)
# Names @skip_middleware may give for behaviour Go applies globally.
NATIVE_SKIP_NAMES = (*NATIVE_MIDDLEWARE_TYPES, "compression")


@dataclass(frozen=True)
class RouteSecurity:
    """A route's compiled security, split by who executes it.

    ``native``: the dict for the Go core (keys ``middleware``, ``skip``,
    ``auth_backends``, ``guards``, each present only when non-empty), or None
    when Go has nothing to do for this route. ``python_guards`` run after
    Go's guards passed; ``python_middleware`` wrap the handler, outermost
    first (see ``chain.build_chain`` for the kinds); ``revocation_handlers`` are the ``async (jti) -> bool`` checks of
    the route's JWT backends.
    """

    native: dict[str, Any] | None
    python_guards: tuple[BasePermission, ...]
    python_middleware: tuple[Any, ...]
    revocation_handlers: tuple[Callable[[str], Any], ...]


def compile_route_security(
    handler: Callable[..., Any],
    method: str,
    path: str,
    *,
    middleware: Iterable[Any] | None = None,
    middleware_config: Mapping[str, Mapping[str, Any]] | None = None,
    guards: Iterable[Any] | None = None,
    auth: Iterable[Any] | None = None,
) -> RouteSecurity:
    """Gather, validate and split the security configuration of one route.

    ``middleware``/``middleware_config`` are the API-wide ones; ``guards`` and
    ``auth`` are the route's (None: the defaults from settings).
    """
    route = _route_label(handler, method, path)
    skip = _skip_names(handler, route)

    global_entries = _global_entries(middleware, middleware_config, path, route)
    known_python_names = {_entry_name(entry) for entry in global_entries if not isinstance(entry, dict)}
    unknown = skip - set(NATIVE_SKIP_NAMES) - known_python_names
    if unknown:
        raise ValueError(
            f"{route}: @skip_middleware names {sorted(unknown)} match no global middleware; "
            f"use {', '.join(map(repr, NATIVE_SKIP_NAMES))} or the class name of a global Middleware"
        )
    entries = [entry for entry in global_entries if _entry_name(entry) not in skip]
    for item in getattr(handler, "__bolt_middleware__", None) or ():
        entries.extend(_resolve_entry(item, path, route, route_level=True))

    native_middleware = [_validated(entry, route) for entry in entries if isinstance(entry, dict)]
    python_middleware = tuple(entry for entry in entries if not isinstance(entry, dict))

    backends = _backends(auth, route)
    all_guards = _guards(guards, route)
    # AllowAny allows at once: the guards after it never run.
    cut = next((i for i, g in enumerate(all_guards) if isinstance(g, AllowAny)), len(all_guards))
    all_guards = all_guards[:cut]
    # AllowAny states the absence of a rule; sending it would only make Go
    # evaluate a no-op, and would cost routes their metadata-free fast path.
    native_guards = [g.to_metadata() for g in all_guards if is_native_guard(g) and not isinstance(g, AllowAny)]

    native = {
        key: value
        for key, value in (
            ("middleware", native_middleware),
            ("skip", sorted(skip & set(NATIVE_SKIP_NAMES))),
            ("auth_backends", [backend.to_metadata() for backend in backends]),
            ("guards", native_guards),
        )
        if value
    }
    return RouteSecurity(
        native=native or None,
        python_guards=tuple(g for g in all_guards if not is_native_guard(g)),
        python_middleware=python_middleware,
        revocation_handlers=tuple(
            b.revoked_token_handler
            for b in backends
            if isinstance(b, JWTAuthentication) and b.revoked_token_handler is not None
        ),
    )


def compile_middleware_meta(
    handler: Callable[..., Any],
    method: str,
    path: str,
    global_middleware: Iterable[Any] | None,
    global_middleware_config: Mapping[str, Mapping[str, Any]] | None,
    guards: Iterable[Any] | None = None,
    auth: Iterable[Any] | None = None,
) -> dict[str, Any] | None:
    """The Go part of ``compile_route_security()`` with ``method`` and ``path`` added, or None."""
    security = compile_route_security(
        handler,
        method,
        path,
        middleware=global_middleware,
        middleware_config=global_middleware_config,
        guards=guards,
        auth=auth,
    )
    if security.native is None:
        return None
    return {"method": method, "path": path, **security.native}


def middleware_to_dict(obj: Any) -> dict[str, Any]:
    """The dict form of a middleware the Go core implements (dicts are returned as they are)."""
    if isinstance(obj, dict):
        return obj
    if isinstance(obj, type) and issubclass(obj, NativeMiddleware):
        obj = obj()
    if isinstance(obj, NativeMiddleware):
        return obj.to_dict()
    if isinstance(obj, MiddlewareConfig):
        return {**middleware_to_dict(obj.middleware), **obj.config}
    raise TypeError(
        f"{obj!r} has no dict form: only CORSMiddleware, RateLimitMiddleware, dicts and "
        "MiddlewareConfig wrapping them are run by the server; Middleware subclasses run in Python"
    )


def global_security_config(api_compression: Any = None) -> dict[str, Any]:
    """The server-wide settings the Go core needs, read once from Django settings.

    ``api_compression`` is the API's ``compression=`` argument (see
    ``resolve_compression``).
    """
    cors_policy = global_cors_settings(settings)
    origins = cors_policy["origins"] if cors_policy else []
    proxies = getattr(settings, "BOLT_TRUSTED_PROXIES", None) or []
    if not isinstance(proxies, (list, tuple)) or not all(_is_network(p) for p in proxies):
        raise ImproperlyConfigured(
            "BOLT_TRUSTED_PROXIES must be a list of IP addresses or networks such as "
            f"['10.0.0.0/8', '127.0.0.1'], not {proxies!r}"
        )
    backend = getattr(settings, "BOLT_RATE_LIMIT_BACKEND", None) or ""
    if not isinstance(backend, str):
        raise ImproperlyConfigured(
            f"BOLT_RATE_LIMIT_BACKEND must be a string naming the rate limit store, not {backend!r}"
        )
    return {
        "cors_allowed_origins": list(origins),
        "cors": cors_policy,
        "trusted_proxies": list(proxies),
        "rate_limit_backend": backend,
        "compression": resolve_compression(api_compression),
    }


def check_global_middleware(middleware: Iterable[Any] | None, owner: str) -> None:
    """Refuse, when the API is built, what its ``middleware=`` list can never run."""
    if middleware is not None and not isinstance(middleware, (list, tuple)):
        raise TypeError(f"{owner}: middleware= takes a list, e.g. middleware=[TimingMiddleware], not {middleware!r}")
    for item in middleware or ():
        _resolve_entry(item, "", owner)


def _route_label(handler: Callable[..., Any], method: str, path: str) -> str:
    name = getattr(handler, "__qualname__", None) or repr(handler)
    return f"route {method} {path} (handler {name})"


def _skip_names(handler: Callable[..., Any], route: str) -> set[str]:
    names = set(getattr(handler, "__bolt_skip_middleware__", None) or ())
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"{route}: @skip_middleware takes names such as 'cors', not {name!r}")
    return names


def _global_entries(
    middleware: Iterable[Any] | None,
    middleware_config: Mapping[str, Mapping[str, Any]] | None,
    path: str,
    route: str,
) -> list[Any]:
    entries: list[Any] = []
    for item in middleware or ():
        entries.extend(_resolve_entry(item, path, route))
    if middleware_config is not None and not isinstance(middleware_config, Mapping):
        raise TypeError(
            f"{route}: middleware_config takes a dict such as {{'cors': {{'origins': [...]}}}}, "
            f"not {middleware_config!r}"
        )
    for type_name, options in (middleware_config or {}).items():
        if not isinstance(options, Mapping):
            raise ValueError(
                f"{route}: middleware_config[{type_name!r}] must be a dict of options, e.g. "
                f"{{'{type_name}': {{...}}}}, not {options!r}"
            )
        entry = {"type": type_name, **options}
        entry["type"] = type_name  # the key names the type, whatever the options say
        entries.append(entry)
    return entries


def _resolve_entry(item: Any, path: str, route: str, *, route_level: bool = False) -> list[Any]:
    """One configured item as a list of dicts (for Go) and Python middleware entries.

    Python entries are ``call_next``-style ``Middleware`` instances, Django-style
    classes (instantiated per route by ``chain.build_chain``), Django adapters and,
    at route level only, function middleware.
    """
    if isinstance(item, MiddlewareGroup):
        return [e for member in item.middleware for e in _resolve_entry(member, path, route, route_level=route_level)]
    if isinstance(item, MiddlewareConfig):
        if not item.applies_to_route(path):
            return []
        inner = _resolve_entry(item.middleware, path, route, route_level=route_level)
        if not item.config:
            return inner
        if len(inner) != 1 or not isinstance(inner[0], dict):
            raise ValueError(
                f"{route}: MiddlewareConfig(config=...) only adds options to server middleware "
                f"(CORSMiddleware, RateLimitMiddleware or a dict); give {item.middleware!r} its "
                "options through its constructor instead"
            )
        return [{**inner[0], **item.config}]
    if isinstance(item, type) and issubclass(item, NativeMiddleware):
        item = item()
    if isinstance(item, (NativeMiddleware, dict)):
        return [middleware_to_dict(item)]
    if isinstance(item, type) and issubclass(item, Middleware) and takes_call_next(item):
        try:
            item = item()
        except TypeError as exc:
            raise TypeError(
                f"{route}: could not create {item.__name__}() without arguments ({exc}); pass an instance"
            ) from exc
    if isinstance(item, Middleware):
        name = type(item).__name__
        if not takes_call_next(type(item)):
            raise TypeError(
                f"{route}: pass the class {name}, not an instance {name}(...): Django-style middleware "
                "is constructed by the framework with its get_response. To set options, subclass it and "
                "call super().__init__(get_response, ...) in __init__"
            )
        if not inspect.iscoroutinefunction(item.process_request):
            raise TypeError(f"{route}: {name}.process_request must be 'async def' (it awaits call_next(request))")
        return [item]
    if is_get_response_class(item):
        method = item.process_request if issubclass(item, Middleware) else item.__call__
        if not inspect.iscoroutinefunction(method):
            raise TypeError(
                f"{route}: {item.__name__}.{method.__name__} must be 'async def' (it awaits get_response(request))"
            )
        return [item]
    if hasattr(item, "build_step") and not isinstance(item, type):  # DjangoMiddleware, DjangoMiddlewareStack
        return [item]
    if isinstance(item, FunctionMiddleware):
        if route_level:
            return [item]
        raise TypeError(
            f"{route}: function middleware {item.__qualname__} only applies to single routes: decorate "
            f"the handler with @{item.__name__}, or write a Middleware class for the middleware= list"
        )
    hint = ""
    if inspect.iscoroutinefunction(item):
        hint = (
            f"; to use the function {item.__qualname__} as middleware, decorate it with @middleware and "
            f"put @{item.__name__} on the handlers it wraps"
        )
    raise TypeError(
        f"{route}: middleware must be a Middleware subclass (Django style: the class; call_next style: "
        "class or instance), a class with __init__(get_response) and async __call__(request), "
        "DjangoMiddleware(...), DjangoMiddlewareStack([...]), CORSMiddleware, RateLimitMiddleware, "
        f"MiddlewareConfig, MiddlewareGroup or a dict with a 'type' key; got {item!r}{hint}"
    )


def _entry_name(entry: Any) -> str:
    if isinstance(entry, dict):
        return entry.get("type")
    return entry.__name__ if isinstance(entry, type) else type(entry).__name__


def _validated(entry: dict[str, Any], route: str) -> dict[str, Any]:
    if "type" not in entry:
        raise ValueError(
            f"{route}: middleware dict {entry!r} has no 'type'; write e.g. {{'type': 'rate_limit', 'rps': 100}}"
        )
    kind = entry["type"]
    rules = _OPTION_RULES.get(kind)
    if rules is None:
        raise ValueError(
            f"{route}: unknown middleware type {kind!r}; the server implements "
            f"{', '.join(map(repr, NATIVE_MIDDLEWARE_TYPES))} (write e.g. {{'type': 'cors', ...}}), "
            "and your own middleware subclasses Middleware"
        )
    for name, value in entry.items():
        if name == "type":
            continue
        if name not in rules:
            raise ValueError(f"{route}: unknown {kind} option {name!r}; the options are {', '.join(rules)}")
        check, expected = rules[name]
        if not check(value):
            raise ValueError(f"{route}: {kind} option {name!r} must be {expected}, not {value!r}")
    for name in _REQUIRED_OPTIONS[kind]:
        if name not in entry:
            raise ValueError(f"{route}: {kind} needs {name!r}, e.g. {{'type': {kind!r}, {name!r}: 100}}")
    if kind == "cors" and entry.get("credentials") and "*" in entry.get("origins", ()):
        raise ValueError(
            f"{route}: browsers refuse credentials from an origin allowed as '*'; "
            "list the allowed origins instead of '*' when credentials=True"
        )
    return dict(entry)


def _backends(auth: Iterable[Any] | None, route: str) -> list[BaseAuthentication]:
    if auth is None:
        auth = get_default_authentication_classes()
    if not isinstance(auth, (list, tuple)):
        raise TypeError(f"{route}: auth= takes a list, e.g. auth=[JWTAuthentication()], not {auth!r}")
    backends = []
    for backend in auth:
        if isinstance(backend, type) and issubclass(backend, BaseAuthentication):
            backend = backend()
        if not isinstance(backend, BaseAuthentication):
            raise TypeError(
                f"{route}: auth= takes authentication backends such as JWTAuthentication(...) "
                f"or APIKeyAuthentication(...), not {backend!r}"
            )
        backends.append(backend)
    return backends


def _guards(guards: Iterable[Any] | None, route: str) -> list[BasePermission]:
    if guards is None:
        guards = get_default_permission_classes()
    if not isinstance(guards, (list, tuple)):
        raise TypeError(f"{route}: guards= takes a list, e.g. guards=[IsAuthenticated()], not {guards!r}")
    instances = []
    for guard in guards:
        if isinstance(guard, type) and issubclass(guard, BasePermission):
            guard = guard()
        if not isinstance(guard, BasePermission):
            raise TypeError(
                f"{route}: guards= takes BasePermission instances or classes such as "
                f"IsAuthenticated() or HasPermission('app.perm'), not {guard!r}"
            )
        if not is_native_guard(guard) and type(guard).has_permission is BasePermission.has_permission:
            # The inherited answer is "allow"; a custom guard without its own rule guards nothing.
            raise TypeError(f"{route}: guard {type(guard).__name__} must define has_permission(request)")
        instances.append(guard)
    return instances


def _is_network(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True
