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
