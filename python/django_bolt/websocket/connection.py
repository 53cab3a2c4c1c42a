"""The ``WebSocket`` object handlers receive as their first argument.

It talks to a transport: the server's hands messages to the Go core in batches
(``django_bolt._runtime.websockets``), the test client's keeps them in memory
(``django_bolt.testing.websocket``). A transport has

- ``receive()``: awaitable; the next message as ``str`` (text) or ``bytes``, or raises
  ``WebSocketDisconnect`` once the connection has ended;
- ``accept(subprotocol, headers)``, ``send(data)`` (``str`` is a text message, ``bytes``
  a binary one) and ``close(code, reason)``: they only queue, never wait, and ``send``
  raises ``WebSocketDisconnect`` once the connection has ended.

Messages stay plain ``str``/``bytes`` from the core to ``receive_text()``; the
ASGI-shaped ``receive()`` / ``send(message)`` build and read dicts on top.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Awaitable, Protocol

import msgspec

from ..request import parse_cookie_header, parse_query_string
from .types import WebSocketDisconnect, WebSocketState

__all__ = ["WebSocket", "Transport"]

Message = dict[str, Any]

_encode_json = msgspec.json.Encoder().encode
_decode_json = msgspec.json.decode

CONNECTING, CONNECTED, DISCONNECTED = WebSocketState.CONNECTING, WebSocketState.CONNECTED, WebSocketState.DISCONNECTED


class Transport(Protocol):
    def receive(self) -> Awaitable[str | bytes]: ...

    def accept(self, subprotocol: str | None, headers: list[tuple[str, str]]) -> None: ...

    def send(self, data: str | bytes) -> None: ...

    def close(self, code: int, reason: str) -> None: ...


class WebSocket:
    """One WebSocket connection, as seen by its handler."""

    def __init__(self, scope: dict[str, Any], transport: Transport) -> None:
        self.scope = scope
        self._transport = transport
        self.application_state = CONNECTING
        self._query: dict[str, Any] | None = None
        self._cookies: dict[str, str] | None = None

    @property
    def state(self) -> dict[str, Any]:
        """Per-connection storage for the handler and its dependencies (made on first use)."""
        state = self.scope.get("state")
        if state is None:
            state = self.scope["state"] = {}
        return state

    @state.setter
    def state(self, value: dict[str, Any]) -> None:
        self.scope["state"] = value

    # -- what the handshake said --------------------------------------------------

    @property
    def path(self) -> str:
        return self.scope["path"]

    url = path

    @property
    def query_string(self) -> bytes:
        return self.scope.get("query_string", b"")

    @property
    def query_params(self) -> dict[str, Any]:
        """Query parameters; a repeated key gives a list of its values."""
        if self._query is None:
            out: dict[str, Any] = {}
            for key, value in parse_query_string(self.query_string):
                if key in out:
                    prev = out[key]
                    out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
                else:
                    out[key] = value
            self._query = out
        return self._query

    @property
    def path_params(self) -> dict[str, str]:
        return self.scope.get("path_params", {})

    @property
    def headers(self) -> dict[str, str]:
        """Request headers, names lower-case."""
        return self.scope.get("headers", {})

    @property
    def cookies(self) -> dict[str, str]:
        if self._cookies is None:
            self._cookies = parse_cookie_header(self.headers.get("cookie", ""))
        return self._cookies

    @property
    def client(self) -> tuple[str, int] | None:
        return self.scope.get("client")

    @property
    def context(self) -> dict[str, Any]:
        """The authentication context Go built from the handshake (``user_id``,
        ``is_staff``, ``auth_backend``, ``auth_claims``...); empty when anonymous."""
        return self.scope.get("context") or {}

    @property
    def auth(self) -> dict[str, Any]:
        return self.context

    @property
    def user(self) -> Any:
        """The user the handshake authenticated as (None when anonymous), loaded on first
        access by the backend that authenticated it; in async code prefer ``await auser()``."""
        if "user" not in self.scope:
            from ..auth.user_loader import load_user_sync

            user_id = self.context.get("user_id")
            self.scope["user"] = None if user_id is None else load_user_sync(user_id, self.context)
        return self.scope["user"]

    async def auser(self) -> Any:
        """Load (once) the user the handshake authenticated as, without blocking the loop."""
        if "user" not in self.scope:
            from ..auth.user_loader import load_user

            user_id = self.context.get("user_id")
            self.scope["user"] = None if user_id is None else await load_user(user_id, self.context)
        return self.scope["user"]

    @property
    def client_state(self) -> WebSocketState:
        return self.application_state

    @property
    def accepted_subprotocol(self) -> str | None:
        return self.scope.get("accepted_subprotocol")

    @property
    def subprotocols(self) -> list[str]:
        """What the client offered in Sec-WebSocket-Protocol."""
        raw = self.headers.get("sec-websocket-protocol", "")
        return [p.strip() for p in raw.split(",") if p.strip()]

    # -- the conversation -------------------------------------------------------

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        """Complete the handshake (idempotent). ``subprotocol`` must be one the client offered."""
        if self.application_state != CONNECTING:
            return
        if subprotocol is not None and subprotocol not in self.subprotocols:
            raise ValueError(f"subprotocol {subprotocol!r} was not offered by the client (offered: {self.subprotocols})")
        pairs = [(str(k), str(v)) for k, v in (headers.items() if hasattr(headers, "items") else headers or ())]
        self._transport.accept(subprotocol, pairs)
        self.scope["accepted_subprotocol"] = subprotocol
        self.application_state = CONNECTED

    async def _next(self) -> str | bytes:
        if self.application_state == DISCONNECTED:
            raise WebSocketDisconnect(1000)
        try:
            return await self._transport.receive()
        except WebSocketDisconnect:
            self.application_state = DISCONNECTED
            raise

    async def receive(self) -> Message:
        """The next message, ASGI-shaped: ``{"type": "websocket.receive", "text" | "bytes": ...}``;
        raises ``WebSocketDisconnect`` once the client is gone."""
        data = await self._next()
        if isinstance(data, str):
            return {"type": "websocket.receive", "text": data}
        return {"type": "websocket.receive", "bytes": data}

    # receive_text() and receive_bytes() wait on the transport themselves, one coroutine
    # less per message (and per idle socket) than going through _next().

    async def receive_text(self) -> str:
        """The next text message ("" for a binary one)."""
        if self.application_state == DISCONNECTED:
            raise WebSocketDisconnect(1000)
        try:
            data = await self._transport.receive()
        except WebSocketDisconnect:
            self.application_state = DISCONNECTED
            raise
        return data if isinstance(data, str) else ""

    async def receive_bytes(self) -> bytes:
        """The next binary message (b"" for a text one)."""
        if self.application_state == DISCONNECTED:
            raise WebSocketDisconnect(1000)
        try:
            data = await self._transport.receive()
        except WebSocketDisconnect:
            self.application_state = DISCONNECTED
            raise
        return data if isinstance(data, bytes) else b""

    async def receive_json(self, mode: str = "text") -> Any:
        data = await self._next()
        if mode == "text":
            return _decode_json(data if isinstance(data, str) else "")
        return _decode_json(data if isinstance(data, bytes) else b"")

    async def send(self, message: Message) -> None:
        kind = message.get("type")
        if kind == "websocket.close":
            await self.close(message.get("code", 1000), message.get("reason") or "")
            return
        if kind == "websocket.accept":
            await self.accept(message.get("subprotocol"), message.get("headers"))
            return
        if self.application_state != CONNECTED:
            raise RuntimeError("WebSocket is not connected")
        text = message.get("text")
        self._transport.send(text if text is not None else bytes(message.get("bytes") or b""))

    async def send_text(self, data: str) -> None:
        if not isinstance(data, str):
            raise TypeError(f"send_text takes str, not {type(data).__name__}; use send_bytes for bytes")
        if self.application_state != CONNECTED:
            raise RuntimeError("WebSocket is not connected")
        self._transport.send(data)

    async def send_bytes(self, data: bytes) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"send_bytes takes bytes, not {type(data).__name__}; use send_text for str")
        if self.application_state != CONNECTED:
            raise RuntimeError("WebSocket is not connected")
        self._transport.send(bytes(data))

    async def send_json(self, data: Any, mode: str = "text") -> None:
        if self.application_state != CONNECTED:
            raise RuntimeError("WebSocket is not connected")
        encoded = _encode_json(data)
        self._transport.send(encoded.decode() if mode == "text" else encoded)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection; a no-op once disconnected. Before accept() it refuses
        the connection: the handshake completes and the client sees ``code``."""
        if self.application_state == DISCONNECTED:
            return
        self.application_state = DISCONNECTED
        self._transport.close(int(code), reason or "")

    # -- iteration ------------------------------------------------------------------

    async def iter_text(self) -> AsyncIterator[str]:
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            return

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            return

    async def iter_json(self) -> AsyncIterator[Any]:
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            return

    def __repr__(self) -> str:
        return f"<WebSocket {self.path} {self.application_state.name}>"
