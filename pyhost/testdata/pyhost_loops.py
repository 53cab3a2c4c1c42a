"""Small event loops fed by a pyhost.Loop, run on the test binary's main thread.

serve_dispatcher uses the runtime's own Dispatcher with a few trivial runners;
serve_raw drains the items by hand so the tests can see exactly what crossed.
"""

import asyncio
import contextvars
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django_bolt import _core
from django_bolt._runtime.loop import Dispatcher, open_lane
from django_bolt._runtime.protocol import KIND_STOP as STOP
from django_bolt.request import Request
from django_bolt.responses import StreamingResponse

closed = []  # paths of the streams whose generator was closed or finished


async def echo(request):
    return 200, [("content-type", "text/plain"), ("x-path", request.path)], request.path.encode()


async def echo_later(request):
    await asyncio.sleep(0)  # finishes in a later loop iteration, through a done callback
    return 201, [("x-path", request.path)], request.path.encode()


async def async_stream(request):
    name = request.path

    async def chunks():
        try:
            for part in ("one", "two", "three"):
                yield f"{name}:{part}"
        finally:
            closed.append(name)

    return StreamingResponse(chunks(), media_type="text/plain")


async def endless_sync_stream(request):
    name = request.path

    def chunks():
        try:
            while True:
                yield b"x" * 1024
        finally:
            closed.append(name)

    return StreamingResponse(chunks())


async def failing_stream(request):
    async def chunks():
        yield "fine"
        raise RuntimeError("generator broke")

    return StreamingResponse(chunks())


async def slow_sync_stream(request):
    """Chunks 10 ms apart: its producer is running, not parked, when the client goes."""
    name = request.path

    def chunks():
        try:
            while True:
                yield b"tick"
                time.sleep(0.01)
        finally:
            closed.append(name)

    return StreamingResponse(chunks())


async def slow_async_stream(request):
    """An async generator waiting between chunks: a close cancels it where it waits."""
    name = request.path

    async def chunks():
        try:
            while True:
                yield b"tock"
                await asyncio.sleep(30)
        finally:
            closed.append(name)

    return StreamingResponse(chunks())


async def where(request):
    """Which thread started the handler: "loop" (the main thread) or "lane"."""
    started = "loop" if threading.current_thread() is threading.main_thread() else "lane"
    return 200, [("x-started", started)], request.path.encode()


async def late_stream(request):
    """A stream answered after 300 ms: /late/sync an endless sync generator, /late/async an
    async one waiting between chunks."""
    await asyncio.sleep(0.3)
    if request.path.endswith("/sync"):
        return await endless_sync_stream(request)
    return await slow_async_stream(request)


request_var = contextvars.ContextVar("request_var", default="unset")
started = []  # (path, "lane" or "loop") of each outcome request
fired = []  # paths whose done callback, added during the first step, ran


async def outcome(request):
    """Each way a handler's first step can end, by path (the lane takes that step in C)."""
    path = request.path
    started.append((path, "loop" if threading.current_thread() is threading.main_thread() else "lane"))
    task = asyncio.current_task()
    kind = path.split("/")[2]
    if kind == "value":
        return 200, [("x-task", task.get_name())], b"value"
    if kind == "context":
        before = request_var.get()
        request_var.set(path)
        return 200, [], before.encode()
    if kind == "callback":
        task.add_done_callback(lambda t: fired.append(path))
        return 200, [], b"callback"
    if kind == "cancel":
        task.cancel()
        return 200, [], b"cancelled itself"
    if kind == "raise":
        raise RuntimeError("handler broke")
    if kind == "timeout":
        try:
            async with asyncio.timeout(0.01):
                await asyncio.sleep(5)
        except TimeoutError:
            return 200, [], b"timed out"
    if kind == "stream":
        return await async_stream(request)
    return 404, [], b""


async def slots(request):
    """Every slot of the Request as type and repr, and where it was built: the lane builds
    it in C, the loop thread by calling the class."""
    built = "loop" if threading.current_thread() is threading.main_thread() else "lane"
    seen = {"class": type(request).__qualname__}
    for name in Request.__slots__:
        try:
            value = getattr(request, name)
        except AttributeError:
            seen[name] = "unset"
            continue
        if name == "context" and isinstance(value, dict):
            # Converted from a Go map, whose order is random on every conversion.
            value = dict(sorted(value.items()))
        seen[name] = f"{type(value).__name__} {value!r}"
    return 200, [("x-started", built)], json.dumps(seen, sort_keys=True).encode()


