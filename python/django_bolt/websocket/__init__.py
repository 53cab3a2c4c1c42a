"""WebSockets: ``@api.websocket(path)`` handlers and the ``WebSocket`` they receive.

    from django_bolt import BoltAPI
    from django_bolt.websocket import WebSocket

    api = BoltAPI()

    @api.websocket("/ws/echo")
    async def echo(websocket: WebSocket):
        await websocket.accept()
        async for text in websocket.iter_text():
            await websocket.send_text(text)

The upgrade is checked in Go before any Python runs (upgrade headers, connection
cap, rate limit, Origin, authentication, guards); frames are parsed and written in
Go, and whole messages reach the handler on the event loop. See
docs/guide/websockets.md.
"""

from .connection import WebSocket
from .handlers import (
    get_websocket_param_name,
    is_websocket_handler,
    mark_websocket_handler,
    run_websocket_handler,
)
from .types import (
    WS_1000_NORMAL_CLOSURE,
    WS_1001_GOING_AWAY,
    WS_1002_PROTOCOL_ERROR,
    WS_1003_UNSUPPORTED_DATA,
    WS_1008_POLICY_VIOLATION,
    WS_1009_MESSAGE_TOO_BIG,
    WS_1011_INTERNAL_ERROR,
    WS_1012_SERVICE_RESTART,
    WS_1013_TRY_AGAIN_LATER,
    CloseCode,
    WebSocketClose,
    WebSocketDisconnect,
    WebSocketException,
    WebSocketState,
)

__all__ = [
    "WebSocket",
    "WebSocketState",
    "CloseCode",
    "WebSocketException",
    "WebSocketDisconnect",
    "WebSocketClose",
    "is_websocket_handler",
    "mark_websocket_handler",
    "get_websocket_param_name",
    "run_websocket_handler",
    "WS_1000_NORMAL_CLOSURE",
    "WS_1001_GOING_AWAY",
    "WS_1002_PROTOCOL_ERROR",
    "WS_1003_UNSUPPORTED_DATA",
    "WS_1008_POLICY_VIOLATION",
    "WS_1009_MESSAGE_TOO_BIG",
    "WS_1011_INTERNAL_ERROR",
    "WS_1012_SERVICE_RESTART",
    "WS_1013_TRY_AGAIN_LATER",
]
