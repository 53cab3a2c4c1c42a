"""``WebSocketTestClient``: the upgrade checks run in the Go pipeline in-process, the
handler on the test's event loop, with the server's connection rules."""

from __future__ import annotations

import time
from typing import Annotated

import jwt
import pytest

from django_bolt import BoltAPI, WebSocket, WebSocketDisconnect
from django_bolt.auth import IsAuthenticated, IsStaff, JWTAuthentication
from django_bolt.middleware import rate_limit
from django_bolt.params import Depends, Header
from django_bolt.testing import ConnectionClosed, TestClient, WebSocketClient, WebSocketTestClient
from django_bolt.websocket import CloseCode, WebSocketState

SECRET = "websocket-client-tests-secret-32-bytes"
JWT = JWTAuthentication(secret=SECRET, algorithms=["HS256"])

api = BoltAPI()
seen: dict[str, object] = {}


@api.websocket("/ws/rooms/{room}")
async def room(ws: WebSocket, room: int, nick: str = "anon"):
    await ws.accept()
    async for text in ws.iter_text():
        await ws.send_json({"room": room, "from": nick, "text": text})


@api.websocket("/ws/echo")
async def echo(ws: WebSocket):
    await ws.accept()
    while True:
        message = await ws.receive()
        if "text" in message:
            await ws.send_text(message["text"])
        else:
            await ws.send_bytes(message["bytes"])


def shout(x_name: Annotated[str, Header()] = "nobody") -> str:
    return x_name.upper()


@api.websocket("/ws/deps/{n}")
async def deps(ws: WebSocket, n: int, name: str = Depends(shout)):
    await ws.accept()
    await ws.send_json({"n": n, "name": name, "cookie": ws.cookies.get("k"), "state": ws.client_state.name})


@api.websocket("/ws/refuse")
async def refuse(ws: WebSocket):
    await ws.close(4403, "not today")


@api.websocket("/ws/record")
async def record(ws: WebSocket):
    await ws.accept()
    try:
        await ws.receive_text()
    except WebSocketDisconnect as exc:
        seen["code"] = exc.code
        raise


@api.websocket("/ws/boom")
async def boom(ws: WebSocket):
    await ws.accept()
    await ws.receive_text()
    raise RuntimeError("boom on purpose")


@api.websocket("/ws/returns")
async def returns(ws: WebSocket):
    await ws.accept()
    await ws.send_text("bye")


@api.websocket("/ws/send-before-accept")
async def send_before_accept(ws: WebSocket):
    try:
        await ws.send_text("too early")
    except RuntimeError as exc:
        await ws.accept()
        await ws.send_text(str(exc))


@api.websocket("/ws/auth", auth=[JWT], guards=[IsAuthenticated()])
async def authed(ws: WebSocket):
    await ws.accept()
    await ws.send_json({"user_id": ws.context.get("user_id")})


@api.websocket("/ws/staff", auth=[JWT], guards=[IsStaff()])
async def staff(ws: WebSocket):
    await ws.accept()


@api.websocket("/ws/limited")
@rate_limit(rps=1, burst=1)
async def limited(ws: WebSocket):
    await ws.accept()


@api.websocket("/ws/proto")
async def proto(ws: WebSocket):
    await ws.accept(subprotocol="v2")


def bearer(sub: str = "u1", **extra) -> dict[str, str]:
    now = int(time.time())
    return {"Authorization": "Bearer " + jwt.encode({"sub": sub, "iat": now, "exp": now + 60, **extra}, SECRET)}


async def test_room_example_from_the_docs():
    async with WebSocketTestClient(api, "/ws/rooms/7", query_string="nick=bo") as c:
        await c.send_text("hi")
        assert await c.receive_json() == {"room": 7, "from": "bo", "text": "hi"}


async def test_echo_text_bytes_json():
    async with WebSocketClient(api, "/ws/echo") as c:
        assert c.accepted
        await c.send_text("a")
        assert await c.receive_text() == "a"
        await c.send_bytes(b"\x00")
        assert await c.receive_bytes() == b"\x00"
        await c.send_json({"k": [1, 2]})
        assert await c.receive_json() == {"k": [1, 2]}
        await c.send_json({"b": 1}, mode="binary")
        assert await c.receive_bytes() == b'{"b":1}'


async def test_params_headers_cookies_and_depends():
    headers = {"x-name": "ana", "cookie": "k=v"}
    async with WebSocketTestClient(api, "/ws/deps/3", headers=headers) as c:
        assert await c.receive_json() == {"n": 3, "name": "ANA", "cookie": "v", "state": "CONNECTED"}


async def test_bad_param_closes_1011_handler_setup_failed():
    async with WebSocketTestClient(api, "/ws/deps/x") as c:
        with pytest.raises(ConnectionClosed) as info:
            await c.receive_text()
        assert (info.value.code, info.value.reason) == (1011, "Handler setup failed")


async def test_close_before_accept_code_seen_by_client():
    async with WebSocketTestClient(api, "/ws/refuse") as c:
        assert not c.accepted
        with pytest.raises(ConnectionClosed) as info:
            await c.receive_text()
        assert info.value.code == 4403
        assert c.close_code == 4403


