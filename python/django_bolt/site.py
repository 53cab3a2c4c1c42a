"""The rest of the Django site, served by runbolt beside the API.

A request that no ``BoltAPI`` route answers, but that the project's URLconf may
resolve (a plain Django view, a class-based view, a template page, a streaming
response…), is handed to Django's own ASGI application, with ``settings.MIDDLEWARE``,
sessions and CSRF exactly as under any ASGI server. API routes always win.

Which paths may resolve is decided in Go, from the URLconf's literal parts computed
here once at start-up (``url_space``): exact paths (``about/``) and prefixes
(``blog/`` for ``blog/<slug>/``). A path outside both keeps the API's own 404 without
any Python call, so a flood of unknown paths stays cheap. ``BOLT_DJANGO_SITE = False``
turns the whole thing off.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, NamedTuple

from django.conf import settings

from .responses import StreamingResponse

__all__ = ["UrlSpace", "url_space", "site_enabled", "DjangoSite"]

# Characters that end the literal beginning of a regular expression.
_REGEX_META = set(".^$*+?{}[]|()")


class UrlSpace(NamedTuple):
    """Where the URLconf may resolve something: exact paths and path prefixes."""

    exact: list[str]
    prefixes: list[str]


def site_enabled() -> bool:
    enabled = getattr(settings, "BOLT_DJANGO_SITE", True)
    if not isinstance(enabled, bool):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"BOLT_DJANGO_SITE must be True or False, not {enabled!r}")
    return enabled


def url_space(exclude: tuple[str, ...] = ()) -> UrlSpace:
    """The literal parts of the root URLconf, as absolute paths; anything under an
    ``exclude`` prefix is left out."""
    from django.urls import get_resolver

    exact: set[str] = set()
    prefixes: set[str] = set()
    _walk(get_resolver().url_patterns, "/", exact, prefixes)
    exact = {p for p in exact if not p.startswith(exclude)}
    prefixes = {p for p in prefixes if not p.startswith(exclude)}
    if settings.APPEND_SLASH:
        # CommonMiddleware redirects "/about" to "/about/": Django must see it too.
        exact |= {p[:-1] for p in exact if len(p) > 1 and p.endswith("/")}
    # A path under a prefix needs no exact entry of its own.
    exact = {p for p in exact if not any(p.startswith(q) for q in prefixes)}
    return UrlSpace(sorted(exact), sorted(prefixes))


def _walk(patterns: Any, base: str, exact: set[str], prefixes: set[str]) -> None:
    for entry in patterns:
        literal, whole = _literal(entry.pattern)
        is_include = hasattr(entry, "url_patterns")
        if is_include and whole:
            _walk(entry.url_patterns, base + literal, exact, prefixes)
        elif whole and not is_include:
            exact.add(base + literal)
        else:
            prefixes.add(base + literal)


def _literal(pattern: Any) -> tuple[str, bool]:
    """(the literal beginning of ``pattern``, whether that is all of it)."""
    route = getattr(pattern, "_route", None)
    if isinstance(route, str):  # path() syntax: literal up to the first converter
        head, sep, _ = route.partition("<")
        return head, not sep
    regex = getattr(pattern, "_regex", None)
    if isinstance(regex, str):  # re_path() syntax
        return _regex_literal(regex, endpoint=getattr(pattern, "_is_endpoint", False))
    # A language prefix (i18n_patterns) or a custom pattern: anything may match.
    return "", False


def _regex_literal(regex: str, endpoint: bool) -> tuple[str, bool]:
    """The literal beginning of a ``re_path`` regex, and whether it is the whole match:
    an endpoint's must end in ``$`` right after it, an include's must simply end there."""
    text = regex.removeprefix("^")
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and not text[i + 1].isalnum():
            out.append(text[i + 1])  # an escaped punctuation character is itself
            i += 2
            continue
        if c in _REGEX_META or c == "\\":
            if c in "?*{" and out:
                out.pop()  # a quantifier makes the character before it optional
            return "".join(out), endpoint and c == "$" and i == len(text) - 1
        out.append(c)
        i += 1
    return "".join(out), not endpoint


class DjangoSite:
    """Runs one request through Django's ASGI application and streams its answer.

    ``host`` and ``port`` are the address the server is bound to: the ASGI ``server``
    and, when the request has none, its ``Host`` header.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 8000) -> None:
        from django.core.asgi import get_asgi_application

        self.host = host
        self.port = port
        self._app = get_asgi_application()

    async def __call__(self, request: Any) -> Any:
        headers = request._headers
        if "host" not in headers:
            headers = {**headers, "host": f"{self.host}:{self.port}"}
        # The scheme is the connection's; Django trusts X-Forwarded-Proto only through
        # SECURE_PROXY_SSL_HEADER, and the client address is not known here, so neither
        # comes from headers a client may send itself.
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": "http",
            "path": request.path,
            "raw_path": request.path.encode(),
            "query_string": request._raw_query or b"",
            "root_path": "",
            "headers": [(k.encode("latin-1"), v.encode("latin-1", "replace")) for k, v in headers.items()],
            "client": None,
            "server": (self.host, self.port),
        }
        return await _Exchange(self._app, scope, request.body).run()


