"""WebSockets on the event loop: item kinds and commands as protocol.py describes them.

Go sends three item kinds in the loop's batches (a handshake that passed every check,
a client message, the end of a connection); handlers' accept/send/close become
commands collected per loop iteration and handed back in one ``_core.ws_send`` call.
Each connection has a bounded inbox: a handler that falls ``BOLT_WS_CHANNEL_SIZE``
messages behind is closed with 1011.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any, Callable, Sequence

from ..request import Request
from ..websocket.connection import WebSocket
from ..websocket.handlers import WebSocketRoute, run_websocket_handler
from ..websocket.types import WebSocketDisconnect
from .protocol import KIND_WS_CLOSED, KIND_WS_MESSAGE, KIND_WS_OPEN, WS_ACCEPT, WS_BYTES, WS_CLOSE, WS_TEXT

__all__ = ["WebSockets", "OPEN", "MESSAGE", "CLOSED"]

logger = logging.getLogger("django_bolt")

# Item kinds and command operations (protocol.py).
OPEN, MESSAGE, CLOSED = KIND_WS_OPEN, KIND_WS_MESSAGE, KIND_WS_CLOSED
ACCEPT, TEXT, BYTES, CLOSE = WS_ACCEPT, WS_TEXT, WS_BYTES, WS_CLOSE


class _Connection:
    """The transport of one WebSocket: an inbox fed by Go, an outbox to Go."""

    __slots__ = ("conn", "hub", "inbox", "waiter", "gone", "closed_by")

    def __init__(self, conn: int, hub: WebSockets) -> None:
        self.conn = conn
        self.hub = hub
        self.inbox: deque[dict] = deque()
        self.waiter: asyncio.Future | None = None
        self.gone = False
        self.closed_by: tuple[int, str] | None = None  # the code the connection ended with

    def deliver(self, message: dict) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            self.waiter = None
            waiter.set_result(message)
        else:
            self.inbox.append(message)

    async def receive(self) -> dict:
        if self.inbox:
            return self.inbox.popleft()
        self.waiter = self.hub.loop.create_future()
        return await self.waiter

    def ended(self, code: int, reason: str) -> None:
        self.gone = True
        self.closed_by = (code, reason)
        self.deliver({"type": "websocket.disconnect", "code": code, "reason": reason})

    async def send(self, message: dict) -> None:
        if self.gone:
            if self.closed_by is not None and message["type"] != "websocket.close":
                raise WebSocketDisconnect(*self.closed_by)
            return
        kind = message["type"]
        if kind == "websocket.send":
            text = message.get("text")
            if text is not None:
                self.hub.command((self.conn, TEXT, text, 0))
            else:
                self.hub.command((self.conn, BYTES, message.get("bytes") or b"", 0))
        elif kind == "websocket.accept":
            self.hub.command((self.conn, ACCEPT, message.get("subprotocol"), list(message.get("headers") or [])))
        elif kind == "websocket.close":
            self.hub.command((self.conn, CLOSE, message.get("reason") or "", int(message.get("code", 1000))))
            self.gone = True


class WebSockets:
    """Every open WebSocket of one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, routes: Sequence[WebSocketRoute], channel_size: int,
                 send_commands: Callable[[list], None]) -> None:
        self.loop = loop
        self.routes = routes
        self.channel_size = channel_size
        self.send_commands = send_commands
        self.open: dict[int, _Connection] = {}
        self.outbox: list[tuple] = []
        self.tasks: set[asyncio.Task] = set()

    def event(self, item: tuple) -> None:
        kind, conn = item[1], item[0]
        if kind == MESSAGE:
            c = self.open.get(conn)
            if c is None or c.gone:
                return
            if len(c.inbox) >= self.channel_size:
                # The handler is not keeping up: close rather than buffer without bound.
                self.command((conn, CLOSE, "Inbound queue full", 1011))
                c.ended(1011, "Inbound queue full")
                return
            payload = item[2]
            if isinstance(payload, str):
                c.deliver({"type": "websocket.receive", "text": payload})
            else:
                c.deliver({"type": "websocket.receive", "bytes": payload})
        elif kind == CLOSED:
            c = self.open.get(conn)
            if c is not None and c.closed_by is None:
                c.ended(item[2], item[3])
        elif kind == OPEN:
            self._open(conn, item[2])

    def _open(self, conn: int, req: tuple) -> None:
        route = self.routes[req[1]]
        headers = dict(req[6] or {})
        client = headers.pop("x-bolt-client", None)
        request = Request(req[2], req[3], req[4], req[5], headers, None, req[8])
        scope = {
            "type": "websocket",
            "path": req[3],
            "query_string": req[5] or b"",
            "headers": headers,
            "path_params": req[4] or {},
            "client": _client(client),
            "context": req[8],
        }
        c = _Connection(conn, self)
        self.open[conn] = c
        ws = WebSocket(scope, c.receive, c.send)
        task = self.loop.create_task(run_websocket_handler(route, ws, request))
        self.tasks.add(task)
        task.add_done_callback(lambda t: self._ended(conn, t))

    def _ended(self, conn: int, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        self.open.pop(conn, None)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            logger.error("WebSocket handler failed: %s: %s", type(exc).__name__, exc,
                         exc_info=(type(exc), exc, exc.__traceback__))

    def command(self, cmd: tuple) -> None:
        if not self.outbox:
            self.loop.call_soon(self.flush)
        self.outbox.append(cmd)

    def flush(self) -> None:
        cmds, self.outbox = self.outbox, []
        if cmds:
            self.send_commands(cmds)


def _client(addr: str | None) -> tuple[str, int] | None:
    if not addr:
        return None
    host, _, port = addr.rpartition(":")
    try:
        return host.strip("[]"), int(port)
    except ValueError:
        return None
