"""Streaming bodies: the one implementation of "the next chunk", for the server and the
test client alike.

``StreamSource`` wraps a ``StreamingResponse``'s content and produces its chunks as
bytes: it converts each chunk, skips empty ones (an empty chunk is nothing to send, never
the end of the stream) and reports the end as ``None``. ``pull_sync`` and ``pull_async``
turn one step into a protocol answer (``CHUNK``/``END``/``FAILED``, see ``protocol``).

On the server, ``Streams`` holds the open sources of the event loop. The core asks for the
next chunk only when it has written the previous one, so at most one chunk per stream is
buffered. Async iterators are advanced on the loop; sync ones in the worker thread pool,
so a generator that blocks never stalls other requests. The test client
(``testing.runner``) calls the same source methods inline.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from concurrent.futures import Executor
from typing import Any, Callable

from ..responses import StreamingResponse
from .protocol import CHUNK, END, FAILED

__all__ = ["Streams", "StreamSource", "stream_headers", "to_bytes"]

logger = logging.getLogger("django_bolt")

SSE_TYPE = "text/event-stream"

# (pull status, chunk): what one pull answers.
Pulled = tuple[int, bytes]
_ENDED: Pulled = (END, b"")


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


def _failed(exc: BaseException) -> Pulled:
    logger.error("Stream failed: %s: %s", type(exc).__name__, exc, exc_info=(type(exc), exc, exc.__traceback__))
    return FAILED, str(exc).encode()


class StreamSource:
    """The chunks of one ``StreamingResponse``."""

    __slots__ = ("source", "is_async", "failure")

    def __init__(self, resp: StreamingResponse) -> None:
        # The exception that ended the stream, once a pull answered FAILED.
        self.failure: BaseException | None = None
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

    def next_sync(self) -> bytes | None:
        """The next non-empty chunk of a sync source, or None at its end."""
        source = self.source
        while True:
            try:
                chunk = to_bytes(next(source))
            except StopIteration:
                return None
            if chunk:
                return chunk

    async def next_async(self) -> bytes | None:
        """The next non-empty chunk of an async source, or None at its end."""
        source = self.source
        while True:
            try:
                chunk = to_bytes(await source.__anext__())
            except StopAsyncIteration:
                return None
            if chunk:
                return chunk

    def pull_sync(self) -> Pulled:
        """One pull of a sync source; an exception becomes ``FAILED`` (and is logged)."""
        try:
            chunk = self.next_sync()
        except Exception as exc:
            self.failure = exc
            return _failed(exc)
        return _ENDED if chunk is None else (CHUNK, chunk)

    async def pull_async(self) -> Pulled:
        try:
            chunk = await self.next_async()
        except Exception as exc:
            self.failure = exc
            return _failed(exc)
        return _ENDED if chunk is None else (CHUNK, chunk)

    def close_sync(self) -> None:
        close = getattr(self.source, "close", None)
        if close is not None:
            close()

    async def close_async(self) -> None:
        aclose = getattr(self.source, "aclose", None)
        if aclose is not None:
            await aclose()


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
            task = self._loop.create_task(stream.pull_async())
        else:
            task = self._loop.run_in_executor(self._executor, stream.pull_sync)
        task.add_done_callback(lambda fut: self._finish(rid, sid, fut))

    def _finish(self, rid: int, sid: int, fut: asyncio.Future) -> None:
        if fut.cancelled():
            status, chunk = FAILED, b"cancelled"
        elif fut.exception() is not None:  # BaseException from the generator (e.g. SystemExit)
            status, chunk = _failed(fut.exception())
        else:
            status, chunk = fut.result()
        self._deliver(rid, status, chunk)
        if status == FAILED:
            self.close(sid)
        elif status == END:
            self._open.pop(sid, None)

    def close(self, sid: int) -> None:
        """The client went away: close the generator so its ``finally`` runs."""
        stream = self._open.pop(sid, None)
        if stream is None:
            return
        if stream.is_async:
            self._loop.create_task(stream.close_async())
        else:
            # The generator may be running in a worker right now; close it there.
            self._loop.run_in_executor(self._executor, _close_quietly, stream)


def _close_quietly(stream: StreamSource) -> None:
    try:
        stream.close_sync()
    except ValueError:
        # "generator already executing": a pull is in flight; it ends at its next yield.
        pass
    except Exception:
        logger.exception("Closing a stream failed")