class _Exchange:
    """One ASGI call. Once the response head arrives, a body Django sends in one message
    is answered whole; a body in several messages (``StreamingHttpResponse``) is streamed
    to the client as Django produces it."""

    def __init__(self, app: Any, scope: dict[str, Any], body: bytes) -> None:
        self.app, self.scope, self.body = app, scope, body
        self.head: asyncio.Future[tuple[int, list[tuple[str, str]]]] = asyncio.get_running_loop().create_future()
        self.messages: asyncio.Queue[tuple[bytes, bool]] = asyncio.Queue()
        self.delivered = False
        self.finished = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        if self.delivered:
            # The whole body was delivered; Django listens for a disconnect while the
            # view runs, which only comes once the response is complete.
            await self.finished.wait()
            return {"type": "http.disconnect"}
        self.delivered = True
        return {"type": "http.request", "body": self.body, "more_body": False}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])]
            self.head.set_result((message["status"], headers))
        elif message["type"] == "http.response.body":
            await self.messages.put((message.get("body", b""), bool(message.get("more_body", False))))

    async def run(self) -> Any:
        call = asyncio.ensure_future(self.app(self.scope, self.receive, self.send))
        await asyncio.wait({call, self.head}, return_when=asyncio.FIRST_COMPLETED)
        if not self.head.done():
            self.finished.set()
            call.result()  # Django failed before answering: its error is this request's
            raise RuntimeError("Django's ASGI application ended without sending a response")
        status, headers = self.head.result()
        body, more = await self.messages.get()
        names = [k.lower() for k, _ in headers]
        if more and len(names) == len(set(names)):
            return StreamingResponse(self._stream(call, body), status_code=status, headers=dict(headers),
                                     media_type=_content_type(headers))
        # One message, or repeated headers (several Set-Cookie) that a stream's header
        # map cannot carry: answer with the whole body.
        chunks = [body]
        while more:
            body, more = await self.messages.get()
            chunks.append(body)
        await self._finish(call)
        return status, headers, b"".join(chunks)

    async def _stream(self, call: asyncio.Future[None], first: bytes) -> AsyncIterator[bytes]:
        try:
            if first:
                yield first
            more = True
            while more:
                body, more = await self.messages.get()
                if body:
                    yield body
            await self._finish(call)
        finally:
            # The client went away mid-stream: stop the view.
            self.finished.set()
            if not call.done():
                call.cancel()

    async def _finish(self, call: asyncio.Future[None]) -> None:
        # Django ends the request (request_finished, closing the response) after its
        # last message; wait for that before telling it the client left.
        await call
        self.finished.set()


def _content_type(headers: list[tuple[str, str]]) -> str | None:
    return next((v for k, v in headers if k.lower() == "content-type"), None)
