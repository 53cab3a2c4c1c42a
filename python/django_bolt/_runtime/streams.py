"""Streaming bodies: the one implementation of "the next chunk", for the server and the
test client alike.

``StreamSource`` wraps a ``StreamingResponse``'s content and produces its chunks as
bytes: it converts each chunk, skips empty ones (an empty chunk is nothing to send, never
the end of the stream) and reports the end as ``None``. ``pull_sync`` and ``pull_async``
turn one step into a protocol answer (``CHUNK``/``END``/``FAILED``, see ``protocol``).

On the server, ``Streams`` runs each source ahead of the writer, into a bounded buffer
of the core (``pyhost/stream.go``): async sources in a task on the loop, sync ones in
the worker thread pool (so a generator that blocks never stalls other requests), with
no round trip per chunk. The test client (``testing.runner``) calls the same source
methods inline.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor
from functools import partial
from time import monotonic
from typing import Any, Awaitable, Callable

from ..responses import StreamingResponse
from .protocol import CHUNK, END, FAILED
from .route import _recycling

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


def _log_failure(exc: BaseException) -> None:
    logger.error("Stream failed: %s: %s", type(exc).__name__, exc, exc_info=(type(exc), exc, exc.__traceback__))


def _failed(exc: BaseException) -> Pulled:
    _log_failure(exc)
    return FAILED, str(exc).encode()


# Set on a StreamingResponse returned under BOLT_EMIT_SIGNALS (``signals.with_signals``).
RECYCLES = "_bolt_recycles_connections"
# Also set then: an async callable that sends Django's ``request_finished``, which for a
# stream comes when the stream has ended (as Django sends it when it closes a streamed
# response), not when the handler returned.
FINISHED = "_bolt_request_finished"


class StreamSource:
    """The chunks of one ``StreamingResponse``."""

    __slots__ = ("source", "is_async", "failure", "recycles", "finished")

    def __init__(self, resp: StreamingResponse) -> None:
        # The exception that ended the stream, once a pull answered FAILED.
        self.failure: BaseException | None = None
        # Whether each worker thread that runs this (sync) source recycles its database
        # connections around what it runs, as a sync handler's does under signals.
        self.recycles = getattr(resp, RECYCLES, False)
        # Sent once the stream has ended, however it ended (``FINISHED``).
        self.finished: Callable[[], Awaitable[Any]] | None = getattr(resp, FINISHED, None)
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


async def _request_finished(finished: Callable[[], Awaitable[Any]]) -> None:
    try:
        await finished()
    except Exception:
        # The response is out: a failing receiver can only be reported.
        logger.exception("A request_finished receiver failed after a stream ended")


# Answers of _core.stream_put (pyhost/stream.go).
PUT_MORE = 0
PUT_FULL = 1  # the core's buffer is full: stop until the core resumes the stream
PUT_GONE = 2  # nobody reads any more: close the generator

# How long a sync producer keeps its worker thread before it lets queued work run
# first: a generator that waits between chunks (a sync SSE feed) shares the worker
# pool chunk by chunk, a fast one runs through without a hand-off.
SYNC_SLICE = 0.002


class Streams:
    """The open streams of one event loop, each with its own producer.

    A producer runs its source ahead of the writer and puts each chunk into the core's
    buffer for the stream (``_core.stream_put``), from which Go writes and flushes it:
    no round trip per chunk. A sync source is run by a worker thread (``_drive_sync``),
    an async one by a task on the loop (``_drive_async``). A producer stops when the
    core says its buffer is full; the core then sends ``KIND_PULL`` for the stream when
    it has taken the bytes (``resume``). ``KIND_CLOSE`` (``close``) comes when the
    client went away while the producer was stopped, or while an async one ran. Every
    producer ends with exactly one ``_core.stream_end``.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, executor: Executor,
                 core: Any) -> None:
        self._loop = loop
        self._executor = executor
        self._stream_open = core.stream_open
        self._put = core.stream_put
        self._end = core.stream_end
        self._open: dict[int, StreamSource] = {}
        self._tasks: dict[int, asyncio.Task] = {}
        self._finishing: set[asyncio.Task] = set()

    def open(self, resp: StreamingResponse) -> int:
        try:
            source = StreamSource(resp)
        except BaseException:
            self._send_finished(getattr(resp, FINISHED, None))
            raise
        sid = self._stream_open(source.is_async)
        self._open[sid] = source
        self._start(sid, source)
        return sid

    def resume(self, sid: int) -> None:
        source = self._open.get(sid)
        if source is None:
            self._end(sid, None)
        else:
            self._start(sid, source)

    def _start(self, sid: int, source: StreamSource) -> None:
        if source.is_async:
            task = self._loop.create_task(self._drive_async(sid, source))
            self._tasks[sid] = task
            task.add_done_callback(partial(self._forget_task, sid))
        else:
            self._submit(self._drive_sync, sid, source)

    def _submit(self, work: Any, sid: int, source: StreamSource) -> None:
        """Run a sync source's ``work`` in the worker pool. Under signals the thread closes
        its old database connections before and after, as Django does at a request's start
        and end: the stream may go on in another thread, and this one serves other
        requests meanwhile, so each stretch of the generator is one such request here."""
        if source.recycles:
            self._executor.submit(_recycling, work, (sid, source), {})
        else:
            self._executor.submit(work, sid, source)

    def _drive_sync(self, sid: int, source: StreamSource) -> None:
        put = self._put
        until = monotonic() + SYNC_SLICE
        try:
            while True:
                chunk = source.next_sync()
                if chunk is None:
                    break
                answer = put(sid, chunk)
                if answer == PUT_FULL:
                    return
                if answer == PUT_GONE:
                    source.close_sync()
                    break
                if monotonic() > until:
                    # Go to the back of the pool's queue; at once when nothing waits.
                    self._submit(self._drive_sync, sid, source)
                    return
        except BaseException as exc:  # the generator's own error, SystemExit included
            self._fail(sid, source, exc)
            return
        self._finish(sid, source)

    async def _drive_async(self, sid: int, source: StreamSource) -> None:
        put = self._put
        try:
            while True:
                chunk = await source.next_async()
                if chunk is None:
                    break
                answer = put(sid, chunk)
                if answer == PUT_FULL:
                    return
                if answer == PUT_GONE:
                    # The close the core also sends finds nothing left to do.
                    self._open.pop(sid, None)
                    self._tasks.pop(sid, None)
                    await source.close_async()
                    break
        except asyncio.CancelledError:
            # close() cancelled the task: the client went away, the generator's finally
            # blocks ran where it was waiting.
            pass
        except BaseException as exc:
            self._fail(sid, source, exc)
            return
        self._finish(sid, source)

    def _forget_task(self, sid: int, task: asyncio.Task) -> None:
        if self._tasks.get(sid) is task:
            del self._tasks[sid]
        source = self._open.get(sid)
        if task.cancelled() and source is not None:
            # Cancelled before its first step (a running one catches it): close here.
            self._loop.create_task(self._close_async(sid, source))

    def _finish(self, sid: int, source: StreamSource) -> None:
        self._open.pop(sid, None)
        self._end(sid, None)
        self._send_finished(source.finished)

    def _fail(self, sid: int, source: StreamSource, exc: BaseException) -> None:
        self._open.pop(sid, None)
        _log_failure(exc)
        self._end(sid, str(exc))
        self._send_finished(source.finished)

    def _send_finished(self, finished: Callable[[], Awaitable[Any]] | None) -> None:
        """Send the stream's ``request_finished`` from the loop (a sync source ends in a
        worker thread)."""
        if finished is not None:
            self._loop.call_soon_threadsafe(self._start_finished, finished)

    def _start_finished(self, finished: Callable[[], Awaitable[Any]]) -> None:
        task = self._loop.create_task(_request_finished(finished))
        self._finishing.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._finishing.discard)

    def close(self, sid: int) -> None:
        """The client went away: close the generator so its ``finally`` runs."""
        task = self._tasks.get(sid)
        if task is not None and not task.done():
            task.cancel()
            return
        source = self._open.get(sid)
        if source is None:
            return
        if source.is_async:
            self._loop.create_task(self._close_async(sid, source))
        else:
            self._submit(self._close_sync, sid, source)

    def _close_sync(self, sid: int, source: StreamSource) -> None:
        try:
            source.close_sync()
        except BaseException as exc:
            self._fail(sid, source, exc)
            return
        self._finish(sid, source)

    async def _close_async(self, sid: int, source: StreamSource) -> None:
        try:
            await source.close_async()
        except BaseException as exc:
            self._fail(sid, source, exc)
            return
        self._finish(sid, source)
