"""One route compiled for serving: binding, guards, the call, serialization, errors.

``compile_runner`` builds, once per route, the coroutine function the loop starts for
each request. It picks the simplest shape the route allows, because the common case (an
``async def`` handler with plain parameters) runs tens of thousands of times a second.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from functools import partial
from typing import Any, Callable

from ..error_handlers import format_error_response, handle_exception
from ..middleware.chain import build_chain
from ..middleware.django_adapter import view_target
from ..pagination import _is_queryset
from ..serialization import serialize
from .protocol import DETAIL_PERMISSION_DENIED, DETAIL_UNAUTHENTICATED
from ..uploads import closing_uploads

__all__ = ["compile_runner", "run_sync"]


# Set while the in-process test client runs a request: sync handlers then run on the
# test's own thread (asgiref's thread-sensitive mode), where its database connection and
# TestCase transaction live, instead of in the worker pool.
run_sync_inline: contextvars.ContextVar[bool] = contextvars.ContextVar("run_sync_inline", default=False)

# Set while a request runs between request_started and request_finished
# (BOLT_EMIT_SIGNALS): the worker thread that runs its sync code then recycles its own
# database connections, as the signals' receivers do for the thread they run in.
recycle_connections: contextvars.ContextVar[bool] = contextvars.ContextVar("recycle_connections", default=False)


async def run_sync(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Run a ``def`` handler in the worker pool, with the request's context."""
    if run_sync_inline.get():
        from asgiref.sync import sync_to_async

        return await sync_to_async(fn, thread_sensitive=True)(*args, **kwargs)
    loop = asyncio.get_running_loop()
    ctx = contextvars.copy_context()
    if recycle_connections.get():
        return await loop.run_in_executor(None, partial(ctx.run, _recycling, fn, args, kwargs))
    return await loop.run_in_executor(None, partial(ctx.run, fn, *args, **kwargs))


def _recycling(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """``fn`` between two ``close_old_connections()``, in the worker thread: what Django
    runs at a request's start and end, so this thread's connections older than
    ``CONN_MAX_AGE`` (or broken) are closed instead of living as long as the thread."""
    from django.db import close_old_connections

    close_old_connections()
    try:
        return fn(*args, **kwargs)
    finally:
        close_old_connections()


def _permission_denied() -> tuple:
    return format_error_response(403, DETAIL_PERMISSION_DENIED)


def _unauthenticated() -> tuple:
    return format_error_response(401, DETAIL_UNAUTHENTICATED)


def compile_runner(route: Any) -> Callable[[Any], Any]:
    """The per-request coroutine function for ``route`` (an ``api.Route``)."""
    run = _compile_runner(route)
    if getattr(route.api, "emit_signals", False):
        from .signals import with_signals

        return with_signals(run, type(route.api))
    return run


def _compile_runner(route: Any) -> Callable[[Any], Any]:
    fn = view_target(route.fn)
    plan = route.plan
    if plan.meta.get("needs_form_parsing"):
        fn = closing_uploads(fn)
    status_code = route.status_code
    validate = route.validator()
    is_async = inspect.iscoroutinefunction(fn)
    guards = route.security.python_guards
    revocation = route.security.revocation_handlers
    middleware = route.security.python_middleware
    # With a revoked token the request is unauthenticated: the native guards then
    # answer 401 (each of them needs authentication), or let it through if there are none.
    if_revoked = 401 if (route.security.native or {}).get("guards") else 0

    async def call(request: Any) -> Any:
        if plan.request_only:
            args, kwargs = (request,), {}
        elif plan.needs_await:
            args, kwargs = await plan.abind(request)
        else:
            args, kwargs = plan.bind(request)
        if is_async:
            result = await fn(*args, **kwargs)
        else:
            result = await run_sync(fn, args, kwargs)
        if _is_queryset(result):
            result = [obj async for obj in result]
        return result

    if not guards and not revocation and not middleware:
        if is_async and plan.takes_nothing:
            # The hottest path: a handler without parameters has nothing to bind.

            async def run(request: Any) -> Any:
                try:
                    result = await fn()
                    if result.__class__ is not dict and _is_queryset(result):
                        result = [obj async for obj in result]
                    return serialize(result, status_code, validate)
                except BaseException as exc:
                    return handle_exception(exc, None, request)

            return run

        if is_async and not plan.needs_await and not plan.request_only:
            # The hot path: bind, await, encode.
            bind = plan.bind

            async def run(request: Any) -> Any:
                try:
                    args, kwargs = bind(request)
                    result = await fn(*args, **kwargs)
                    if result.__class__ is not dict and _is_queryset(result):
                        result = [obj async for obj in result]
                    return serialize(result, status_code, validate)
                except BaseException as exc:
                    return handle_exception(exc, None, request)

            return run

        async def run(request: Any) -> Any:
            try:
                return serialize(await call(request), status_code, validate)
            except BaseException as exc:
                return handle_exception(exc, None, request)

        return run

    async def inner(request: Any) -> Any:
        return serialize(await call(request), status_code, validate)

    chain = build_chain(middleware, inner, route.fn, partial(serialize, status_code=status_code, validate=None)) \
        if middleware else inner

    async def run(request: Any) -> Any:
        try:
            if revocation:
                denied = await _check_revocation(request, revocation, if_revoked)
                if denied is not None:
                    return denied
            for guard in guards:
                allowed = guard.has_permission(request)
                if inspect.isawaitable(allowed):
                    allowed = await allowed
                if not allowed:
                    return _permission_denied()
            return await chain(request)
        except BaseException as exc:
            return handle_exception(exc, None, request)

    return run


async def _check_revocation(request: Any, handlers: tuple, if_revoked: int) -> tuple | None:
    """Reject a request whose token was revoked, as if it carried no token."""
    ctx = request.context
    if not ctx:
        return None
    claims = ctx.get("auth_claims") or {}
    jti = claims.get("jti")
    if jti is None:
        return None
    for handler in handlers:
        if await handler(jti):
            ctx.clear()
            return _unauthenticated() if if_revoked == 401 else None
    return None
