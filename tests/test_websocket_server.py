"""WebSockets over real sockets: the upgrade checks in Go, handlers on the loop, the
connection rules. The server is ``tests/websocket_project`` run by ``manage.py runbolt``."""

from __future__ import annotations

import json
import time
import uuid

import jwt
import pytest

from .runtime_helpers import TESTS_DIR, ServerPool, group_fixture, runtime_env, wait_until
from .websocket_helpers import BINARY, CLOSE, TEXT, HandshakeRefused, RawWebSocket

PROJECT = TESTS_DIR / "websocket_project"
SECRET = "websocket-tests-secret-of-32-bytes-or-more"

ws_servers = group_fixture(ServerPool, "module", "websocket-logs", doc="WebSocket servers of this module.")


@pytest.fixture(scope="module")
def server(ws_servers):
    return ws_servers.start(project=PROJECT, env=runtime_env({"BOLT_WS_MAX_MESSAGE_SIZE": 4096}))


def port_of(server) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def connect(server, path: str, **kwargs) -> RawWebSocket:
    return RawWebSocket.connect(port_of(server), path, **kwargs)


def token(sub: str = "user-7", **extra) -> str:
    now = int(time.time())
    return jwt.encode({"sub": sub, "iat": now, "exp": now + 600, **extra}, SECRET, algorithm="HS256")


def seen(server, tok: str) -> dict:
    return wait_until(lambda: server.get(f"/seen?token={tok}").json(), 10, "the handler to report")


# --- handlers ------------------------------------------------------------------------


def test_echo_text_and_bytes(server):
    ws = connect(server, "/ws/echo")
    ws.send_text("hello")
    assert ws.recv_text() == "hello"
    ws.send_bytes(b"\x00\x01\xff")
    frame = ws.recv()
    assert (frame.opcode, frame.payload) == (BINARY, b"\x00\x01\xff")
    ws.send_text("é€😀")
    assert ws.recv_text() == "é€😀"
    ws.send_close(1000)
    assert ws.expect_close().close_code == 1000
    ws.close()


def test_typed_path_and_query_params(server):
    ws = connect(server, "/ws/rooms/7?nick=bo")
    ws.send_text("hi")
    assert json.loads(ws.recv_text()) == {"room": 7, "from": "bo", "text": "hi"}
    ws.close()


def test_params_headers_depends_and_connection_details(server):
    ws = connect(server, "/ws/bind/41?flag=true&a=1&a=2", headers={"X-Caller": "ana"})
    data = json.loads(ws.recv_text())
    assert data["n"] == 41 and data["flag"] is True and data["who"] == "ANA"
    assert data["path"] == "/ws/bind/41"
    assert data["query"] == {"flag": "true", "a": ["1", "2"]}
    assert data["client"][0] == "127.0.0.1"
    assert ws.expect_close().close_code == 1000
    ws.close()


def test_invalid_param_closes_1011_handler_setup_failed(server):
    ws = connect(server, "/ws/bind/notanint")
    frame = ws.expect_close()
    assert (frame.close_code, frame.close_reason) == (1011, "Handler setup failed")
    ws.close()


def test_close_before_accept_code_reaches_the_client(server):
    ws = connect(server, "/ws/refuse")
    frame = ws.expect_close()
    assert (frame.close_code, frame.close_reason) == (4403, "not today")
    ws.close()


def test_client_close_code_reaches_the_handler(server):
    tok = uuid.uuid4().hex
    ws = connect(server, f"/ws/record?token={tok}")
    ws.send_close(4001, "client done")
    assert ws.expect_close().close_code == 4001
    ws.close()
    assert seen(server, tok) == {"code": 4001, "reason": "client done"}


@pytest.mark.parametrize("how", ["close frame", "dropped connection"])
def test_a_handler_that_never_receives_is_cancelled_when_the_client_leaves(server, how):
    tok = uuid.uuid4().hex
    ws = connect(server, f"/ws/never-reads?token={tok}")
    wait_until(lambda: server.get(f"/seen?token={tok}").json().get("open"), 10, "the handler to start")
    if how == "close frame":
        ws.send_close(1000)
        assert ws.expect_close().close_code == 1000
    ws.close()
    # Neither receive() nor send() tells this handler: its task is cancelled, not leaked.
    assert wait_until(lambda: server.get(f"/seen?token={tok}").json().get("cancelled"), 10,
                      "the handler to be cancelled")


