"""Streaming responses: bodies, server-sent events, flushing, and client disconnects."""

from __future__ import annotations

import time

import httpx
import pytest

from .conftest import raw_request, read_until, token, wait_until

# A read that would only complete once a gated generator gives up waiting (10 s) fails first.
GATED_TIMEOUT = httpx.Timeout(10.0, read=8.0)


def _read_event(chunks) -> bytes:
    """Read from an iterator of byte chunks until one complete SSE event is buffered."""
    data = b""
    for chunk in chunks:
        data += chunk
        if b"\n\n" in data:
            break
    return data


def _stream_events(server, tok: str) -> list[str]:
    return server.get("/stream-events", params={"token": tok}).json()["events"]


# --- the example project's streams -------------------------------------------------------


def test_plain_text_stream_has_all_lines(example_server):
    r = example_server.get("/stream")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain"
    assert r.headers.get("transfer-encoding") == "chunked"
    assert r.text == "".join(f"line {i}\n" for i in range(100))


@pytest.mark.parametrize("path", ["/sse", "/sse-async"])
def test_sse_routes(example_server, path):
    r = example_server.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream"
    assert r.headers["x-accel-buffering"] == "no"
    assert r.headers["cache-control"] == "no-cache"
    assert r.text == "data: event 0\n\ndata: event 1\n\ndata: event 2\n\n"


def test_head_on_a_stream_sends_no_body(example_server):
    r = example_server.get("/stream")
    head = httpx.head(example_server.url("/stream"), timeout=10.0)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == r.headers["content-type"]


# --- flushing -------------------------------------------------------------------------------


def test_sse_first_event_arrives_before_the_generator_pauses_end(semantics_server):
    started = time.monotonic()
    with httpx.stream("GET", semantics_server.url("/sse/slow"), timeout=10.0) as r:
        assert r.headers["content-type"] == "text/event-stream"
        chunks = r.iter_raw()
        first = _read_event(chunks)
        first_at = time.monotonic() - started
        rest = b"".join(chunks)
    assert first.startswith(b"data: first\n\n")
    assert first_at < 0.9, f"the first event took {first_at:.2f}s: it waited for the 1 s pause"
    assert (first + rest) == b"data: first\n\ndata: second\n\n"


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_sse_event_is_flushed_while_the_generator_waits(semantics_server, kind):
    tok = token()
    with httpx.stream("GET", semantics_server.url(f"/sse/gated-{kind}?token={tok}"), timeout=GATED_TIMEOUT) as r:
        chunks = r.iter_raw()
        first = _read_event(chunks)
        # The generator is still waiting for the release: it has not finished.
        events_then = _stream_events(semantics_server, tok)
        assert semantics_server.get(f"/release?token={tok}").status_code == 200
        rest = b"".join(chunks)
    assert first == b"data: first\n\n"
    assert events_then == ["started"]
    assert rest == b"data: second\n\n"
    wait_until(lambda: _stream_events(semantics_server, tok) == ["started", "finished"], timeout=10,
               message="the generator to finish")


def test_plain_text_sync_chunk_is_flushed_while_the_generator_waits(semantics_server):
    tok = token()
    try:
        with httpx.stream("GET", semantics_server.url(f"/text/gated-sync?token={tok}"),
                          timeout=httpx.Timeout(10.0, read=3.0)) as r:
            chunks = r.iter_raw()
            first = b""
            for chunk in chunks:
                first += chunk
                if b"\n" in first:
                    break
            finished_then = "finished" in _stream_events(semantics_server, tok)
    finally:
        semantics_server.get(f"/release?token={tok}")
    assert first == b"first\n"
    assert not finished_then


# --- client disconnects ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_disconnect_closes_the_generator(semantics_server, kind):
    tok = token()
    sock = raw_request(semantics_server.port, f"/endless/{kind}?token={tok}")
    try:
        head = read_until(sock, b"chunk 0\n")
    finally:
        sock.close()
    assert head.startswith(b"HTTP/1.1 200")
    assert b"chunk 0\n" in head
    wait_until(lambda: "closed" in _stream_events(semantics_server, tok), timeout=20,
               message="the generator's finally to run after the disconnect")
    assert "finished" not in _stream_events(semantics_server, tok)
    # The server is still fine.
    assert semantics_server.get("/ping").status_code == 200


# --- chunks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_empty_chunks_do_not_end_the_stream(semantics_server, kind):
    r = semantics_server.get(f"/stream/empty-chunks/{kind}")
    assert r.status_code == 200
    assert r.text == "abc"


# --- failures, order, flow control -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_exception_mid_stream_breaks_the_body_after_the_chunks_before_it(semantics_server, kind):
    got = b""
    with pytest.raises(httpx.RemoteProtocolError):
        with httpx.stream("GET", semantics_server.url(f"/stream/fails/{kind}"), timeout=10.0) as r:
            assert r.status_code == 200
            for chunk in r.iter_raw():
                got += chunk
    # The chunked body never gets its last chunk: the client sees a broken stream, not a short one.
    assert got == b"one\ntwo\n"
    assert semantics_server.get("/ping").status_code == 200


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_chunks_arrive_in_order_through_a_slow_reader(semantics_server, kind):
    n = 40_000  # 280 KB: more than the core buffers, so the generator stops and resumes
    body = b""
    with httpx.stream("GET", semantics_server.url(f"/stream/numbered/{kind}?n={n}"), timeout=30.0) as r:
        for i, chunk in enumerate(r.iter_raw()):
            body += chunk
            if i < 20:
                time.sleep(0.02)  # let the producer run ahead and fill the buffer
    assert body == b"".join(b"%06d\n" % i for i in range(n))


def test_an_unread_sync_stream_stops_producing_and_a_disconnect_closes_it(semantics_server):
    tok = token()
    sock = raw_request(semantics_server.port, f"/endless/fast-sync?token={tok}")
    try:
        assert b"chunk 0\n" in read_until(sock, b"chunk 0\n")
        # The client reads nothing more: once the socket and the core's buffer are full,
        # the generator waits instead of running through its 50 million chunks.
        def progress():
            return [e for e in _stream_events(semantics_server, tok) if e.startswith("at ")]

        def stalled():
            before = progress()
            time.sleep(0.5)
            return progress() == before

        wait_until(stalled, timeout=20, message="the unread generator to stop")
    finally:
        sock.close()
    wait_until(lambda: "closed" in _stream_events(semantics_server, tok), timeout=20,
               message="the generator's finally to run after the disconnect")
    events = _stream_events(semantics_server, tok)
    assert "finished" not in events
    assert semantics_server.get("/ping").status_code == 200


def test_slow_sync_streams_leave_worker_threads_to_sync_handlers(semantics_server):
    # Two streams whose generators wait between chunks, on a server with two worker
    # threads: a sync handler still runs while both go on.
    toks = [token(), token()]
    socks = [raw_request(semantics_server.port, f"/trickle/sync?token={t}") for t in toks]
    try:
        for sock in socks:
            assert b"tick 1\n" in read_until(sock, b"tick 1\n")
        r = semantics_server.get(f"/sync/sleep?token={token()}&ms=1", timeout=10.0)
        assert r.status_code == 200
        assert all("finished" not in _stream_events(semantics_server, t) for t in toks)
    finally:
        for sock in socks:
            sock.close()
    for t in toks:
        wait_until(lambda t=t: "closed" in _stream_events(semantics_server, t), timeout=20,
                   message="the trickling generator to be closed")
