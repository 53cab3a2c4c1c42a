"""httpx clients whose transport is the in-process Go pipeline."""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import AsyncIterator, Iterator
from typing import Any, AnyStr

import httpx
import msgspec

from .._runtime.table import MiddlewareConfig, Table
from .runner import InlineRunner

__all__ = ["TestClient", "AsyncTestClient", "TestResponse"]


def _http_layer(use_http_layer: bool | None, cors_allowed_origins: Any) -> bool:
    """Whether CORS, rate limits and compression run: as asked, and by default when the
    client is given CORS origins to test."""
    if cors_allowed_origins is not None:
        if isinstance(cors_allowed_origins, (str, bytes)) or not all(
                isinstance(o, str) for o in cors_allowed_origins):
            raise TypeError(
                "TestClient(cors_allowed_origins=...) takes a list of origins such as "
                f"['https://app.example.com'], not {cors_allowed_origins!r}"
            )
        if use_http_layer is False:
            raise ValueError(
                "TestClient(cors_allowed_origins=...) is applied by the HTTP layer: "
                "leave use_http_layer unset or pass use_http_layer=True"
            )
        return True
    return bool(use_http_layer)


def _route_table(api: Any, routes: list[Any], static_files_config: dict[str, Any] | None,
                 cors_allowed_origins: list[str] | None, read_django_settings: bool) -> Table:
    """The server's route table for ``api``, with the test client's settings."""
    from .._runtime.boot import route_table
    from ..conf import SERVER_SETTINGS

    overrides = None if read_django_settings else {s.name: s.default for s in SERVER_SETTINGS}
    table = route_table(api, routes, overrides, static_files=static_files_config)
    shared = table.global_
    if not read_django_settings:
        # The project's CORS_* policy, trusted proxies and rate-limit store stay out.
        shared.cors, shared.cors_allowed_origins, shared.trusted_proxies, shared.rate_limit_backend = None, [], [], ""
    if cors_allowed_origins is not None:
        # As if CORS_ALLOWED_ORIGINS were this list: for @cors() without origins and for
        # the routes without @cors; the other CORS_* settings are kept when read.
        origins = list(cors_allowed_origins)
        shared.cors_allowed_origins = origins
        policy = shared.cors or MiddlewareConfig(type="cors", credentials=False, max_age=3600)
        shared.cors = msgspec.structs.replace(policy, origins=origins, origin_regexes=None) if origins else None
    return table


class _App:
    """One API registered with the Go core as an in-process app."""

    def __init__(self, api: Any, use_http_layer: bool, static_files_config: dict[str, Any] | None = None,
                 cors_allowed_origins: list[str] | None = None, read_django_settings: bool = True) -> None:
        from .. import _core

        if not hasattr(_core, "test_app_create"):
            # The server binary's embedded _core carries no test client: it serves, it does not test.
            raise RuntimeError("TestClient cannot run inside the runbolt server; use it from tests "
                               "(pytest, manage.py test) or a plain Python process.")
        routes = api.routes()
        runners: list[Any] = [None] * (max((r.handler_id for r in routes), default=-1) + 1)
        for route in routes:
            runners[route.handler_id] = route.runner
        self.runner = InlineRunner(runners)
        table = msgspec.msgpack.encode(
            _route_table(api, routes, static_files_config, cors_allowed_origins, read_django_settings))
        self._core = _core
        self.id = _core.test_app_create(table, self.runner, use_http_layer)

    def request(self, method: str, raw_path: bytes, headers: list[tuple[str, str]], body: bytes,
                raise_server_exceptions: bool) -> tuple[int, list[tuple[str, str]], bytes, int | None]:
        """Status, headers, and the body: whole, or ``b""`` and the id of a body still being
        produced (``read`` it)."""
        path, _, query = raw_path.partition(b"?")
        self.runner.error = None
        try:
            result = self._core.test_app_request(self.id, method, path.decode("latin-1"), query, headers, body)
        except Exception as exc:
            if raise_server_exceptions:
                raise
            return 500, [("content-type", "text/plain; charset=utf-8")], f"Test client error: {exc}".encode(), None
        self._raise_error(raise_server_exceptions)
        return result

    def read(self, body_id: int, raise_server_exceptions: bool) -> bytes:
        """The next piece of an open body as it is produced; ``b""`` at its end. The
        handler's error is raised here when its stream fails (else the body just ends)."""
        if self.id is None:
            raise RuntimeError("the test client is closed: read a streamed response before the client closes")
        self.runner.error = None
        chunk = self._core.test_app_read(self.id, body_id)
        self._raise_error(raise_server_exceptions)
        return chunk

    def close_body(self, body_id: int) -> None:
        """Close an open body before its end: a stream's generator is closed."""
        if self.id is not None:
            self._core.test_app_close(self.id, body_id)

    def _raise_error(self, raise_server_exceptions: bool) -> None:
        if self.runner.error is not None and raise_server_exceptions:
            error, self.runner.error = self.runner.error, None
            raise error

    def close(self) -> None:
        if self.id is not None:
            self._core.test_app_destroy(self.id)
            self.id = None
            self.runner.close()


