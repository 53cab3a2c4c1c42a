"""Routes the runtime tests drive: fast, slow, streaming, and ones that report on the
process and the request."""
import asyncio
import os
from typing import Annotated

from django_bolt import BoltAPI, StreamingResponse, UploadFile
from django_bolt.exceptions import HTTPException
from django_bolt.params import File

api = BoltAPI()

# Rewritten by the reload tests to tell old code from new.
VERSION = "v1"

# Tokens of /slow requests whose handler has started.
_started: set[str] = set()


@api.get("/")
async def index():
    return {"ok": True, "version": VERSION}


@api.get("/slow")
async def slow(ms: int = 500, token: str = ""):
    if token:
        _started.add(token)
    await asyncio.sleep(ms / 1000)
    return {"slept_ms": ms, "token": token, "pid": os.getpid()}


@api.get("/started")
async def started(token: str):
    return {"started": token in _started}


@api.get("/pid")
async def pid():
    return {"pid": os.getpid(), "version": VERSION}


@api.get("/stream")
async def stream(n: int = 5, ms: int = 300):
    """``n`` server-sent events, ``ms`` milliseconds apart."""

    async def events():
        for i in range(n):
            if i:
                await asyncio.sleep(ms / 1000)
            yield f"data: {i}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


@api.get("/context")
async def context(request):
    return {"context": request.context}


@api.post("/upload")
async def upload(request):
    return {"size": len(request.body)}


@api.get("/items/{item_id}")
async def item(item_id: int):
    return {"item_id": item_id}


@api.get("/status")
async def status(code: int = 200):
    if code >= 400:
        raise HTTPException(status_code=code, detail=f"status {code}")
    return {"code": code}


@api.post("/trace/start")
async def trace_start():
    # Python's own allocations from here on (the upload test reads the peak).
    import tracemalloc

    tracemalloc.start()
    tracemalloc.reset_peak()
    return {}


@api.post("/upload-file")
async def upload_file(doc: Annotated[UploadFile, File(max_size=256 * 1024 * 1024)]):
    import hashlib
    import tracemalloc

    digest = hashlib.sha256()
    await doc.seek(0)
    while chunk := doc.read(256 * 1024):
        digest.update(chunk)
    peak = tracemalloc.get_traced_memory()[1] if tracemalloc.is_tracing() else None
    return {"size": doc.size, "on_disk": doc.rolled_to_disk, "sha256": digest.hexdigest(), "python_peak": peak}


@api.post("/upload-request")
async def upload_request(request, doc: Annotated[UploadFile, File()]):
    return {"size": doc.size, "on_disk": doc.rolled_to_disk, "body": len(request.body), "headers": dict(request.headers)}


@api.post("/avatar")
async def avatar(img: Annotated[UploadFile, File(max_size=2 * 1024 * 1024, allowed_types=["image/*"])]):
    return {"size": img.size}


@api.get("/crash")
async def crash():
    raise RuntimeError("a handler bug")


# Database connections the process opened (Django's connection_created), for the
# CONN_MAX_AGE tests; the project has no database unless a test configures one.
_connections_opened = 0


def _count_connection(sender, connection, **kwargs):
    global _connections_opened
    _connections_opened += 1


def _query() -> dict:
    import threading

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select 1")
    return {"opened": _connections_opened, "thread": threading.current_thread().name}


def _watch_connections() -> None:
    from django.db.backends.signals import connection_created

    connection_created.connect(_count_connection)


_watch_connections()


@api.get("/db/sync")
def db_sync():
    """A query in a sync handler: it runs in the worker pool."""
    return _query()


@api.get("/db/async")
async def db_async():
    """A query from an async handler, through sync_to_async."""
    from asgiref.sync import sync_to_async

    return await sync_to_async(_query)()


# An API with its own LoggingConfig, mounted under /logged: the access-log tests give the
# config's keyword arguments in the RTPROJ_LOGGING_CONFIG setting.
def _logged_api() -> BoltAPI:
    from django.conf import settings

    from django_bolt.logging import LoggingConfig

    options = dict(getattr(settings, "RTPROJ_LOGGING_CONFIG", {}))
    for name in ("skip_paths", "skip_status_codes", "request_log_fields"):
        if name in options:
            options[name] = set(options[name])
    return BoltAPI(logging_config=LoggingConfig(**options))


logged = _logged_api()


@logged.get("/ok")
async def logged_ok():
    return {"ok": True}


@logged.get("/slow")
async def logged_slow(ms: int = 100):
    await asyncio.sleep(ms / 1000)
    return {"slept_ms": ms}


@logged.get("/status")
async def logged_status(code: int = 200):
    if code >= 400:
        raise HTTPException(status_code=code, detail=f"status {code}")
    return {"code": code}


api.mount("/logged", logged)


@api.get("/db/stream/sync")
def db_stream_sync(chunks: int = 1, ms: int = 0):
    """A sync generator that waits ``ms`` and queries before each of its chunks: the
    worker pool runs it."""
    import json
    import time

    def rows():
        for _ in range(chunks):
            time.sleep(ms / 1000)
            yield json.dumps(_query()) + "\n"

    return StreamingResponse(rows(), media_type="application/x-ndjson")


