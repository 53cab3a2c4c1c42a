"""WebSockets on the event loop: item kinds and commands as protocol.py describes them.

Go sends three item kinds in the loop's batches (a handshake that passed every check,
a client message, the end of a connection); handlers' accept/send/close become
commands collected per loop iteration and handed back in one ``_core.ws_send`` call.
Each connection has a bounded inbox: a handler that falls ``BOLT_WS_CHANNEL_SIZE``
messages behind is closed with 1011.

When a connection ends, its handler learns it from ``receive()`` (a disconnect) or from
its next ``send()`` (``WebSocketDisconnect``). A handler that does neither within
``DISCONNECT_GRACE`` seconds (one that only sleeps or waits on something else) is
cancelled, so that no task outlives its connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Callable, Sequence

from ..request import Request
from ..websocket.connection import WebSocket
from ..websocket.handlers import WebSocketRoute, run_websocket_handler
from ..websocket.types import WebSocketDisconnect
from .protocol import KIND_WS_CLOSED, KIND_WS_MESSAGE, KIND_WS_OPEN, WS_ACCEPT, WS_BYTES, WS_CLOSE, WS_TEXT

__all__ = ["WebSockets", "OPEN", "MESSAGE", "CLOSED", "DISCONNECT_GRACE"]

logger = logging.getLogger("django_bolt")

# Item kinds and command operations (protocol.py).
OPEN, MESSAGE, CLOSED = KIND_WS_OPEN, KIND_WS_MESSAGE, KIND_WS_CLOSED
ACCEPT, TEXT, BYTES, CLOSE = WS_ACCEPT, WS_TEXT, WS_BYTES, WS_CLOSE

# Seconds a handler has to notice that its connection ended before it is cancelled.
DISCONNECT_GRACE = 2.0


class _Connection:
    """The transport of one WebSocket (see websocket/connection.py): an inbox fed by Go,
    commands to Go. Messages stay the ``str``/``bytes`` Go built."""

    __slots__ = ("conn", "hub", "inbox", "waiter", "gone", "closed_by", "told", "task")

    def __init__(self, conn: int, hub: WebSockets) -> None:
        self.conn = conn
        self.hub = hub
        self.inbox: deque | None = None  # made when a message arrives while the handler is busy
        self.waiter: asyncio.Future | None = None
        self.gone = False  # closed, by either side: nothing more is sent
        self.closed_by: tuple[int, str] | None = None  # how the connection ended, once it has
        self.told = False  # the handler has seen the end (receive or send raised)
        self.task: asyncio.Task | None = None

    def deliver(self, item: str | bytes) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():  # a receive() cancelled by a timeout leaves a done waiter
                waiter.set_result(item)
                return
        if self.inbox is None:
            self.inbox = deque()
        self.inbox.append(item)

    def receive(self) -> asyncio.Future:
        # A future, not a coroutine: an idle handler waits on it directly, one frame
        # less per open socket. Messages that arrived before the end come first; then
        # every receive() raises the end.
        fut = self.hub.loop.create_future()
        if self.inbox:
            fut.set_result(self.inbox.popleft())
        elif self.closed_by is not None:
            self._tell(fut)
        else:
            self.waiter = fut
        return fut

    def _tell(self, fut: asyncio.Future) -> None:
        self.told = True
        fut.set_exception(WebSocketDisconnect(*self.closed_by))

    def ended(self, code: int, reason: str) -> None:
        self.gone = True
        self.closed_by = (code, reason)
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            # The handler waits in receive(): it learns the end now.
            self.waiter = None
            self._tell(waiter)
        elif self.task is not None and not self.task.done():
            self.hub.loop.call_later(DISCONNECT_GRACE, self._cancel_if_unaware)

    def _cancel_if_unaware(self) -> None:
        task = self.task
        if task is not None and not task.done() and not self.told:
            task.cancel()

    def accept(self, subprotocol: str | None, headers: list[tuple[str, str]]) -> None:
        if not self.gone:
            self.hub.command((self.conn, ACCEPT, subprotocol, headers))

    def send(self, data: str | bytes) -> None:
        if self.gone:
            if self.closed_by is not None:
                self.told = True
                raise WebSocketDisconnect(*self.closed_by)
            return
        self.hub.command((self.conn, TEXT if type(data) is str else BYTES, data, 0))

    def close(self, code: int, reason: str) -> None:
        if not self.gone:
            self.gone = True
            self.hub.command((self.conn, CLOSE, reason, code))

    def finished(self, task: asyncio.Task) -> None:
        self.hub.open.pop(self.conn, None)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            logger.error("WebSocket handler failed: %s: %s", type(exc).__name__, exc,
                         exc_info=(type(exc), exc, exc.__traceback__))


class WebSockets:
    """Every open WebSocket of one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, routes: Sequence[WebSocketRoute], channel_size: int,
                 send_commands: Callable[[list], None]) -> None:
        self.loop = loop
        self.routes = routes
        self.channel_size = channel_size
        self.send_commands = send_commands
        self.open: dict[int, _Connection] = {}  # holds each handler's task until it ends
        self.outbox: list[tuple] = []
        self.flush_scheduled = False

    def event(self, item: tuple) -> None:
        kind = item[1]
        if kind == MESSAGE:
            c = self.open.get(item[0])
            if c is None or c.gone:
                return
            if c.inbox is not None and len(c.inbox) >= self.channel_size:
                # The handler is not keeping up: close rather than buffer without bound.
                self.command((c.conn, CLOSE, "Inbound queue full", 1011))
                c.ended(1011, "Inbound queue full")
                return
            c.deliver(item[2])
            # Scheduled after the handler's wake-up, the flush sends its answer in the
            # same loop iteration.
            if not self.flush_scheduled:
                self.flush_scheduled = True
                self.loop.call_soon(self.flush)
        elif kind == CLOSED:
            c = self.open.get(item[0])
            if c is not None and c.closed_by is None:
                c.ended(item[2], item[3])
        elif kind == OPEN:
            self._open(item[0], item[2])

    def _open(self, conn: int, req: tuple) -> None:
        route = self.routes[req[1]]
        headers = req[6] or {}
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
        c.task = task = self.loop.create_task(run_websocket_handler(route, WebSocket(scope, c), request))
        task.add_done_callback(c.finished)

    def command(self, cmd: tuple) -> None:
        self.outbox.append(cmd)
        if not self.flush_scheduled:
            self.flush_scheduled = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        self.flush_scheduled = False
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
