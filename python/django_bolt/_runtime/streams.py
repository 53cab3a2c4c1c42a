"""Streaming bodies: the Go core pulls chunks, the loop produces them.

Each ``StreamingResponse`` gets an id. The core asks for the next chunk only when it has
written the previous one, so at most one batch per stream is buffered. Async iterators
are advanced on the loop; sync ones in the worker thread pool, so a generator that
blocks never stalls other requests. Each chunk is sent as soon as it exists.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from concurrent.futures import Executor
from typing import Any, AsyncIterator, Callable, Iterator

from ..responses import StreamingResponse

__all__ = ["Streams", "CHUNK", "END", "FAILED"]

logger = logging.getLogger("django_bolt")

# Pull result statuses understood by the Go core.
CHUNK, END, FAILED = 0, 1, 2

SSE_TYPE = "text/event-stream"


def to_bytes(chunk: Any) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, str):
        return chunk.encode()
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    if hasattr(chunk, "__bytes__"):
        return bytes(chunk)
    return str(chunk).encode()


def stream_headers(resp: StreamingResponse) -> list[tuple[str, str]]:
    headers = [(str(k), str(v)) for k, v in resp.headers.items()]
    names = {k.lower() for k, _ in headers}
    if "content-type" not in names:
        headers.append(("content-type", resp.media_type))
    if resp.media_type == SSE_TYPE:
        if "x-accel-buffering" not in names:
            headers.append(("x-accel-buffering", "no"))
        if "cache-control" not in names:
            headers.append(("cache-control", "no-cache"))
    headers.extend(resp.cookie_headers())
    return headers


class StreamSource:
    __slots__ = ("source", "is_async")

    def __init__(self, resp: StreamingResponse) -> None:
        content = resp.content
        if callable(content) and not hasattr(content, "__iter__") and not hasattr(content, "__aiter__"):
            content = content()
        if hasattr(content, "__aiter__"):
            self.source: Any = content.__aiter__()
            self.is_async = True
        elif hasattr(content, "__anext__"):
            self.source = content
            self.is_async = True
        else:
            self.source = iter(content)
            self.is_async = False


def _next_chunk(source: Iterator[Any]) -> tuple[bytes, bool]:
    """Runs in a worker thread: the next chunk and whether the stream ended."""
    try:
        return to_bytes(next(source)), False
    except StopIteration:
        return b"", True


class Streams:
    """The open streams of one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, executor: Executor | None,
                 deliver: Callable[[int, int, bytes], None]) -> None:
        self._loop = loop
        self._executor = executor
        self._deliver = deliver  # (rid, status, chunk)
        self._open: dict[int, StreamSource] = {}
        self._ids = itertools.count()

    def open(self, resp: StreamingResponse) -> int:
        sid = next(self._ids)
        self._open[sid] = StreamSource(resp)
        return sid

    def pull(self, rid: int, sid: int) -> None:
        stream = self._open.get(sid)
        if stream is None:
            self._deliver(rid, END, b"")
            return
        if stream.is_async:
            task = self._loop.create_task(self._next_async(stream.source))
        else:
            task = self._loop.run_in_executor(self._executor, _next_chunk, stream.source)
        task.add_done_callback(lambda fut: self._finish(rid, sid, fut))

    async def _next_async(self, source: AsyncIterator[Any]) -> tuple[bytes, bool]:
        try:
            return to_bytes(await source.__anext__()), False
        except StopAsyncIteration:
            return b"", True

    def _finish(self, rid: int, sid: int, fut: asyncio.Future) -> None:
        if fut.cancelled():
            self._deliver(rid, FAILED, b"cancelled")
            self.close(sid)
            return
        exc = fut.exception()
        if exc is not None:
            logger.error("Stream failed: %s: %s", type(exc).__name__, exc, exc_info=(type(exc), exc, exc.__traceback__))
            self._deliver(rid, FAILED, str(exc).encode())
            self.close(sid)
            return
        chunk, ended = fut.result()
        if chunk:
            self._deliver(rid, CHUNK, chunk)
            if ended:
                self._forget(sid)
        else:
            self._deliver(rid, END, b"")
            self._forget(sid)

    def _forget(self, sid: int) -> None:
        self._open.pop(sid, None)

    def close(self, sid: int) -> None:
        """The client went away: close the generator so its ``finally`` runs."""
        stream = self._open.pop(sid, None)
        if stream is None:
            return
        source = stream.source
        if stream.is_async:
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                self._loop.create_task(aclose())
        else:
            close = getattr(source, "close", None)
            if close is not None:
                # The generator may be running in a worker right now; close it there.
                self._loop.run_in_executor(self._executor, _close_quietly, close)


def _close_quietly(close: Callable[[], None]) -> None:
    try:
        close()
    except ValueError:
        # "generator already executing": a pull is in flight; it ends at its next yield.
        pass
    except Exception:
        logger.exception("Closing a stream failed")
