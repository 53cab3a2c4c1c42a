"""Middleware objects: the ones Go runs, and the base class for your own.

Two kinds look alike but run in different places:

* ``CORSMiddleware`` and ``RateLimitMiddleware`` describe behaviour the Go core
  implements. They are turned into dicts at start-up (``{"type": "cors", ...}``)
  and never run in Python. A plain dict with a ``"type"`` key is the same thing
  written by hand.
* Subclasses of ``Middleware`` are your code. They run in Python around the
  handler, outermost first::

      class Timing(Middleware):
          async def process_request(self, request, call_next):
              start = time.perf_counter()
              response = await call_next(request)
              log.info("%s took %.3fs", request.path, time.perf_counter() - start)
              return response

Both kinds can be given to ``BoltAPI(middleware=[...])`` for every route, or to
the ``@middleware(...)`` decorator for one. ``MiddlewareGroup`` bundles several
to reuse together; ``MiddlewareConfig`` limits one to some routes (by path
pattern, e.g. ``"/users/{user_id}"``) or adds options to it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

__all__ = [
    "Middleware",
    "NativeMiddleware",
    "MiddlewareGroup",
    "MiddlewareConfig",
    "CORSMiddleware",
    "RateLimitMiddleware",
]


class Middleware(ABC):
    """Python middleware: wraps the handler and may change request or response."""

    @abstractmethod
    async def process_request(self, request: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
        """Return a response: usually ``await call_next(request)``, or one of your own to stop early."""


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
