"""Running handlers inline for the in-process test client.

The Go pipeline calls ``InlineRunner`` with the same items the server's event loop
receives, on the test's thread. Coroutines run to completion with asgiref's
``async_to_sync``, which keeps Django's thread-sensitive ORM calls on this thread.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, Iterator, Sequence

from asgiref.sync import async_to_sync

from ..request import Request
from ..responses import StreamingResponse
from .._runtime.route import run_sync_inline
from .._runtime.streams import CHUNK, END, FAILED, StreamSource, stream_headers, to_bytes

__all__ = ["InlineRunner"]

PULL, CLOSE = -1, -2


def _fail_after(chunks: list[Any], exc: Exception) -> Iterator[Any]:
    yield from chunks
    raise exc


async def _anext(source: Any) -> tuple[bytes, bool]:
    try:
        return to_bytes(await source.__anext__()), False
    except StopAsyncIteration:
        return b"", True


class InlineRunner:
    """Callable handed to the Go test app; keeps the last exception for the client."""

    def __init__(self, runners: Sequence[Callable[[Request], Any]]) -> None:
        self.runners = runners
        self.error: BaseException | None = None
        self._streams: dict[int, Iterator[Any]] = {}
        self._ids = itertools.count()

    def __call__(self, item: tuple) -> tuple:
        try:
            kind = item[1]
            if kind >= 0:
                return self._request(kind, Request(*item[2:9]))
            if kind == PULL:
                return self._pull(item[2])
            if kind == CLOSE:
                self._close(item[2])
                return (0, END, None, b"")
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
        return (0, *result)

    @staticmethod
    async def _run(runner: Callable[[Request], Any], request: Request) -> tuple[Any, Iterator[Any] | None]:
        """Run the handler; an async stream is read to the end on the same event loop.

        Each async_to_sync call has its own loop, and a loop that closes finalizes the
        async generators it started, so the stream could not be resumed in a later call.
        """
        run_sync_inline.set(True)
        result = await runner(request)
        if not isinstance(result, StreamingResponse):
            return result, None
        source = StreamSource(result)
        if not source.is_async:
            return result, source.source
        chunks: list[Any] = []
        try:
            while True:
                chunk, ended = await _anext(source.source)
                if ended:
                    return result, iter(chunks)
                chunks.append(chunk)
        except Exception as exc:
            # The body ends where the stream failed, as it would on a connection.
            return result, _fail_after(chunks, exc)

    def _pull(self, sid: int) -> tuple:
        source = self._streams.get(sid)
        if source is None:
            return (0, END, None, b"")
        try:
            chunk = to_bytes(next(source))
        except StopIteration:
            self._streams.pop(sid, None)
            return (0, END, None, b"")
        except Exception as exc:
            self._streams.pop(sid, None)
            self.error = exc
            return (0, FAILED, None, str(exc).encode())
        return (0, CHUNK, None, chunk)

    def _close(self, sid: int) -> None:
        source = self._streams.pop(sid, None)
        close = getattr(source, "close", None)
        if close is not None:
            close()
