"""The example project's WebSockets (chat app): a chat room and an authenticated echo."""

from __future__ import annotations

import json

import httpx
import pytest

from .websocket_helpers import HandshakeRefused, RawWebSocket


def port_of(server) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def test_chat_room_broadcasts_to_every_member(example_server):
    port = port_of(example_server)
    ana = RawWebSocket.connect(port, "/ws/rooms/7?nick=ana")
    bo = RawWebSocket.connect(port, "/ws/rooms/7?nick=bo")
    other = RawWebSocket.connect(port, "/ws/rooms/8?nick=cy")
    # A message from each proves both members are in the room before the broadcast.
    ana.send_text("hello")
    assert json.loads(ana.recv_text()) == {"room": 7, "from": "ana", "text": "hello"}
    wait_for = json.loads(bo.recv_text())
    assert wait_for == {"room": 7, "from": "ana", "text": "hello"}
    bo.send_text("hi all")
    for ws in (ana, bo):
        assert json.loads(ws.recv_text()) == {"room": 7, "from": "bo", "text": "hi all"}
    other.send_text("alone")
    assert json.loads(other.recv_text()) == {"room": 8, "from": "cy", "text": "alone"}
    for ws in (ana, bo, other):
        ws.close()


def test_room_must_be_an_integer(example_server):
    ws = RawWebSocket.connect(port_of(example_server), "/ws/rooms/lobby")
    frame = ws.expect_close()
    assert (frame.close_code, frame.close_reason) == (1011, "Handler setup failed")
    ws.close()


def test_authenticated_echo(example_server):
    port = port_of(example_server)
    with pytest.raises(HandshakeRefused) as info:
        RawWebSocket.connect(port, "/ws/echo")
    assert info.value.response.status == 401
    r = httpx.post(example_server.url("/auth/token"), json={"username": "demo", "password": "demo"}, timeout=15)
    token = r.json()["access_token"]
    ws = RawWebSocket.connect(port, "/ws/echo", headers={"Authorization": f"Bearer {token}"})
    ws.send_text("ping")
    reply = json.loads(ws.recv_text())
    assert reply["echo"] == "ping" and reply["user_id"]
    ws.close()
