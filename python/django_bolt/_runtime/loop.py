"""The event loop the Go core feeds.

The server's main thread runs this loop. Go queues requests and writes an eventfd the
loop watches; each wake-up drains every waiting item, starts each handler eagerly
(``eager.start``) and hands all finished results back in the same ``exchange`` call that
takes the next batch. Handlers that suspend finish later; their results are collected
and handed over together at the end of the loop iteration.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Callable, Sequence

from .. import _core
from ..request import Request
from ..responses import StreamingResponse
from . import eager
from .protocol import ARG, BODY, CONTEXT, HEADERS, INTERNAL_ERROR, KIND, KIND_CLOSE, KIND_PULL, KIND_STOP, METHOD
from .protocol import PARAMS, PATH, QUERY, RID
from .streams import Streams, stream_headers
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


def serve(fd: int, runners: Sequence[Runner], workers: int, websocket_routes: Sequence[Any] = (),
          websocket_channel_size: int = 100) -> None:
    """Run the loop on the calling (main) thread until the core sends STOP."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bolt-worker")
    loop.set_default_executor(executor)
    websockets = WebSockets(loop, websocket_routes, websocket_channel_size, _core.ws_send)
    dispatcher = Dispatcher(loop, runners, executor, _core.exchange, websockets)
    loop.add_reader(fd, dispatcher.drain)
    try:
        loop.run_forever()
    finally:
        loop.remove_reader(fd)
        executor.shutdown(wait=False, cancel_futures=True)
