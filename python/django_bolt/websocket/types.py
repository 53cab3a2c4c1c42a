"""WebSocket states, close codes and exceptions."""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "WebSocketState",
    "CloseCode",
    "WebSocketException",
    "WebSocketDisconnect",
    "WebSocketClose",
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


class WebSocketState(IntEnum):
    CONNECTING = 1
    CONNECTED = 2
    DISCONNECTED = 3


class CloseCode(IntEnum):
    """Close codes of RFC 6455 §7.4."""

    NORMAL = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    NO_STATUS_RECEIVED = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_FRAME_PAYLOAD_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    TLS_HANDSHAKE = 1015
    # The name some documentation uses for 1000.
    NORMAL_CLOSURE = 1000


WS_1000_NORMAL_CLOSURE = CloseCode.NORMAL
WS_1001_GOING_AWAY = CloseCode.GOING_AWAY
WS_1002_PROTOCOL_ERROR = CloseCode.PROTOCOL_ERROR
WS_1003_UNSUPPORTED_DATA = CloseCode.UNSUPPORTED_DATA
WS_1008_POLICY_VIOLATION = CloseCode.POLICY_VIOLATION
WS_1009_MESSAGE_TOO_BIG = CloseCode.MESSAGE_TOO_BIG
WS_1011_INTERNAL_ERROR = CloseCode.INTERNAL_ERROR
WS_1012_SERVICE_RESTART = CloseCode.SERVICE_RESTART
WS_1013_TRY_AGAIN_LATER = CloseCode.TRY_AGAIN_LATER


class WebSocketException(Exception):
    """Raise in a handler to close the connection with ``code`` and ``reason``."""

    def __init__(self, code: int = 1011, reason: str = "") -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"WebSocket error {code}: {reason}")


class WebSocketDisconnect(WebSocketException):
    """The client is gone; ``code`` is the close code it sent (1006 if none)."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(code, reason)


class WebSocketClose(WebSocketException):
    """Raise in a handler to close the connection normally (or with ``code``)."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(code, reason)
