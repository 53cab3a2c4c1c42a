"""What a handler without a return annotation sends, read from its source.

``@api.get("/html") async def page(): return HTML("<h1>Hi</h1>")`` has no
annotation, yet its response is plainly HTML. The generator reads the
handler's own ``return`` and ``raise`` statements (not those of functions
nested in it) with ``ast``, and resolves the names they call in the
handler's module (or closes over):

* every ``return`` calls one response class ⇒ that class, with the literal
  ``media_type=`` and ``status_code=`` the calls pass (``StreamingResponse(
  events(), media_type="text/event-stream")`` is an event stream);
* ``raise NotFound(...)`` / ``raise HTTPException(status_code=404)`` ⇒ a
  documented 404 (the literal status, else the class's own).

Anything else (no source, a ``return`` of a variable, two different
classes) reads as "unknown", and the caller falls back to JSON.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass
from typing import Any

from ..exceptions import HTTPException

__all__ = ["HandlerSource", "ReturnedResponse", "read_handler"]


@dataclass(frozen=True)
class ReturnedResponse:
    """The response class every ``return`` of a handler builds, with its literal options."""

    cls: type
    media_type: str | None = None
    status_code: int | None = None


@dataclass(frozen=True)
class HandlerSource:
    """What ``read_handler`` found: the response returned (None: unknown), the statuses raised."""

    returned: ReturnedResponse | None
    raised_statuses: frozenset[int]


_NOTHING = HandlerSource(None, frozenset())


def read_handler(fn: Any, response_classes: tuple[type, ...]) -> HandlerSource:
    """The response ``fn`` returns (one of ``response_classes``) and the statuses it raises."""
    fn = inspect.unwrap(fn)
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return _NOTHING
    func = tree.body[0] if tree.body else None
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return _NOTHING
    # The names the handler sees: its module's, and those it closes over.
    namespace = {**getattr(fn, "__globals__", {}), **_closure(fn)}
    returns: list[ast.Return] = []
    raises: list[ast.Raise] = []
    _collect(func.body, returns, raises)
    return HandlerSource(
        _returned(returns, namespace, response_classes),
        frozenset(status for node in raises if (status := _raised_status(node, namespace)) is not None),
    )


def _closure(fn: Any) -> dict[str, Any]:
    try:
        return dict(inspect.getclosurevars(fn).nonlocals)
    except (TypeError, ValueError):
        return {}


def _collect(body: list[ast.stmt], returns: list[ast.Return], raises: list[ast.Raise]) -> None:
    """The handler's own return and raise statements, nested functions and classes excluded."""
    for node in body:
        stack: list[ast.AST] = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            if isinstance(current, ast.Return):
                returns.append(current)
            elif isinstance(current, ast.Raise):
                raises.append(current)
            stack.extend(ast.iter_child_nodes(current))


def _resolve(node: ast.expr, namespace: dict[str, Any]) -> Any:
    """The object a name or dotted name refers to in the handler's module, or None."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, namespace)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


# A keyword given, but not as a literal: its value is only known at run time.
_UNKNOWN = object()


def _literal(call: ast.Call, keyword: str, position: int | None = None) -> Any:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value.value if isinstance(kw.value, ast.Constant) else _UNKNOWN
    if position is not None and len(call.args) > position:
        arg = call.args[position]
        return arg.value if isinstance(arg, ast.Constant) else _UNKNOWN
    return None


def _returned(returns: list[ast.Return], namespace: dict[str, Any],
              response_classes: tuple[type, ...]) -> ReturnedResponse | None:
    found: set[ReturnedResponse] = set()
    for node in returns:
        call = node.value
        if not isinstance(call, ast.Call):
            return None
        cls = _resolve(call.func, namespace)
        if not (isinstance(cls, type) and issubclass(cls, response_classes)):
            return None
        media_type = _literal(call, "media_type")
        status = _literal(call, "status_code")
        if media_type is _UNKNOWN or status is _UNKNOWN:
            return None
        found.add(ReturnedResponse(cls, media_type, status if isinstance(status, int) else None))
    return found.pop() if len(found) == 1 else None


def _raised_status(node: ast.Raise, namespace: dict[str, Any]) -> int | None:
    call = node.exc
    target = call.func if isinstance(call, ast.Call) else call
    if target is None:
        return None
    cls = _resolve(target, namespace)
    if not (isinstance(cls, type) and issubclass(cls, HTTPException)):
        return None
    status = _literal(call, "status_code", 0) if isinstance(call, ast.Call) else None
    if isinstance(status, int) and not isinstance(status, bool):
        return status
    if status is None or isinstance(status, str):  # NotFound("message") takes the message first
        return cls.status_code
    return None
