"""Running handlers inline for the in-process test client.

The Go pipeline calls ``InlineRunner`` with the same items the server's event loop
receives (``_runtime.protocol``), on the test's thread, and gets the same results back.
Coroutines run on the app's own event loop (``_AppLoop``), called through asgiref's
``async_to_sync``, which keeps Django's thread-sensitive ORM calls on this thread.
Stream chunks come from the server's own ``StreamSource``, so both see the same bytes,
one pull per chunk the client reads.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from functools import partial
from typing import Any, Awaitable, Callable, Sequence

from asgiref.sync import AsyncToSync, async_to_sync

from .._runtime import protocol as p
from .._runtime.route import run_sync_inline
from .._runtime.streams import FINISHED, StreamSource, stream_headers
from ..request import Request
from ..responses import StreamingResponse

__all__ = ["InlineRunner"]


class _AppLoop:
    """The event loop an app's handlers and async streams run on, in a thread of its own,
    for the app's life, as the server's loop is.

    Each ``async_to_sync`` call runs on a loop of its own that is closed when the call
    returns, and closing a loop finalizes the async generators it started and cancels
    the tasks left on it: a stream read over many calls, or fed by a task its handler
    started, needs a loop that stays. Each request and each pull still goes through
    ``async_to_sync`` from the calling thread, and its step runs with that call's
    executor, so its thread-sensitive calls (``sync_to_async``, the async ORM, sync
    handlers) run on the calling thread, where the test's database connection and
    transaction live.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bolt-test-loop", daemon=True)
        self.thread.start()

    def run(self, step: Callable[[], Awaitable[Any]]) -> Any:
        return async_to_sync(self._there)(step)

    async def _there(self, step: Callable[[], Awaitable[Any]]) -> Any:
        if asyncio.get_running_loop() is self.loop:
            # asgiref ran this call on the app's loop itself (the calling thread last
            # served a thread-sensitive call of it), with the calling thread's executor.
            return await step()
        executor = AsyncToSync.executors.current
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_routed(executor, step), self.loop))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


async def _routed(executor: Any, step: Callable[[], Awaitable[Any]]) -> Any:
    # asgiref sends thread-sensitive calls to the executor of the innermost async_to_sync
    # call: for this task (and the tasks it starts), the calling thread's.
    AsyncToSync.executors.current = executor
    return await step()


class InlineRunner:
    """Callable handed to the Go test app; keeps the last exception for the client."""

    def __init__(self, runners: Sequence[Callable[[Request], Any]]) -> None:
        self.runners = runners
        self.error: BaseException | None = None
        self._streams: dict[int, StreamSource] = {}
        self._ids = itertools.count()
        self._loop: _AppLoop | None = None

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
        result, source = self._app_loop().run(partial(self._run, self.runners[handler_id], request))
        if source is not None:
            sid = next(self._ids)
            self._streams[sid] = source
            return (0, result.status_code, stream_headers(result), sid)
        return p.result(0, result)

    @staticmethod
    async def _run(runner: Callable[[Request], Any], request: Request) -> tuple[Any, Any]:
        """Run the handler; a stream's source is made, not started (its first pull is the
        client's first read)."""
        run_sync_inline.set(True)
        result = await runner(request)
        if not isinstance(result, StreamingResponse):
            return result, None
        try:
            return result, StreamSource(result)
        except BaseException:
            finished = getattr(result, FINISHED, None)
            if finished is not None:
                await finished()
            raise

    def _app_loop(self) -> _AppLoop:
        if self._loop is None:
            self._loop = _AppLoop()
        return self._loop

    def _pull(self, sid: int) -> tuple:
        source = self._streams.get(sid)
        if source is None:
            return (0, p.END, None, b"")
        if source.is_async:
            status, chunk = self._app_loop().run(source.pull_async)
        else:
            status, chunk = source.pull_sync()
        if status != p.CHUNK:
            self._streams.pop(sid, None)
            self._ended(source)
        if status == p.FAILED:
            # The client raises it where the body is read, as it does for a handler's error.
            self.error = source.failure
        return (0, status, None, chunk)

    def _close(self, sid: int) -> None:
        source = self._streams.pop(sid, None)
        if source is None:
            return
        try:
            if source.is_async:
                self._app_loop().run(source.close_async)
            else:
                source.close_sync()
        finally:
            self._ended(source)

    def _ended(self, source: StreamSource) -> None:
        """The stream ended: send its ``request_finished`` (``BOLT_EMIT_SIGNALS``)."""
        if source.finished is not None:
            self._app_loop().run(source.finished)

    def close(self) -> None:
        """Stop the app's loop, once the app has closed its streams."""
        if self._loop is not None:
            self._loop.close()
            self._loop = None
