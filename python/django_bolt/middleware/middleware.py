"""Middleware objects: the ones Go runs, and the base classes for your own.

Two kinds look alike but run in different places:

* ``CORSMiddleware`` and ``RateLimitMiddleware`` describe behaviour the Go core
  implements. They are turned into dicts at start-up (``{"type": "cors", ...}``)
  and never run in Python. A plain dict with a ``"type"`` key is the same thing
  written by hand.
* Subclasses of ``Middleware`` are your code. They run in Python around the
  handler, outermost first, in one of two styles told apart by the signature of
  ``process_request``:

  - Django style: the class gets the next step at construction and returns a
    ``MiddlewareResponse`` (pass the *class*; each route gets its own instance)::

        class Timing(Middleware):
            async def process_request(self, request):
                start = time.perf_counter()
                response = await self.get_response(request)
                response.headers["x-took"] = f"{time.perf_counter() - start:.4f}"
                return response

  - ``call_next`` style: the next step is an argument, and it returns the
    ``(status, headers, body)`` tuple (a class or an instance may be passed)::

        class Timing(Middleware):
            async def process_request(self, request, call_next):
                status, headers, body = await call_next(request)
                return status, [*headers, ("x-seen", "1")], body

Both kinds can be given to ``BoltAPI(middleware=[...])`` for every route, or to
the ``@middleware(...)`` decorator for one. ``MiddlewareGroup`` bundles several
to reuse together; ``MiddlewareConfig`` limits one to some routes (by path
pattern, e.g. ``"/users/{user_id}"``) or adds options to it.
"""

from __future__ import annotations

import inspect
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol, Union, runtime_checkable

__all__ = [
    "Middleware",
    "BaseMiddleware",
    "MiddlewareProtocol",
    "GetResponse",
    "MiddlewareType",
    "NativeMiddleware",
    "MiddlewareGroup",
    "MiddlewareConfig",
    "CORSMiddleware",
    "RateLimitMiddleware",
    "takes_call_next",
    "is_get_response_class",
]

GetResponse = Callable[[Any], Awaitable[Any]]


@runtime_checkable
class MiddlewareProtocol(Protocol):
    """What a Django-style middleware class provides (no base class needed)."""

    def __init__(self, get_response: GetResponse) -> None: ...

    async def __call__(self, request: Any) -> Any: ...


class Middleware(ABC):
    """Python middleware: wraps the handler and may change request or response.

    Implement ``async process_request(self, request)`` (Django style, call
    ``await self.get_response(request)``) or ``async process_request(self, request,
    call_next)`` (call ``await call_next(request)``).
    """

    def __init__(self, get_response: GetResponse | None = None) -> None:
        self.get_response = get_response

    async def __call__(self, request: Any) -> Any:
        return await self.process_request(request)

    @abstractmethod
    async def process_request(self, request: Any, *args: Any) -> Any:
        """Return a response: from the next step, or one of your own to stop early."""


class BaseMiddleware(Middleware):
    """Django-style middleware that some paths or methods skip.

    ``exclude_paths`` are globs matched against the whole path: ``*`` stands for
    one path segment, ``**`` for anything (``"/health"``, ``"/static/**"``,
    ``"/users/*/avatar"``). ``exclude_methods`` are HTTP methods (``["OPTIONS"]``).
    Excluded requests go straight to the next step.
    """

    exclude_paths: Iterable[str] = ()
    exclude_methods: Iterable[str] = ()

    def __init__(self, get_response: GetResponse | None = None) -> None:
        super().__init__(get_response)
        paths = [self.exclude_paths] if isinstance(self.exclude_paths, str) else list(self.exclude_paths)
        self._excluded_path = re.compile("|".join(_glob_regex(p) for p in paths)).fullmatch if paths else None
        methods = [self.exclude_methods] if isinstance(self.exclude_methods, str) else self.exclude_methods
        self._excluded_methods = frozenset(m.upper() for m in methods)

    async def __call__(self, request: Any) -> Any:
        if request.method in self._excluded_methods or (
            self._excluded_path is not None and self._excluded_path(request.path)
        ):
            return await self.get_response(request)  # type: ignore[misc]
        return await self.process_request(request)


def _glob_regex(pattern: str) -> str:
    out = []
    for part in re.split(r"(\*\*|\*)", pattern):
        if part == "**":
            out.append(".*")
        elif part == "*":
            out.append("[^/]*")
        else:
            out.append(re.escape(part))
    return "(?:" + "".join(out) + ")"


