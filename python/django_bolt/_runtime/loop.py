"""The event loop the Go core feeds.

The server's main thread runs this loop. Go queues requests and writes an eventfd the
loop watches; each wake-up drains every waiting item, starts each handler eagerly
(``eager.start``) and hands all finished results back in the same ``exchange`` call that
takes the next batch. Handlers that suspend finish later; their results are collected
and handed over together at the end of the loop iteration.

While the loop waits for events with nothing to do, a server thread may run a request
itself instead of queueing it (the lane, ``pyhost/lane.go``): it takes the loop's state
over for that time and, with the loop set as its running loop, builds the Request and
takes the handler's first step in C (``pyhost/lane.c``) as ``drain`` would here, and
answers at once when the handler does not suspend. The loop thread gives its state up
only inside the selector's wait (``_LanePoll``) and takes it back before it handles the
events, so the loop's state is never touched by two threads at once.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import selectors
from asyncio.events import _set_running_loop
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Callable, Sequence

from asgiref.sync import AsyncToSync

from .. import _core
from ..request import Request
from ..responses import StreamingResponse
from . import eager
from .protocol import ARG, BODY, CONTEXT, HEADERS, INTERNAL_ERROR, KIND, KIND_CLOSE, KIND_PULL, KIND_STOP, METHOD
from .protocol import PARAMS, PATH, QUERY, RID
from .streams import Streams, stream_headers
from .sync_thread import SyncThread
from .websockets import WebSockets

__all__ = ["serve", "Dispatcher"]

logger = logging.getLogger("django_bolt")

Runner = Callable[[Request], Any]


class Dispatcher:
    """Runs the items of each batch and collects their results."""

    def __init__(self, loop: asyncio.AbstractEventLoop, runners: Sequence[Runner], executor: ThreadPoolExecutor,
                 exchange: Callable[[list | None], list | None], websockets: WebSockets | None = None) -> None:
        self.loop = loop
        self.websockets = websockets
        self.runners = runners
        self.exchange = exchange
        self.results: list[tuple] = []
        self.flush_scheduled = False
        self.streams = Streams(loop, executor, _core)
        # Requests started by drain run in copies of the context the loop thread had when
        # it began serving (the reader callback's); the lane starts them from the same.
        self.context = contextvars.copy_context()

    def drain(self) -> None:
        """Exchange results for work until nothing waits."""
        self.flush_scheduled = False
        results, self.results = self.results, []
        start = eager.start
        loop = self.loop
        while True:
            batch = self.exchange(results)
            if batch is None:
                return
            results = self.results
            self.results = []
            for item in batch:
                kind = item[KIND]
                if kind >= 0:
                    rid = item[RID]
                    request = Request(item[METHOD], item[PATH], item[PARAMS], item[QUERY], item[HEADERS],
                                      item[BODY], item[CONTEXT])
                    task = start(self.runners[kind](request), loop)
                    if task.done():
                        results.append(self._result(rid, task))
                    else:
                        task.add_done_callback(partial(self._finished, rid))
                elif kind == KIND_PULL:
                    self.streams.resume(item[ARG])
                elif kind == KIND_CLOSE:
                    self.streams.close(item[ARG])
                elif kind == KIND_STOP:
                    loop.stop()
                else:
                    self.websockets.event(item)
            # Results that arrived through callbacks during this batch go out with it.
            results.extend(self.results)
            self.results = []

    def lane_thread(self) -> None:
        """Prepare a server thread for the lane, once: only the lane runs Python there, so
        its running loop stays set (asyncio looks it up on every ``get_running_loop``)."""
        _set_running_loop(self.loop)

    def lane_spec(self) -> tuple:
        """What the lane's step (``pyhost/lane.c``) needs: ``_core.lane_begin``'s arguments.
        Each request runs in a copy of ``self.context``, as those ``drain`` starts do."""
        return (self.lane_thread, Request, tuple(self.runners), self.loop, self.context, self._result,
                self._suspended, eager.lane_spec())

    def _suspended(self, rid: int, task: asyncio.Future) -> None:
        """A request started in the lane suspended: its result goes out through ``exchange``."""
        task.add_done_callback(partial(self._finished, rid))

    def _result(self, rid: int, task: asyncio.Future) -> tuple:
        try:
            value = task.result()
        except BaseException as exc:  # the runner handles errors; this is a cancelled task or a bug
            logger.error("Handler task failed: %r", exc)
            return (rid, *INTERNAL_ERROR)
        if isinstance(value, StreamingResponse):
            try:
                sid = self.streams.open(value)
            except Exception as exc:
                logger.exception("Cannot iterate the StreamingResponse content: %r", exc)
                return (rid, *INTERNAL_ERROR)
            return (rid, value.status_code, stream_headers(value), sid)
        return (rid, *value)

    def _finished(self, rid: int, task: asyncio.Future) -> None:
        self._push((self._result(rid, task)))

    def _push(self, result: tuple) -> None:
        self.results.append(result)
        if not self.flush_scheduled:
            self.flush_scheduled = True
            self.loop.call_soon(self.drain)


class _LanePoll:
    """The selector's epoll object, opening the lane while the loop waits in it, and
    collecting the sync thread's finished calls when the wait ends (``SyncThread``)."""

    __slots__ = ("_epoll", "_poll", "_sync")

    def __init__(self, epoll: Any, sync: SyncThread | None) -> None:
        self._epoll = epoll
        self._poll = epoll.poll
        self._sync = sync
        if sync is not None:
            sync.hold_back = True

    def poll(self, timeout: float | None = None, maxevents: int = -1) -> Any:
        sync = self._sync
        if sync is None:
            return _core.lane_poll(self._poll, timeout, maxevents)
        events = _core.lane_poll(self._poll, sync.timeout(timeout), maxevents)
        sync.collect()
        return events

    def __getattr__(self, name: str) -> Any:
        return getattr(self._epoll, name)