async def test_client_close_code_seen_by_handler():
    async with WebSocketTestClient(api, "/ws/record") as c:
        await c.close(4001)
    assert seen["code"] == 4001


async def test_handler_error_closes_1011_and_is_reraised():
    with pytest.raises(RuntimeError, match="boom on purpose"):
        async with WebSocketTestClient(api, "/ws/boom") as c:
            await c.send_text("go")
            with pytest.raises(ConnectionClosed) as info:
                await c.receive_text()
            assert info.value.code == CloseCode.INTERNAL_ERROR


async def test_handler_returning_closes_1000():
    async with WebSocketTestClient(api, "/ws/returns") as c:
        assert await c.receive_text() == "bye"
        with pytest.raises(ConnectionClosed) as info:
            await c.receive_text()
        assert info.value.code == 1000


async def test_send_before_accept_is_a_runtime_error():
    async with WebSocketTestClient(api, "/ws/send-before-accept") as c:
        assert await c.receive_text() == "WebSocket is not connected"


async def test_message_too_large_closes_1009():
    from django.test import override_settings

    with override_settings(BOLT_WS_MAX_MESSAGE_SIZE=10):
        await _too_large()


async def _too_large():
    async with WebSocketTestClient(api, "/ws/echo") as c:
        await c.send_text("0123456789")
        assert await c.receive_text() == "0123456789"
        await c.send_text("0123456789+")
        with pytest.raises(ConnectionClosed) as info:
            await c.receive_text()
        assert info.value.code == 1009


async def test_client_errors():
    with pytest.raises(ValueError, match="No WebSocket handler found for path: /ws/none"):
        async with WebSocketTestClient(api, "/ws/none"):
            pass
    with pytest.raises(PermissionError, match="WebSocket connection denied: Authentication required"):
        async with WebSocketTestClient(api, "/ws/auth"):
            pass
    with pytest.raises(PermissionError, match="WebSocket connection denied: Permission denied"):
        async with WebSocketTestClient(api, "/ws/staff", headers=bearer()):
            pass
    with pytest.raises(PermissionError, match="WebSocket connection denied: Origin not allowed: https://x.example"):
        async with WebSocketTestClient(api, "/ws/echo", headers={"origin": "https://x.example"}):
            pass
    async with WebSocketTestClient(api, "/ws/echo", headers={"origin": "https://x.example"},
                                   cors_allowed_origins=["https://x.example"]) as c:
        assert c.accepted
    async with WebSocketTestClient(api, "/ws/returns") as c:
        await c.receive_text()
        with pytest.raises(ConnectionClosed):
            await c.receive_text()
        with pytest.raises(RuntimeError):
            await c.send_text("closed")
    async with WebSocketTestClient(api, "/ws/echo") as c:
        with pytest.raises(TimeoutError, match="No message received within 0.05"):
            await c.receive(timeout=0.05)


async def test_rate_limit_is_enforced_across_connections():
    async with WebSocketTestClient(api, "/ws/limited"):
        pass
    with pytest.raises(PermissionError, match="Rate limit exceeded"):
        for _ in range(3):
            async with WebSocketTestClient(api, "/ws/limited"):
                pass


async def test_auth_context_and_subprotocol():
    async with WebSocketTestClient(api, "/ws/auth", headers=bearer("u42")) as c:
        assert await c.receive_json() == {"user_id": "u42"}
    async with WebSocketTestClient(api, "/ws/proto", subprotocols=["v1", "v2"]) as c:
        assert c.accepted_subprotocol == "v2"


async def test_testclient_websocket_connect():
    with TestClient(api) as client:
        async with client.websocket_connect("/ws/rooms/1?nick=x") as c:
            await c.send_text("yo")
            assert await c.receive_json() == {"room": 1, "from": "x", "text": "yo"}


def test_decorator_rejects_sync_handlers_and_missing_websocket_parameter():
    other = BoltAPI()
    with pytest.raises(TypeError, match="must be an async def"):
        @other.websocket("/ws")
        def sync_handler(ws):
            pass
    with pytest.raises(TypeError, match="first positional parameter"):
        @other.websocket("/ws2")
        async def no_params():
            pass


def test_close_codes_and_states():
    assert CloseCode.NORMAL == CloseCode.NORMAL_CLOSURE == 1000
    assert WebSocketState.CONNECTED == 2
    assert str(WebSocketDisconnect(1001, "bye")) == "WebSocket error 1001: bye"


async def test_user_is_loaded_by_the_authenticating_backend():
    class Loader(JWTAuthentication):
        def get_user_sync(self, user_id):
            return {"id": user_id}

    users = BoltAPI()

    @users.websocket("/ws/user", auth=[Loader(secret=SECRET, algorithms=["HS256"])], guards=[IsAuthenticated()])
    async def who(ws: WebSocket):
        await ws.accept()
        await ws.send_json({"auser": await ws.auser(), "user": ws.user})

    async with WebSocketTestClient(users, "/ws/user", headers=bearer("u5")) as c:
        assert await c.receive_json() == {"auser": {"id": "u5"}, "user": {"id": "u5"}}
