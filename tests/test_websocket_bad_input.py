"""Bad WebSocket input over real sockets: each misbehaving client is closed with the code
RFC 6455 gives it, and the server keeps serving everyone else. Also the timeouts, the
bounded queues and the close on shutdown."""

from __future__ import annotations

import signal
import socket
import struct
import time
import uuid

import pytest

from .runtime_helpers import TESTS_DIR, ServerPool, group_fixture, runtime_env, wait_until
from .websocket_helpers import BINARY, CLOSE, PING, TEXT, RawWebSocket, frame_bytes

PROJECT = TESTS_DIR / "websocket_project"
SETTINGS = {
    "BOLT_WS_MAX_MESSAGE_SIZE": 4096,
    "BOLT_WS_HEARTBEAT_INTERVAL": 0.2,
    "BOLT_WS_CLIENT_TIMEOUT": 1.0,
    "BOLT_WS_CHANNEL_SIZE": 8,
}

bad_servers = group_fixture(ServerPool, "module", "websocket-bad-logs", doc="Servers of this module.")


@pytest.fixture(scope="module")
def server(bad_servers):
    return bad_servers.start(project=PROJECT, env=runtime_env(SETTINGS))


def port_of(server) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def connect(server, path: str = "/ws/echo", **kwargs) -> RawWebSocket:
    return RawWebSocket.connect(port_of(server), path, **kwargs)


def held(server):
    """A connection to the handler that only waits, once the handler runs, and a function
    returning what the handler has seen (``open``, then the close ``code`` and ``reason``)."""
    token = uuid.uuid4().hex
    ws = connect(server, f"/ws/hold?token={token}")

    def seen() -> dict:
        return server.get(f"/seen?token={token}").json()

    wait_until(lambda: seen().get("open"), 10, "the handler to start")
    return ws, seen


def still_serves(server) -> None:
    ws = connect(server)
    ws.send_text("still here")
    assert ws.recv_text() == "still here"
    ws.close()


def closed_with(ws: RawWebSocket, code: int) -> str:
    frame = ws.expect_close()
    assert frame.close_code == code, (frame.close_code, frame.close_reason)
    assert ws.closed_by_server()
    ws.close()
    return frame.close_reason


@pytest.mark.parametrize("send", [
    pytest.param(lambda ws: ws.send_frame(TEXT, b"unmasked", mask=False), id="unmasked-client-frame"),
    pytest.param(lambda ws: ws.send_frame(0x3, b"x"), id="reserved-opcode"),
    pytest.param(lambda ws: ws.send_frame(TEXT, b"x", rsv=0b100), id="rsv1-without-extension"),
    pytest.param(lambda ws: ws.send_frame(PING, b"p" * 126), id="control-frame-over-125-bytes"),
    pytest.param(lambda ws: ws.send_frame(PING, b"p", fin=False), id="fragmented-control-frame"),
    pytest.param(lambda ws: ws.send_frame(0x0, b"orphan"), id="continuation-without-start"),
    pytest.param(lambda ws: (ws.send_frame(TEXT, b"a", fin=False), ws.send_frame(TEXT, b"b")), id="new-message-inside-fragmented-one"),
    pytest.param(lambda ws: ws.send_frame(CLOSE, struct.pack("!H", 999)), id="invalid-close-code"),
])
def test_protocol_errors_close_1002(server, send):
    ws = connect(server)
    send(ws)
    closed_with(ws, 1002)
    still_serves(server)


def test_invalid_utf8_in_a_text_message_closes_1007(server):
    ws = connect(server)
    ws.send_frame(TEXT, b"ok \xff\xfe")
    closed_with(ws, 1007)
    # Split across fragments, a valid sequence is fine.
    ws = connect(server)
    ws.send_frame(TEXT, "é".encode()[:1], fin=False)
    ws.send_frame(0x0, "é".encode()[1:])
    assert ws.recv_text() == "é"
    ws.close()
    still_serves(server)


def test_a_huge_declared_length_closes_1009_without_reading_it(server):
    ws = connect(server)
    # Header of a 1 TiB binary frame, masked, then only a few bytes.
    ws.sock.sendall(struct.pack("!BBQ", 0x80 | BINARY, 0x80 | 127, 1 << 40) + b"\x00\x00\x00\x00" + b"x" * 100)
    closed_with(ws, 1009)
    still_serves(server)


def test_fragments_adding_up_past_the_limit_close_1009(server):
    ws = connect(server)
    for _ in range(4):
        ws.send_frame(BINARY if _ == 0 else 0x0, b"x" * 1024, fin=False)
    ws.send_frame(0x0, b"x", fin=True)
    closed_with(ws, 1009)
    still_serves(server)


