"""Running handlers inline for the in-process test client.

The Go pipeline calls ``InlineRunner`` with the same items the server's event loop
receives (``_runtime.protocol``), on the test's thread, and gets the same results back.
Coroutines run to completion with asgiref's ``async_to_sync``, which keeps Django's
thread-sensitive ORM calls on this thread. Stream chunks come from the server's own
``StreamSource``, so both see the same bytes.
"""

from __future__ import annotations

import itertools
from collections import deque
from typing import Any, Callable, Sequence

from asgiref.sync import async_to_sync

from .._runtime import protocol as p
from .._runtime.route import run_sync_inline
from .._runtime.streams import StreamSource, stream_headers
from ..request import Request
from ..responses import StreamingResponse

__all__ = ["InlineRunner"]


class _Replay:
    """An async stream already pulled to its end on the handler's event loop.

    Each ``async_to_sync`` call has its own loop, and a loop that closes finalizes the
    async generators it started, so the stream cannot be resumed in a later call: its
    pulls are taken there and answered here in order.
    """

    __slots__ = ("pulls", "failure")

    def __init__(self, pulls: deque[tuple[int, bytes]], failure: BaseException | None) -> None:
        self.pulls = pulls
        self.failure = failure

    def pull_sync(self) -> tuple[int, bytes]:
        return self.pulls.popleft() if self.pulls else (p.END, b"")

    def close_sync(self) -> None:
        self.pulls.clear()


class InlineRunner:
    """Callable handed to the Go test app; keeps the last exception for the client."""

    def __init__(self, runners: Sequence[Callable[[Request], Any]]) -> None:
        self.runners = runners
        self.error: BaseException | None = None
        self._streams: dict[int, StreamSource | _Replay] = {}
        self._ids = itertools.count()

    def __call__(self, item: tuple) -> tuple:
        try:
            kind = item[p.KIND]
            if kind >= 0:
                return self._request(kind, Request(*item[p.METHOD:p.REQUEST_ITEM_LEN]))
            if kind == p.KIND_PULL:
                return self._pull(item[p.ARG])
            if kind == p.KIND_CLOSE:
                self._close(item[p.ARG])
                return (0, p.END, None, b"")
            raise ValueError(f"unknown item kind {kind}")
        except BaseException as exc:
            self.error = exc
            raise

    def _request(self, handler_id: int, request: Request) -> tuple:
        result, source = async_to_sync(self._run)(self.runners[handler_id], request)
        if source is not None:
            sid = next(self._ids)
            self._streams[sid] = source
            return (0, result.status_code, stream_headers(result), sid)
        return p.result(0, result)

    @staticmethod
    async def _run(runner: Callable[[Request], Any], request: Request) -> tuple[Any, Any]:
        """Run the handler; an async stream is pulled to its end on the same event loop."""
        run_sync_inline.set(True)
        result = await runner(request)
        if not isinstance(result, StreamingResponse):
            return result, None
        source = StreamSource(result)
        if not source.is_async:
            return result, source
        pulls: deque[tuple[int, bytes]] = deque()
        while True:
            pulled = await source.pull_async()
            pulls.append(pulled)
            if pulled[0] != p.CHUNK:
                return result, _Replay(pulls, source.failure)

    def _pull(self, sid: int) -> tuple:
        source = self._streams.get(sid)
        if source is None:
            return (0, p.END, None, b"")
        status, chunk = source.pull_sync()
        if status != p.CHUNK:
            self._streams.pop(sid, None)
        if status == p.FAILED:
            # The client raises it after the response, as it does for a handler's error.
            self.error = source.failure
        return (0, status, None, chunk)

    def _close(self, sid: int) -> None:
        source = self._streams.pop(sid, None)
        if source is not None:
            source.close_sync()
