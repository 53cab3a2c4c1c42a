"""httpx clients whose transport is the in-process Go pipeline."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import msgspec

from .runner import InlineRunner

__all__ = ["TestClient", "AsyncTestClient"]


class _App:
    """One API registered with the Go core as an in-process app."""

    def __init__(self, api: Any, use_http_layer: bool, static_files_config: dict[str, Any] | None = None) -> None:
        from .. import _core
        from .._runtime.boot import route_table

        routes = api.routes()
        runners: list[Any] = [None] * (max((r.handler_id for r in routes), default=-1) + 1)
        for route in routes:
            runners[route.handler_id] = route.runner
        self.runner = InlineRunner(runners)
        table = msgspec.msgpack.encode(route_table(api, routes, static_files=static_files_config))
        self._core = _core
        self.id = _core.test_app_create(table, self.runner, use_http_layer)

    def request(self, method: str, raw_path: bytes, headers: list[tuple[str, str]], body: bytes,
                raise_server_exceptions: bool) -> tuple[int, list[tuple[str, str]], bytes]:
        path, _, query = raw_path.partition(b"?")
        self.runner.error = None
        try:
            result = self._core.test_app_request(self.id, method, path.decode("latin-1"), query, headers, body)
        except Exception as exc:
            if raise_server_exceptions:
                raise
            return 500, [("content-type", "text/plain; charset=utf-8")], f"Test client error: {exc}".encode()
        if self.runner.error is not None and raise_server_exceptions:
            error, self.runner.error = self.runner.error, None
            raise error
        return result

    def close(self) -> None:
        if self.id is not None:
            self._core.test_app_destroy(self.id)
            self.id = None


def _request_parts(request: httpx.Request) -> tuple[str, bytes, list[tuple[str, str]]]:
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
    return request.method, request.url.raw_path, headers


class _Transport(httpx.BaseTransport):
    def __init__(self, app: _App, raise_server_exceptions: bool) -> None:
        self.app = app
        self.raise_server_exceptions = raise_server_exceptions

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        method, raw_path, headers = _request_parts(request)
        status, out_headers, body = self.app.request(method, raw_path, headers, request.read(),
                                                     self.raise_server_exceptions)
        return httpx.Response(status, headers=out_headers, content=body, request=request)

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
        status, out_headers, content = await loop.run_in_executor(
            None, self.app.request, method, raw_path, headers, body, self.raise_server_exceptions
        )
        return httpx.Response(status, headers=out_headers, content=content, request=request)

    async def aclose(self) -> None:
        self.app.close()


class TestClient(httpx.Client):
    """A synchronous httpx client for ``api``; use it as a context manager.

    Static files are served as the server serves them, from the Django settings, or
    from ``static_files_config={"url_prefix": "/static", "directories": [...],
    "csp_header": "..."}`` when given.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, api: Any, base_url: str = "http://testserver.local", raise_server_exceptions: bool = True,
                 use_http_layer: bool = False, static_files_config: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        self.api = api
        transport = _Transport(_App(api, use_http_layer, static_files_config), raise_server_exceptions)
        super().__init__(base_url=base_url, transport=transport, follow_redirects=True, **kwargs)

    def websocket_connect(self, path: str, **kwargs: Any) -> Any:
        """A ``WebSocketTestClient`` for ``path`` on this client's API; use with ``async with``."""
        from .websocket import WebSocketTestClient

        return WebSocketTestClient(self.api, path, **kwargs)


class AsyncTestClient(httpx.AsyncClient):
    """An asynchronous httpx client for ``api``: ``async with AsyncTestClient(api) as c: await c.get(...)``."""

    __test__ = False

    def __init__(self, api: Any, base_url: str = "http://testserver.local", raise_server_exceptions: bool = True,
                 use_http_layer: bool = False, static_files_config: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        self.api = api
        transport = _AsyncTransport(_App(api, use_http_layer, static_files_config), raise_server_exceptions)
        super().__init__(base_url=base_url, transport=transport, follow_redirects=True, **kwargs)

    def websocket_connect(self, path: str, **kwargs: Any) -> Any:
        """A ``WebSocketTestClient`` for ``path`` on this client's API; use with ``async with``."""
        from .websocket import WebSocketTestClient

        return WebSocketTestClient(self.api, path, **kwargs)
