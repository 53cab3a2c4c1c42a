"""Exceptions a handler raises to answer with an error status.

``HTTPException`` and its subclasses become ``{"detail": ..., "extra": ...}`` JSON
responses (``extra`` only when set); ``RequestValidationError`` becomes a 422 with
the list of problems; anything else becomes a 500 (see ``error_handlers``).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

__all__ = [
    "BoltException",
    "HTTPException",
    "ValidationException",
    "RequestValidationError",
    "ResponseValidationError",
    "ClientException",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "MethodNotAllowed",
    "NotAcceptable",
    "Conflict",
    "Gone",
    "UnprocessableEntity",
    "TooManyRequests",
    "ServerException",
    "InternalServerError",
    "NotImplemented",
    "BadGateway",
    "ServiceUnavailable",
    "GatewayTimeout",
]


def _reason(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return ""


class BoltException(Exception):
    """Base of every exception this package raises on purpose."""

    detail: str = ""

    def __init__(self, *args: Any, detail: str = "") -> None:
        if not detail:
            detail = next((str(a) for a in args if a), self.detail)
        self.detail = detail
        super().__init__(*args)


class HTTPException(BoltException):
    """Stop the handler and answer with ``status_code``.

    ``detail`` defaults to the reason phrase of the status; ``headers`` are added to
    the response; ``extra`` (any JSON-encodable value) is sent beside ``detail``.
    """

    status_code: int = 500

    def __init__(
        self,
        status_code: int | None = None,
        detail: Any = None,
        headers: dict[str, str] | None = None,
        extra: Any = None,
    ) -> None:
        if status_code is None:
            status_code = self.status_code
        if isinstance(status_code, str) and detail is None:
            # NotFound("User missing") reads naturally; accept the message first.
            status_code, detail = self.status_code, status_code
        self.status_code = int(status_code)
        text = "" if detail is None else str(detail)
        self.detail = text or _reason(self.status_code)
        self.headers = dict(headers or {})
        self.extra = extra
        Exception.__init__(self, f"{self.status_code}: {self.detail}")

    def __repr__(self) -> str:
        return f"{self.status_code} - {type(self).__name__} - {self.detail}"

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"


class ValidationException(BoltException, ValueError):
    """A list of validation problems; ``errors()`` returns them."""

    detail = "Validation error"

    def __init__(self, errors: list[Any]) -> None:
        super().__init__(detail=self.detail)
        self._errors = list(errors)

    def errors(self) -> list[Any]:
        return self._errors


class RequestValidationError(ValidationException):
    """The request did not fit the handler's parameters: answered with 422."""

    def __init__(self, errors: list[Any], *, body: Any = None) -> None:
        super().__init__(errors)
        self.body = body


class ResponseValidationError(ValidationException):
    """The handler's result did not fit its declared response type: answered with 500."""

    def __init__(self, errors: list[Any], *, body: Any = None) -> None:
        super().__init__(errors)
        self.body = body


class ClientException(HTTPException):
    status_code = 400


class BadRequest(ClientException):
    status_code = 400


class Unauthorized(ClientException):
    status_code = 401


class Forbidden(ClientException):
    status_code = 403


class NotFound(ClientException):
    status_code = 404


class MethodNotAllowed(ClientException):
    status_code = 405


class NotAcceptable(ClientException):
    status_code = 406


class Conflict(ClientException):
    status_code = 409


class Gone(ClientException):
    status_code = 410


class UnprocessableEntity(ClientException):
    status_code = 422


class TooManyRequests(ClientException):
    status_code = 429


class ServerException(HTTPException):
    status_code = 500


class InternalServerError(ServerException):
    status_code = 500


class NotImplemented(ServerException):  # noqa: A001 - the public name users import
    status_code = 501


class BadGateway(ServerException):
    status_code = 502


class ServiceUnavailable(ServerException):
    status_code = 503


class GatewayTimeout(ServerException):
    status_code = 504