@api.post("/limited")
async def limited(
    docs: Annotated[list[UploadFile], File(min_size=2, max_size=10, allowed_types=["text/plain"], max_files=2)],
    cover: Annotated[UploadFile, File(min_size=3)],
):
    """Every File() limit, on two parameters."""
    return {"docs": [d.size for d in docs], "cover": cover.size}


# Thread-sensitive sync calls from async handlers (Django's async ORM runs its queries
# through them): the tests check which thread runs them and that they share a connection.
def _call_site() -> dict:
    import asyncio
    import threading

    try:
        asyncio.get_running_loop()
        loop_running = True
    except RuntimeError:
        loop_running = False
    return {"thread": threading.get_ident(), "name": threading.current_thread().name, "loop_running": loop_running}


@api.get("/db/threads")
async def db_threads(calls: int = 3):
    import threading

    from asgiref.sync import sync_to_async

    sites = [await sync_to_async(_call_site)() for _ in range(calls)]
    return {"handler": threading.get_ident(), "calls": sites}


def _sql(statement: str, *params) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


@api.get("/db/rollback")
async def db_rollback():
    """A transaction opened by one call and rolled back by a later one: both must use the
    same connection, so the same thread."""
    from asgiref.sync import sync_to_async
    from django.db import transaction

    await sync_to_async(_sql)("create table if not exists notes (body text)")
    await sync_to_async(transaction.set_autocommit)(False)
    try:
        await sync_to_async(_sql)("insert into notes values (%s)", "draft")
        inside = (await sync_to_async(_sql)("select count(*) from notes"))[0][0]
        await sync_to_async(transaction.rollback)()
    finally:
        await sync_to_async(transaction.set_autocommit)(True)
    after = (await sync_to_async(_sql)("select count(*) from notes"))[0][0]
    return {"inside": inside, "after": after}


def _fail() -> None:
    raise LookupError("no such note")


@api.get("/db/raises")
async def db_raises():
    from asgiref.sync import sync_to_async

    try:
        await sync_to_async(_fail)()
    except LookupError as exc:
        return {"raised": type(exc).__name__, "message": str(exc)}
    return {"raised": None}


def _nested() -> dict:
    """Sync code that awaits async code that calls sync code again (asgiref's nesting):
    the inner call runs on this same thread, which waits for it."""
    import threading

    from asgiref.sync import async_to_sync, sync_to_async

    outer = threading.get_ident()

    async def inner() -> int:
        return await sync_to_async(threading.get_ident)()

    return {"outer": outer, "inner": async_to_sync(inner)()}


@api.get("/db/nested")
async def db_nested():
    from asgiref.sync import sync_to_async

    return await sync_to_async(_nested)()


# Django's request_finished, counted (the signal tests start the server with
# BOLT_EMIT_SIGNALS): each chunk of /signals/stream reports how many were sent so far.
_finished = [0]


def _count_finished(sender, **kwargs):
    _finished[0] += 1


def _connect_finished():
    from django.core.signals import request_finished

    request_finished.connect(_count_finished)


_connect_finished()


@api.get("/signals/finished")
async def signals_finished():
    return {"finished": _finished[0]}


@api.get("/signals/stream/{kind}")
async def signals_stream(kind: str, chunks: int = 3, ms: int = 20):
    import json
    import time

    def sync_rows():
        for _ in range(chunks):
            time.sleep(ms / 1000)
            yield json.dumps({"finished": _finished[0]}) + "\n"

    async def async_rows():
        for _ in range(chunks):
            await asyncio.sleep(ms / 1000)
            yield json.dumps({"finished": _finished[0]}) + "\n"

    return StreamingResponse(sync_rows() if kind == "sync" else async_rows(), media_type="application/x-ndjson")


@api.get("/db/sleep")
async def db_sleep(ms: int = 0):
    """A thread-sensitive call that takes ``ms`` milliseconds."""
    import time

    from asgiref.sync import sync_to_async

    await sync_to_async(time.sleep)(ms / 1000)
    return {"ms": ms}


_late_calls: list[str] = []


@api.get("/db/gives-up")
async def db_gives_up(ms: int = 100):
    """Waits ``ms`` for a thread-sensitive call, then gives up on it (it is cancelled)."""
    import asyncio

    from asgiref.sync import sync_to_async

    try:
        await asyncio.wait_for(sync_to_async(_late_calls.append)("ran"), ms / 1000)
    except asyncio.TimeoutError:
        return {"gave_up": True}
    return {"gave_up": False}


@api.get("/db/late-calls")
async def db_late_calls():
    return {"ran": len(_late_calls)}


@api.get("/gc")
async def gc_state():
    """Whether start-up's objects (this API) are frozen out of the collector's passes,
    and a request's own objects are not."""
    import gc

    fresh = [object()]
    tracked = {id(o) for o in gc.get_objects()}
    return {"frozen": gc.get_freeze_count(), "api_frozen": id(api) not in tracked,
            "request_tracked": id(fresh) in tracked}
