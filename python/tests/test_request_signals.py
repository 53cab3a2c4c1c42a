"""BOLT_EMIT_SIGNALS: Django's request_started/request_finished around each request."""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.test import override_settings

from django_bolt import BoltAPI
from django_bolt.exceptions import HTTPException
from django_bolt.testing import TestClient


@pytest.fixture
def events():
    seen: list[tuple] = []

    def started(sender, scope=None, **kwargs):
        seen.append(("started", sender, scope))

    def finished(sender, **kwargs):
        seen.append(("finished", sender))

    request_started.connect(started)
    request_finished.connect(finished)
    yield seen
    request_started.disconnect(started)
    request_finished.disconnect(finished)


def make_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/ok")
    async def ok(request):
        return {"ok": True}

    @api.get("/fail")
    async def fail():
        raise HTTPException(418, "teapot")

    @api.get("/crash")
    async def crash():
        raise RuntimeError("boom")

    return api


def test_one_started_finished_pair_per_request(events):
    with override_settings(BOLT_EMIT_SIGNALS=True):
        api = make_api()
    with TestClient(api) as client:
        client.get("/ok?a=1", headers={"x-trace": "t"})
    assert [e[0] for e in events] == ["started", "finished"]
    _, sender, scope = events[0]
    assert sender is BoltAPI and events[1][1] is BoltAPI
    assert scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == "/ok"
    assert scope["query_string"] == b"a=1"
    assert (b"x-trace", b"t") in scope["headers"]


def test_finished_is_sent_for_errors_too(events):
    with override_settings(BOLT_EMIT_SIGNALS=True):
        api = make_api()
    with TestClient(api, raise_server_exceptions=False) as client:
        assert client.get("/fail").status_code == 418
        assert client.get("/crash").status_code == 500
    assert [e[0] for e in events] == ["started", "finished", "started", "finished"]


def test_nothing_is_sent_or_wrapped_when_unset(events):
    api = make_api()
    with TestClient(api) as client:
        client.get("/ok")
    assert events == []
    # No wrapper at all: the route runs without a signal call.
    assert all(r.runner.__name__ != "run_with_signals" for r in api.routes())


def test_setting_must_be_a_bool():
    from django.core.exceptions import ImproperlyConfigured

    with override_settings(BOLT_EMIT_SIGNALS="yes"):
        with pytest.raises(ImproperlyConfigured, match="BOLT_EMIT_SIGNALS"):
            BoltAPI()


def make_stream_api(log: list) -> BoltAPI:
    from django_bolt.responses import StreamingResponse

    with override_settings(BOLT_EMIT_SIGNALS=True):
        api = BoltAPI()

    def sync_chunks(n: int):
        try:
            for i in range(n):
                log.append(("chunk", i))
                yield f"{i}\n"
        finally:
            log.append(("closed",))

    async def async_chunks(n: int):
        try:
            for i in range(n):
                log.append(("chunk", i))
                yield f"{i}\n"
        finally:
            log.append(("closed",))

    @api.get("/sync")
    async def sync_stream(n: int = 3):
        return StreamingResponse(sync_chunks(n), media_type="text/plain")

    @api.get("/async")
    async def async_stream(n: int = 3):
        return StreamingResponse(async_chunks(n), media_type="text/plain")

    @api.get("/broken")
    async def broken():
        return StreamingResponse(42, media_type="text/plain")

    return api


@pytest.mark.parametrize("path", ["/sync", "/async"])
def test_a_streams_finished_comes_after_its_last_chunk(events, path):
    api = make_stream_api(events)
    with TestClient(api) as client:
        assert client.get(path).text == "0\n1\n2\n"
    names = [e[0] for e in events]
    # As Django sends it when it closes a streamed response: once the body is out.
    assert names == ["started", "chunk", "chunk", "chunk", "closed", "finished"]


@pytest.mark.parametrize("path", ["/sync", "/async"])
def test_a_stream_closed_early_is_finished_after_its_generator_closed(events, path):
    api = make_stream_api(events)
    with TestClient(api) as client:
        with client.get(path + "?n=1000", stream=True) as response:
            lines = response.iter_lines()
            assert next(lines) == "0"
            assert "finished" not in [e[0] for e in events]
    names = [e[0] for e in events]
    assert names[0] == "started" and names[-2:] == ["closed", "finished"]
    assert names.count("finished") == 1


def test_a_stream_that_cannot_start_is_finished_too(events):
    api = make_stream_api(events)
    with TestClient(api, raise_server_exceptions=False) as client:
        assert client.get("/broken").status_code == 500
    assert [e[0] for e in events] == ["started", "finished"]
