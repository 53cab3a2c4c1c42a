"""The one thread where the loop's thread-sensitive sync code runs (Django's async ORM).

Django's async ORM calls (``await qs.aget()``, ``async for obj in qs``) run the query
through asgiref's ``sync_to_async(thread_sensitive=True)``: with no sync caller above
it, asgiref sends every such call made from the loop to one thread, one call after the
other, because database connections belong to the thread that opened them. asgiref asks
the loop to run the call in an executor; it uses the executor registered for the running
loop in ``AsyncToSync.loop_thread_executors`` when there is one, and its own
single-thread pool otherwise.

``SyncThread`` is that executor for the server's loop: still one thread, so the same
rules hold (every thread-sensitive call of a request runs on the same thread, its
connections stay on it and ``atomic`` blocks span calls), but the hop costs less:

- ``submit`` returns an asyncio future of the loop, which ``run_in_executor`` hands
  back as it is, instead of a ``concurrent.futures.Future`` chained to a new asyncio
  future through two callbacks and a ``call_soon_threadsafe`` per call;
- the thread wakes the loop only when it has no queued call left to run, not after
  every call: under load it runs its queue without the loop (or a lane) taking the GIL
  from it for each finished call, and the loop collects many results in one wake-up.
  A result held back so is not left waiting behind a slow call: while calls are in
  flight the loop's selector waits at most ``COLLECT_WITHIN`` seconds (``timeout``), and
  the loop collects what finished whenever it wakes (``collect``).

Measured on ``GET /users/mini10`` (one 10-row query per request, 64 connections, one
core): waking the loop after every call cost ~4.5 context switches per request, as the
woken loop thread pre-empted the sync thread and the two traded the GIL.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from concurrent.futures import Executor
from queue import SimpleQueue
from typing import Any, Callable

__all__ = ["SyncThread"]

_STOP = None

# How long a finished call's result may wait for the loop while the thread runs the
# calls queued behind it (the loop's selector waits no longer while calls are in flight).
# As long as the GIL's switch interval, which a woken loop may already wait for.
COLLECT_WITHIN = 0.005


class SyncThread(Executor):
    """A one-thread executor whose futures belong to ``loop``. Call ``submit`` on the
    thread that runs the loop (asgiref does, through ``loop.run_in_executor``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, name: str = "bolt-sync") -> None:
        self._loop = loop
        self._calls: SimpleQueue[tuple | None] = SimpleQueue()
        # Finished calls waiting for the loop: (future, result, exception).
        self._finished: deque[tuple[asyncio.Future, Any, BaseException | None]] = deque()
        self._wake_pending = False
        # Calls submitted and not yet collected (loop thread only).
        self._in_flight = 0
        # Set when the loop's selector uses timeout() and collect(): only then may a
        # finished call's result wait for the loop while the next call runs.
        self.hold_back = False
        self._closed = False
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> asyncio.Future:  # type: ignore[override]
        if self._closed:
            raise RuntimeError("cannot run sync code after the server's sync thread stopped")
        future = self._loop.create_future()
        self._in_flight += 1
        self._calls.put((future, fn, args, kwargs))
        return future

    def timeout(self, timeout: float | None) -> float | None:
        """How long the loop's selector may wait, given the ``timeout`` the loop chose
        (None: no limit): no longer than ``COLLECT_WITHIN`` while calls are in flight."""
        if self._in_flight and (timeout is None or timeout < 0 or timeout > COLLECT_WITHIN):
            return COLLECT_WITHIN
        return timeout

    def collect(self) -> None:
        """On the loop, after its selector returns: hand over the results of the calls
        that finished without waking it."""
        if self._finished:
            self._deliver()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the thread after the calls already queued; their results are dropped if
        the loop no longer runs."""
        if self._closed:
            return
        self._closed = True
        self._calls.put(_STOP)
        if wait:
            self._thread.join()

    def _work(self) -> None:
        calls, finished = self._calls, self._finished
        while True:
            call = calls.get()
            if call is _STOP:
                return
            future, fn, args, kwargs = call
            if future.cancelled():
                # Cancelled before it started: like a pool's queued work item, it never
                # runs; the loop still counts it as collected.
                finished.append((future, None, None))
                continue
            try:
                finished.append((future, fn(*args, **kwargs), None))
            except BaseException as exc:  # handed to the awaiting coroutine
                finished.append((future, None, exc))
            del call, future, fn, args, kwargs
            if self.hold_back and not calls.empty():
                # The next call runs first; the loop collects this result when it wakes,
                # within COLLECT_WITHIN (timeout).
                continue
            if not self._wake_pending:
                # The loop clears the flag before it takes the finished calls, so a call
                # appended after it looked finds the flag down and wakes it again.
                self._wake_pending = True
                try:
                    self._loop.call_soon_threadsafe(self._deliver)
                except RuntimeError:  # the loop is closed: nobody waits for results
                    return

    def _deliver(self) -> None:
        """On the loop: hand every finished call's outcome to its awaiting future."""
        self._wake_pending = False
        finished = self._finished
        while finished:
            future, result, exc = finished.popleft()
            self._in_flight -= 1
            if future.cancelled():
                continue
            if exc is None:
                future.set_result(result)
            elif isinstance(exc, StopIteration):
                # A future cannot hold StopIteration (it would end the awaiting coroutine).
                future.set_exception(RuntimeError(f"sync code raised {exc!r}"))
            else:
                future.set_exception(exc)
