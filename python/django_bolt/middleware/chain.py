"""The Python middleware chain of one route, built once when the route is compiled.

Each step of the chain is ``async (request) -> result`` where a result is what the
server sends: a ``(status, headers, body)`` tuple or a ``StreamingResponse``. Every
middleware style is adapted to that shape here:

* Django-style classes (``Middleware`` with ``process_request(self, request)``,
  ``BaseMiddleware``, or any ``MiddlewareProtocol`` class) are instantiated with their
  ``get_response``, which hands them a ``MiddlewareResponse``;
* ``call_next``-style instances get the next step as ``call_next``, which returns the
  tuple, as in the seed API;
* function middleware (``@middleware`` on ``async def mw(request, call_next)``) gets a
  ``call_next`` returning a ``MiddlewareResponse``;
* ``DjangoMiddleware`` / ``DjangoMiddlewareStack`` build their own step (they need the
  route's handler, for ``process_view`` and ``csrf_exempt``).

A route without Python middleware has no chain at all (see ``_runtime.route``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from .._runtime.protocol import SendFile
from ..middleware_response import MiddlewareResponse
from ..responses import StreamingResponse
from .middleware import Middleware

__all__ = ["build_chain", "FunctionMiddleware"]

Step = Callable[[Any], Awaitable[Any]]


class FunctionMiddleware:
    """``async def mw(request, call_next)`` made into a route decorator by ``@middleware``."""

    def __init__(self, fn: Callable[..., Awaitable[Any]]) -> None:
        self.fn = fn
        self.__name__ = getattr(fn, "__name__", "middleware")
        self.__qualname__ = getattr(fn, "__qualname__", self.__name__)
        self.__doc__ = getattr(fn, "__doc__", None)

    def __call__(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        from .decorators import _add_entries

        return _add_entries(handler, [self])

    def __repr__(self) -> str:
        return f"<function middleware {self.__qualname__}>"


def build_chain(entries: Sequence[Any], inner: Step, handler: Callable[..., Any], serialize: Callable) -> Step:
    """Wrap ``inner`` in ``entries`` (outermost first); ``serialize`` turns a plain
    value a ``call_next`` middleware returns into a result."""
    chain = inner
    for entry in reversed(entries):
        chain = _step(entry, chain, handler, serialize)
    return chain


def _step(entry: Any, nxt: Step, handler: Callable[..., Any], serialize: Callable) -> Step:
    build = getattr(entry, "build_step", None)
    if build is not None:  # DjangoMiddleware, DjangoMiddlewareStack
        return build(nxt, handler)
    if isinstance(entry, FunctionMiddleware):
        fn = entry.fn

        async def call_next(request: Any) -> MiddlewareResponse:
            return MiddlewareResponse.from_result(await nxt(request))

        async def function_step(request: Any) -> Any:
            return _result(await fn(request, call_next), entry)

        return function_step
    if isinstance(entry, Middleware) and not isinstance(entry, type):
        process = entry.process_request

        async def call_next_step(request: Any) -> Any:
            out = await process(request, nxt)
            if isinstance(out, (tuple, StreamingResponse)):
                return out
            if isinstance(out, MiddlewareResponse):
                return out.to_result()
            # Answered by itself with a plain value or a response object.
            return serialize(out)

        return call_next_step

    # A Django-style class: one instance per route, built around the next step.
    async def get_response(request: Any) -> MiddlewareResponse:
        return MiddlewareResponse.from_result(await nxt(request))

    instance = entry(get_response)

    async def class_step(request: Any) -> Any:
        return _result(await instance(request), entry)

    return class_step


def _result(out: Any, source: Any) -> Any:
    if isinstance(out, MiddlewareResponse):
        return out.to_result()
    if isinstance(out, tuple) and len(out) == 3 and isinstance(out[0], int):
        status, headers, body = out
        if isinstance(headers, dict):
            headers = list(headers.items())
        return status, [(str(k), str(v)) for k, v in headers], body if isinstance(body, SendFile) else bytes(body)
    to_tuple = getattr(out, "to_tuple", None)
    if to_tuple is not None:
        return to_tuple()
    name = getattr(source, "__qualname__", None) or type(source).__name__
    raise TypeError(
        f"middleware {name} returned {type(out).__name__}; return the response from "
        "get_response/call_next, a MiddlewareResponse, or a (status, headers, body) tuple"
    )
