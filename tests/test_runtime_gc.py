"""A worker freezes what start-up built out of the garbage collector's passes before it
serves: the project's objects live as long as the worker, and walking them in every
older-generation collection cost a tenth of an ORM read's CPU."""

from __future__ import annotations

from .runtime_helpers import runtime  # noqa: F401


def test_start_up_objects_are_frozen_and_requests_objects_are_not(runtime):  # noqa: F811
    server = runtime.start()
    r = server.request("GET", "/gc")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["frozen"] > 10_000  # Django, the project and the route table
    assert body["api_frozen"] is True
    assert body["request_tracked"] is True
