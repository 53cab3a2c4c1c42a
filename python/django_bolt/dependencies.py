"""Dependencies: parameters filled by calling a function.

    async def current_user(request, authorization: str = Header()) -> User: ...

    async def profile(user: Annotated[User, Depends(current_user)]): ...
    async def orders(user=Depends(current_user), page: int = 1): ...

A dependency's own parameters follow exactly the handler rules (path, query,
header, cookie, body, form, ``request`` and further ``Depends``), because the
binding layer compiles each dependency into a plan of its own. A dependency
that depends, directly or not, on itself is rejected at start-up.

Within one request each dependency runs at most once when ``use_cache`` is
true (the default): its result is kept per request, keyed by the callable,
and shared by the handler and every other dependency asking for it. Use
``Depends(fn, use_cache=False)`` for a fresh call at each use.

Dependencies may be plain functions, ``async def`` functions, classes or
callable objects. ``async`` ones are awaited on the event loop. Everything
else (plain functions, classes, objects with a plain ``__call__``) runs in
the worker pool that runs ``def`` handlers, never on the event loop: a sync
dependency may use the Django ORM or block on I/O without stalling the
other requests, and under the test client it runs on the test's thread, as
sync handlers do. Generator dependencies (``yield``) are not supported and
are rejected at start-up.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from .params import Depends

__all__ = ["dependency_callable", "is_async_callable", "make_dependency_extractor"]

_UNCACHED = object()


def dependency_callable(marker: Depends, where: str) -> Callable[..., Any]:
    """Check the ``Depends`` marker of parameter ``where`` and return its callable."""
    fn = marker.dependency
    if fn is None:
        raise TypeError(f"{where}: Depends() needs a callable, e.g. Depends(get_current_user)")
    if not callable(fn):
        raise TypeError(f"{where}: Depends() needs a callable, got {fn!r}")
    if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
        raise TypeError(f"{where}: generator dependencies (using yield) are not supported")
    if marker.use_cache:
        try:
            hash(fn)
        except TypeError:
            raise TypeError(
                f"{where}: the per-request cache is keyed by the dependency, which is not hashable; "
                "pass use_cache=False"
            ) from None
    return fn


def is_async_callable(fn: Callable[..., Any]) -> bool:
    """True when calling ``fn`` returns an awaitable (async function, or an
    object whose ``__call__`` is async)."""
    if inspect.iscoroutinefunction(fn):
        return True
    if inspect.isclass(fn) or inspect.isroutine(fn):
        return False
    return inspect.iscoroutinefunction(fn.__call__)


def make_dependency_extractor(fn: Callable[..., Any], use_cache: bool, plan: Any) -> tuple[Callable, bool]:
    """Return ``(extract, is_async)`` for a parameter filled by ``fn``.

    ``plan`` is ``fn``'s own binding plan; its ``acollect`` binds ``fn``'s
    parameters within the request's shared scope (which holds the cache) and
    raises the binding layer's error on bad input. The extractor is always a
    coroutine: an async ``fn`` is awaited, a sync one is handed to the worker
    pool (``run_sync``), so the loop never runs user code that may block.
    """
    # Imported here: the runtime package imports the binding layer, which imports this module.
    from ._runtime.route import run_sync

    call_is_async = is_async_callable(fn)

    async def extract(request: Any, scope: Any) -> Any:
        cache = scope.dependency_cache
        if use_cache:
            value = cache.get(fn, _UNCACHED)
            if value is not _UNCACHED:
                return value
        args, kwargs = await plan.acollect(request, scope)
        if call_is_async:
            value = await fn(*args, **kwargs)
        else:
            value = await run_sync(fn, args, kwargs)
        if use_cache:
            cache[fn] = value
        return value

    return extract, True