def takes_call_next(cls: type) -> bool:
    """Whether a ``Middleware`` subclass is written in the ``call_next`` style."""
    params = [
        p
        for p in inspect.signature(cls.process_request).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return len(params) >= 3  # self, request, call_next


def is_get_response_class(obj: Any) -> bool:
    """A class built with the next step and called with the request (Django style)."""
    if not isinstance(obj, type):
        return False
    if issubclass(obj, Middleware):
        return not takes_call_next(obj)
    return issubclass(obj, NativeMiddleware) is False and inspect.iscoroutinefunction(
        getattr(obj, "__call__", None)
    )


MiddlewareType = Union[type, "NativeMiddleware", "MiddlewareConfig", dict]


class NativeMiddleware(ABC):
    """Middleware the Go core implements; ``to_dict()`` is all it contributes."""

    type_name: str

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The options Go receives, with the middleware's ``"type"``."""


class CORSMiddleware(NativeMiddleware):
    """Cross-origin resource sharing headers and preflight answers.

    ``origins=None`` allows every origin (``["*"]``); methods and headers left
    as None get the Go core's defaults.
    """

    type_name = "cors"

    def __init__(
        self,
        origins: list[str] | None = None,
        methods: list[str] | None = None,
        headers: list[str] | None = None,
        credentials: bool = False,
        max_age: int = 3600,
    ) -> None:
        self.origins = ["*"] if origins is None else origins
        self.methods = methods
        self.headers = headers
        self.credentials = credentials
        self.max_age = max_age

    def to_dict(self) -> dict[str, Any]:
        options = {
            "origins": self.origins,
            "methods": self.methods,
            "headers": self.headers,
            "credentials": self.credentials,
            "max_age": self.max_age,
        }
        return {"type": self.type_name, **{k: v for k, v in options.items() if v is not None}}


class RateLimitMiddleware(NativeMiddleware):
    """Token-bucket rate limiting: ``rps`` requests per second, bursts up to ``burst``.

    ``key`` chooses what is limited: ``"ip"`` (the client address), ``"user"``,
    ``"api_key"``, or the name of a request header.
    """

    type_name = "rate_limit"

    def __init__(self, rps: int = 100, burst: int | None = None, key: str = "ip") -> None:
        self.rps = rps
        self.burst = burst if burst is not None else 2 * rps
        self.key = key

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "rps": self.rps, "burst": self.burst, "key": self.key}


class MiddlewareGroup:
    """Several middleware used together; ``group + other`` concatenates."""

    def __init__(self, *middleware: Any) -> None:
        self.middleware: list[Any] = []
        for item in middleware:
            # Nested groups are flattened so consumers see single middleware only.
            self.middleware.extend(item.middleware if isinstance(item, MiddlewareGroup) else [item])

    def __add__(self, other: Any) -> MiddlewareGroup:
        if isinstance(other, MiddlewareGroup):
            return MiddlewareGroup(*self.middleware, *other.middleware)
        return MiddlewareGroup(*self.middleware, other)

    def __repr__(self) -> str:
        return f"MiddlewareGroup({', '.join(map(repr, self.middleware))})"


class MiddlewareConfig:
    """One middleware with extra options and the routes it applies to.

    ``config`` is merged into a Go middleware's options (``MiddlewareConfig(
    RateLimitMiddleware(), config={"key": "user"})``). ``only_routes``, when
    given, lists the only route paths it applies to; otherwise it applies to
    every route except those in ``skip_routes``.
    """

    def __init__(
        self,
        middleware: Any,
        config: dict[str, Any] | None = None,
        skip_routes: Iterable[str] | None = None,
        only_routes: Iterable[str] | None = None,
    ) -> None:
        self.middleware = middleware
        self.config = dict(config or {})
        self.skip_routes = set(skip_routes or ())
        self.only_routes = None if only_routes is None else set(only_routes)

    def applies_to_route(self, route_key: str) -> bool:
        """Whether this middleware runs on the route whose path pattern is ``route_key``."""
        if self.only_routes is not None:
            return route_key in self.only_routes
        return route_key not in self.skip_routes

    def __repr__(self) -> str:
        return f"MiddlewareConfig({self.middleware!r}, config={self.config!r})"
