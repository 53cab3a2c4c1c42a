"""The ``WebSocket`` object handlers receive as their first argument.

It speaks to its transport with ASGI-shaped messages: ``receive()`` gives
``{"type": "websocket.receive", "text" | "bytes": ...}`` or
``{"type": "websocket.disconnect", "code": ...}``; ``send()`` takes
``websocket.accept`` / ``websocket.send`` / ``websocket.close``. The server's
transport hands them to the Go core in batches; the test client's keeps them in
memory.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Awaitable, Callable

import msgspec

from ..request import parse_cookie_header, parse_query_string
from .types import WebSocketDisconnect, WebSocketState

__all__ = ["WebSocket"]

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_encode_json = msgspec.json.Encoder().encode


class WebSocket:
    """One WebSocket connection, as seen by its handler."""

    def __init__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self.application_state = WebSocketState.CONNECTING
        self._query: dict[str, Any] | None = None
        self._cookies: dict[str, str] | None = None
        self.state: dict[str, Any] = scope.setdefault("state", {})

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
        if self.application_state != WebSocketState.CONNECTING:
            return
        if subprotocol is not None and subprotocol not in self.subprotocols:
            raise ValueError(f"subprotocol {subprotocol!r} was not offered by the client (offered: {self.subprotocols})")
        pairs = [(str(k), str(v)) for k, v in (headers.items() if hasattr(headers, "items") else headers or ())]
        await self._send({"type": "websocket.accept", "subprotocol": subprotocol, "headers": pairs})
        self.scope["accepted_subprotocol"] = subprotocol
        self.application_state = WebSocketState.CONNECTED

    async def receive(self) -> Message:
        if self.application_state == WebSocketState.DISCONNECTED:
            raise WebSocketDisconnect(1000)
        message = await self._receive()
        if message["type"] == "websocket.disconnect":
            self.application_state = WebSocketState.DISCONNECTED
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason", ""))
        return message

    async def receive_text(self) -> str:
        return (await self.receive()).get("text") or ""

    async def receive_bytes(self) -> bytes:
        return (await self.receive()).get("bytes") or b""

    async def receive_json(self, mode: str = "text") -> Any:
        message = await self.receive()
        if mode == "text":
            return msgspec.json.decode(message.get("text") or "")
        return msgspec.json.decode(message.get("bytes") or b"")

    async def send(self, message: Message) -> None:
        if message.get("type") == "websocket.close":
            await self.close(message.get("code", 1000), message.get("reason") or "")
            return
        if message.get("type") == "websocket.accept":
            await self.accept(message.get("subprotocol"), message.get("headers"))
            return
        if self.application_state != WebSocketState.CONNECTED:
            raise RuntimeError("WebSocket is not connected")
        await self._send(message)

    async def send_text(self, data: str) -> None:
        if not isinstance(data, str):
            raise TypeError(f"send_text takes str, not {type(data).__name__}; use send_bytes for bytes")
        await self.send({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"send_bytes takes bytes, not {type(data).__name__}; use send_text for str")
        await self.send({"type": "websocket.send", "bytes": bytes(data)})

    async def send_json(self, data: Any, mode: str = "text") -> None:
        encoded = _encode_json(data)
        if mode == "text":
            await self.send({"type": "websocket.send", "text": encoded.decode()})
        else:
            await self.send({"type": "websocket.send", "bytes": encoded})

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection; a no-op once disconnected. Before accept() it refuses
        the connection: the handshake completes and the client sees ``code``."""
        if self.application_state == WebSocketState.DISCONNECTED:
            return
        self.application_state = WebSocketState.DISCONNECTED
        await self._send({"type": "websocket.close", "code": int(code), "reason": reason or ""})

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
