"""The error responses an operation can answer, with the bodies the server really sends.

Which errors a route can answer follows from what the server runs for it:

* ``422`` when it reads parameters or a body: ``{"detail": [{"type", "loc", "msg", ...}]}``;
* ``401`` and ``403`` when guards protect it (missing or invalid credentials,
  then a permission refused): ``{"detail": "Authentication required"}``;
* ``413`` when it reads a body larger than ``BOLT_MAX_UPLOAD_SIZE`` allows;
* ``429`` when it is rate-limited: ``{"detail": ..., "retry_after": <seconds>}``
  with a ``Retry-After`` header;
* each status the handler raises as an ``HTTPException`` (``raise
  NotFound(...)``, read from its source): ``{"detail": "..."}``;
* ``500`` for every operation: a handler can always fail.
  ``{"detail": "Internal Server Error"}``, and with ``DEBUG = True``
  ``{"detail": "<Type>: <message>", "extra": {"exception", "exception_type",
  "traceback"}}``; a raised ``ResponseValidationError`` adds
  ``extra.validation_errors``.

The bodies are components (``HTTPError``, ``HTTPValidationError``,
``ValidationError``, ``RateLimitError``, ``ServerError``) shared by every
operation.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from .spec import OpenAPIHeader, OpenAPIMediaType, OpenAPIResponse, Reference

__all__ = ["ERROR_COMPONENTS", "error_response"]

JSON_MEDIA_TYPE = "application/json"

ERROR_COMPONENTS: dict[str, dict[str, Any]] = {
    "HTTPError": {
        "title": "HTTPError",
        "description": "An error answered by the server or raised as an HTTPException.",
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "ValidationError": {
        "title": "ValidationError",
        "description": "One problem found in the request.",
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "msg": {"type": "string"},
            "input": {},
        },
        "required": ["type", "loc", "msg"],
    },
    "HTTPValidationError": {
        "title": "HTTPValidationError",
        "description": "Every problem found in the request's parameters and body.",
        "type": "object",
        "properties": {"detail": {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}}},
        "required": ["detail"],
    },
    "ServerError": {
        "title": "ServerError",
        "description": (
            "The request failed in the server. `extra` is sent with DEBUG = True (the exception and its "
            "traceback) and for a raised ResponseValidationError (`validation_errors`)."
        ),
        "type": "object",
        "properties": {
            "detail": {"type": "string"},
            "extra": {
                "type": "object",
                "properties": {
                    "exception": {"type": "string"},
                    "exception_type": {"type": "string"},
                    "traceback": {"type": "array", "items": {"type": "string"}},
                    "validation_errors": {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}},
                },
            },
        },
        "required": ["detail"],
    },
    "RateLimitError": {
        "title": "RateLimitError",
        "description": "The route's rate limit was exceeded; retry after `retry_after` seconds.",
        "type": "object",
        "properties": {"detail": {"type": "string"}, "retry_after": {"type": "integer"}},
        "required": ["detail", "retry_after"],
    },
}

_DESCRIPTIONS = {
    401: "Authentication required: no valid credentials",
    403: "Permission denied",
    413: "Request body too large",
    422: "Validation error: the request's parameters or body are invalid",
    429: "Rate limit exceeded",
    500: "Internal server error: the handler failed",
}


def error_response(status: int) -> tuple[OpenAPIResponse, str]:
    """The documented response for an error ``status``, and the component its body uses."""
    component = {422: "HTTPValidationError", 429: "RateLimitError", 500: "ServerError"}.get(status, "HTTPError")
    try:
        description = _DESCRIPTIONS.get(status) or HTTPStatus(status).phrase
    except ValueError:
        description = f"Error {status}"
    headers = None
    if status == 429:
        headers = {"Retry-After": OpenAPIHeader(
            description="Seconds to wait before retrying", schema={"type": "integer"})}
    response = OpenAPIResponse(
        description=description,
        content={JSON_MEDIA_TYPE: OpenAPIMediaType(schema=Reference(ref=f"#/components/schemas/{component}"))},
        headers=headers,
    )
    return response, component
