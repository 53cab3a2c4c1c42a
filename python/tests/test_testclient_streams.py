"""The test client reads a stream as the handler produces it: chunk by chunk, sync and
async clients, sync and async generators. An endless event stream can be read for a
few events; closing the response, leaving its ``with`` block or leaving a reader loop
closes the generator, whose ``finally`` runs."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async

from django_bolt import BoltAPI, StreamingResponse
from django_bolt.testing import AsyncTestClient, TestClient


class Feed:
    """What the generators did: events produced, and whether their finally ran."""

    def __init__(self) -> None:
        self.produced = 0
        self.closed = threading.Event()
        self.threads: set[int] = set()
        self.producer = None


def feed_api(feed: Feed) -> BoltAPI:
    api = BoltAPI()

    @api.get("/async-events")
    async def async_events():
        async def events():
            try:
                while True:  # endless, as a live feed is
                    feed.produced += 1
                    yield f"data: {feed.produced}\n\n"
                    await asyncio.sleep(0)
            finally:
                feed.closed.set()

        return StreamingResponse(events(), media_type="text/event-stream")

    @api.get("/sync-events")
    def sync_events():
        def events():
            try:
                while True:
                    feed.produced += 1
                    yield f"data: {feed.produced}\n\n"
            finally:
                feed.closed.set()

        return StreamingResponse(events(), media_type="text/event-stream")

    @api.get("/thread")
    async def thread():
        def where() -> int:
            return threading.get_ident()

        async def events():
            for _ in range(2):
                # A thread-sensitive call, as the async ORM makes.
                feed.threads.add(await sync_to_async(where)())
                yield "x"

        return StreamingResponse(events())

    @api.get("/fails")
    async def fails():
        async def events():
            yield "before "
            raise RuntimeError("the feed broke")

        return StreamingResponse(events())

    @api.get("/fed")
    async def fed():
        # A feed whose producer is a task the handler starts, as a pub/sub feed is.
        queue: asyncio.Queue = asyncio.Queue()

        async def produce():
            for i in range(3):
                await queue.put(f"{i}\n")
                await asyncio.sleep(0)
            await queue.put(None)

        feed.producer = asyncio.create_task(produce())

        async def consume():
            while (item := await queue.get()) is not None:
                yield item

        return StreamingResponse(consume(), media_type="text/plain")

    @api.get("/slow")
    async def slow():
        async def events():
            for i in range(3):
                yield f"{i}\n"
                await asyncio.sleep(0.05)

        return StreamingResponse(events(), media_type="text/plain")

    return api


@pytest.mark.parametrize("path", ["/async-events", "/sync-events"])
def test_an_endless_stream_is_read_for_a_few_events_and_closed_by_leaving_the_loop(path):
    feed = Feed()
    with TestClient(feed_api(feed)) as client:
        r = client.get(path, stream=True)
        assert r.status_code == 200
        assert feed.produced == 0  # nothing is produced before it is read
        events = []
        for line in r.iter_lines():
            if line:
                events.append(line)
            if len(events) == 3:
                break
        assert events == ["data: 1", "data: 2", "data: 3"]
        # Each chunk is handed over as produced: the generator ran no further ahead.
        assert feed.produced == 3
        assert feed.closed.is_set()
        assert r.is_closed


@pytest.mark.parametrize("path", ["/async-events", "/sync-events"])
def test_leaving_the_with_block_closes_the_generator(path):
    feed = Feed()
    with TestClient(feed_api(feed)) as client:
        with client.get(path, stream=True) as r:
            chunks = r.iter_content(chunk_size=None)
            assert next(chunks) == b"data: 1\n\n"
            assert next(chunks) == b"data: 2\n\n"
            assert not feed.closed.is_set()
        assert feed.closed.is_set()
        assert feed.produced == 2


def test_close_closes_the_generator_and_the_client_closes_what_is_left_open():
    feed = Feed()
    with TestClient(feed_api(feed)) as client:
        r = client.get("/async-events", stream=True)
        assert next(r.iter_bytes()) == b"data: 1\n\n"
        r.close()
        assert feed.closed.is_set()

    forgotten = Feed()
    with TestClient(feed_api(forgotten)) as client:
        r = client.get("/sync-events", stream=True)
        pieces = r.iter_raw()
        assert next(pieces) == b"data: 1\n\n"
        assert not forgotten.closed.is_set()
    # The client's end closes the streams it still has open.
    assert forgotten.closed.is_set()


def test_the_readers_of_a_stream_read_to_its_end_can_read_it_again():
    with TestClient(feed_api(Feed())) as client:
        with client.get("/slow", stream=True) as r:
            assert list(r.iter_lines()) == ["0", "1", "2"]
            assert r.text == "0\n1\n2\n"
            assert b"".join(r.iter_content(chunk_size=1)) == b"0\n1\n2\n"
        assert client.get("/slow").text == "0\n1\n2\n"


def test_a_task_the_handler_starts_keeps_feeding_the_stream():
    # The handler and its stream share one event loop for the client's life, as on the server.
    feed = Feed()
    with TestClient(feed_api(feed)) as client:
        with client.get("/fed", stream=True) as r:
            assert not feed.producer.cancelled()  # the handler's return did not end it
            assert list(r.iter_lines()) == ["0", "1", "2"]
        assert feed.producer.done() and not feed.producer.cancelled()


def test_an_async_generators_thread_sensitive_calls_run_on_the_reading_thread():
    # Where the test's database connection and transaction live.
    feed = Feed()
    with TestClient(feed_api(feed)) as client:
        assert client.get("/thread").text == "xx"
    assert feed.threads == {threading.get_ident()}


def test_a_failing_stream_raises_where_it_is_read():
    with TestClient(feed_api(Feed())) as client:
        r = client.get("/fails", stream=True)
        pieces = r.iter_bytes()
        assert next(pieces) == b"before "
        with pytest.raises(RuntimeError, match="the feed broke"):
            next(pieces)
        with pytest.raises(RuntimeError, match="the feed broke"):
            client.get("/fails")
    with TestClient(feed_api(Feed()), raise_server_exceptions=False) as client:
        # As a client on a connection sees it: the body ends after what was produced.
        assert client.get("/fails").content == b"before "


@pytest.mark.parametrize("path", ["/async-events", "/sync-events"])
def test_async_client_reads_an_endless_stream_and_closes_it(path):
    feed = Feed()

    async def run():
        async with AsyncTestClient(feed_api(feed)) as client:
            async with client.stream("GET", path) as r:
                events = []
                async for line in r.aiter_lines():
                    if line:
                        events.append(line)
                    if len(events) == 2:
                        break
                assert events == ["data: 1", "data: 2"]
            assert feed.closed.is_set()
            assert feed.produced == 2

            feed.closed.clear()
            r = await client.get(path, stream=True)
            assert await r.aiter_bytes().__anext__() == b"data: 3\n\n"
            await r.aclose()
            assert feed.closed.is_set()

    asyncio.run(run())


def test_an_async_generator_sees_the_tests_transaction():
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", run_syncdb=True, verbosity=0)
    api = BoltAPI()

    @api.get("/groups")
    async def groups():
        async def names():
            async for group in Group.objects.filter(name__startswith="stream-").order_by("name"):
                yield group.name + "\n"

        return StreamingResponse(names(), media_type="text/plain")

    with transaction.atomic():
        Group.objects.bulk_create([Group(name="stream-a"), Group(name="stream-b")])
        with TestClient(api) as client, client.get("/groups", stream=True) as r:
            assert list(r.iter_lines()) == ["stream-a", "stream-b"]
        transaction.set_rollback(True)
