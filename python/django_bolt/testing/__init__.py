"""Testing an API in-process: ``TestClient`` and ``AsyncTestClient``.

    from django_bolt.testing import TestClient

    def test_root():
        with TestClient(api) as client:
            assert client.get("/").json() == {"Hello": "World"}

The clients are httpx clients whose transport runs each request through the same Go
pipeline as the server (routing, auth, guards, and with ``use_http_layer=True`` also
CORS, rate limiting and compression), inside the test's process and on the test's
thread, so a Django ``TestCase`` transaction is visible to the handler.

The Go runtime in the process must not be used after ``os.fork()``: run parallel
test suites with the ``spawn`` or ``forkserver`` start method (see docs/testing.md).
"""

from .client import AsyncTestClient, TestClient, TestResponse
from .websocket import ConnectionClosed, WebSocketClient, WebSocketTestClient

__all__ = ["TestClient", "AsyncTestClient", "TestResponse", "WebSocketTestClient", "WebSocketClient", "ConnectionClosed"]
