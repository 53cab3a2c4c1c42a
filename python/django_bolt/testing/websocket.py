"""Testing WebSocket handlers in-process: ``WebSocketTestClient``.

    async def test_room():
        async with WebSocketTestClient(api, "/ws/rooms/7", query_string="nick=bo") as ws:
            await ws.send_text("hi")
            assert await ws.receive_json() == {"room": 7, "from": "bo", "text": "hi"}

Entering sends the upgrade request through the same Go pipeline as the server
(routing, connection cap, rate limit, Origin, authentication, guards): a refusal
raises ``PermissionError("WebSocket connection denied: …")``, a path without a
WebSocket route ``ValueError``. The handler then runs as a task on the test's own
event loop, and messages travel through in-memory queues, with the server's rules:
a message over ``BOLT_WS_MAX_MESSAGE_SIZE`` closes 1009, a handler error closes 1011
(and is re-raised when the block exits), a handler that returns closes 1000.
"""

from __future__ import annotations

import asyncio
import base64
import os
from typing import Any, AsyncIterator

import msgspec

from ..request import Request
from ..websocket.connection import WebSocket
from ..websocket.handlers import run_websocket_handler
from ..websocket.types import WebSocketDisconnect

__all__ = ["WebSocketTestClient", "WebSocketClient", "ConnectionClosed"]