def test_handler_error_closes_1011(server):
    ws = connect(server, "/ws/boom")
    ws.send_text("go")
    frame = ws.expect_close()
    assert (frame.close_code, frame.close_reason) == (1011, "Internal error")
    ws.close()
    wait_until(lambda: "handler failed on purpose" in server.output(), 10, "the handler's error in the log")


def test_handler_returning_without_close_closes_1000(server):
    ws = connect(server, "/ws/returns")
    assert ws.recv_text() == "bye"
    assert ws.expect_close().close_code == 1000
    ws.close()


def test_subprotocol_and_headers_from_accept(server):
    ws = connect(server, "/ws/subprotocol", headers={"Sec-WebSocket-Protocol": "chat.v1, chat.v2"})
    assert ws.response.headers["sec-websocket-protocol"] == "chat.v2"
    assert ws.response.headers["x-room"] == "lobby"
    assert ws.recv_text() == "chat.v2"
    ws.close()


def test_unknown_path_completes_the_handshake_and_closes_1000(server):
    ws = connect(server, "/ws/nowhere")
    frame = ws.expect_close()
    assert (frame.close_code, frame.close_reason) == (1000, "Not Found")
    ws.close()


# --- refusals before any Python ----------------------------------------------------------


def refused(server, path: str, **kwargs):
    with pytest.raises(HandshakeRefused) as info:
        connect(server, path, **kwargs)
    return info.value.response


def test_plain_get_to_a_websocket_path_is_400(server):
    r = refused(server, "/ws/echo", upgrade=False)
    assert r.status == 400
    assert r.headers["content-type"].startswith("text/plain")


def test_missing_key_is_400(server):
    r = server.get("/ws/echo", headers={"Connection": "Upgrade", "Upgrade": "websocket"})
    assert r.status_code == 400


def test_auth_401_403_and_accepted(server):
    r = refused(server, "/ws/auth")
    assert (r.status, json.loads(r.body)) == (401, {"detail": "Authentication required"})
    r = refused(server, "/ws/staff", headers={"Authorization": f"Bearer {token()}"})
    assert (r.status, json.loads(r.body)) == (403, {"detail": "Permission denied"})
    ws = connect(server, "/ws/auth", headers={"Authorization": f"Bearer {token('user-9')}"})
    assert json.loads(ws.recv_text()) == {"user_id": "user-9", "backend": "jwt"}
    ws.send_text("again")
    assert ws.recv_text() == "again"
    ws.close()


def test_origin_is_checked_against_the_global_cors_origins(server):
    r = refused(server, "/ws/echo", headers={"Origin": "https://evil.example"})
    assert (r.status, json.loads(r.body)) == (403, {"detail": "Origin not allowed"})
    ws = connect(server, "/ws/echo", headers={"Origin": "https://app.example.com"})
    ws.send_text("ok")
    assert ws.recv_text() == "ok"
    ws.close()


def test_rate_limit_429(server):
    statuses = []
    for _ in range(4):
        try:
            ws = connect(server, "/ws/limited")
            ws.expect_close()
            ws.close()
            statuses.append(101)
        except HandshakeRefused as exc:
            statuses.append(exc.response.status)
    assert statuses[0] == 101
    assert 429 in statuses


def test_oversized_message_closes_1009(server):
    ws = connect(server, "/ws/echo")
    ws.send_text("x" * 4096)
    assert len(ws.recv_text()) == 4096
    ws.send_text("x" * 4097)
    assert ws.expect_close().close_code == 1009
    ws.close()


def test_metrics_count_websockets(ws_servers):
    server = ws_servers.start(project=PROJECT, env=runtime_env({"BOLT_METRICS": True}))
    ws = connect(server, "/ws/echo")
    ws.send_text("a")
    ws.recv_text()
    # A message is counted once written, so the client may read the echo just before
    # the count moves: wait for it rather than read the metrics once.
    out = 'bolt_websocket_messages_total{direction="out"} 1'
    wait_until(lambda: out in server.get("/metrics").text, timeout=10, message="the echo to be counted")
    text = server.get("/metrics").text
    assert "bolt_websockets_open 1" in text
    assert 'bolt_websocket_messages_total{direction="in"} 1' in text
    assert 'bolt_websocket_messages_total{direction="out"} 1' in text
    ws.close()
