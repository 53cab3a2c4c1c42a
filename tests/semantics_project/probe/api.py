"""Routes that report how handlers run inside the server, for the integration tests.

State shared between requests (stream progress, sync-handler markers) is kept in
module-level structures keyed by a token the test chooses, so tests sharing one
server never see each other's entries.
"""
import asyncio
import contextvars
import os
import sys
import threading
import time

import msgspec

from django_bolt import BoltAPI, Depends, StreamingResponse
from django_bolt.exceptions import HTTPException

from .models import Note

api = BoltAPI()

# Changed by the --dev reload test.
VERSION = "v1"


@api.get("/version")
async def version():
    return {"version": VERSION}


@api.get("/ping")
async def ping():
    return {"pong": True}


# --- process and interpreter ------------------------------------------------


@api.get("/pid")
async def pid():
    return {"pid": os.getpid()}


@api.get("/env")
async def env():
    return {
        "prefix": sys.prefix,
        "base_prefix": sys.base_prefix,
        "executable": sys.executable,
        "msgspec": msgspec.__file__,
    }


# --- contextvars and tasks ----------------------------------------------------

REQUEST_TAG: contextvars.ContextVar[str] = contextvars.ContextVar("request_tag", default="<default>")


@api.get("/ctx/{tag}")
async def ctx(tag: str):
    before = REQUEST_TAG.get()
    REQUEST_TAG.set(tag)
    await asyncio.sleep(0.05)
    return {"tag": tag, "before": before, "after": REQUEST_TAG.get()}


@api.get("/task")
async def task():
    first = asyncio.current_task()
    await asyncio.sleep(0.01)
    second = asyncio.current_task()
    return {"has_task": first is not None, "same_task": first is second and first is not None}


@api.get("/timeout")
async def timeout():
    started = time.monotonic()
    try:
        async with asyncio.timeout(0.05):
            await asyncio.sleep(1)
    except TimeoutError:
        return {"caught": True, "elapsed": time.monotonic() - started}
    return {"caught": False, "elapsed": time.monotonic() - started}


# Work a handler leaves to the event loop and returns at once: a task, a callback, a
# timer. The loop must run it soon, whichever thread started the handler.
_left_work: dict[str, list[str]] = {}


@api.get("/leave/{tag}")
async def leave_work(tag: str):
    done = _left_work.setdefault(tag, [])
    loop = asyncio.get_running_loop()

    async def background():
        done.append("task")

    loop.create_task(background())
    loop.call_soon(done.append, "callback")
    loop.call_later(0.05, done.append, "timer")
    return {"started": True}


@api.get("/leave/{tag}/done")
async def left_work_done(tag: str):
    return {"done": sorted(_left_work.get(tag, []))}


@api.get("/thread")
async def thread():
    loop = asyncio.get_running_loop()
    await asyncio.sleep(0)
    return {"loop_is_running": loop.is_running(), "resumed_on_main": threading.get_ident() == threading.main_thread().ident}


_in_flight = 0


@api.get("/sleep")
async def sleep(ms: int = 200):
    global _in_flight
    _in_flight += 1
    seen = _in_flight
    try:
        await asyncio.sleep(ms / 1000)
    finally:
        _in_flight -= 1
    return {"slept_ms": ms, "in_flight_on_entry": seen}


# --- async ORM ------------------------------------------------------------------


class NoteIn(msgspec.Struct):
    text: str


def _note(n: Note) -> dict:
    return {"id": n.id, "text": n.text}


@api.post("/notes")
async def create_note(note: NoteIn):
    created = await Note.objects.acreate(text=note.text)
    return _note(created)


@api.get("/notes/count")
async def count_notes(prefix: str = ""):
    return {"count": await Note.objects.filter(text__startswith=prefix).acount()}


@api.get("/notes/{note_id}")
async def get_note(note_id: int):
    try:
        found = await Note.objects.aget(pk=note_id)
    except Note.DoesNotExist:
        raise HTTPException(status_code=404, detail=f"note {note_id} not found")
    return _note(found)


@api.get("/notes")
async def list_notes(prefix: str = ""):
    return [_note(n) async for n in Note.objects.filter(text__startswith=prefix).order_by("id")]


# --- sync handlers ------------------------------------------------------------------


@api.post("/sync/notes")
def sync_create_note(note: NoteIn):
    created = Note.objects.create(text=note.text)
    return {**_note(created), "thread": threading.current_thread().name}


