"""``MiddlewareResponse``: the response a Django-style middleware sees and returns.

``await self.get_response(request)`` inside a middleware gives one of these, built from
whatever the handler (or the next middleware) produced::

    class Tenant(Middleware):
        async def process_request(self, request):
            response = await self.get_response(request)
            response.headers["x-tenant"] = request.headers.get("x-tenant", "-")
            return response

``headers`` is a plain dict with lower-case names; ``Set-Cookie`` lines, which may
repeat, are kept apart in ``raw_cookies`` (one header value each). A middleware may also
answer by itself with a new ``MiddlewareResponse(400, {...}, b"...")``.

A streaming response keeps streaming: its ``body`` is empty and the status and headers
a middleware sets are applied to the stream when it leaves the middleware.
"""

from __future__ import annotations

from typing import Any

from ._runtime.protocol import SendFile
from .cookies import SetCookieLine

__all__ = ["MiddlewareResponse", "add_cookie_lines"]


class MiddlewareResponse:
    """Status, mutable headers and body of a response passing through middleware."""

    __slots__ = ("status_code", "headers", "body", "response_type", "raw_cookies", "_stream")

    def __init__(
        self,
        status_code: int,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        response_type: str = "json",
        raw_cookies: list[str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.headers = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
        self.body = body
        self.response_type = response_type
        self.raw_cookies = list(raw_cookies or ())
        self._stream: Any = None

    @classmethod
    def from_result(cls, result: Any) -> MiddlewareResponse:
        """Wrap a ``(status, headers, body)`` tuple or a ``StreamingResponse``."""
        from .responses import StreamingResponse

        if isinstance(result, StreamingResponse):
            response = cls(result.status_code, result.headers, b"", "streaming")
            response._stream = result
            return response
        status, header_list, body = result
        # A file's body stays the SendFile that tells Go which file to send.
        response = cls(status, None, body, "file" if isinstance(body, SendFile) else _response_type(header_list))
        for name, value in header_list:
            name = name.lower()
            if name == "set-cookie":
                response.raw_cookies.append(value)
            else:
                response.headers[name] = value
        return response

    def to_result(self) -> Any:
        """The ``(status, headers, body)`` tuple (or the stream) the server sends."""
        if self._stream is not None:
            stream = self._stream
            stream.status_code = self.status_code
            stream.headers = dict(self.headers)
            add_cookie_lines(stream, self.raw_cookies)
            return stream
        return self.to_tuple()

    def to_tuple(self) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = list(self.headers.items())
        headers.extend(("set-cookie", cookie) for cookie in self.raw_cookies)
        body = self.body
        if isinstance(body, SendFile):
            return self.status_code, headers, body
        if isinstance(body, str):
            body = body.encode()
        return self.status_code, headers, bytes(body)

    def __repr__(self) -> str:
        return f"<MiddlewareResponse {self.status_code} {self.response_type}>"


def add_cookie_lines(stream: Any, lines: list[str]) -> None:
    """Send ``Set-Cookie`` lines with a streaming response (its headers are a dict)."""
    if lines:
        stream._cookies = [*stream._cookies, *(SetCookieLine(line) for line in lines)]


def _response_type(headers: list[tuple[str, str]]) -> str:
    found = {name.lower(): value for name, value in headers}
    content_type = found.get("content-type", "")
    if "json" in content_type:
        return "json"
    if content_type.startswith("text/html"):
        return "html"
    if content_type.startswith("text/"):
        return "text"
    return "binary"
