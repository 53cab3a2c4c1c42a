"""One stream implementation: the server's producers (``_runtime.streams.Streams``) and the
test client (``testing.runner.InlineRunner``) take the same generators to the same chunks.

Each case runs through both paths with the protocol's items; what arrives must be equal,
and equal to what the case expects.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import pytest

from django_bolt._runtime.protocol import CHUNK, END, FAILED, KIND_CLOSE, KIND_PULL
from django_bolt._runtime.streams import PUT_GONE, PUT_MORE, StreamSource, Streams
from django_bolt.responses import StreamingResponse
from django_bolt.testing.runner import InlineRunner


class Boom(Exception):
    pass


def _sync(*chunks: Any, fail: bool = False) -> Callable[[], Any]:
    def gen():
        yield from chunks
        if fail:
            raise Boom("broke mid-stream")

    return gen


def _async(*chunks: Any, fail: bool = False) -> Callable[[], Any]:
    async def gen():
        for c in chunks:
            await asyncio.sleep(0)
            yield c
        if fail:
            raise Boom("broke mid-stream")

    return gen


MIXED = (b"x", "y", bytearray(b"z"), memoryview(b"w"), {"k": 1}, None, 7)
MIXED_BYTES = [b"x", b"y", b"z", b"w", b"{'k': 1}", b"None", b"7"]

# name -> (content factory, expected chunks, expected final status)
CASES: dict[str, tuple[Callable[[], Any], list[bytes], int]] = {
    "sync": (_sync("a", "b"), [b"a", b"b"], END),
    "async": (_async("a", "b"), [b"a", b"b"], END),
    "sync empty chunks are skipped": (_sync("a", "", b"", "b", ""), [b"a", b"b"], END),
    "async empty chunks are skipped": (_async("", "a", b"", bytearray(), "b"), [b"a", b"b"], END),
    "sync only empty chunks": (_sync("", b""), [], END),
    "async only empty chunks": (_async(b"", ""), [], END),
    "sync nothing": (_sync(), [], END),
    "async nothing": (_async(), [], END),
    "sync mixed types": (_sync(*MIXED), MIXED_BYTES, END),
    "async mixed types": (_async(*MIXED), MIXED_BYTES, END),
    "sync fails mid-stream": (_sync("a", "", "b", fail=True), [b"a", b"b"], FAILED),
    "async fails mid-stream": (_async("a", "b", fail=True), [b"a", b"b"], FAILED),
    "list": (lambda: ["a", "", "b"], [b"a", b"b"], END),
}


class _Core:
    """The core's side of the stream functions, in memory: what each put delivered.

    ``gone_after`` makes the stream's reader go away once it has that many chunks, as a
    disconnect does: the producer's next put answers "gone".
    """

    def __init__(self, gone_after: int | None = None) -> None:
        self.chunks: list[bytes] = []
        self.ended: asyncio.Future | None = None
        self.gone_after = gone_after
        self.loop: asyncio.AbstractEventLoop | None = None

    def stream_open(self, is_async: bool) -> int:
        self.ended = self.loop.create_future()
        return 7

    def stream_put(self, sid: int, chunk: bytes) -> int:
        assert sid == 7 and isinstance(chunk, bytes)
        if self.gone_after is not None and len(self.chunks) >= self.gone_after:
            return PUT_GONE
        self.chunks.append(chunk)
        return PUT_MORE

    def stream_end(self, sid: int, error: str | None) -> None:
        assert sid == 7
        self.loop.call_soon_threadsafe(self.ended.set_result, error)


def _server_pulls(content: Any, close_after: int | None = None) -> list[tuple[int, bytes]]:
    """Run the server's producer (``Streams``) on a real loop and worker pool; turn what it
    put and how it ended into the pulls Go would have made, one chunk at a time."""
    loop = asyncio.new_event_loop()
    executor = ThreadPoolExecutor(max_workers=2)
    core = _Core(close_after)
    core.loop = loop
    streams = Streams(loop, executor, core)
    try:
        streams.open(StreamingResponse(content))
        error = loop.run_until_complete(asyncio.wait_for(core.ended, 10))
    finally:
        executor.shutdown(wait=True)
        loop.close()
    out = [(CHUNK, c) for c in core.chunks]
    if close_after is None:
        out.append((END, b"") if error is None else (FAILED, error.encode()))
    return out


def _client_pulls(content: Any, close_after: int | None = None) -> list[tuple[int, bytes]]:
    """Pull through the test client's inline runner, with the same items."""

    async def handler(_request: Any) -> StreamingResponse:
        return StreamingResponse(content)

    runner = InlineRunner([handler])
    _, status, _, sid = runner((0, 0, "GET", "/", None, None, None, None, None))
    assert status == 200
    out: list[tuple[int, bytes]] = []
    while True:
        if close_after is not None and len(out) == close_after:
            assert runner((0, KIND_CLOSE, sid)) == (0, END, None, b"")
            return out
        _, status, headers, chunk = runner((0, KIND_PULL, sid))
        assert headers is None
        out.append((status, chunk))
        if status != CHUNK:
            return out


@pytest.mark.parametrize("name", list(CASES))
def test_server_and_test_client_pull_the_same_chunks(name):
    factory, chunks, final = CASES[name]
    server = _server_pulls(factory())
    client = _client_pulls(factory())
    assert server == client
    assert [c for s, c in server if s == CHUNK] == chunks
    assert server[-1][0] == final
    assert all(c for s, c in server if s == CHUNK), "a chunk is never empty"
    if final == FAILED:
        assert server[-1][1] == b"broke mid-stream"


@pytest.mark.parametrize("path", ["server", "client"])
def test_early_disconnect_closes_the_generator(path):
    closed = threading.Event()

    def gen():
        try:
            yield "a"
            yield ""
            yield "b"
            yield "c"
        finally:
            closed.set()

    pulls = (_server_pulls if path == "server" else _client_pulls)(gen(), close_after=2)
    assert pulls == [(CHUNK, b"a"), (CHUNK, b"b")]
    assert closed.wait(5), "the generator's finally did not run"


def test_test_client_raises_a_stream_failure_after_the_chunks_before_it():
    async def handler(_request: Any) -> StreamingResponse:
        return StreamingResponse(_sync("a", fail=True)())

    runner = InlineRunner([handler])
    _, _, _, sid = runner((0, 0, "GET", "/", None, None, None, None, None))
    assert runner((0, KIND_PULL, sid))[1:] == (CHUNK, None, b"a")
    assert runner.error is None
    assert runner((0, KIND_PULL, sid))[1] == FAILED
    assert isinstance(runner.error, Boom)


def test_a_generator_function_is_called_for_its_chunks():
    source = StreamSource(StreamingResponse(_sync("", "a")))
    assert source.next_sync() == b"a"
    assert source.next_sync() is None
