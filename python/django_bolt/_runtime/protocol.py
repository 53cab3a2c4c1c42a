"""The items the Go core hands to Python and the results Python hands back.

This module is the Python half of the protocol; ``protocol/protocol.go`` is the Go half
and ``pyhost/bridge.h`` the C one. A Go test reads this file and fails when a value here
differs from Go's, so change both together.

Items (Go → Python), one tuple each, taken in batches by ``_core.exchange``:

* a request: ``(rid, handler, method, path, params, query, headers, body, context)``
  with ``handler >= 0`` the index of the route's runner. ``method`` and ``path`` are
  str; ``params`` and ``headers`` dicts of str (header names lower-case); ``query``
  bytes; ``body`` bytes, or a str: the path of the temporary file holding a large
  multipart body the core spooled to disk (``Request`` keeps it apart from the headers,
  so no client header can name a file); ``context`` the auth context dict. Each of params, query, headers and
  body is None when the route's binding plan does not read it; context is None when the
  route has no authentication and no request id.
* a control item: ``(rid, kind, arg)`` with ``kind`` one of the ``KIND_*`` values and
  ``arg`` a stream id (0 for ``KIND_STOP``).

Results (Python → Go), handed back with the next ``exchange``:

* for a request: ``(rid, status, headers, body)``. ``headers`` is a list of
  ``(name, value)`` str tuples; ``body`` is bytes (the whole body), an int (the id of a
  stream to pull) or a ``SendFile`` (a file Go sends from disk).
* for ``KIND_PULL``, from the test client's inline runner: ``(rid, pull_status, None,
  chunk)`` with ``pull_status`` one of ``CHUNK`` (``chunk`` is bytes, never empty),
  ``END`` or ``FAILED`` (``chunk`` is the error message, UTF-8). On the server a stream's
  producer puts its chunks into the core's buffer instead (``_runtime.streams``), and
  ``KIND_PULL`` only resumes a producer that stopped on a full buffer.
* ``KIND_PULL``, ``KIND_CLOSE`` and ``KIND_STOP`` answer nothing on the server; the test
  client's inline runner answers ``END`` to a close so that every call returns a result.

WebSockets (``_runtime.websockets``) use three more kinds; their first position is the
connection id:

* ``(conn, KIND_WS_OPEN, request item)``: a handshake passed every check;
* ``(conn, KIND_WS_MESSAGE, str | bytes)``: one complete client message;
* ``(conn, KIND_WS_CLOSED, code, reason)``: the connection is gone.

What handlers do goes back as commands ``(conn, op, payload, extra)`` in one
``_core.ws_send`` call per batch: ``(conn, WS_ACCEPT, subprotocol | None, headers)``,
``(conn, WS_TEXT, str, 0)``, ``(conn, WS_BYTES, bytes, 0)``, ``(conn, WS_CLOSE, reason,
code)``.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "KIND_PULL", "KIND_CLOSE", "KIND_STOP", "KIND_WS_OPEN", "KIND_WS_MESSAGE", "KIND_WS_CLOSED",
    "WS_ACCEPT", "WS_TEXT", "WS_BYTES", "WS_CLOSE", "CHUNK", "END", "FAILED",
    "REQUEST_ITEM_LEN", "CONTROL_ITEM_LEN", "RESULT_LEN", "SENDFILE_LEN",
    "RID", "KIND", "ARG", "METHOD", "PATH", "PARAMS", "QUERY", "HEADERS", "BODY", "CONTEXT",
    "DETAIL_UNAUTHENTICATED", "DETAIL_PERMISSION_DENIED", "DETAIL_METHOD_NOT_ALLOWED", "DETAIL_INTERNAL",
    "DETAIL_BODY_TOO_LARGE",
    "SendFile", "INTERNAL_ERROR", "result",
]

# Item kinds (item[KIND]); a request item carries its handler id (>= 0) there instead.
KIND_PULL = -1  # more of stream ``arg``: resume its producer (server), the next chunk (test client)
KIND_CLOSE = -2  # the client went away: close stream ``arg``
KIND_STOP = -3  # stop the event loop
KIND_WS_OPEN = -4
KIND_WS_MESSAGE = -5
KIND_WS_CLOSED = -6

# WebSocket command operations.
WS_ACCEPT = 1
WS_TEXT = 2
WS_BYTES = 3
WS_CLOSE = 4

# Pull statuses (result[1] of a KIND_PULL result).
CHUNK = 0
END = 1
FAILED = 2

# Tuple lengths.
REQUEST_ITEM_LEN = 9
CONTROL_ITEM_LEN = 3
RESULT_LEN = 4
SENDFILE_LEN = 1

# Positions in an item: both kinds share RID and KIND; control items have ARG.
RID = 0
KIND = 1
ARG = 2
# Positions in a request item.
METHOD = 2
PATH = 3
PARAMS = 4
QUERY = 5
HEADERS = 6
BODY = 7
CONTEXT = 8


class SendFile(NamedTuple):
    """The body of a result that Go sends from disk (Range, ETag, conditional requests).

    Only the serializer builds it, after checking the path against
    ``BOLT_ALLOWED_FILE_PATHS``; a response header can never make Go open a file.
    """

    path: str


# Error details that Go (protocol/errors.go) and Python both send for the same condition.
DETAIL_UNAUTHENTICATED = "Authentication required"
DETAIL_PERMISSION_DENIED = "Permission denied"
DETAIL_METHOD_NOT_ALLOWED = "Method Not Allowed"
DETAIL_INTERNAL = "Internal Server Error"
# The 413 detail; ``{limit}`` stands for BOLT_MAX_UPLOAD_SIZE (``str.format``).
DETAIL_BODY_TOO_LARGE = "Request body too large (max {limit} bytes)"

# The answer when Python could not produce one (a bug, not a handler error).
INTERNAL_ERROR = (500, [("content-type", "application/json")], b'{"detail":"Internal Server Error"}')


def result(rid: int, answer: tuple) -> tuple:
    """The result tuple for request ``rid`` from a ``(status, headers, body)`` answer."""
    return (rid, answer[0], answer[1], answer[2])