async def many_headers(request):
    """More headers than a result view holds (bridge.h): x-0 .. x-11, then x-last."""
    return 200, [*((f"x-{i}", f"{request.path}:{i}") for i in range(12)), ("x-last", "ü")], b"many"


RUNNERS = [echo, echo_later, async_stream, endless_sync_stream, failing_stream, slow_sync_stream,
           slow_async_stream, where, late_stream, outcome, slots, many_headers]


def _run(loop, fd, drain, timeout):
    state = {"timed_out": False}

    def expire():
        state["timed_out"] = True
        loop.stop()

    loop.add_reader(fd, drain)
    timer = loop.call_later(timeout, expire)
    try:
        loop.run_forever()
        # Let closing generators (aclose tasks) finish before reporting.
        pending = asyncio.all_tasks(loop)
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=5))
    finally:
        timer.cancel()
        loop.remove_reader(fd)
    return state["timed_out"]


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def serve_dispatcher(fd, timeout, lane=False):
    """Serve with the runtime's Dispatcher (with the lane open when lane is true); returns
    the finalised streams and what the runtime logged (kept out of the test output)."""
    closed.clear()
    started.clear()
    fired.clear()
    logger = logging.getLogger("django_bolt")
    collect = _Collect()
    logger.addHandler(collect)
    propagate, logger.propagate = logger.propagate, False
    loop = asyncio.new_event_loop()
    executor = ThreadPoolExecutor(max_workers=2)
    dispatcher = Dispatcher(loop, RUNNERS, executor, _core.exchange)
    if lane and not open_lane(loop, dispatcher):
        raise RuntimeError("the lane did not open")
    try:
        timed_out = _run(loop, fd, dispatcher.drain, timeout)
    finally:
        _core.lane_end()
        executor.shutdown(wait=True)
        loop.close()
        logger.removeHandler(collect)
        logger.propagate = propagate
    return {"timed_out": timed_out, "closed": sorted(closed), "logged": collect.messages,
            "started": [list(s) for s in started], "fired": fired}


def _text(value):
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def describe(item):
    """A JSON-able view of a request item (rid, handler, method, path, params, query,
    headers, body, context), keeping None distinct from empty."""
    rid, handler, method, path, params, query, headers, body, context = item
    return {
        "handler": handler,
        "method": method,
        "path": path,
        "params": params,
        "query": _text(query),
        "query_type": type(query).__name__,
        "headers": headers,
        "body": _text(body),
        "body_type": type(body).__name__,
        "context": context,
        "context_types": {k: type(v).__name__ for k, v in (context or {}).items()},
    }


def serve_lane(fd, timeout):
    return serve_dispatcher(fd, timeout, lane=True)


def serve_raw(fd, timeout):
    """Answer each request with describe(item) as JSON.

    Paths ask for special answers:
      /hold/<rest>    held until two are held, then both answered together as <rest>
      /dup/...        answered twice in the same exchange call
      /ghost/...      answered, together with results for ids nobody waits for
      /badheader/...  answered with a header value that is not a str
      /malformed/...  answered with a 2-tuple instead of a result
    Control items are recorded and returned.
    """
    loop = asyncio.new_event_loop()
    log = []
    errors = []
    held = []
    results = []
    seen = []  # paths of the requests that reached Python

    def answer(item):
        return (item[0], 200, [("content-type", "application/json")], json.dumps(describe(item)).encode())

    def respond(item, path):
        rid = item[0]
        if path.startswith("/dup/"):
            return [answer(item), answer(item)]
        if path.startswith("/ghost/"):
            return [(10**6, 200, None, b"nobody"), (-5, 200, None, b"nobody"), answer(item)]
        if path.startswith("/badheader/"):
            return [(rid, 200, [("x-count", 5)], b"body")]
        if path.startswith("/malformed/"):
            return [(rid, 200)]
        return [answer(item)]

    def drain():
        nonlocal results
        while True:
            out, results = results, []
            try:
                batch = _core.exchange(out)
            except Exception as exc:  # a malformed result: keep serving
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            if batch is None:
                return
            for item in batch:
                kind = item[1]
                if kind < 0:
                    log.append(list(item))
                    if kind == STOP:
                        loop.stop()
                    continue
                path = item[3]
                seen.append(path)
                if path.startswith("/hold/"):
                    held.append(item)
                    if len(held) == 2:
                        for h in held:
                            results.extend(respond(h, h[3][len("/hold"):]))
                        held.clear()
                else:
                    results.extend(respond(item, path))

    try:
        timed_out = _run(loop, fd, drain, timeout)
    finally:
        loop.close()
    return {"timed_out": timed_out, "control": log, "errors": errors, "seen": seen}