class _Body(httpx.SyncByteStream):
    """A body still being produced, read piece by piece as the client asks."""

    def __init__(self, app: _App, body_id: int, raise_server_exceptions: bool) -> None:
        self.app = app
        self.body_id = body_id
        self.raise_server_exceptions = raise_server_exceptions

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.app.read(self.body_id, self.raise_server_exceptions):
            yield chunk

    def close(self) -> None:
        self.app.close_body(self.body_id)


class _AsyncBody(httpx.AsyncByteStream):
    """``_Body`` for the async client: each read runs in a worker thread."""

    def __init__(self, app: _App, body_id: int, raise_server_exceptions: bool) -> None:
        self.app = app
        self.body_id = body_id
        self.raise_server_exceptions = raise_server_exceptions

    async def __aiter__(self) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        while chunk := await loop.run_in_executor(None, self.app.read, self.body_id, self.raise_server_exceptions):
            yield chunk

    async def aclose(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.app.close_body, self.body_id)


def _lines(pieces: Iterator[AnyStr], empty: AnyStr) -> Iterator[AnyStr]:
    """The lines of ``pieces`` without their endings, each as soon as it is complete."""
    cr = "\r" if isinstance(empty, str) else b"\r"
    pending = empty
    for piece in pieces:
        pending += piece
        lines = pending.splitlines(True)
        last = lines[-1] if lines else empty
        # A last line without its ending, or ending in \r (a \n may follow), waits.
        pending = lines.pop() if last and (last.splitlines() == [last] or last.endswith(cr)) else empty
        for line in lines:
            yield line.splitlines()[0]
    if pending:
        yield pending.splitlines()[0]


class TestResponse(httpx.Response):
    """An httpx response with the streaming readers of ``requests``.

    With ``stream=True`` the body is read as the handler produces it: a stream's chunks
    come one by one, so an endless event stream can be read for a few events. Closing
    the response (``close()``, leaving its ``with`` block, or leaving a reader loop
    before the end) closes the handler's generator, whose ``finally`` blocks run. A
    body read to its end is kept and can be read again.
    """

    __test__ = False

    def iter_content(self, chunk_size: int | None = 1024, decode_unicode: bool = False) -> Iterator[Any]:
        """The body as it comes, each piece cut to at most ``chunk_size`` bytes (None: as
        it comes); with ``decode_unicode``, as text decoded with the response's encoding."""
        if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
            raise ValueError(f"iter_content(chunk_size=...) takes a number of bytes >= 1 or None, not {chunk_size!r}")
        decoder = codecs.getincrementaldecoder(self.encoding or "utf-8")(errors="replace") if decode_unicode else None
        for piece in self.iter_bytes():
            size = chunk_size or len(piece)
            for start in range(0, len(piece), size):
                chunk = piece[start:start + size]
                if decoder is None:
                    yield chunk
                elif text := decoder.decode(chunk):
                    yield text
        if decoder is not None and (rest := decoder.decode(b"", final=True)):
            yield rest

    def iter_lines(self, decode_unicode: bool = True) -> Iterator[Any]:  # type: ignore[override]
        """The body's lines as they come, without their line endings (``\n``, ``\r\n``
        or ``\r``), empty lines included and a last line without an ending too: text, or
        bytes with ``decode_unicode=False``."""
        if decode_unicode:
            yield from _lines(self.iter_text(), "")
        else:
            yield from _lines(self.iter_bytes(), b"")

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """httpx's ``iter_bytes``; leaving it before the end closes the response, and a body
        read to its end is kept."""
        if hasattr(self, "_content"):
            yield from super().iter_bytes(chunk_size)
            return
        read = []
        try:
            for chunk in super().iter_bytes(chunk_size):
                read.append(chunk)
                yield chunk
        except GeneratorExit:
            self.close()
            raise
        self._content = b"".join(read)

    async def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """As ``iter_bytes``, for the async client."""
        if hasattr(self, "_content"):
            async for chunk in super().aiter_bytes(chunk_size):
                yield chunk
            return
        read = []
        try:
            async for chunk in super().aiter_bytes(chunk_size):
                read.append(chunk)
                yield chunk
        except GeneratorExit:
            await self.aclose()
            raise
        self._content = b"".join(read)

    def __enter__(self) -> TestResponse:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def _request_parts(request: httpx.Request) -> tuple[str, bytes, list[tuple[str, str]]]:
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
    return request.method, request.url.raw_path, headers