def test_a_ping_flood_is_closed_1008(server):
    ws = connect(server)
    try:
        for i in range(1000):
            ws.send_frame(PING, b"%d" % i)
    except OSError:
        pass  # the server may close before the flood ends
    assert closed_with(ws, 1008) == "Too many pings"
    still_serves(server)


def test_pings_are_answered_and_the_server_pings(server):
    ws = connect(server)
    ws.send_frame(PING, b"hello")
    frames = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not ({f.opcode for f in frames} >= {0xA, PING}):
        frames.append(ws.recv_frame())
    assert any(f.opcode == 0xA and f.payload == b"hello" for f in frames), frames
    assert any(f.opcode == PING for f in frames), "no heartbeat ping from the server"
    ws.close()


def test_a_silent_client_is_closed_and_the_handler_sees_1001(server):
    ws, seen = held(server)
    # Never read, never answer a ping: a half-open connection looks the same to the server.
    result = wait_until(lambda: seen().get("code"), 10, "the timeout")
    assert result == 1001
    assert seen()["reason"] == "Client timed out"
    assert ws.closed_by_server()
    ws.close()
    still_serves(server)


def test_a_frame_sent_in_pieces_arrives_whole(server):
    ws = connect(server)
    ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    message = "piece by piece " * 200  # a 16-bit length: a 4-byte header before the mask
    frame = frame_bytes(TEXT, message.encode())
    for cut in (frame[:1], frame[1:3], frame[3:7], frame[7:1000], frame[1000:]):
        ws.sock.sendall(cut)
        time.sleep(0.05)
    assert ws.recv_text() == message
    ws.close()
    still_serves(server)


def test_a_frame_left_halfway_is_closed_1001_and_the_handler_sees_it(server):
    ws, seen = held(server)
    ws.sock.sendall(frame_bytes(TEXT, b"never finished")[:9])
    result = wait_until(lambda: seen().get("code"), 10, "the timeout")
    assert result == 1001
    assert seen()["reason"] == "Client timed out"
    ws.close()
    still_serves(server)


def test_frames_sent_with_the_handshake_are_read_in_order_and_the_connection_is_pinged(server):
    four = frame_bytes(TEXT, b"four")
    early = (frame_bytes(TEXT, b"one") + frame_bytes(TEXT, b"two") + frame_bytes(TEXT, b"thr", fin=False)
             + frame_bytes(0x0, b"ee") + four[:4])
    ws = connect(server, early=early)
    assert [ws.recv_text() for _ in range(3)] == ["one", "two", "three"]
    ws.sock.sendall(four[4:])  # the rest of a frame begun with the handshake
    assert ws.recv_text() == "four"
    # Watched like any other connection: the heartbeat pings it.
    pinged, deadline = False, time.monotonic() + 5
    while not pinged and time.monotonic() < deadline:
        pinged = ws.recv_frame().opcode == PING
    assert pinged, "no heartbeat ping"
    ws.send_text("after")
    assert ws.recv_text() == "after"
    ws.close()
    still_serves(server)


def test_a_client_that_vanishes_without_a_close_frame(server):
    ws, seen = held(server)
    ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    ws.close()  # RST
    assert wait_until(lambda: seen().get("code"), 10, "the handler") == 1006
    still_serves(server)


def test_a_handler_that_falls_behind_is_closed_1011(server):
    ws = connect(server, "/ws/sleepy")
    try:
        for i in range(200):
            ws.send_text(f"m{i}")
    except OSError:
        pass
    assert closed_with(ws, 1011) == "Inbound queue full"
    still_serves(server)


def test_a_client_that_never_reads_is_dropped_and_memory_stays_bounded(server):
    ws = connect(server, "/ws/firehose")
    ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    time.sleep(3)  # the server's writes block; the outbound queue fills; the server gives up
    still_serves(server)
    ws.sock.settimeout(10)
    received = 0
    ended = None
    try:
        while True:
            frame = ws.recv_frame()
            if frame.opcode == CLOSE:
                ended = frame.close_code
                break
            received += len(frame.payload)
    except (ConnectionError, OSError):
        ended = "eof"
    assert ended in (1008, "eof"), ended
    ws.close()
    metrics = server.get("/seen?token=none")  # the server still answers HTTP
    assert metrics.status_code == 200


def test_shutdown_closes_open_websockets_1001(bad_servers):
    server = bad_servers.start(project=PROJECT, env=runtime_env({**SETTINGS, "BOLT_SHUTDOWN_TIMEOUT": 1}))
    ws = connect(server, "/ws/echo")
    ws.send_text("x")
    assert ws.recv_text() == "x"
    server.signal(signal.SIGTERM)
    frame = ws.expect_close()
    assert (frame.close_code, frame.close_reason) == (1001, "Server shutting down")
    ws.close()
    assert server.wait_exit(timeout=30) == 0
