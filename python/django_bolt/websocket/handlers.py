"""WebSocket routes: registration checks, binding, and running a handler.

A handler is ``async def handler(websocket, ...)``: the ``WebSocket`` comes first,
the other parameters bind like those of a body-less GET handler (path, query,
``Header()``, ``Cookie()``, ``Depends``). Rate limits, authentication and guards run
in Go before the handshake; the handler decides to accept or close.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from typing import Any, Callable

from ..binding import BindingPlan, compile_binding
from ..middleware.compiler import RouteSecurity, compile_route_security
from ..request import Request
from .connection import WebSocket
from .types import WebSocketDisconnect, WebSocketException, WebSocketState

__all__ = [
    "WebSocketRoute",
    "compile_websocket_route",
    "is_websocket_handler",
    "mark_websocket_handler",
    "get_websocket_param_name",
    "run_websocket_handler",
]

logger = logging.getLogger("django_bolt")


def mark_websocket_handler(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn.__bolt_websocket__ = True  # type: ignore[attr-defined]
    return fn


def is_websocket_handler(fn: Any) -> bool:
    return bool(getattr(fn, "__bolt_websocket__", False))


def get_websocket_param_name(fn: Callable[..., Any]) -> str:
    """The name of the handler's first parameter, which receives the WebSocket."""
    params = list(inspect.signature(fn).parameters.values())
    if not params or params[0].kind not in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        raise TypeError(
            f"WebSocket handler {fn.__qualname__} must take the WebSocket as its first positional "
            "parameter, e.g. async def handler(websocket: WebSocket, ...)"
        )
    return params[0].name


class _Binding:
    """Stands for the handler minus its first parameter, for compile_binding."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        sig = inspect.signature(fn, eval_str=True)
        self.__signature__ = sig.replace(parameters=list(sig.parameters.values())[1:])
        self.__qualname__ = fn.__qualname__
        self.__module__ = fn.__module__
        self.__name__ = getattr(fn, "__name__", fn.__qualname__)

    def __call__(self, *args: Any, **kwargs: Any) -> None:  # never called
        raise NotImplementedError


@dataclass(eq=False)
class WebSocketRoute:
    path: str
    handler_id: int
    fn: Callable[..., Any]
    plan: BindingPlan
    security: RouteSecurity

    @property
    def name(self) -> str:
        return f"{self.fn.__module__}.{self.fn.__qualname__}"

    def table_entry(self) -> dict[str, Any]:
        needs = set(self.plan.needs) - {"body"}
        return {
            "path": self.path,
            "handler_id": self.handler_id,
            "needs": sorted(needs),
            "security": self.security.native,
            "name": self.name,
        }


def compile_websocket_route(fn: Callable[..., Any], path: str, handler_id: int, *, guards: Any = None,
                            auth: Any = None) -> WebSocketRoute:
    where = f"@api.websocket({path!r}) {getattr(fn, '__qualname__', fn)!r}"
    if not inspect.iscoroutinefunction(fn):
        raise TypeError(f"{where}: a WebSocket handler must be an async def function")
    get_websocket_param_name(fn)
    plan = compile_binding(_Binding(fn), "GET", path)
    security = compile_route_security(fn, "GET", path, middleware=[], middleware_config={}, guards=guards, auth=auth)
    native = dict(security.native or {})
    # CORS does not apply to WebSockets (Origin is checked against the global
    # configuration); rate limits do.
    kept = [m for m in native.get("middleware", []) if m.get("type") == "rate_limit"]
    if kept:
        native["middleware"] = kept
    else:
        native.pop("middleware", None)
    if security.python_middleware:
        raise TypeError(f"{where}: Python middleware does not run for WebSockets; remove it from this handler")
    security = RouteSecurity(
        native=native or None,
        python_guards=security.python_guards,
        python_middleware=(),
        revocation_handlers=security.revocation_handlers,
    )
    return WebSocketRoute(path=path, handler_id=handler_id, fn=mark_websocket_handler(fn), plan=plan,
                          security=security)


async def _permitted(route: WebSocketRoute, request: Request) -> bool:
    ctx = request.context or {}
    jti = (ctx.get("auth_claims") or {}).get("jti")
    if jti is not None:
        for handler in route.security.revocation_handlers:
            if await handler(jti):
                return False
    for guard in route.security.python_guards:
        allowed = guard.has_permission(request)
        if inspect.isawaitable(allowed):
            allowed = await allowed
        if not allowed:
            return False
    return True


async def run_websocket_handler(route: WebSocketRoute, websocket: WebSocket, request: Request) -> None:
    """Run one connection's handler to the end and close the socket as the rules say:
    binding failure 1011 "Handler setup failed", handler error 1011 "Internal error"
    (the error is re-raised for the caller to log or report), a ``WebSocketException``
    its own code, and a handler that returns without closing 1000."""
    try:
        if not await _permitted(route, request):
            await websocket.close(1008, "Permission denied")
            return
        if route.plan.needs_await:
            args, kwargs = await route.plan.abind(request)
        else:
            args, kwargs = route.plan.bind(request)
    except Exception:
        logger.exception("WebSocket %s: binding the handler's parameters failed", route.path)
        await websocket.close(1011, "Handler setup failed")
        return
    del request  # bound: not kept for the life of the connection
    try:
        await route.fn(websocket, *args, **kwargs)
    except WebSocketDisconnect:
        websocket.application_state = WebSocketState.DISCONNECTED
    except WebSocketException as exc:
        await websocket.close(exc.code, exc.reason)
    except BaseException:
        await websocket.close(1011, "Internal error")
        raise
    else:
        await websocket.close(1000)
