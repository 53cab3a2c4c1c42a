"""SIGHUP replaces the workers: open WebSockets of the old worker get 1001 (going away)
once the drain timeout has passed, never a silent drop; the new worker serves at once."""

from __future__ import annotations

import signal
import time

from .runtime_helpers import TESTS_DIR, runtime_env
from .websocket_helpers import RawWebSocket

PROJECT = TESTS_DIR / "websocket_project"


def test_sighup_closes_old_websockets_1001_after_the_drain(runtime):
    server = runtime.start(project=PROJECT, env=runtime_env({"BOLT_SHUTDOWN_TIMEOUT": 1}))
    port = int(server.base_url.rsplit(":", 1)[1])
    old = RawWebSocket.connect(port, "/ws/echo")
    old.send_text("before")
    assert old.recv_text() == "before"
    start = time.monotonic()
    server.signal(signal.SIGHUP)
    frame = old.expect_close()
    assert (frame.close_code, frame.close_reason) == (1001, "Server shutting down")
    assert time.monotonic() - start >= 1.0
    old.close()
    new = RawWebSocket.connect(port, "/ws/echo")
    new.send_text("after")
    assert new.recv_text() == "after"
    new.close()