@api.get("/sync/notes")
def sync_list_notes(prefix: str = ""):
    rows = list(Note.objects.filter(text__startswith=prefix).order_by("id"))
    return {"count": len(rows), "texts": [n.text for n in rows], "thread": threading.current_thread().name}


_sync_started: set[str] = set()


@api.get("/sync/sleep")
def sync_sleep(token: str, ms: int = 300):
    _sync_started.add(token)
    time.sleep(ms / 1000)
    return {"slept_ms": ms, "thread": threading.current_thread().name}


@api.get("/sync/started")
async def sync_started(token: str):
    return {"started": token in _sync_started}


# --- slow requests (shutdown tests) ----------------------------------------------------

_slow_started: set[str] = set()


@api.get("/slow")
async def slow(token: str, ms: int = 1500):
    _slow_started.add(token)
    await asyncio.sleep(ms / 1000)
    return {"slept_ms": ms, "token": token}


@api.get("/slow/started")
async def slow_started(token: str):
    return {"started": token in _slow_started}


# --- streaming ---------------------------------------------------------------------------

# token -> what the stream's generator did: "started", "finished", "closed".
_stream_events: dict[str, list[str]] = {}
_releases: dict[str, threading.Event] = {}


def _record(token: str, what: str) -> None:
    _stream_events.setdefault(token, []).append(what)


def _release_event(token: str) -> threading.Event:
    return _releases.setdefault(token, threading.Event())


@api.get("/sse/slow")
async def sse_slow():
    """One event, a one-second pause, another event."""

    async def events():
        yield "data: first\n\n"
        await asyncio.sleep(1)
        yield "data: second\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


@api.get("/sse/gated-async")
async def sse_gated_async(token: str):
    """One event, then wait (at most 10 s) until /release is called, then another."""
    gate = _release_event(token)

    async def events():
        _record(token, "started")
        yield "data: first\n\n"
        for _ in range(200):
            if gate.is_set():
                break
            await asyncio.sleep(0.05)
        yield "data: second\n\n"
        _record(token, "finished")

    return StreamingResponse(events(), media_type="text/event-stream")


@api.get("/sse/gated-sync")
async def sse_gated_sync(token: str):
    """As /sse/gated-async, with a plain generator (advanced in worker threads)."""
    gate = _release_event(token)

    def events():
        _record(token, "started")
        yield "data: first\n\n"
        gate.wait(10)
        yield "data: second\n\n"
        _record(token, "finished")

    return StreamingResponse(events(), media_type="text/event-stream")


@api.get("/text/gated-sync")
async def text_gated_sync(token: str):
    """A plain-text stream from a plain generator that pauses after its first line."""
    gate = _release_event(token)

    def lines():
        yield "first\n"
        gate.wait(10)
        yield "second\n"
        _record(token, "finished")

    return StreamingResponse(lines(), media_type="text/plain")


@api.get("/release")
async def release(token: str):
    _release_event(token).set()
    return {"released": token}


@api.get("/endless/async")
async def endless_async(token: str):
    """Chunks every 50 ms for up to ~100 s; the finally records how it ended."""

    async def chunks():
        try:
            for i in range(2000):
                yield f"chunk {i}\n"
                await asyncio.sleep(0.05)
            _record(token, "finished")
        finally:
            _record(token, "closed")

    return StreamingResponse(chunks(), media_type="text/plain")


@api.get("/endless/sync")
async def endless_sync(token: str):
    def chunks():
        try:
            for i in range(2000):
                yield f"chunk {i}\n"
                time.sleep(0.05)
            _record(token, "finished")
        finally:
            _record(token, "closed")

    return StreamingResponse(chunks(), media_type="text/plain")


@api.get("/stream-events")
async def stream_events(token: str):
    return {"events": _stream_events.get(token, [])}


@api.get("/stream/empty-chunks/{kind}")
async def stream_empty_chunks(kind: str):
    """Empty chunks between others: each is skipped, none ends the stream."""
    chunks = ["a", "", b"", "b", bytearray(), "c"]

    def sync_chunks():
        yield from chunks

    async def async_chunks():
        for chunk in chunks:
            yield chunk

    return StreamingResponse(sync_chunks() if kind == "sync" else async_chunks(), media_type="text/plain")


@api.get("/stream/fails/{kind}")
async def stream_fails(kind: str):
    """Two chunks, then the generator raises."""

    def sync_chunks():
        yield "one\n"
        yield "two\n"
        raise RuntimeError("the feed broke")

    async def async_chunks():
        yield "one\n"
        await asyncio.sleep(0)
        yield "two\n"
        raise RuntimeError("the feed broke")

    return StreamingResponse(sync_chunks() if kind == "sync" else async_chunks(), media_type="text/plain")