class _Transport(httpx.BaseTransport):
    def __init__(self, app: _App, raise_server_exceptions: bool) -> None:
        self.app = app
        self.raise_server_exceptions = raise_server_exceptions

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        method, raw_path, headers = _request_parts(request)
        status, out_headers, body, body_id = self.app.request(method, raw_path, headers, request.read(),
                                                              self.raise_server_exceptions)
        if body_id is None:
            return TestResponse(status, headers=out_headers, content=body, request=request)
        stream = _Body(self.app, body_id, self.raise_server_exceptions)
        return TestResponse(status, headers=out_headers, stream=stream, request=request)

    def close(self) -> None:
        self.app.close()


class _AsyncTransport(httpx.AsyncBaseTransport):
    """Runs each request on a worker thread: a running event loop cannot be re-entered."""

    def __init__(self, app: _App, raise_server_exceptions: bool) -> None:
        self.app = app
        self.raise_server_exceptions = raise_server_exceptions

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        method, raw_path, headers = _request_parts(request)
        body = await request.aread()
        loop = asyncio.get_running_loop()
        status, out_headers, content, body_id = await loop.run_in_executor(
            None, self.app.request, method, raw_path, headers, body, self.raise_server_exceptions
        )
        if body_id is None:
            return TestResponse(status, headers=out_headers, content=content, request=request)
        stream = _AsyncBody(self.app, body_id, self.raise_server_exceptions)
        return TestResponse(status, headers=out_headers, stream=stream, request=request)

    async def aclose(self) -> None:
        self.app.close()


def _split_send_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments of ``send()`` among a verb method's (the rest build the request)."""
    return {name: kwargs.pop(name) for name in ("auth", "follow_redirects") if name in kwargs}


