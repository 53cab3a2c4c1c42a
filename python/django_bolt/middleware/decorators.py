"""Per-route middleware decorators.

Put them *below* the route decorator: they only record attributes on the
function, which ``@api.get(...)`` reads when it registers the route::

    @api.get("/search")
    @rate_limit(rps=10)
    @cors(origins=["https://app.example.com"])
    async def search(q: str): ...

Python applies decorators bottom-up, and entries keep that order
(``cors`` first, then ``rate_limit`` above). Nothing is validated here: the
route compiler checks every entry at start-up and names the route in its
errors.

Recorded attributes:

* ``__bolt_middleware__`` - list of middleware entries (dicts for Go, objects
  for Python middleware);
* ``__bolt_skip_middleware__`` - set of names of global middleware the route
  opts out of (``"cors"``, ``"rate_limit"``, ``"compression"``, or the class
  name of a Python middleware).
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from .chain import FunctionMiddleware
from .cors_settings import global_origins_configured
from .middleware import Middleware, MiddlewareConfig, MiddlewareGroup, NativeMiddleware, is_get_response_class

__all__ = ["rate_limit", "cors", "skip_middleware", "no_compress", "middleware"]

F = TypeVar("F", bound=Callable[..., Any])


def _add_entries(fn: F, entries: list[Any]) -> F:
    existing = getattr(fn, "__bolt_middleware__", None)
    fn.__bolt_middleware__ = [*(existing or ()), *entries]  # type: ignore[attr-defined]
    return fn


def rate_limit(rps: int = 100, burst: int | None = None, key: str = "ip") -> Callable[[F], F]:
    """Limit the route to ``rps`` requests per second per ``key`` (bursts up to ``burst``, default ``2 * rps``)."""
    entry = {"type": "rate_limit", "rps": rps, "burst": burst if burst is not None else 2 * rps, "key": key}
    return lambda fn: _add_entries(fn, [entry])


def cors(
    origins: list[str] | str | None = None,
    methods: list[str] | None = None,
    headers: list[str] | None = None,
    credentials: bool = False,
    max_age: int = 3600,
    expose_headers: list[str] | None = None,
) -> Callable[[F], F]:
    """Answer cross-origin requests for ``origins`` (one string or a list).

    Options left as None are not sent, so the Go core's defaults apply.
    ``origins`` may be left out only when the project sets a global origin list
    (``CORS_ALLOWED_ORIGINS`` or ``BOLT_CORS_ALLOWED_ORIGINS``), which then
    applies; otherwise the route could never answer a cross-origin request, and
    this raises ValueError.
    """
    if isinstance(origins, str):
        origins = [origins]
    if origins is None and not global_origins_configured():
        raise ValueError(
            "@cors() needs origins, e.g. @cors(origins=['https://app.example.com']), "
            "unless settings.CORS_ALLOWED_ORIGINS (or BOLT_CORS_ALLOWED_ORIGINS) lists them for every route"
        )
    if origins is not None and "*" in origins and credentials:
        warnings.warn(
            "@cors(origins='*', credentials=True): browsers refuse credentials from a wildcard origin; "
            "list the allowed origins instead",
            RuntimeWarning,
            stacklevel=2,
        )
    options = {
        "origins": origins,
        "methods": methods,
        "headers": headers,
        "credentials": credentials,
        "max_age": max_age,
        "expose_headers": expose_headers,
    }
    entry = {"type": "cors", **{k: v for k, v in options.items() if v is not None}}
    return lambda fn: _add_entries(fn, [entry])


def skip_middleware(*names: str) -> Callable[[F], F]:
    """Opt the route out of the global middleware called ``names``."""

    def decorator(fn: F) -> F:
        skipped = set(getattr(fn, "__bolt_skip_middleware__", ()))
        fn.__bolt_skip_middleware__ = skipped | set(names)  # type: ignore[attr-defined]
        return fn

    return decorator


def no_compress(fn: F) -> F:
    """Send this route's responses uncompressed (e.g. already-compressed files)."""
    return skip_middleware("compression")(fn)


def middleware(*args: Any, **kwargs: Any) -> Any:
    """Attach middleware to one route, or make a function into route middleware.

    On ``async def name(request, call_next)``, ``@middleware`` returns a route
    decorator: ``@name`` under the route decorator wraps that route's handler
    (``call_next`` returns a ``MiddlewareResponse``). Function middleware applies
    to single routes only; the ``middleware=`` list of an API takes classes.

    Called with arguments, it attaches them to the decorated route: middleware
    classes (Django style or ``call_next`` style), ``call_next``-style
    instances, function middleware, ``DjangoMiddleware(...)``,
    ``CORSMiddleware``/``RateLimitMiddleware``, dicts with a ``"type"`` key,
    ``MiddlewareConfig`` or ``MiddlewareGroup`` (its members are added one by
    one). Keyword arguments form one more dict entry, e.g.
    ``@middleware(type="rate_limit", rps=5)``. ``@middleware`` alone on a
    handler adds nothing.
    """
    if len(args) == 1 and not kwargs and _is_function_middleware(args[0]):
        return FunctionMiddleware(args[0])
    if len(args) == 1 and not kwargs and _is_route_function(args[0]):
        return _add_entries(args[0], [])
    entries: list[Any] = []
    for arg in args:
        if isinstance(arg, MiddlewareGroup):
            entries.extend(arg.middleware)
        elif _is_middleware(arg):
            entries.append(arg)
        else:
            raise TypeError(
                "@middleware(...) takes Middleware classes or instances, function middleware, "
                "DjangoMiddleware(...), CORSMiddleware/RateLimitMiddleware, MiddlewareConfig, "
                f"MiddlewareGroup or dicts with a 'type' key; got {arg!r}"
            )
    if kwargs:
        entries.append(dict(kwargs))
    return lambda fn: _add_entries(fn, entries)


def _is_middleware(obj: Any) -> bool:
    if isinstance(obj, type):
        return issubclass(obj, (Middleware, NativeMiddleware)) or is_get_response_class(obj)
    return isinstance(obj, (Middleware, NativeMiddleware, MiddlewareConfig, FunctionMiddleware, dict)) or hasattr(
        obj, "build_step"
    )


def _is_function_middleware(obj: Any) -> bool:
    """``async def f(request, call_next)``: two positional parameters, the second ``call_next``."""
    if not inspect.iscoroutinefunction(obj):
        return False
    params = list(inspect.signature(obj).parameters.values())
    return len(params) == 2 and params[1].name == "call_next"


def _is_route_function(obj: Any) -> bool:
    return callable(obj) and not isinstance(obj, type) and not _is_middleware(obj)
