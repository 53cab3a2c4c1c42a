"""Turning exceptions into error responses.

Every exception a handler (or binding) raises ends here and becomes a
``(status, headers, body)`` tuple; nothing escapes to the server. Unhandled
exceptions are logged with their traceback and answered with 500 — with the
exception and traceback in the body only when Django's ``DEBUG`` is on.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

import msgspec

from .binding import msgspec_validation_error_to_dict
from .exceptions import HTTPException, RequestValidationError, ResponseValidationError, ValidationException
from .serialization import JSON_TYPE

__all__ = [
    "format_error_response",
    "http_exception_handler",
    "msgspec_validation_error_to_dict",
    "request_validation_error_handler",
    "response_validation_error_handler",
    "generic_exception_handler",
    "handle_exception",
]

logger = logging.getLogger("django_bolt")

Result = tuple[int, list[tuple[str, str]], bytes]

_encode = msgspec.json.Encoder().encode


def format_error_response(status_code: int, detail: Any, headers: dict[str, str] | None = None, extra: Any = None) -> Result:
    body: dict[str, Any] = {"detail": detail}
    if extra is not None:
        body["extra"] = extra
    out = [("content-type", JSON_TYPE)]
    if headers:
        # Names keep the caller's case; the HTTP layer decides how they go on the wire.
        out.extend((str(k), str(v)) for k, v in headers.items())
    try:
        encoded = _encode(body)
    except (TypeError, msgspec.EncodeError):
        # An unencodable `extra` must not turn a deliberate error into a crash.
        body["extra"] = repr(extra)
        encoded = _encode(body)
    return status_code, out, encoded


def http_exception_handler(exc: HTTPException) -> Result:
    return format_error_response(exc.status_code, exc.detail, exc.headers, exc.extra)


def _validation_items(errors: list[Any], default_loc: str) -> list[Any]:
    items: list[Any] = []
    for err in errors:
        if isinstance(err, dict):
            items.append(err)
        elif isinstance(err, msgspec.ValidationError):
            items.extend(msgspec_validation_error_to_dict(err))
        else:
            items.append({"loc": [default_loc], "msg": str(err), "type": "validation_error"})
    return items


def request_validation_error_handler(exc: ValidationException) -> Result:
    return format_error_response(422, _validation_items(exc.errors(), "body"))


def response_validation_error_handler(exc: ResponseValidationError) -> Result:
    return format_error_response(
        500, "Response validation error", extra={"validation_errors": _validation_items(exc.errors(), "response")}
    )


def _debug_enabled() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "DEBUG", False))


def generic_exception_handler(exc: BaseException, debug: bool = False, request: Any = None) -> Result:
    """The 500 for an unhandled exception: generic, or with its traceback when ``debug``."""
    if not debug:
        return format_error_response(500, "Internal Server Error")
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return format_error_response(
        500,
        f"{type(exc).__name__}: {exc}",
        extra={"exception": str(exc), "exception_type": type(exc).__name__, "traceback": lines},
    )


def _file_error_response(exc: OSError, debug: bool | None, where: str) -> Result:
    """404 or 403 for a file that cannot be served.

    An error raised by the operating system or by ``FileResponse`` carries the server
    path (``exc.filename``): the client sees it only with ``DEBUG``, otherwise a generic
    message while the log keeps the path. An error raised with just a message is the
    handler's own wording for the client and is sent as it is.
    """
    status, generic = (404, "File not found") if isinstance(exc, FileNotFoundError) else (403, "Permission denied")
    if exc.errno is None and exc.filename is None:
        return format_error_response(status, str(exc) or generic)
    detail = f"{exc.strerror or generic}: {exc.filename}" if exc.filename is not None else str(exc)
    if _debug_enabled() if debug is None else debug:
        return format_error_response(status, detail)
    logger.warning("%s%s: %s", generic, where, detail)
    return format_error_response(status, generic)


def _django_exception_response(exc: BaseException) -> Result | None:
    """Django's own client errors, as Django answers them: ``PermissionDenied`` (raised
    by ``@permission_required(raise_exception=True)``, say) is a 403, ``Http404``
    (``get_object_or_404``) a 404, and ``BadRequest`` and ``SuspiciousOperation`` (a
    storage refusing an uploaded file's name that climbs out of its directory, a
    tampered session) a 400. Their messages stay in the server, as in Django without
    DEBUG; a suspicious operation is logged on ``django.security.<class name>``, the
    logger Django uses for it."""
    from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
    from django.http import Http404

    if isinstance(exc, PermissionDenied):
        return format_error_response(403, "Permission denied")
    if isinstance(exc, Http404):
        return format_error_response(404, "Not Found")
    if isinstance(exc, SuspiciousOperation):
        logging.getLogger(f"django.security.{type(exc).__name__}").error(str(exc))
        return format_error_response(400, "Bad Request")
    if isinstance(exc, BadRequest):
        return format_error_response(400, "Bad Request")
    return None


def handle_exception(exc: BaseException, debug: bool | None = None, request: Any = None) -> Result:
    """The response for ``exc``; ``debug=None`` reads Django's ``DEBUG``."""
    if isinstance(exc, HTTPException):
        return http_exception_handler(exc)
    if isinstance(exc, ResponseValidationError):
        return response_validation_error_handler(exc)
    if isinstance(exc, (RequestValidationError, ValidationException)):
        return request_validation_error_handler(exc)
    if isinstance(exc, msgspec.ValidationError):
        return format_error_response(422, msgspec_validation_error_to_dict(exc))
    django_answer = _django_exception_response(exc)
    if django_answer is not None:
        return django_answer
    where, request_id = "", None
    if request is not None:
        where = f" in {request.get('method')} {request.get('path')}"
        # With BOLT_REQUEST_ID on, the id ties this traceback to the access log line.
        request_id = (request.get("context") or {}).get("request_id")
        if request_id:
            where += f" (request id {request_id})"
    if isinstance(exc, (FileNotFoundError, PermissionError)):
        return _file_error_response(exc, debug, where)
    logger.error("Exception%s: %s: %s", where, type(exc).__name__, exc,
                 exc_info=(type(exc), exc, exc.__traceback__), extra={"request_id": request_id})
    return generic_exception_handler(exc, _debug_enabled() if debug is None else debug)