class TestClient(httpx.Client):
    """A synchronous httpx client for ``api``; use it as a context manager.

    Static files are served as the server serves them, from the Django settings, or
    from ``static_files_config={"url_prefix": "/static", "directories": [...],
    "csp_header": "..."}`` when given. ``use_http_layer=True`` also runs CORS, rate
    limits and compression; ``cors_allowed_origins=[...]`` is the project-wide CORS
    origin list for the test (it turns the HTTP layer on unless told otherwise);
    ``read_django_settings=False`` leaves the project's ``BOLT_*`` server settings and
    ``CORS_*`` policy out (their defaults apply). Verb methods take ``stream=True``
    (the body is then read as it is produced); responses have ``iter_content()`` and
    ``iter_lines()`` (``TestResponse``).
    """

    __test__ = False  # not a pytest test class

    def __init__(self, api: Any, base_url: str = "http://testserver.local", raise_server_exceptions: bool = True,
                 use_http_layer: bool | None = None, static_files_config: dict[str, Any] | None = None,
                 cors_allowed_origins: list[str] | None = None, read_django_settings: bool = True,
                 **kwargs: Any) -> None:
        self.api = api
        app = _App(api, _http_layer(use_http_layer, cors_allowed_origins), static_files_config,
                   cors_allowed_origins, read_django_settings)
        self._websocket_options = {"cors_allowed_origins": cors_allowed_origins,
                                   "read_django_settings": read_django_settings}
        super().__init__(base_url=base_url, transport=_Transport(app, raise_server_exceptions),
                         follow_redirects=True, **kwargs)

    def request(self, method: str, url: Any, *, stream: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        """``httpx.Client.request`` with ``stream``: with True, the response is returned
        before its body is read, which then comes as the handler produces it (close the
        response, or use it with ``with``)."""
        if not stream:
            return super().request(method, url, **kwargs)
        send = _split_send_options(kwargs)
        return self.send(self.build_request(method, url, **kwargs), stream=True, **send)

    # The verb methods take stream= too (httpx's have a fixed list of arguments).
    def get(self, url: Any, *, stream: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        return self.request("GET", url, stream=stream, **kwargs)

    def options(self, url: Any, *, stream: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        return self.request("OPTIONS", url, stream=stream, **kwargs)

    def head(self, url: Any, *, stream: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        return self.request("HEAD", url, stream=stream, **kwargs)

    def post(self, url: Any, *, stream: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        return self.request("POST", url, stream=stream, **kwargs)

    def put(self, url: Any, *, stream: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        return self.request("PUT", url, stream=stream, **kwargs)

    def patch(self, url: Any, *, stream: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        return self.request("PATCH", url, stream=stream, **kwargs)

    def delete(self, url: Any, *, stream: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        return self.request("DELETE", url, stream=stream, **kwargs)

    def websocket_connect(self, path: str, **kwargs: Any) -> Any:
        """A ``WebSocketTestClient`` for ``path`` on this client's API, with this client's
        ``cors_allowed_origins`` and ``read_django_settings`` unless given; use with
        ``async with``."""
        from .websocket import WebSocketTestClient

        return WebSocketTestClient(self.api, path, **{**self._websocket_options, **kwargs})


class AsyncTestClient(httpx.AsyncClient):
    """An asynchronous httpx client for ``api``: ``async with AsyncTestClient(api) as c: await c.get(...)``.

    Takes the arguments of ``TestClient``.
    """

    __test__ = False

    def __init__(self, api: Any, base_url: str = "http://testserver.local", raise_server_exceptions: bool = True,
                 use_http_layer: bool | None = None, static_files_config: dict[str, Any] | None = None,
                 cors_allowed_origins: list[str] | None = None, read_django_settings: bool = True,
                 **kwargs: Any) -> None:
        self.api = api
        app = _App(api, _http_layer(use_http_layer, cors_allowed_origins), static_files_config,
                   cors_allowed_origins, read_django_settings)
        self._websocket_options = {"cors_allowed_origins": cors_allowed_origins,
                                   "read_django_settings": read_django_settings}
        super().__init__(base_url=base_url, transport=_AsyncTransport(app, raise_server_exceptions),
                         follow_redirects=True, **kwargs)

    async def request(self, method: str, url: Any, *, stream: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        """``httpx.AsyncClient.request`` with ``stream``, as in ``TestClient.request()``."""
        if not stream:
            return await super().request(method, url, **kwargs)
        send = _split_send_options(kwargs)
        return await self.send(self.build_request(method, url, **kwargs), stream=True, **send)

    # The verb methods take stream= too (httpx's have a fixed list of arguments).
    async def get(self, url: Any, *, stream: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        return await self.request("GET", url, stream=stream, **kwargs)

    async def options(self, url: Any, *, stream: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        return await self.request("OPTIONS", url, stream=stream, **kwargs)

    async def head(self, url: Any, *, stream: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        return await self.request("HEAD", url, stream=stream, **kwargs)

    async def post(self, url: Any, *, stream: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        return await self.request("POST", url, stream=stream, **kwargs)

    async def put(self, url: Any, *, stream: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        return await self.request("PUT", url, stream=stream, **kwargs)

    async def patch(self, url: Any, *, stream: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        return await self.request("PATCH", url, stream=stream, **kwargs)

    async def delete(self, url: Any, *, stream: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        return await self.request("DELETE", url, stream=stream, **kwargs)

    def websocket_connect(self, path: str, **kwargs: Any) -> Any:
        """A ``WebSocketTestClient`` for ``path`` on this client's API, with this client's
        ``cors_allowed_origins`` and ``read_django_settings`` unless given; use with
        ``async with``."""
        from .websocket import WebSocketTestClient

        return WebSocketTestClient(self.api, path, **{**self._websocket_options, **kwargs})
