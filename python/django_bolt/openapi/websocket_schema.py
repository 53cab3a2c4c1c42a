"""WebSocket routes in the OpenAPI document.

OpenAPI has no WebSocket operation; each route is documented as a GET on its path
item, marked ``"x-websocket": true``, with the required upgrade headers, the path,
query, header and cookie parameters its handler binds, and the handshake's answers.
"""

from __future__ import annotations

from typing import Any

from .spec import OpenAPIResponse, OpenAPIType, Operation, Parameter, PathItem, Schema, SecurityScheme

__all__ = ["add_websocket_paths"]

_HANDSHAKE_RESPONSES = {
    "101": "Switching Protocols: the handler accepted (or closes with a WebSocket close code)",
    "400": "Not a WebSocket upgrade request",
    "403": "Origin not allowed, or a guard refused",
}


def add_websocket_paths(generator: Any, paths: dict[str, PathItem], types: Any, schemes: dict[str, SecurityScheme],
                        operation_ids: set[str]) -> None:
    from .schema_generator import _bound_fields, _is_under, _openapi_path, _parameters, _security, _tags

    for route in generator.api.websocket_routes():
        if any(_is_under(route.path, prefix) for prefix in generator._excluded):
            continue
        item = paths.setdefault(_openapi_path(route.path), PathItem())
        if item.get is not None:
            continue  # an HTTP GET owns the path's documentation
        fields = list(_bound_fields(route.plan.meta["fields"], "GET", route.path, set()))
        parameters = [
            Parameter(name="Upgrade", param_in="header", required=True, schema=Schema(type=OpenAPIType.STRING),
                      description="`websocket`", example="websocket"),
            Parameter(name="Connection", param_in="header", required=True, schema=Schema(type=OpenAPIType.STRING),
                      description="Contains `Upgrade`", example="Upgrade"),
            *_parameters(fields, types),
        ]
        summary, description = generator._docstring(route.fn)
        responses = {status: OpenAPIResponse(description=text) for status, text in _HANDSHAKE_RESPONSES.items()}
        security = _security(route, schemes)
        if security:
            responses["401"] = OpenAPIResponse(description="Authentication required")
        if route.security.native and any(m.get("type") == "rate_limit" for m in route.security.native.get("middleware", [])):
            responses["429"] = OpenAPIResponse(description="Rate limit exceeded")
        responses["503"] = OpenAPIResponse(description="Too many WebSocket connections")
        item.get = Operation(
            tags=[*(_tags(route.fn) or []), "WebSocket"],
            summary=f"WebSocket: {summary}" if summary else "WebSocket Connection",
            description=description,
            operation_id=_operation_id(route.fn, operation_ids),
            parameters=parameters,
            responses=responses,
            security=security,
        )
        item.x_websocket = True


def _operation_id(fn: Any, used: set[str]) -> str:
    base = f"websocket_{getattr(fn, '__name__', 'handler')}"
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}_{n}"
    used.add(candidate)
    return candidate