def open_lane(loop: asyncio.AbstractEventLoop, dispatcher: Dispatcher, sync: SyncThread | None = None) -> bool:
    """Let server threads run ``dispatcher``'s requests while ``loop`` waits for events; False (requests are then always queued) for a loop without an epoll
    selector, or in asyncio's debug mode, which rejects loop calls from other threads.
    The loop's wait then also collects ``sync``'s finished calls (``SyncThread.hold_back``).
    Call on the loop thread before it runs; ``_core.lane_end()`` closes the lane."""
    selector = getattr(loop, "_selector", None)
    if not isinstance(selector, selectors.EpollSelector) or loop.get_debug():
        return False
    selector._selector = _LanePoll(selector._selector, sync)  # type: ignore[attr-defined]
    _core.lane_begin(*dispatcher.lane_spec())
    return True


def serve(fd: int, runners: Sequence[Runner], workers: int, websocket_routes: Sequence[Any] = (),
          websocket_channel_size: int = 100) -> None:
    """Run the loop on the calling (main) thread until the core sends STOP."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bolt-worker")
    loop.set_default_executor(executor)
    # Where asgiref runs this loop's thread-sensitive calls (Django's async ORM).
    sync_thread = AsyncToSync.loop_thread_executors[loop] = SyncThread(loop)
    websockets = WebSockets(loop, websocket_routes, websocket_channel_size, _core.ws_send)
    dispatcher = Dispatcher(loop, runners, executor, _core.exchange, websockets)
    loop.add_reader(fd, dispatcher.drain)
    open_lane(loop, dispatcher, sync_thread)
    try:
        loop.run_forever()
    finally:
        _core.lane_end()
        loop.remove_reader(fd)
        executor.shutdown(wait=False, cancel_futures=True)
        del AsyncToSync.loop_thread_executors[loop]
        sync_thread.shutdown(wait=False)