@api.get("/stream/numbered/{kind}")
async def stream_numbered(kind: str, n: int = 1000):
    """Lines "000000\\n" to n-1, as fast as the generator can make them."""

    def sync_lines():
        for i in range(n):
            yield f"{i:06d}\n"

    async def async_lines():
        for i in range(n):
            yield f"{i:06d}\n"

    return StreamingResponse(sync_lines() if kind == "sync" else async_lines(), media_type="text/plain")


@api.get("/endless/fast-sync")
async def endless_fast_sync(token: str):
    """A plain generator that never waits: it would run for a long time if nothing stopped it."""

    def chunks():
        _record(token, "started")
        try:
            for i in range(50_000_000):
                if i % 10_000 == 0:
                    _record(token, f"at {i}")
                yield f"chunk {i}\n"
            _record(token, "finished")
        finally:
            _record(token, "closed")

    return StreamingResponse(chunks(), media_type="text/plain")


@api.get("/trickle/sync")
async def trickle_sync(token: str):
    """A plain generator that waits 10 ms between chunks, for about 20 s."""

    def chunks():
        try:
            for i in range(2000):
                yield f"tick {i}\n"
                time.sleep(0.01)
            _record(token, "finished")
        finally:
            _record(token, "closed")

    return StreamingResponse(chunks(), media_type="text/plain")


# --- sync dependencies of async handlers ---------------------------------------------------


def notes_with_prefix(prefix: str = "") -> dict:
    """A plain ``def`` dependency that queries the ORM: it must run off the event loop."""
    texts = list(Note.objects.filter(text__startswith=prefix).order_by("id").values_list("text", flat=True))
    return {"texts": texts, "thread": threading.current_thread().name}


@api.get("/dep/notes")
async def notes_from_sync_dependency(found: dict = Depends(notes_with_prefix)):
    return {**found, "handler_thread": threading.current_thread().name}


_held: dict[str, threading.Event] = {}
_held_started: set[str] = set()


def _release_event(token: str) -> threading.Event:
    return _held.setdefault(token, threading.Event())


def held_until_released(token: str) -> bool:
    """A sync dependency that blocks until ``/dep/release`` is called (or 30 s pass)."""
    _held_started.add(token)
    return _release_event(token).wait(30)


@api.get("/dep/held")
async def held(released: bool = Depends(held_until_released)):
    return {"released": released}


@api.get("/dep/started")
async def held_started(token: str):
    return {"started": token in _held_started}


@api.post("/dep/release")
async def release(token: str):
    _release_event(token).set()
    return {"released": token}


@api.get("/testclient-inside")
async def testclient_inside():
    # A TestClient made inside the server is refused with a message, not an AttributeError.
    from django_bolt.testing import TestClient

    try:
        TestClient(BoltAPI())
    except RuntimeError as exc:
        return {"refused": str(exc)}
    return {"refused": None}


# --- uploads saved with the client's file name -------------------------------------

from pathlib import Path  # noqa: E402
from typing import Annotated  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.files.storage import FileSystemStorage  # noqa: E402

from django_bolt.datastructures import UploadFile  # noqa: E402
from django_bolt.params import File  # noqa: E402

# Beside the test run's database, in a directory the test run removes.
_uploads = FileSystemStorage(location=Path(settings.DATABASES["default"]["NAME"]).parent / "uploads")


@api.post("/uploads/save")
async def save_upload(up: Annotated[UploadFile, File("up")]):
    return {"saved": _uploads.save(up.filename, up.file)}


@api.get("/uploads/read")
async def read_upload(name: str):
    # Django's storage refuses a name that climbs out of its directory
    # (SuspiciousFileOperation): the client sent a bad name, the server is fine.
    with _uploads.open(name) as f:
        return {"content": f.read().decode()}


# --- JSON of any shape ---------------------------------------------------------------

from typing import Any  # noqa: E402

from django_bolt.params import Body  # noqa: E402


class Envelope(msgspec.Struct):
    kind: str
    data: Any = None


@api.post("/json/any")
async def json_any(payload: Annotated[Any, Body()]):
    return {"type": type(payload).__name__}


@api.post("/json/envelope")
async def json_envelope(envelope: Envelope):
    return {"kind": envelope.kind}