class ConnectionClosed(Exception):
    """The server closed the connection (or it was already closed)."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"WebSocket closed with code {code}" + (f": {reason}" if reason else ""))
        self.code = code
        self.reason = reason


_DENIED = {
    401: "Authentication required",
    403: "Permission denied",
    429: "Rate limit exceeded",
    503: "Too many WebSocket connections",
}


class WebSocketTestClient:
    """An in-process WebSocket client for one handler of ``api``; use with ``async with``."""

    __test__ = False

    def __init__(self, api: Any, path: str, headers: dict[str, str] | None = None, query_string: str = "",
                 subprotocols: list[str] | None = None, auth_context: dict[str, Any] | None = None,
                 cors_allowed_origins: list[str] | None = None, read_django_settings: bool = True) -> None:
        path, _, query = path.partition("?")
        self.api = api
        self.path = path
        self.query_string = query_string or query
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        if subprotocols:
            self.headers["sec-websocket-protocol"] = ", ".join(subprotocols)
        self.auth_context = auth_context
        self.cors_allowed_origins = cors_allowed_origins
        self.read_django_settings = read_django_settings
        self.accepted = False
        self.closed = False
        self.close_code: int | None = None
        self.close_reason = ""
        self.accepted_subprotocol: str | None = None
        self._to_client: asyncio.Queue[dict] = asyncio.Queue()
        self._to_server: asyncio.Queue[str | bytes | _Gone] = asyncio.Queue()
        self._transport = _Transport(self)
        self._task: asyncio.Task | None = None
        self._max_message = 1024 * 1024

    # -- the handshake --------------------------------------------------------------

    def _handshake(self) -> dict[str, Any]:
        from .. import _core
        from .client import _route_table
        from .runner import InlineRunner

        # The same settings as TestClient with these arguments.
        table = _route_table(self.api, self.api.routes(), None, self.cors_allowed_origins, self.read_django_settings)
        self._max_message = table.settings.ws_max_message_size
        doc = msgspec.msgpack.encode(table)
        # One Go app per API and configuration, kept for the process: rate-limit buckets
        # must outlive a single connection.
        key = (id(self.api), doc)
        app = _apps.get(key)
        if app is None:
            app = _apps[key] = _core.test_app_create(doc, InlineRunner([]), True)
        headers = [
            ("connection", "Upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-key", base64.b64encode(os.urandom(16)).decode()),
            ("sec-websocket-version", "13"),
            *self.headers.items(),
        ]
        status, _, body, _ = _core.test_app_request(app, "GET", self.path, self.query_string.encode(), headers, b"")
        if status == 404:
            raise ValueError(f"No WebSocket handler found for path: {self.path}")
        if status != 101:
            detail = _detail(body) or _DENIED.get(status, f"HTTP {status}")
            if detail == "Origin not allowed":
                detail = f"Origin not allowed: {self.headers.get('origin')}"
            elif status == 429:
                detail = "Rate limit exceeded"
            raise PermissionError(f"WebSocket connection denied: {detail}")
        return msgspec.json.decode(body)

    async def __aenter__(self) -> WebSocketTestClient:
        found = self._handshake()
        route = self.api.websocket_routes()[found["handler_id"]]
        context = self.auth_context if self.auth_context is not None else found["context"]
        request = Request("GET", self.path, found["params"], self.query_string.encode(), dict(self.headers), None,
                          context)
        scope = {
            "type": "websocket",
            "path": self.path,
            "query_string": self.query_string.encode(),
            "headers": dict(self.headers),
            "path_params": found["params"],
            "client": ("testclient", 50000),
            "context": context,
        }
        websocket = WebSocket(scope, self._transport)
        self._task = asyncio.get_running_loop().create_task(run_websocket_handler(route, websocket, request))
        # The handshake completes when the handler accepts or closes.
        first = await self._next_from_server(timeout=5.0)
        if first["type"] == "websocket.accept":
            self.accepted = True
            self.accepted_subprotocol = first.get("subprotocol")
        else:
            self._to_client.put_nowait(first)
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if not self.closed:
            await self.close()
        task = self._task
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), 5.0)
        except asyncio.TimeoutError:
            task.cancel()
        except BaseException:
            if exc_type is None:
                raise

    async def _next_from_server(self, timeout: float) -> dict:
        getter = asyncio.ensure_future(self._to_client.get())
        done, _ = await asyncio.wait({getter, self._task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if getter in done:
            return getter.result()
        getter.cancel()
        if self._task in done:
            # The handler ended without a word: its close (1000, or 1011 on error) is queued.
            if not self._to_client.empty():
                return self._to_client.get_nowait()
            return {"type": "websocket.close", "code": 1011 if self._task.exception() else 1000}
        raise TimeoutError(f"No message received within {timeout} seconds")

    # -- sending ----------------------------------------------------------------------

    def _put(self, data: str | bytes, size: int) -> None:
        if self.closed:
            raise RuntimeError("WebSocket is closed")
        # On the server the frame reader refuses such a message from its header; here no
        # frame exists (messages go to the handler as Python objects), so the same limit,
        # read from the route table Go validated, is compared with the same byte count.
        if size > self._max_message:
            self._transport.end(1009, "Message too large")
            self._to_client.put_nowait({"type": "websocket.close", "code": 1009, "reason": "Message too large"})
            return
        self._to_server.put_nowait(data)

    async def send_text(self, data: str) -> None:
        self._put(data, len(data.encode()))

    async def send_bytes(self, data: bytes) -> None:
        self._put(bytes(data), len(data))

    async def send_json(self, data: Any, mode: str = "text") -> None:
        encoded = msgspec.json.encode(data)
        if mode == "text":
            await self.send_text(encoded.decode())
        else:
            await self.send_bytes(encoded)

    async def close(self, code: int = 1000) -> None:
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        self._transport.end(code, "")

    # -- receiving --------------------------------------------------------------------

    async def receive(self, timeout: float = 5.0) -> dict:
        """The next message from the handler; ``ConnectionClosed`` once it closed."""
        if self.closed and self._to_client.empty():
            raise ConnectionClosed(self.close_code or 1000, self.close_reason)
        while True:
            message = await self._next_from_server(timeout)
            if message["type"] == "websocket.accept":
                continue
            if message["type"] == "websocket.close":
                self.closed = True
                self.close_code = message.get("code", 1000)
                self.close_reason = message.get("reason", "")
                raise ConnectionClosed(self.close_code, self.close_reason)
            return message

    async def receive_text(self, timeout: float = 5.0) -> str:
        message = await self.receive(timeout)
        return message.get("text") if message.get("text") is not None else (message.get("bytes") or b"").decode()

    async def receive_bytes(self, timeout: float = 5.0) -> bytes:
        message = await self.receive(timeout)
        return message.get("bytes") if message.get("bytes") is not None else (message.get("text") or "").encode()

    async def receive_json(self, timeout: float = 5.0) -> Any:
        message = await self.receive(timeout)
        raw = message.get("text") if message.get("text") is not None else message.get("bytes")
        return msgspec.json.decode(raw)

    async def iter_text(self, timeout: float = 5.0) -> AsyncIterator[str]:
        try:
            while True:
                yield await self.receive_text(timeout)
        except ConnectionClosed:
            return

    async def iter_bytes(self, timeout: float = 5.0) -> AsyncIterator[bytes]:
        try:
            while True:
                yield await self.receive_bytes(timeout)
        except ConnectionClosed:
            return

    async def iter_json(self, timeout: float = 5.0) -> AsyncIterator[Any]:
        try:
            while True:
                yield await self.receive_json(timeout)
        except ConnectionClosed:
            return


WebSocketClient = WebSocketTestClient


class _Gone:
    """Queued to the handler after the last message: how the connection ended."""

    __slots__ = ("code", "reason")

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


class _Transport:
    """The handler's side of the in-memory connection (the transport protocol of
    django_bolt.websocket.connection), with the server's rules: once the connection has
    ended, receive() and send() raise WebSocketDisconnect."""

    def __init__(self, client: WebSocketTestClient) -> None:
        self.client = client
        self.ended: _Gone | None = None

    def end(self, code: int, reason: str) -> None:
        if self.ended is None:
            self.ended = _Gone(code, reason)
            self.client._to_server.put_nowait(self.ended)

    async def receive(self) -> str | bytes:
        item = await self.client._to_server.get()
        if isinstance(item, _Gone):
            self.client._to_server.put_nowait(item)  # every later receive() sees the end again
            raise WebSocketDisconnect(item.code, item.reason)
        return item

    def accept(self, subprotocol: str | None, headers: list[tuple[str, str]]) -> None:
        self.client._to_client.put_nowait({"type": "websocket.accept", "subprotocol": subprotocol, "headers": headers})

    def send(self, data: str | bytes) -> None:
        if self.ended is not None:
            raise WebSocketDisconnect(self.ended.code, self.ended.reason)
        key = "text" if isinstance(data, str) else "bytes"
        self.client._to_client.put_nowait({"type": "websocket.send", key: data})

    def close(self, code: int, reason: str) -> None:
        if self.ended is None:
            self.client._to_client.put_nowait({"type": "websocket.close", "code": code, "reason": reason})
            # The server's close ends the connection for the handler too.
            self.end(code, reason)

_apps: dict[tuple[int, bytes], int] = {}


def _detail(body: bytes) -> str | None:
    try:
        detail = msgspec.json.decode(body).get("detail")
    except Exception:
        return None
    return detail if isinstance(detail, str) else None
